// User-backed twins of the kunit iov_iter tests (test/kunit_iov_iter.test.ts): the same
// kvec_test_ranges, but the buffer is 256 pages of private anonymous memory in a process, and the
// iterators are ITER_IOVEC (all ranges, one iterator) and ITER_UBUF (one per range). Extraction
// must list exactly the process's pages and pin each once per listing; releasing the pins must
// put every count back; copying must land the same bytes as the kunit KVEC case.
import { describe, expect, it } from "vitest";
import type { iov_iter, iovec, kvec, Mm, World } from "../src/kernel/index.js";
import {
  boot, copy_from_iter, copy_to_iter, folio_maybe_dma_pinned, folio_order, follow_pte, GUP_PIN_COUNTING_BIAS,
  iov_iter_count, iov_iter_extract_pages, iov_iter_extract_will_pin, iov_iter_init, iov_iter_kvec, iov_iter_ubuf,
  mm_alloc, mm_flag, mmap_anon, MMF_HAS_PINNED, page_folio, PAGE_SIZE, PG_anon, PG_anon_exclusive, PROT_READ,
  PROT_WRITE, READ, unpin_user_page, unpin_user_pages, user_access, WRITE, ZERO_PFN,
} from "../src/kernel/index.js";
import { BUFSIZE, create_buffer, fill_pattern, first_diff, kvec_test_ranges, pattern, read_buffer } from "./helpers/kunit.js";

const MAXSIZE = 100 * 1024;
const MAXPAGES = 8;
const SENTINEL = 0xaa55aa55;
const dirname = (dir: number): string => (dir === READ ? "ITER_DEST" : "ITER_SOURCE");

function pattern_bytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = pattern(i);
  return bytes;
}

interface Proc {
  w: World;
  mm: Mm;
  addr: number;
}

/** A process with BUFSIZE of private anonymous memory, every page written with the kunit pattern. */
function user_setup(populate = true): Proc {
  const w = boot();
  const id = mm_alloc(w);
  w.current = id;
  const mm = w.mms[id];
  const addr = mmap_anon(w, mm, BUFSIZE, PROT_READ | PROT_WRITE);
  expect(addr).toBeGreaterThan(0);
  if (populate) expect(user_access(w, mm, addr, pattern_bytes(BUFSIZE), true)).toBe(0);
  return { w, mm, addr };
}

/** The frame the process maps at a user address (follow_pte). */
function pfn_at(mm: Mm, a: number): number {
  const pte = follow_pte(mm, a);
  expect(pte, `no PTE at ${a.toString(16)}`).toBeDefined();
  return pte!.pfn;
}

function read_user(p: Proc, a: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  expect(user_access(p.w, p.mm, a, out, false)).toBe(0);
  return out;
}

function load_iovec(p: Proc, dir: number): iov_iter {
  const iov: iovec[] = kvec_test_ranges.map(([from, to]) => ({ iov_base: p.addr + from, iov_len: to - from }));
  const size = iov.reduce((s, v) => s + v.iov_len, 0);
  return iov_iter_init(p.w, dir, iov, iov.length, size);
}

function load_kvec(w: World, dir: number, buffer: number): iov_iter {
  const kv: kvec[] = kvec_test_ranges.map(([from, to]) => ({ iov_base: buffer + from, iov_len: to - from }));
  const size = kv.reduce((s, k) => s + k.iov_len, 0);
  return iov_iter_kvec(w, dir, kv, kv.length, size);
}

/** The expected image when the ranges are filled, in order, from a pattern(0..) source. */
function expected_scattered(): Uint8Array {
  const img = new Uint8Array(BUFSIZE);
  let patt = 0;
  for (const [from, to] of kvec_test_ranges) for (let i = from; i < to; i++) img[i] = pattern(patt++);
  return img;
}

