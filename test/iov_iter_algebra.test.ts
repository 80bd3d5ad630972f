// Property tests of the iov_iter algebra (advance/revert/truncate/reexpand, copy_{to,from}_iter,
// iov_iter_extract_pages, iov_iter_npages) over every iterator type that addresses memory.
//
// Each case is a random iterator *shape* (Spec). build() lays it out in a fresh world and also
// derives, from the shape alone, the reference model: `locs`, the physical byte location
// (pfn * PAGE_SIZE + offset) of every byte the iterator covers, in iteration order. The
// properties compare what the simulated kernel does against that list.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import type { bio_vec, iov_iter, iovec, kvec, World } from "../src/kernel/index.js";
import {
  alloc_pages, boot, bvec_set_page, copy_from_iter, copy_to_iter, DIV_ROUND_UP, folio_order, folioq_folio,
  folioq_folio_size, folioq_from, folioq_nr_slots, follow_pte, GUP_PIN_COUNTING_BIAS, iov_iter_advance,
  iov_iter_bvec, iov_iter_count, iov_iter_extract_pages, iov_iter_extract_will_pin, iov_iter_folio_queue,
  iov_iter_init, iov_iter_kvec, iov_iter_npages, iov_iter_reexpand, iov_iter_revert, iov_iter_truncate,
  iov_iter_ubuf, iov_iter_xarray, ITER_BVEC, ITER_FOLIOQ, ITER_IOVEC, ITER_KVEC,
  kaddr_to_page, kmalloc, kread, kwrite, mm_alloc, mmap_anon, page_folio, PAGE_SIZE, PROT_READ, PROT_WRITE, READ,
  unpin_user_page, user_access, vmalloc, WRITE, xa_init, xa_store, ZERO_PFN,
} from "../src/kernel/index.js";

const P = PAGE_SIZE;
const RUNS = 150;

// ---------------------------------------------------------------------------------------------
// Shapes. Raw numbers are drawn freely and clamped into range by build(), so every drawn value
// gives a valid iterator.

interface Seg { buf: number; start: number; len: number }
type Spec =
  | { kind: "ubuf"; npages: number; start: number; len: number; trim: number }
  | { kind: "iovec"; npages: number; segs: Seg[]; trim: number }
  | { kind: "kvec"; kbytes: number; vpages: number; segs: Seg[]; trim: number }
  | { kind: "bvec"; bvecs: { src: "folio" | "run" | "prev"; order: number; run: number; off: number; len: number }[]; trim: number }
  | { kind: "folioq"; pad: number; orders: number[]; offset: number; trim: number }
  | { kind: "xarray"; base: number; orders: number[]; start: number; trim: number };

/** Offsets biased towards page boundaries. */
const offArb = fc.oneof(
  fc.nat(4 * P - 1),
  fc.integer({ min: 0, max: 40 }),
  fc.constantFrom(P - 1, P, P + 1, 2 * P - 1, 2 * P, 3 * P - 2),
);
/** Lengths: empty, short, or spanning a few pages. */
const lenArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 48 }) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 2 * P + 64 }) },
  { weight: 1, arbitrary: fc.constantFrom(P, P - 1, P + 1) },
);
/** How much of the extent the initial count leaves out (usually nothing). */
const trimArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3 * P) });
const segArb = fc.record({ buf: fc.nat(1), start: offArb, len: lenArb });

const userSpec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ kind: fc.constant("ubuf" as const), npages: fc.integer({ min: 1, max: 4 }), start: offArb, len: lenArb, trim: trimArb }),
  fc.record({
    kind: fc.constant("iovec" as const), npages: fc.integer({ min: 1, max: 4 }),
    segs: fc.array(segArb, { minLength: 1, maxLength: 5 }), trim: trimArb,
  }),
);
const kernelSpec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({
    kind: fc.constant("kvec" as const), kbytes: fc.integer({ min: 1, max: 3 * P }), vpages: fc.integer({ min: 1, max: 3 }),
    segs: fc.array(segArb, { minLength: 1, maxLength: 5 }), trim: trimArb,
  }),
  fc.record({
    kind: fc.constant("bvec" as const),
    bvecs: fc.array(
      fc.record({
        src: fc.constantFrom("folio" as const, "run" as const, "prev" as const), order: fc.integer({ min: 0, max: 2 }),
        run: fc.integer({ min: 1, max: 3 }), off: offArb, len: lenArb,
      }),
      { minLength: 1, maxLength: 5 },
    ),
    trim: trimArb,
  }),
  fc.record({
    kind: fc.constant("folioq" as const),
    // A padded queue starts near the end of its first 31-slot segment, so the walk crosses
    // into the next segment.
    pad: fc.oneof(fc.constant(0), fc.integer({ min: 26, max: 30 })),
    orders: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 6 }),
    offset: offArb, trim: trimArb,
  }),
  fc.record({
    kind: fc.constant("xarray" as const), base: fc.integer({ min: 0, max: 7 }),
    orders: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 }), start: offArb, trim: trimArb,
  }),
);
const specArb: fc.Arbitrary<Spec> = fc.oneof({ weight: 2, arbitrary: userSpec }, { weight: 4, arbitrary: kernelSpec });

