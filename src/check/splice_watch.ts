// What a vmsplice() reference must deliver. vmsplice takes FOLL_GET references on the splicer's
// pages (fs/splice.c iter_to_pipe), and a later reader of the pipe gets whatever those pages hold
// then. The splicer may change its own memory meanwhile (vmsplice(2) without SPLICE_F_GIFT leaves
// that to it), and the pipe shows the change; what a R/O GUP reference must never show is a write
// by another process after COW should have separated them (H2, "COW can break either way"). So a
// watch follows each pipe buffer from vmsplice to drain: its expected bytes are what the splicer's
// memory held at the vmsplice, updated whenever the page changes while it is still the splicer's
// memory at that address (mapped there, or in the swap cache under the splicer's swap entry: its
// own write, or its own DMA); at drain the reader must get exactly them.
// Watches hold hashes only, so states stay small; the bytes behind a hash are remember()ed for
// the message.
import type { ReadOutcome } from "../../properties/world_property.js";
import type { pipe_inode_info, World } from "../kernel/index.js";
import { __kernel_read, follow_pte, PAGE_SIZE, PG_swapcache, vmsplice_to_pipe } from "../kernel/index.js";
import { fnv1a, remember, remembered } from "./world_key.js";

export interface SpliceWatch {
  /** The splicing process (mm index) and the user address of the buffer's first byte. */
  proc: number;
  addr: number;
  /** The page the pipe buffer holds a reference on, and the bytes of it the buffer covers. */
  page: number;
  offset: number;
  len: number;
  /** Hash of the bytes the reader must get. */
  want: number;
  /** null until drained; then the hash of what the reader got. */
  got: number | null;
}

type Span = Pick<SpliceWatch, "page" | "offset" | "len">;

const covered = (w: World, s: Span): Uint8Array => w.data_for_read.read(s.page).subarray(s.offset, s.offset + s.len);

/**
 * The hash of the covered bytes, cached per page buffer: a finished state's buffers are never
 * written again (a step copies a page before writing it), so one buffer's hash holds for good.
 * (Within a step, callers hash a span only where the rest of the step does not write its page.)
 */
const hashes = new WeakMap<Uint8Array, Map<number, number>>();
function covered_hash(w: World, s: Span): number {
  const buf = w.data_for_read.read(s.page);
  let m = hashes.get(buf);
  if (!m) hashes.set(buf, (m = new Map()));
  const k = s.offset * 0x10000 + s.len;
  let h = m.get(k);
  if (h === undefined) m.set(k, (h = fnv1a(buf.subarray(s.offset, s.offset + s.len))));
  return h;
}

/** remember() the covered bytes, through the cached hash. */
const remember_covered = (w: World, s: Span): number => remember(covered(w, s), covered_hash(w, s));

/** Watches for the buffers a vmsplice by proc from addr added to the pipe (those from index `from` on). */
export function splice_watches(w: World, pipe: pipe_inode_info, from: number, proc: number, addr: number): SpliceWatch[] {
  const out: SpliceWatch[] = [];
  let a = addr;
  for (const b of pipe.bufs.slice(from)) {
    out.push({ proc, addr: a, page: b.page, offset: b.offset, len: b.len, want: remember_covered(w, b), got: null });
    a += b.len;
  }
  return out;
}

/** vmsplice() len bytes at addr into pipe as process proc; the watches for the buffers it added. */
export function vmsplice_watched(w: World, pipe: pipe_inode_info, proc: number, addr: number, len: number): SpliceWatch[] {
  const from = pipe.bufs.length;
  w.current = proc;
  vmsplice_to_pipe(w, pipe, [{ iov_base: addr, iov_len: len }]);
  return splice_watches(w, pipe, from, proc, addr);
}

/**
 * After a step: a pending watch whose bytes changed while its splicer still maps the page at
 * that address takes the new bytes as expected (the splicer's own change). Returns the same
 * object when nothing changed, and null when the watch can no longer fail: the page holds the
 * expected bytes and no PTE maps it or a swap entry names it, so nothing can write it again.
 */