/** The expected image when the ranges of a pattern(i) buffer are gathered, in order, from 0. */
function expected_gathered(): Uint8Array {
  const img = new Uint8Array(BUFSIZE);
  let i = 0;
  for (const [from, to] of kvec_test_ranges) for (let j = from; j < to && i < BUFSIZE; j++) img[i++] = pattern(j);
  return img;
}

interface Call {
  len: number;
  offset0: number;
  pages: number[];
}

/**
 * Pin bookkeeping for one process: the counts before any extraction, and how often each frame
 * has been listed since. Every check compares the whole mem_map, so a stray reference anywhere
 * fails too.
 */
class Pins {
  readonly refcount: Int32Array;
  readonly pincount: Int32Array;
  readonly mapcount: Int32Array;
  readonly listed = new Map<number, number>();
  readonly ptes: Map<number, number>;
  constructor(readonly p: Proc) {
    this.refcount = p.w.mem.refcount.slice();
    this.pincount = p.w.mem.pincount.slice();
    this.mapcount = p.w.mem.mapcount.slice();
    this.ptes = new Map([...p.mm.ptes].map(([vpn, pte]) => [vpn, pte.pfn]));
  }

  note(pages: number[]): void {
    for (const pg of pages) this.listed.set(pg, (this.listed.get(pg) ?? 0) + 1);
  }

  get total(): number {
    let n = 0;
    for (const c of this.listed.values()) n += c;
    return n;
  }

  /** Every listed order-0 page holds GUP_PIN_COUNTING_BIAS per listing on top of its baseline; nothing else moved. */
  expect_pinned(): void {
    const { w } = this.p;
    const want = this.refcount.slice();
    for (const [pg, n] of this.listed) {
      expect(folio_order(w, page_folio(w, pg))).toBe(0);
      want[pg] += n * GUP_PIN_COUNTING_BIAS;
      expect(folio_maybe_dma_pinned(w, pg), `page ${pg} not seen as pinned`).toBe(true);
    }
    expect(first_int_diff(w.mem.refcount, want)).toBe(-1);
    expect(first_int_diff(w.mem.pincount, this.pincount)).toBe(-1);
    expect(first_int_diff(w.mem.mapcount, this.mapcount)).toBe(-1);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(this.total);
    expect(w.vmstat.nr_foll_pin_released).toBe(0);
  }

  /** Everything is back where it was, and no PTE was replaced (no COW, no fault). */
  expect_baseline(): void {
    const { w, mm } = this.p;
    expect(first_int_diff(w.mem.refcount, this.refcount)).toBe(-1);
    expect(first_int_diff(w.mem.pincount, this.pincount)).toBe(-1);
    expect(first_int_diff(w.mem.mapcount, this.mapcount)).toBe(-1);
    for (const pg of this.listed.keys()) expect(folio_maybe_dma_pinned(w, pg)).toBe(false);
    expect(w.vmstat.nr_foll_pin_released).toBe(w.vmstat.nr_foll_pin_acquired);
    expect(new Map([...mm.ptes].map(([vpn, pte]) => [vpn, pte.pfn]))).toEqual(this.ptes);
  }
}

function first_int_diff(a: Int32Array, b: Int32Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return i;
  return -1;
}

/**
 * The kunit extraction loop over a user iterator whose segments are `ranges` (offsets into the
 * process buffer), checking each call against a model of where the iterator stands: one segment
 * per call, the process's own pages for the addresses covered, offset0 = from % PAGE_SIZE, and
 * a pin per listing.
 */