interface Built {
  w: World;
  /** UBUF or IOVEC: extraction pins. */
  user: boolean;
  /** A fresh iterator over the shape, count = count0. */
  make(dir: number): iov_iter;
  /** Bytes the shape can address (what reexpand may grow the count back to). */
  extent: number;
  count0: number;
  /** locs[k]: pfn * PAGE_SIZE + offset of byte k of the extent. */
  locs: number[];
  /** segStart[k]: byte k is the first byte of a segment (iovec/kvec/bvec). */
  segStart: boolean[];
  /** Every page the shape's memory occupies (bytes outside locs must never change). */
  arena: number[];
}

const loc = (pfn: number, off: number): number => pfn * P + off;
const pageOf = (l: number): number => Math.floor(l / P);
const clampLen = (len: number, room: number): number => Math.min(len, Math.max(room, 0));

/** A background byte per physical location, so a read or write at the wrong place shows. */
function bg(l: number): number {
  const h = Math.imul(l ^ (l >>> 9), 0x9e3779b1);
  return (h >>> 24) & 0xff;
}

function fillArena(w: World, pfns: readonly number[]): void {
  for (const pfn of pfns) {
    const buf = w.data.write(pfn);
    for (let o = 0; o < P; o++) buf[o] = bg(loc(pfn, o));
  }
}

