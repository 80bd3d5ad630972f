// A canonical encoding of a world for state deduplication: equal strings (world_key) or equal
// words (encode_world, what the explorer uses) mean equal kernel state as far as any property
// or later step can tell (page bytes enter as a hash).
import type { Inode, MemMap, Mm, PageData, Pte, SwapPte, SwapState, World, WorldPart } from "../kernel/index.js";
import { interned_page, PAGE_SIZE } from "../kernel/index.js";
import { bytes_fingerprint, fp_hi, fp_lo } from "./fingerprint.js";
import { json_words, num_words, Words } from "./words.js";

/** FNV-1a over bytes. */
export function fnv1a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
  return h >>> 0;
}

/**
 * Bytes kept out of states: a state holds their fnv1a() hash, and the bytes behind it stay here
 * for whoever must compare or show them (content-addressed, so a cache, not state).
 */
const bytes_by_hash = new Map<number, Uint8Array>();
export function remember(bytes: Uint8Array, h = fnv1a(bytes)): number {
  if (!bytes_by_hash.has(h)) bytes_by_hash.set(h, bytes.slice());
  return h;
}
/** The bytes remember() returned h for. */
export const remembered = (h: number): Uint8Array => bytes_by_hash.get(h)!;

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
    frames.push(`${pfn}:${m.head[pfn]},${m.refcount[pfn]},${m.pincount[pfn]},${m.mapcount[pfn]},${m.flags[pfn]},${m.order[pfn]},${m.mapping[pfn]},${m.index[pfn]},${page_hash(w.data_for_read.read(pfn))}`);
  }
  const mms = w.mms.map((mm) =>
    JSON.stringify([
      mm.flags,
      mm.vmas.map((v) => [v.vm_start, v.vm_end, v.vm_flags, v.file, v.vm_pgoff, v.anon_vma, v.dontcopy]),
      [...mm.ptes].sort((a, b) => a[0] - b[0]).map(([k, p]) => [k, p.pfn, p.write, p.dirty]),
      [...mm.swap].sort((a, b) => a[0] - b[0]).map(([k, p]) => [k, p.slot, p.exclusive]),
    ]),
  );
  const inodes = w.inodes.map((i) =>
    JSON.stringify([i.i_size, [...i.i_pages.slots].sort((a, b) => a[0] - b[0]), [...i.disk].sort((a, b) => a[0] - b[0]).map(([k, b]) => [k, fnv1a(b)])]),
  );
  const swap = JSON.stringify([[...w.swap.slots].map(([k, s]) => [k, s.count, s.bytes ? fnv1a(s.bytes) : 0]), [...w.swap.cache]]);
  return [frames.join(";"), mms.join("|"), inodes.join("|"), swap, JSON.stringify(w.block), JSON.stringify(w.pipes), w.events.length].join("#");
}

/**
 * A page buffer's 64-bit fingerprint, looked up once per buffer (as page_hash, for the same
 * reason) and computed once per content: a new buffer mostly holds a pattern seen before.
 */
const page_fps = new WeakMap<Uint8Array, readonly [number, number]>();
function page_fp(out: Words, bytes: Uint8Array): void {
  let fp = page_fps.get(bytes);
  if (fp === undefined) {
    const content = interned_page(bytes);
    fp = page_fps.get(content);
    if (fp === undefined) {
      bytes_fingerprint(content);
      page_fps.set(content, (fp = [fp_lo, fp_hi]));
    }
    page_fps.set(bytes, fp);
  }
  out.push2(fp[0], fp[1]);
}

/**
 * A frame's page fingerprint through a one-entry cache per frame number: a state mostly holds
 * the very buffers of the state it came from, so an identity check saves the WeakMap lookup.
 */
let last_buf: (Uint8Array | undefined)[] = [];
let last_fp = new Int32Array(0);
function frame_fp(out: Words, pfn: number, bytes: Uint8Array): void {
  if (pfn >= last_buf.length) {
    last_buf = last_buf.concat(new Array<undefined>(Math.max(64, pfn + 1 - last_buf.length)).fill(undefined));
    const fp = new Int32Array(2 * last_buf.length);
    fp.set(last_fp);
    last_fp = fp;
  }
  if (last_buf[pfn] !== bytes) {
    const at = out.len;
    page_fp(out, bytes);
    last_buf[pfn] = bytes;
    last_fp[2 * pfn] = out.buf[at];
    last_fp[2 * pfn + 1] = out.buf[at + 1];
    return;
  }
  out.push2(last_fp[2 * pfn], last_fp[2 * pfn + 1]);
}

const by_number = (a: number, b: number): number => a - b;

/**
 * The words of the world parts (and address spaces) that states share, by identity: a state's
 * step copies only the parts it reaches for (kernel/world.ts), and a part taken over untouched is
 * immutable, so its words are written once for all the states that share it. Parts new in their
 * state are encoded and not kept: most successors are states seen before, dropped at once.
 */
const shared_words = new WeakMap<object, Int32Array>();
function cached<P extends object>(out: Words, inherited: boolean, p: P, encode: (out: Words, p: P) => void): void {
  if (!inherited) return encode(out, p);
  const hit = shared_words.get(p);
  if (hit) return out.append(hit);
  const at = out.len;
  encode(out, p);
  shared_words.set(p, out.buf.slice(at, out.len));
}
const part = <P extends object>(out: Words, w: World, name: WorldPart, p: P, encode: (out: Words, p: P) => void): void =>
  cached(out, w.inherited(name), p, encode);