function extract_user(p: Proc, iter: iov_iter, ranges: readonly [number, number][], pins: Pins): Call[] {
  const { w, mm, addr } = p;
  const dest = !iter.data_source;
  expect(iov_iter_extract_will_pin(iter)).toBe(true);
  const calls: Call[] = [];
  let r = 0;
  let from = ranges.length ? ranges[0][0] : 0;
  let size = iter.count;
  for (;;) {
    const pagelist = new Array<number>(MAXPAGES).fill(SENTINEL);
    const acquired = w.vmstat.nr_foll_pin_acquired;
    const res = iov_iter_extract_pages(w, iter, pagelist, MAXSIZE, MAXPAGES, 0);
    expect(res.ret).toBeGreaterThanOrEqual(0);
    expect(res.ret).toBeLessThanOrEqual(size);
    expect(iter.count).toBe(size - res.ret);
    size -= res.ret;
    if (!res.ret) {
      // Nothing extracted: nothing listed, nothing pinned.
      expect(pagelist).toEqual(new Array(MAXPAGES).fill(SENTINEL));
      expect(w.vmstat.nr_foll_pin_acquired).toBe(acquired);
      break;
    }
    expect(res.pages).toBe(pagelist); // the caller's array is filled, not replaced
    while (from === ranges[r][1]) from = ranges[++r][0];
    const to = ranges[r][1];
    const offset0 = from % PAGE_SIZE;
    expect(res.offset0).toBe(offset0);
    // One segment per call: never past this range's end, else as far as 8 pages reach.
    expect(res.ret).toBe(Math.min(to - from, MAXPAGES * PAGE_SIZE - offset0, MAXSIZE));
    const n = Math.ceil((offset0 + res.ret) / PAGE_SIZE);
    const base = addr + from - offset0;
    const want = Array.from({ length: n }, (_, k) => pfn_at(mm, base + k * PAGE_SIZE));
    expect(pagelist.slice(0, n)).toEqual(want);
    expect(pagelist.slice(n)).toEqual(new Array(MAXPAGES - n).fill(SENTINEL));
    for (let k = 0; k < n; k++) {
      const pte = follow_pte(mm, base + k * PAGE_SIZE)!;
      expect(pagelist[k]).not.toBe(ZERO_PFN);
      expect(w.mem.flags[pagelist[k]] & (PG_anon | PG_anon_exclusive)).toBe(PG_anon | PG_anon_exclusive);
      // FOLL_WRITE for ITER_DEST: the page is mapped writable (it was populated, so already so).
      if (dest) expect(pte.write).toBe(true);
    }
    expect(w.vmstat.nr_foll_pin_acquired - acquired).toBe(n);
    expect(mm_flag(mm, MMF_HAS_PINNED)).toBe(true);
    pins.note(want);
    pins.expect_pinned();
    calls.push({ len: res.ret, offset0, pages: want });
    from += res.ret;
    if (iov_iter_count(iter) === 0) break;
  }
  expect(size).toBe(0);
  expect(iter.count).toBe(0);
  return calls;
}

type Release = "unpin_user_page" | "unpin_user_pages";

function release(w: World, calls: Call[], how: Release): void {
  for (const call of calls) {
    const n = Math.ceil((call.offset0 + call.len) / PAGE_SIZE);
    expect(n).toBe(call.pages.length);
    if (how === "unpin_user_page") for (const pg of call.pages.slice(0, n)) unpin_user_page(w, pg);
    else unpin_user_pages(w, call.pages, n);
  }
}

function expect_bytes_unchanged(p: Proc): void {
  expect(first_diff(read_user(p, p.addr, BUFSIZE), pattern_bytes(BUFSIZE))).toBe(-1);
}