function build(spec: Spec): Built {
  const w = boot();
  const locs: number[] = [];
  const segStart: boolean[] = [];
  const arena = new Set<number>();
  let make: (dir: number) => iov_iter;
  let user = false;
  // Lays out the bytes of one virtually contiguous segment.
  const addRange = (n: number, at: (b: number) => number): void => {
    for (let b = 0; b < n; b++) {
      locs.push(at(b));
      segStart.push(b === 0);
    }
  };

  switch (spec.kind) {
    case "ubuf":
    case "iovec": {
      user = true;
      const mm = mm_alloc(w);
      w.current = mm;
      const size = spec.npages * P;
      const addr = mmap_anon(w, w.mms[mm], size, PROT_READ | PROT_WRITE);
      // Write-fault every page in so each has a private, exclusive anon page (not the zero page).
      expect(user_access(w, w.mms[mm], addr, new Uint8Array(size), true)).toBe(0);
      const pfn = (va: number): number => follow_pte(w.mms[mm], va)!.pfn;
      for (let va = addr; va < addr + size; va += P) arena.add(pfn(va));
      const at = (base: number) => (b: number) => loc(pfn(base + b), (base + b) % P);
      if (spec.kind === "ubuf") {
        const start = spec.start % size;
        const len = clampLen(spec.len, size - start);
        addRange(len, at(addr + start));
        make = (dir) => iov_iter_ubuf(w, dir, addr + start, count0);
      } else {
        const iov: iovec[] = spec.segs.map((s) => {
          const start = s.start % size;
          return { iov_base: addr + start, iov_len: clampLen(s.len, size - start) };
        });
        for (const v of iov) addRange(v.iov_len, at(v.iov_base));
        make = (dir) => iov_iter_init(w, dir, iov, iov.length, count0);
      }
      break;
    }
    case "kvec": {
      // One kmalloc buffer (slab or, above 2 pages, whole pages) and one vmalloc buffer.
      const bufs = [
        { addr: kmalloc(w, spec.kbytes), size: spec.kbytes },
        { addr: vmalloc(w, spec.vpages * P), size: spec.vpages * P },
      ];
      for (const b of bufs) for (let a = b.addr - (b.addr % P); a < b.addr + b.size; a += P) arena.add(kaddr_to_page(w, a));
      const kv: kvec[] = spec.segs.map((s) => {
        const b = bufs[s.buf];
        const start = s.start % b.size;
        return { iov_base: b.addr + start, iov_len: clampLen(s.len, b.size - start) };
      });
      for (const v of kv) addRange(v.iov_len, (b) => loc(kaddr_to_page(w, v.iov_base + b), (v.iov_base + b) % P));
      make = (dir) => iov_iter_kvec(w, dir, kv, kv.length, count0);
      break;
    }
    case "bvec": {
      // A pool of physically consecutive order-0 pages (separate folios) for multi-page bvecs
      // that straddle folios; the fresh allocator hands them out in order.
      const pool = Array.from({ length: 9 }, () => alloc_pages(w.mem, 0));
      pool.forEach((p, k) => expect(p).toBe(pool[0] + k));
      pool.forEach((p) => arena.add(p));
      let next = 0;
      let prev: { page: number; size: number } | null = null;
      const bv: bio_vec[] = [];
      for (const s of spec.bvecs) {
        let region: { page: number; size: number };
        if (s.src === "prev" && prev) region = prev;
        else if (s.src === "run" && next + s.run <= pool.length) {
          region = { page: pool[next], size: s.run * P };
          next += s.run;
        } else {
          region = { page: alloc_pages(w.mem, s.order), size: P << s.order };
          for (let k = 0; k < 1 << s.order; k++) arena.add(region.page + k);
        }
        prev = region;
        const off = s.off % region.size;
        const len = Math.max(1, clampLen(s.len, region.size - off)); // no empty bvecs
        bv.push(bvec_set_page(region.page, len, off));
      }
      for (const v of bv) addRange(v.bv_len, (b) => loc(v.bv_page + Math.floor((v.bv_offset + b) / P), (v.bv_offset + b) % P));
      make = (dir) => iov_iter_bvec(w, dir, bv, bv.length, count0);
      break;
    }
    case "folioq": {
      const dummy = alloc_pages(w.mem, 0);
      arena.add(dummy);
      const folios = spec.orders.map((order) => ({ folio: alloc_pages(w.mem, order), order }));
      for (const f of folios) for (let k = 0; k < 1 << f.order; k++) arena.add(f.folio + k);
      const q = folioq_from([...Array.from({ length: spec.pad }, () => ({ folio: dummy, order: 0 })), ...folios]);
      const offset = spec.offset % (P << folios[0].order);
      let first = true;
      for (const f of folios) {
        const skip = first ? offset : 0;
        addRange((P << f.order) - skip, (b) => loc(f.folio + Math.floor((skip + b) / P), (skip + b) % P));
        first = false;
      }
      segStart.fill(false);
      make = (dir) => iov_iter_folio_queue(w, dir, q, spec.pad, offset, count0)!;
      break;
    }
    case "xarray": {
      // Consecutive, hole-free entries from index `base`; an order is lowered where the index
      // is not aligned for it.
      const xa = xa_init();
      const ents: { index: number; folio: number; order: number }[] = [];
      let idx = spec.base;
      for (let order of spec.orders) {
        while (order > 0 && idx % (1 << order)) order--;
        const folio = alloc_pages(w.mem, order);
        xa_store(xa, idx, { folio, order });
        ents.push({ index: idx, folio, order });
        for (let k = 0; k < 1 << order; k++) arena.add(folio + k);
        idx += 1 << order;
      }
      const total = (idx - spec.base) * P;
      const start = spec.base * P + (spec.start % total);
      for (let pos = start; pos < spec.base * P + total; pos++) {
        const index = Math.floor(pos / P);
        const e = ents.find((x) => x.index <= index && index < x.index + (1 << x.order))!;
        locs.push(loc(e.folio + index - e.index, pos % P));
        segStart.push(false);
      }
      make = (dir) => iov_iter_xarray(w, dir, xa, start, count0)!;
      break;
    }
  }
  const extent = locs.length;
  const count0 = extent - (spec.trim % (extent + 1));
  const pages = [...arena];
  fillArena(w, pages);
  return { w, user, make: make!, extent, count0, locs, segStart, arena: pages };
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/** The iterator's position fields (the folioq pointer as its distance from the queue head). */
function snap(i: iov_iter) {
  let qpos = -1;
  for (let q = i.folioq; q; q = q.prev) qpos++;
  return {
    iter_type: i.iter_type, data_source: i.data_source, iov_offset: i.iov_offset, count: i.count,
    nr_segs: i.nr_segs, seg: i.seg, folioq: qpos, folioq_slot: i.folioq_slot, xarray_start: i.xarray_start, ubuf: i.ubuf,
  };
}

/**
 * The same position with "at the end of a segment/folio" rewritten as "at the start of the
 * next one". The kernel produces either form (advance skips empty segments, extraction may stop
 * at iov_offset == folio size, revert prefers the later segment), and both name the same byte.
 */
function canon(i0: iov_iter) {
  const i = { ...i0 };
  if (i.iter_type === ITER_IOVEC || i.iter_type === ITER_KVEC || i.iter_type === ITER_BVEC) {
    const len = (k: number) => (i.iter_type === ITER_BVEC ? i.bvec[k].bv_len : i.__iov[k].iov_len);
    while (i.nr_segs > 0 && i.iov_offset >= len(i.seg)) {
      i.iov_offset -= len(i.seg);
      i.seg++;
      i.nr_segs--;
    }
  } else if (i.iter_type === ITER_FOLIOQ) {
    const fix = () => {
      if (i.folioq_slot >= folioq_nr_slots(i.folioq!) && i.folioq!.next) {
        i.folioq = i.folioq!.next;
        i.folioq_slot = 0;
      }
    };
    fix();
    while (folioq_folio(i.folioq!, i.folioq_slot) >= 0 && i.iov_offset >= folioq_folio_size(i.folioq!, i.folioq_slot)) {
      i.iov_offset -= folioq_folio_size(i.folioq!, i.folioq_slot);
      i.folioq_slot++;
      fix();
    }
  }
  return snap(i);
}

const byteAt = (w: World, l: number): number => w.data.read(pageOf(l))[l % P];

const image = (w: World, pfns: readonly number[]): Map<number, Uint8Array> =>
  new Map(pfns.map((p) => [p, w.data.read(p).slice()]));

/** First difference between memory and an expected image, as text (null when equal). */
function imageDiff(w: World, want: Map<number, Uint8Array>): string | null {
  for (const [pfn, bytes] of want) {
    const got = w.data.read(pfn);
    for (let o = 0; o < P; o++)
      if (got[o] !== bytes[o]) return `pfn ${pfn} offset ${o}: got ${got[o]} want ${bytes[o]}`;
  }
  return null;
}

/** First k where two byte sequences differ, or -1. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}

const srcByte = (k: number): number => (k * 7 + 0x5d + (k >> 8)) & 0xff;

/** A kernel buffer of n bytes (at least one page) holding `fill(k)`. */
function kbuf(w: World, n: number, fill: (k: number) => number): number {
  const addr = vmalloc(w, Math.max(n, 1));
  kwrite(w, addr, Uint8Array.from({ length: n }, (_, k) => fill(k)));
  return addr;
}

/** copy_from_iter() up to n bytes out of the ITER_SOURCE iterator i: what it names from its position. */
function readThrough(w: World, i: iov_iter, n: number): Uint8Array {
  const dst = kbuf(w, n, () => 0);
  const got = copy_from_iter(w, dst, n, i);
  return kread(w, dst, got);
}

const modelBytes = (b: Built, from: number, n: number): number[] =>
  b.locs.slice(from, from + n).map((l) => byteAt(b.w, l));

/** iov_iter_npages() by the model: pieces split at segment starts and physical page changes. */
function refNpages(b: Built, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (k === from || b.segStart[k] || pageOf(b.locs[k]) !== pageOf(b.locs[k - 1])) n++;
  return n;
}

/**
 * A drawn position: mode 0/1 an end of the range, 2 anywhere in it, 3/4 at or one byte either
 * side of a page or segment boundary.
 */
interface Pick { mode: number; x: number; d: number }
const pickArb: fc.Arbitrary<Pick> = fc.record({ mode: fc.nat(4), x: fc.nat(), d: fc.integer({ min: -1, max: 1 }) });

/** Resolve a Pick to a model index in [lo, hi] (hi may lie past the extent). */
function pickPos(b: Built, p: Pick, lo: number, hi: number): number {
  if (hi <= lo) return lo;
  if (p.mode === 0) return lo;
  if (p.mode === 1) return hi;
  const cuts: number[] = [];
  if (p.mode >= 3)
    for (let k = lo + 1; k < Math.min(hi, b.extent); k++)
      if (b.segStart[k] || pageOf(b.locs[k]) !== pageOf(b.locs[k - 1])) cuts.push(k);
  if (!cuts.length) return lo + (p.x % (hi - lo + 1));
  return Math.min(hi, Math.max(lo, cuts[p.x % cuts.length] + p.d));
}

/**
 * iov_iter_advance() on a non-empty iterator never leaves "end of a segment/folio" behind (on
 * an empty one it returns at once).
 */
const expectAdvanced = (i: iov_iter, countBefore: number): void => {
  if (countBefore) expect(snap(i)).toEqual(canon(i));
};

const extractParamsArb = fc.array(
  fc.record({
    maxsize: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 5 * P }), fc.constant(P)),
    maxpages: fc.integer({ min: 1, max: 8 }),
  }),
  { minLength: 1, maxLength: 4 },
);