export function splice_watch_step(w: World, s: SpliceWatch): SpliceWatch | null {
  if (s.got !== null) return s;
  if (covered_hash(w, s) === s.want) return unreachable(w, s.page) ? null : s;
  return splicer_page(w, s) === s.page ? { ...s, want: remember_covered(w, s) } : s;
}

/**
 * The page the splicer's memory at the watched address is now: the one its PTE maps, or the
 * swap-cache page its swap PTE names (a fault would map that very page back); -1 otherwise.
 */
function splicer_page(w: World, s: SpliceWatch): number {
  const mm = w.mm(s.proc)!;
  const pte = follow_pte(mm, s.addr);
  if (pte) return pte.pfn;
  const swp = mm.swap.get(Math.floor(s.addr / PAGE_SIZE));
  return swp ? (w.swap.cache.get(swp.slot) ?? -1) : -1;
}

/** No process can reach the page any more: unmapped, and not in the swap cache under a slot a swap PTE names. */
function unreachable(w: World, page: number): boolean {
  const m = w.mem;
  if (m.mapcount[page] > 0) return false;
  if (!(m.flags[m.head[page]] & PG_swapcache)) return true;
  return !w.swap.slots.get(m.index[m.head[page]])?.count;
}

/** A pipe buffer as it was before a read, with the hash of the bytes it held. */
export interface PipeBufSnapshot {
  page: number;
  offset: number;
  len: number;
  hash: number;
}

/** Take before a drain: the read may free the pages it consumes. */
export const pipe_snapshot = (w: World, pipe: pipe_inode_info): PipeBufSnapshot[] =>
  pipe.bufs.map((b) => ({ page: b.page, offset: b.offset, len: b.len, hash: remember_covered(w, b) }));

/**
 * After a drain: the pending watches match the buffers of `before` in order; a buffer the read
 * consumed whole gets what it delivered; one it consumed in part is judged on that part and, if
 * that part was right, keeps the rest watched.
 */
export function splice_watch_drain(watches: readonly SpliceWatch[], before: readonly PipeBufSnapshot[], pipe: pipe_inode_info): SpliceWatch[] {
  const left = pipe.bufs.length;
  const consumed = before.length - left;
  let pending = 0;
  return watches.map((s) => {
    if (s.got !== null) return s;
    const k = pending++; // its buffer's place in `before`
    if (k < consumed) return { ...s, got: before[k].hash };
    if (k !== consumed || !left || pipe.bufs[0].offset === before[k].offset) return s;
    const n = pipe.bufs[0].offset - before[k].offset;
    const want = remembered(s.want);
    const gone = remembered(before[k].hash).subarray(0, n);
    return fnv1a(gone) === fnv1a(want.subarray(0, n))
      ? { ...s, addr: s.addr + n, offset: s.offset + n, len: s.len - n, want: remember(want.subarray(n)) }
      : { ...s, len: n, want: remember(want.subarray(0, n)), got: remember(gone) };
  });
}

/**
 * Drain up to len bytes of pipe into the kernel buffer sink (__kernel_read), judging the watches
 * of its buffers: what the read returned, and each watch after it, null once drained as expected
 * (nothing left to watch; a wrong one stays for the check to see).
 */
export function drain_watched(w: World, pipe: pipe_inode_info, sink: number, len: number, watches: readonly SpliceWatch[]): { ret: number; watches: (SpliceWatch | null)[] } {
  const before = pipe_snapshot(w, pipe);
  const ret = __kernel_read(w, pipe, sink, len);
  return { ret, watches: splice_watch_drain(watches, before, pipe).map((x) => (x.got !== null && x.got === x.want ? null : x)) };
}

/** The outcome a property judges: undecided until drained, then whether the reader got the expected bytes. */
export function splice_outcome(s: SpliceWatch, what: string): ReadOutcome {
  if (s.got === null) return { what, ok: null };
  if (s.got === s.want) return { what, ok: true };
  const want = remembered(s.want);
  const got = remembered(s.got);
  const at = got.findIndex((b, i) => b !== want[i]);
  return {
    what, ok: false,
    detail: `the pipe reader got byte ${at} as 0x${got[at].toString(16)}, but the splicer's memory held 0x${want[at].toString(16)} there and did not change it`,
  };
}