describe.each([READ, WRITE].map((dir) => ({ dir, name: dirname(dir) })))("user twin of iov_kunit_extract_pages_kvec, $name", ({ dir }) => {
  describe.each<Release>(["unpin_user_page", "unpin_user_pages"])("released with %s", (how) => {
    it(`ITER_IOVEC ${dirname(dir)}: one segment per call, a pin per page listed`, () => {
      const p = user_setup();
      const pins = new Pins(p);
      expect(mm_flag(p.mm, MMF_HAS_PINNED)).toBe(false);
      const iter = load_iovec(p, dir);
      const total = iter.count;
      const calls = extract_user(p, iter, kvec_test_ranges, pins);
      // Every non-empty range is handed out separately: 8-page chunks, never merged across.
      const want_calls = kvec_test_ranges.reduce((n, [f, t]) => {
        let c = 0;
        for (let x = f; x < t; c++) x += Math.min(t - x, MAXPAGES * PAGE_SIZE - (x % PAGE_SIZE));
        return n + c;
      }, 0);
      expect(calls.length).toBe(want_calls);
      expect(calls.reduce((s, c) => s + c.len, 0)).toBe(total);
      // The last two ranges share page 0xff: it was listed, and pinned, twice.
      const last = pfn_at(p.mm, p.addr + 0xff000);
      expect(pins.listed.get(last)).toBe(2);
      expect(p.w.mem.refcount[last]).toBe(pins.refcount[last] + 2 * GUP_PIN_COUNTING_BIAS);
      expect(iter.nr_segs).toBe(0);
      release(p.w, calls, how);
      pins.expect_baseline();
      expect(p.w.events).toEqual([]);
      expect_bytes_unchanged(p);
    });

    it(`ITER_UBUF ${dirname(dir)} per range: the same pages, pins and release`, () => {
      const p = user_setup();
      const pins = new Pins(p);
      const all: Call[] = [];
      for (const [from, to] of kvec_test_ranges) {
        const iter = iov_iter_ubuf(p.w, dir, p.addr + from, to - from);
        const calls = extract_user(p, iter, [[from, to]], pins);
        if (to > from) expect(calls.length).toBeGreaterThan(0);
        else expect(calls).toEqual([]);
        expect(iter.iov_offset).toBe(to - from);
        all.push(...calls);
      }
      expect(pins.total).toBe(all.reduce((s, c) => s + c.pages.length, 0));
      expect(mm_flag(p.mm, MMF_HAS_PINNED)).toBe(true);
      release(p.w, all, how);
      pins.expect_baseline();
      expect(p.w.events).toEqual([]);
      expect_bytes_unchanged(p);
    });
  });
});