/** The call'th extraction's limits: the drawn ones in turn, then big bites to finish quickly. */
const extractParams = (params: { maxsize: number; maxpages: number }[], call: number) =>
  call < 24 ? params[call % params.length] : { maxsize: 1 << 20, maxpages: 64 };

/**
 * Extract until the count is 0, checking each call against the model; returns every page
 * listed. `pos` is the model index of the iterator's position on entry.
 */
function extractAll(b: Built, i: iov_iter, dir: number, pos: number, params: { maxsize: number; maxpages: number }[]): number[] {
  const listed: number[] = [];
  for (let call = 0; i.count > 0; call++) {
    expect(call).toBeLessThan(1_000);
    const { maxsize, maxpages } = extractParams(params, call);
    const before = i.count;
    const r = iov_iter_extract_pages(b.w, i, null, maxsize, maxpages, 0);
    expect(r.ret).toBeGreaterThan(0); // progress: the shapes have no holes
    expect(r.ret).toBeLessThanOrEqual(Math.min(maxsize, before));
    expect(i.count).toBe(before - r.ret);
    const off0 = r.offset0!;
    expect(off0).toBeGreaterThanOrEqual(0);
    expect(off0).toBeLessThan(P);
    const np = DIV_ROUND_UP(off0 + r.ret, P);
    expect(np).toBeLessThanOrEqual(maxpages);
    const pages = r.pages!.slice(0, np);
    expect(pages.length).toBe(np);
    // The listed pages, read from offset0, are exactly the next ret bytes of the model.
    const got = Array.from({ length: r.ret }, (_, k) => loc(pages[Math.floor((off0 + k) / P)], (off0 + k) % P));
    expect(firstDiff(got, b.locs.slice(pos, pos + r.ret))).toBe(-1);
    pos += r.ret;
    // The iterator now sits where advancing a fresh one by the same amount puts it.
    const ref = b.make(dir);
    iov_iter_advance(ref, pos);
    expect(canon(i)).toEqual(canon(ref));
    listed.push(...pages);
  }
  expect(pos).toBe(b.count0);
  return listed;
}