function encode_frames(out: Words, m: MemMap): void {
  const { head, refcount, pincount, mapcount, flags, order, mapping, index } = m;
  for (let pfn = 0; pfn < head.length; pfn++) {
    if (head[pfn] < 0) continue;
    const b = out.reserve(9);
    let n = out.len;
    b[n++] = pfn;
    b[n++] = head[pfn];
    b[n++] = refcount[pfn];
    b[n++] = pincount[pfn];
    b[n++] = mapcount[pfn];
    b[n++] = flags[pfn];
    b[n++] = order[pfn];
    b[n++] = mapping[pfn];
    b[n++] = index[pfn];
    out.len = n;
  }
  out.push(-1);
}

/** The fingerprint of a page of zeros, which is what a frame without a buffer holds. */
const zeros = new Words();
page_fp(zeros, new Uint8Array(PAGE_SIZE));
const [ZERO_LO, ZERO_HI] = [zeros.buf[0], zeros.buf[1]];

/**
 * The page bytes: frame number and fingerprint of every frame holding anything but zeros. Only
 * live frames have buffers (freeing a frame discards its bytes), so with the frames' words this
 * tells worlds apart exactly as a fingerprint per live frame would.
 */
function encode_data(out: Words, d: Readonly<PageData>): void {
  const bufs = d.buffers;
  for (let pfn = 0; pfn < bufs.length; pfn++) {
    const bytes = bufs[pfn];
    if (bytes === undefined) continue;
    const at = out.len;
    out.push(pfn);
    frame_fp(out, pfn, bytes);
    if (out.buf[at + 1] === ZERO_LO && out.buf[at + 2] === ZERO_HI) out.len = at;
  }
  out.push(-1);
}

/** The address spaces, each cached on its own when the world took it over untouched. */
function encode_mms(out: Words, w: World): void {
  const mms = w.mms;
  out.push(mms.length);
  for (let i = 0; i < mms.length; i++) cached(out, w.inherited_mm(i), mms[i], encode_mm);
}

/** An address space: its flags, its VMAs' fields and its page tables (as world_key lists them). */
function encode_mm(out: Words, mm: Mm): void {
  num_words(out, mm.flags);
  out.push(mm.vmas.length);
  for (const v of mm.vmas) {
    address_words(out, v.vm_start);
    address_words(out, v.vm_end);
    num_words(out, v.vm_flags);
    num_words(out, v.file);
    num_words(out, v.vm_pgoff);
    out.push((v.anon_vma ? 1 : 0) | (v.dontcopy ? 2 : 0));
  }
  sorted_entries(out, mm.ptes, pte_words);
  sorted_entries(out, mm.swap, swap_pte_words);
}
/** A user address (a non-negative integer below 2^53) as its low and high 32 bits. */
const address_words = (out: Words, a: number): void => out.push2(a >>> 0, Math.floor(a / 0x100000000));
const pte_words = (out: Words, p: Pte): void => out.push2(p.pfn, (p.write ? 1 : 0) | (p.dirty ? 2 : 0));
const swap_pte_words = (out: Words, p: SwapPte): void => out.push2(p.slot, p.exclusive ? 1 : 0);

/** A Map with number keys, in key order (what the string key sorts), each value by its own encoder. */
function sorted_entries<V>(out: Words, m: ReadonlyMap<number, V>, entry: (out: Words, v: V) => void): void {
  out.push(m.size);
  if (m.size < 2) {
    // Already in order: no key array to allocate (most maps here hold zero or one entry).
    for (const [k, v] of m) {
      num_words(out, k);
      entry(out, v);
    }
    return;
  }
  const keys = [...m.keys()].sort(by_number);
  for (let k = 0; k < keys.length; k++) {
    num_words(out, keys[k]);
    entry(out, m.get(keys[k])!);
  }
}

function encode_inodes(out: Words, inodes: readonly Inode[]): void {
  out.push(inodes.length);
  for (const i of inodes) {
    num_words(out, i.i_size);
    sorted_entries(out, i.i_pages.slots, json_words);
    sorted_entries(out, i.disk, page_fp);
  }
}

/** The swap device in Map order, as the string key has it. */
function encode_swap(out: Words, swap: SwapState): void {
  out.push(swap.slots.size);
  for (const [k, s] of swap.slots) {
    num_words(out, k);
    num_words(out, s.count);
    if (s.bytes) page_fp(out, s.bytes);
    else out.push2(0, 0);
  }
  out.push(swap.cache.size);
  for (const [k, f] of swap.cache) {
    num_words(out, k);
    num_words(out, f);
  }
}

/**
 * world_key() as words: the same parts in the same order, so two worlds get equal words exactly
 * when they get equal keys (up to the page-content hash, 64 bits here instead of 32).
 */
export function encode_world(w: World, out: Words): void {
  // Its page buffers go into page_data.ts's table of contents, which only takes buffers nobody writes again.
  if (!w.sealed) throw new Error("encode_world: the world is not sealed (seal_world() it when its step is done)");
  part(out, w, "mem", w.mem, encode_frames);
  part(out, w, "data", w.data, encode_data);
  encode_mms(out, w);
  part(out, w, "inodes", w.inodes, encode_inodes);
  part(out, w, "swap", w.swap, encode_swap);
  part(out, w, "block", w.block, json_words);
  part(out, w, "pipes", w.pipes, json_words);
  out.push(w.events.length);
}
