// A canonical encoding of a world for state deduplication: equal strings mean equal kernel
// state as far as any property or later step can tell (page bytes enter as a hash).
import type { World } from "../kernel/index.js";

/** FNV-1a over bytes. */
export function fnv1a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
  return h >>> 0;
}

/**
 * A page buffer's hash, computed once: a finished state's buffers are never written again (a
 * step writes only the copies its own clone made), so a buffer shared by many states is hashed
 * for the first of them only.
 */
const page_hashes = new WeakMap<Uint8Array, number>();
function page_hash(bytes: Uint8Array): number {
  let h = page_hashes.get(bytes);
  if (h === undefined) page_hashes.set(bytes, (h = fnv1a(bytes)));
  return h;
}

export function world_key(w: World): string {
  const m = w.mem;
  const frames: string[] = [];
  for (let pfn = 0; pfn < m.nr_frames; pfn++) {
    if (m.head[pfn] < 0) continue;
    frames.push(`${pfn}:${m.head[pfn]},${m.refcount[pfn]},${m.pincount[pfn]},${m.mapcount[pfn]},${m.flags[pfn]},${m.order[pfn]},${m.mapping[pfn]},${m.index[pfn]},${page_hash(m.data.read(pfn))}`);
  }
  const mms = w.mms.map((mm) =>
    JSON.stringify([mm.flags, mm.vmas, [...mm.ptes].sort((a, b) => a[0] - b[0]), [...mm.swap].sort((a, b) => a[0] - b[0])]),
  );
  const inodes = w.inodes.map((i) =>
    JSON.stringify([i.i_size, [...i.i_pages.slots].sort((a, b) => a[0] - b[0]), [...i.disk].sort((a, b) => a[0] - b[0]).map(([k, b]) => [k, fnv1a(b)])]),
  );
  const swap = JSON.stringify([[...w.swap.slots].map(([k, s]) => [k, s.count, s.bytes ? fnv1a(s.bytes) : 0]), [...w.swap.cache]]);
  return [frames.join(";"), mms.join("|"), inodes.join("|"), swap, JSON.stringify(w.block), JSON.stringify(w.pipes), w.events.length].join("#");
}