// ---------------------------------------------------------------------------------------------
// Properties.

describe("iov_iter algebra: advance / revert", () => {
  test.prop([specArb, pickArb, pickArb, fc.constantFrom(READ, WRITE)], { numRuns: RUNS, seed: 0x10a1 })(
    "advance(n) then revert(n) restores the position",
    (spec, pStart, pEnd, dir) => {
      const b = build(spec);
      const i = b.make(dir);
      const s0 = pickPos(b, pStart, 0, b.count0);
      // Not even advance(0) on a fresh iterator: that already steps over leading empty segments.
      if (s0) iov_iter_advance(i, s0);
      const start = snap(i);
      const startIter = { ...i };
      const canonical = JSON.stringify(canon(i)) === JSON.stringify(start);
      const n = pickPos(b, pEnd, s0, b.count0) - s0;
      iov_iter_advance(i, n);
      expectAdvanced(i, start.count);
      expect(i.count).toBe(start.count - n);
      iov_iter_revert(b.w, i, n);
      expect(b.w.events).toEqual([]);
      if (canonical) expect(snap(i)).toEqual(start);
      else expect(canon(i)).toEqual(canon(startIter)); // e.g. started on an empty segment
    },
  );

  test.prop([specArb, pickArb, pickArb, fc.integer({ min: 1, max: 600 })], { numRuns: RUNS, seed: 0x10a2 })(
    "advance(a); advance(b) == advance(a + b), in count and in where the next copy reads",
    (spec, pa, pc, m) => {
      const b = build(spec);
      const a = pickPos(b, pa, 0, b.count0 + 1);
      const c = pickPos(b, pc, a, b.count0 + 2) - a;
      const i1 = b.make(WRITE);
      iov_iter_advance(i1, a);
      iov_iter_advance(i1, c);
      const i2 = b.make(WRITE);
      iov_iter_advance(i2, a + c);
      expectAdvanced(i2, b.count0);
      const pos = Math.min(a + c, b.count0);
      expect(iov_iter_count(i1)).toBe(b.count0 - pos);
      expect(snap(i1)).toEqual(snap(i2));
      const want = modelBytes(b, pos, Math.min(m, b.count0 - pos));
      expect(firstDiff(readThrough(b.w, i1, m), want)).toBe(-1);
      expect(firstDiff(readThrough(b.w, i2, m), want)).toBe(-1);
      expect(b.w.events).toEqual([]);
    },
  );

  const opArb = fc.record({ op: fc.constantFrom("advance", "revert", "truncate", "reexpand"), p: pickArb });
  test.prop([specArb, fc.array(opArb, { maxLength: 12 })], { numRuns: RUNS, seed: 0x10a3 })(
    "count, npages and data stay consistent with the model over advance/revert/truncate/reexpand",
    (spec, ops) => {
      const b = build(spec);
      const i = b.make(WRITE);
      let pos = 0; // model index of the next byte
      let end = b.count0; // model index one past the last counted byte
      for (const { op, p } of ops) {
        const count = end - pos;
        if (op === "advance") {
          const n = pickPos(b, p, pos, end + 1) - pos; // may ask for one byte too many
          iov_iter_advance(i, n);
          pos += Math.min(n, count);
        } else if (op === "revert") {
          const n = pos - pickPos(b, p, 0, pos); // never back past where the iterator began
          iov_iter_revert(b.w, i, n);
          pos -= n;
        } else if (op === "truncate") {
          const lim = pickPos(b, p, pos, end + 1) - pos;
          iov_iter_truncate(i, lim);
          end = pos + Math.min(count, lim);
        } else {
          const c = pickPos(b, p, pos, b.extent) - pos; // anything the shape still backs
          iov_iter_reexpand(i, c);
          end = pos + c;
        }
        expect(iov_iter_count(i)).toBe(end - pos);
      }
      expect(b.w.events).toEqual([]);
      expect(iov_iter_npages(i, 1 << 30)).toBe(refNpages(b, pos, end));
      // The position is the one a fresh iterator reaches by advancing pos bytes.
      const ref = b.make(WRITE);
      iov_iter_reexpand(ref, b.extent);
      iov_iter_advance(ref, pos);
      iov_iter_reexpand(ref, end - pos);
      expect(canon(i)).toEqual(canon(ref));
      expect(firstDiff(readThrough(b.w, i, end - pos), modelBytes(b, pos, end - pos))).toBe(-1);
    },
  );
});