describe("extraction from user pages that were never touched", () => {
  /** Four pages; 0 and 2 written, 1 and 3 never touched. */
  function holes(): Proc & { written: number[] } {
    const w = boot();
    const id = mm_alloc(w);
    w.current = id;
    const mm = w.mms[id];
    const addr = mmap_anon(w, mm, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    for (const k of [0, 2]) expect(user_access(w, mm, addr + k * PAGE_SIZE, pattern_bytes(PAGE_SIZE), true)).toBe(0);
    expect(follow_pte(mm, addr + PAGE_SIZE)).toBeUndefined();
    expect(follow_pte(mm, addr + 3 * PAGE_SIZE)).toBeUndefined();
    return { w, mm, addr, written: [pfn_at(mm, addr), pfn_at(mm, addr + 2 * PAGE_SIZE)] };
  }

  it("ITER_DEST faults in fresh, exclusive, writable anonymous pages and pins them", () => {
    const p = holes();
    const { w, mm, addr } = p;
    const zero_ref = w.mem.refcount[ZERO_PFN];
    const iter = iov_iter_ubuf(w, READ, addr + 0x800, 4 * PAGE_SIZE - 0x1000);
    const pagelist = new Array<number>(MAXPAGES).fill(SENTINEL);
    const res = iov_iter_extract_pages(w, iter, pagelist, MAXSIZE, MAXPAGES, 0);
    expect(res.ret).toBe(4 * PAGE_SIZE - 0x1000);
    expect(res.offset0).toBe(0x800);
    const now = [0, 1, 2, 3].map((k) => pfn_at(mm, addr + k * PAGE_SIZE));
    expect(pagelist.slice(0, 4)).toEqual(now);
    expect([now[0], now[2]]).toEqual(p.written);
    for (const k of [1, 3]) {
      const pte = follow_pte(mm, addr + k * PAGE_SIZE)!;
      expect(pte.pfn).not.toBe(ZERO_PFN);
      expect(pte.write).toBe(true);
      expect(w.mem.flags[pte.pfn] & (PG_anon | PG_anon_exclusive)).toBe(PG_anon | PG_anon_exclusive);
      expect(w.mem.mapcount[pte.pfn]).toBe(1);
      expect(w.mem.refcount[pte.pfn]).toBe(1 + GUP_PIN_COUNTING_BIAS);
      expect(first_diff(w.data.read(pte.pfn), new Uint8Array(PAGE_SIZE))).toBe(-1);
    }
    for (const pg of now) expect(folio_maybe_dma_pinned(w, pg)).toBe(true);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(4);
    expect(w.mem.refcount[ZERO_PFN]).toBe(zero_ref);
    unpin_user_pages(w, pagelist, 4);
    for (const pg of now) expect(w.mem.refcount[pg]).toBe(1);
    expect(w.vmstat.nr_foll_pin_released).toBe(4);
    expect(w.events).toEqual([]);
  });

  it("ITER_SOURCE lists the zero page for an untouched page and pins nothing there", () => {
    const p = holes();
    const { w, mm, addr } = p;
    const zero_ref = w.mem.refcount[ZERO_PFN];
    const iter = iov_iter_ubuf(w, WRITE, addr + 0x800, 4 * PAGE_SIZE - 0x1000);
    const pagelist = new Array<number>(MAXPAGES).fill(SENTINEL);
    const res = iov_iter_extract_pages(w, iter, pagelist, MAXSIZE, MAXPAGES, 0);
    expect(res.ret).toBe(4 * PAGE_SIZE - 0x1000);
    expect(pagelist.slice(0, 5)).toEqual([p.written[0], ZERO_PFN, p.written[1], ZERO_PFN, SENTINEL]);
    // The read fault mapped the zero page read-only; no page was allocated for it.
    for (const k of [1, 3]) expect(follow_pte(mm, addr + k * PAGE_SIZE)).toEqual({ pfn: ZERO_PFN, write: false, dirty: false });
    expect(w.mem.refcount[ZERO_PFN]).toBe(zero_ref);
    expect(folio_maybe_dma_pinned(w, ZERO_PFN)).toBe(false);
    for (const pg of p.written) expect(w.mem.refcount[pg]).toBe(1 + GUP_PIN_COUNTING_BIAS);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(2);
    expect(mm_flag(mm, MMF_HAS_PINNED)).toBe(true);

    unpin_user_pages(w, pagelist, 4);
    expect(w.mem.refcount[ZERO_PFN]).toBe(zero_ref);
    for (const pg of p.written) expect(w.mem.refcount[pg]).toBe(1);
    expect(w.vmstat.nr_foll_pin_released).toBe(2);
    expect(w.events).toEqual([]);

    // A later ITER_DEST extraction breaks the zero-page mapping: FOLL_WRITE copies it.
    const dest = iov_iter_ubuf(w, READ, addr + PAGE_SIZE, PAGE_SIZE);
    const list2 = new Array<number>(MAXPAGES).fill(SENTINEL);
    expect(iov_iter_extract_pages(w, dest, list2, MAXSIZE, MAXPAGES, 0).ret).toBe(PAGE_SIZE);
    const pte = follow_pte(mm, addr + PAGE_SIZE)!;
    expect(pte.pfn).not.toBe(ZERO_PFN);
    expect(pte.write).toBe(true);
    expect(list2[0]).toBe(pte.pfn);
    expect(w.mem.refcount[pte.pfn]).toBe(1 + GUP_PIN_COUNTING_BIAS);
    expect(w.mem.refcount[ZERO_PFN]).toBe(zero_ref);
    unpin_user_page(w, list2[0]);
    expect(w.mem.refcount[pte.pfn]).toBe(1);
    expect(w.vmstat.nr_foll_pin_released).toBe(w.vmstat.nr_foll_pin_acquired);
    expect(w.events).toEqual([]);
  });
});

describe("user twins of the kunit copy tests", () => {
  it("copy_to_iter into the ITER_IOVEC DEST twin lands the kunit KVEC image", () => {
    const p = user_setup(false); // fresh: every byte reads as zero, like the kunit buffer
    const { w } = p;
    const scratch = create_buffer(w);
    fill_pattern(w, scratch.addr);

    const kbuf = create_buffer(w);
    const kiter = load_kvec(w, READ, kbuf.addr);
    expect(copy_to_iter(w, scratch.addr, kiter.count, kiter)).toBe(kvec_test_ranges.reduce((s, [f, t]) => s + t - f, 0));
    const kvec_img = read_buffer(w, kbuf.addr);
    expect(first_diff(kvec_img, expected_scattered())).toBe(-1);

    const iter = load_iovec(p, READ);
    const size = iter.count;
    expect(copy_to_iter(w, scratch.addr, size, iter)).toBe(size);
    expect(iter.count).toBe(0);
    expect(iter.nr_segs).toBe(0);
    expect(first_diff(read_user(p, p.addr, BUFSIZE), kvec_img)).toBe(-1);
    // Copying is the CPU's access: no pins.
    expect(w.vmstat.nr_foll_pin_acquired).toBe(0);
    expect(mm_flag(p.mm, MMF_HAS_PINNED)).toBe(false);
    expect(w.events).toEqual([]);
  });

  it("copy_to_iter into ITER_UBUF DEST twins, range by range, lands the same image", () => {
    const p = user_setup(false);
    const { w } = p;
    const scratch = create_buffer(w);
    fill_pattern(w, scratch.addr);
    let i = 0;
    for (const [from, to] of kvec_test_ranges) {
      const iter = iov_iter_ubuf(w, READ, p.addr + from, to - from);
      expect(copy_to_iter(w, scratch.addr + i, to - from, iter)).toBe(to - from);
      expect(iter.count).toBe(0);
      i += to - from;
    }
    expect(first_diff(read_user(p, p.addr, BUFSIZE), expected_scattered())).toBe(-1);
    expect(w.events).toEqual([]);
  });

  it("copy_from_iter out of the ITER_IOVEC SOURCE twin gathers the kunit KVEC image", () => {
    const p = user_setup(true);
    const { w } = p;
    const kbuf = create_buffer(w);
    fill_pattern(w, kbuf.addr);
    const kscratch = create_buffer(w);
    const kiter = load_kvec(w, WRITE, kbuf.addr);
    const ksize = Math.min(kiter.count, BUFSIZE);
    expect(copy_from_iter(w, kscratch.addr, ksize, kiter)).toBe(ksize);
    const kvec_img = read_buffer(w, kscratch.addr);
    expect(first_diff(kvec_img, expected_gathered())).toBe(-1);

    const scratch = create_buffer(w);
    const iter = load_iovec(p, WRITE);
    const size = Math.min(iter.count, BUFSIZE);
    expect(copy_from_iter(w, scratch.addr, size, iter)).toBe(size);
    expect(iter.count).toBe(0);
    expect(iter.nr_segs).toBe(0);
    expect(first_diff(read_buffer(w, scratch.addr), kvec_img)).toBe(-1);
    expect_bytes_unchanged(p);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(0);
    expect(w.events).toEqual([]);
  });
});

describe("large folios in user memory", () => {
  it("the minimal anon mm maps only order-0 folios (the large-folio twins are in get_pages.test.ts)", () => {
    // If this starts failing, the mm has learnt to map large folios: add the user twin here.
    const p = user_setup();
    for (let a = p.addr; a < p.addr + BUFSIZE; a += PAGE_SIZE) {
      const pg = pfn_at(p.mm, a);
      expect(page_folio(p.w, pg)).toBe(pg);
      expect(folio_order(p.w, pg)).toBe(0);
    }
  });
});