describe("iov_iter algebra: copy", () => {
  test.prop([specArb, pickArb, pickArb], { numRuns: RUNS, seed: 0x20c1 })(
    "copy_to_iter writes the source, in order, to exactly the model's locations; copy_from_iter reads them back",
    (spec, pa, pn) => {
      const b = build(spec);
      const { w } = b;
      const a = pickPos(b, pa, 0, b.count0);
      const n = pickPos(b, pn, a, b.count0 + 64) - a; // may ask for more than is left
      const src = kbuf(w, n, srcByte);
      const i = b.make(READ);
      iov_iter_advance(i, a);
      const want = image(w, b.arena);
      const ret = copy_to_iter(w, src, n, i);
      expect(ret).toBe(Math.min(n, b.count0 - a));
      expect(i.count).toBe(b.count0 - a - ret);
      // Later segments win where segments overlap, as with the kernel's in-order copy.
      for (let k = 0; k < ret; k++) want.get(pageOf(b.locs[a + k]))![b.locs[a + k] % P] = srcByte(k);
      expect(imageDiff(w, want)).toBeNull();

      const j = b.make(WRITE);
      iov_iter_advance(j, a);
      const dst = kbuf(w, n, (k) => k ^ 0xa5);
      expect(copy_from_iter(w, dst, n, j)).toBe(ret);
      expect(j.count).toBe(i.count);
      const expectDst = Array.from({ length: n }, (_, k) => (k < ret ? byteAt(w, b.locs[a + k]) : k ^ 0xa5) & 0xff);
      expect(firstDiff(kread(w, dst, n), expectDst)).toBe(-1);
      expect(imageDiff(w, want)).toBeNull();
      expect(w.events).toEqual([]);
    },
  );

  test.prop([specArb, pickArb, fc.nat(2 * P), fc.constantFrom(READ, WRITE)], { numRuns: RUNS, seed: 0x20c2 })(
    "a copy against the iterator's direction returns 0, warns once and changes nothing",
    (spec, pa, n, dir) => {
      const b = build(spec);
      const { w } = b;
      const i = b.make(dir);
      iov_iter_advance(i, pickPos(b, pa, 0, b.count0));
      const buf = kbuf(w, n, srcByte);
      const bufPage = kaddr_to_page(w, buf);
      const before = snap(i);
      const mem = image(w, [...b.arena, bufPage]);
      const ret = dir === READ ? copy_from_iter(w, buf, n, i) : copy_to_iter(w, buf, n, i);
      expect(ret).toBe(0);
      expect(w.events).toEqual([
        expect.objectContaining({ kind: "WARN_ON_ONCE", fn: dir === READ ? "_copy_from_iter" : "_copy_to_iter" }),
      ]);
      expect(snap(i)).toEqual(before);
      expect(imageDiff(w, mem)).toBeNull();
    },
  );
});

describe("iov_iter algebra: extraction", () => {
  test.prop([specArb, pickArb, extractParamsArb, fc.constantFrom(READ, WRITE)], { numRuns: RUNS, seed: 0x30e1 })(
    "iov_iter_extract_pages lists pages covering exactly the bytes it consumes",
    (spec, pa, params, dir) => {
      const b = build(spec);
      const i = b.make(dir);
      const a = pickPos(b, pa, 0, b.count0);
      iov_iter_advance(i, a);
      // maxsize 0 extracts nothing and leaves the iterator alone.
      const before = snap(i);
      expect(iov_iter_extract_pages(b.w, i, null, 0, 8, 0).ret).toBe(0);
      expect(snap(i)).toEqual(before);
      extractAll(b, i, dir, a, params);
      expect(b.w.events).toEqual([]);
    },
  );

  test.prop([specArb, extractParamsArb, fc.constantFrom(READ, WRITE)], { numRuns: RUNS, seed: 0x30e2 })(
    "iov_iter_extract_will_pin matches what extraction does to the page counts",
    (spec, params, dir) => {
      const b = build(spec);
      const { w } = b;
      const i = b.make(dir);
      expect(iov_iter_extract_will_pin(i)).toBe(b.user);
      const ref0 = w.mem.refcount.slice();
      const pin0 = w.mem.pincount.slice();
      const vm0 = { ...w.vmstat };
      const listed = extractAll(b, i, dir, 0, params);
      if (!b.user) {
        // Bare page pointers: nothing counted anywhere.
        expect(firstDiff(w.mem.refcount, ref0)).toBe(-1);
        expect(firstDiff(w.mem.pincount, pin0)).toBe(-1);
        expect(w.vmstat).toEqual(vm0);
      } else {
        // One FOLL_PIN per listed page: +GUP_PIN_COUNTING_BIAS on a small folio, +1 ref and +1
        // pincount on a large one.
        const ref = ref0.slice();
        const pin = pin0.slice();
        for (const p of listed) {
          const f = page_folio(w, p);
          expect(p).not.toBe(ZERO_PFN);
          if (folio_order(w, f) === 0) ref[f] += GUP_PIN_COUNTING_BIAS;
          else (ref[f] += 1), (pin[f] += 1);
        }
        expect(firstDiff(w.mem.refcount, ref)).toBe(-1);
        expect(firstDiff(w.mem.pincount, pin)).toBe(-1);
        expect(w.vmstat.nr_foll_pin_acquired).toBe(vm0.nr_foll_pin_acquired + listed.length);
        for (const p of listed) unpin_user_page(w, p);
        expect(firstDiff(w.mem.refcount, ref0)).toBe(-1);
        expect(firstDiff(w.mem.pincount, pin0)).toBe(-1);
        expect(w.vmstat.nr_foll_pin_released).toBe(vm0.nr_foll_pin_released + listed.length);
      }
      expect(w.events).toEqual([]);
    },
  );

  test.prop(
    [fc.integer({ min: 1, max: 4 }), fc.array(segArb, { minLength: 1, maxLength: 4 }), fc.boolean(), extractParamsArb],
    { numRuns: 100, seed: 0x30e3 },
  )(
    "extracting never-touched anon memory: R/O lists the zero page and counts nothing, R/W faults in pinned pages",
    (npages, segs, asUbuf, params) => {
      const w = boot();
      const mm = mm_alloc(w);
      w.current = mm;
      const size = npages * P;
      const addr = mmap_anon(w, w.mms[mm], size, PROT_READ | PROT_WRITE);
      const iov: iovec[] = segs.map((s) => {
        const start = s.start % size;
        return { iov_base: addr + start, iov_len: clampLen(s.len, size - start) };
      });
      const count = iov.reduce((s, v) => s + v.iov_len, 0);
      const make = (dir: number) =>
        asUbuf ? iov_iter_ubuf(w, dir, iov[0].iov_base, iov[0].iov_len) : iov_iter_init(w, dir, iov, iov.length, count);

      const ref0 = w.mem.refcount.slice();
      const vm0 = { ...w.vmstat };
      const ro = make(WRITE);
      const listed: number[] = [];
      for (let call = 0; ro.count > 0; call++) {
        const { maxsize, maxpages } = extractParams(params, call);
        const r = iov_iter_extract_pages(w, ro, null, maxsize, maxpages, 0);
        expect(r.ret).toBeGreaterThan(0);
        listed.push(...r.pages!.slice(0, DIV_ROUND_UP(r.offset0! + r.ret, P)));
      }
      expect(listed.every((p) => p === ZERO_PFN)).toBe(true);
      expect(firstDiff(w.mem.refcount, ref0)).toBe(-1);
      expect(w.vmstat).toEqual(vm0);
      for (const p of listed) unpin_user_page(w, p); // unpinning the zero page is a no-op too
      expect(firstDiff(w.mem.refcount, ref0)).toBe(-1);
      expect(w.vmstat).toEqual(vm0);

      // ITER_DEST pins with FOLL_WRITE: the write fault replaces the zero page by a private one.
      const rw = make(READ);
      const pinned: number[] = [];
      for (let call = 0; rw.count > 0; call++) {
        const { maxsize, maxpages } = extractParams(params, call);
        const r = iov_iter_extract_pages(w, rw, null, maxsize, maxpages, 0);
        expect(r.ret).toBeGreaterThan(0);
        pinned.push(...r.pages!.slice(0, DIV_ROUND_UP(r.offset0! + r.ret, P)));
      }
      const times = new Map<number, number>();
      for (const p of pinned) times.set(p, (times.get(p) ?? 0) + 1);
      for (const [p, t] of times) {
        expect(p).not.toBe(ZERO_PFN);
        expect(w.mem.refcount[p]).toBe(1 + t * GUP_PIN_COUNTING_BIAS); // the mapping's ref + pins
      }
      expect(w.vmstat.nr_foll_pin_acquired).toBe(vm0.nr_foll_pin_acquired + pinned.length);
      for (const p of pinned) unpin_user_page(w, p);
      for (const p of times.keys()) expect(w.mem.refcount[p]).toBe(1);
      expect(w.events).toEqual([]);
    },
  );
});

describe("iov_iter algebra: npages", () => {
  test.prop([specArb, pickArb, fc.integer({ min: 1, max: 12 }), fc.constantFrom(READ, WRITE)], { numRuns: RUNS, seed: 0x40d1 })(
    "iov_iter_npages counts the page pieces of the remaining range",
    (spec, pa, maxpages, dir) => {
      const b = build(spec);
      const i = b.make(dir);
      const a = pickPos(b, pa, 0, b.count0);
      iov_iter_advance(i, a);
      const want = refNpages(b, a, b.count0);
      expect(iov_iter_npages(i, 1 << 30)).toBe(want);
      expect(iov_iter_npages(i, maxpages)).toBe(Math.min(want, maxpages));
    },
  );
});
