// lib/kunit_iov_iter.c, transcribed: the kernel's own iov_iter tests on the same range tables,
// byte-exact on every buffer, and for every extraction call the page list, offset0 and length.
import { describe, expect, it } from "vitest";
import type { bio_vec, iov_iter, kvec, World } from "../src/kernel/index.js";
import {
  boot, bvec_set_page, copy_from_iter, copy_to_iter, folioq_from, iov_iter_advance, iov_iter_bvec, iov_iter_count,
  iov_iter_extract_pages, iov_iter_folio_queue, iov_iter_kvec, iov_iter_xarray, PAGE_SIZE, READ, WRITE, xa_init, xa_store,
} from "../src/kernel/index.js";
import {
  BUFSIZE, bvec_test_ranges, create_buffer, fill_pattern, first_diff, kvec_test_ranges, pattern, read_buffer,
} from "./helpers/kunit.js";

function load_kvec(w: World, dir: number, buffer: number): iov_iter {
  const kv: kvec[] = kvec_test_ranges.map(([from, to]) => ({ iov_base: buffer + from, iov_len: to - from }));
  const size = kv.reduce((s, k) => s + k.iov_len, 0);
  return iov_iter_kvec(w, dir, kv, kv.length, size);
}

/** iov_kunit_load_bvec(): a range starting at 0 merges into the previous bvec if contiguous. */
function load_bvec(w: World, dir: number, pages: number[]): iov_iter {
  const bvec: bio_vec[] = [];
  let can_merge = -1;
  let size = 0;
  for (const [pg, from, to] of bvec_test_ranges) {
    const page = pages[pg];
    if (from === 0 && from !== to && page === can_merge) bvec[bvec.length - 1].bv_len += to;
    else bvec.push(bvec_set_page(page, to - from, from));
    size += to - from;
    can_merge = to % PAGE_SIZE === 0 ? page + to / PAGE_SIZE : -1;
  }
  return iov_iter_bvec(w, dir, bvec, bvec.length, size);
}

function load_xarray(pages: number[]) {
  const xa = xa_init();
  pages.forEach((p, i) => xa_store(xa, i, { folio: p, order: 0 }));
  return xa;
}

const load_folioq = (pages: number[]) => folioq_from(pages.map((folio) => ({ folio, order: 0 })));

/** The expected image when the ranges are filled, in order, from a pattern(0..) source. */
function expected_scattered(ranges: readonly [number, number][]): Uint8Array {
  const img = new Uint8Array(BUFSIZE);
  let patt = 0;
  for (const [from, to] of ranges) for (let i = from; i < to; i++) img[i] = pattern(patt++);
  return img;
}

/** The expected image when the ranges of a pattern(i) buffer are gathered, in order, from 0. */
function expected_gathered(ranges: readonly [number, number][], base = (_: number) => 0): Uint8Array {
  const img = new Uint8Array(BUFSIZE);
  let i = 0;
  ranges.forEach(([from, to], r) => {
    for (let j = from; j < to && i < BUFSIZE; j++) img[i++] = pattern(base(r) + j);
  });
  return img;
}

function setup() {
  const w = boot();
  const scratch = create_buffer(w);
  const buffer = create_buffer(w);
  return { w, scratch, buffer };
}

describe("kunit iov_iter: copy", () => {
  it("iov_kunit_copy_to_kvec", () => {
    const { w, scratch, buffer } = setup();
    fill_pattern(w, scratch.addr);
    const iter = load_kvec(w, READ, buffer.addr);
    const size = iter.count;
    expect(copy_to_iter(w, scratch.addr, size, iter)).toBe(size);
    expect(iter.count).toBe(0);
    expect(iter.nr_segs).toBe(0);
    expect(first_diff(read_buffer(w, buffer.addr), expected_scattered(kvec_test_ranges))).toBe(-1);
    expect(w.events).toEqual([]);
  });

  it("iov_kunit_copy_from_kvec", () => {
    const { w, scratch, buffer } = setup();
    fill_pattern(w, buffer.addr);
    const iter = load_kvec(w, WRITE, buffer.addr);
    const size = Math.min(iter.count, BUFSIZE);
    expect(copy_from_iter(w, scratch.addr, size, iter)).toBe(size);
    expect(iter.count).toBe(0);
    expect(iter.nr_segs).toBe(0);
    expect(first_diff(read_buffer(w, scratch.addr), expected_gathered(kvec_test_ranges))).toBe(-1);
  });

  it("iov_kunit_copy_to_bvec", () => {
    const { w, scratch, buffer } = setup();
    fill_pattern(w, scratch.addr);
    const iter = load_bvec(w, READ, buffer.pages);
    const size = iter.count;
    expect(copy_to_iter(w, scratch.addr, size, iter)).toBe(size);
    expect(iter.count).toBe(0);
    expect(iter.nr_segs).toBe(0);
    const ranges = bvec_test_ranges.map(([pg, from, to]) => [pg * PAGE_SIZE + from, pg * PAGE_SIZE + to] as [number, number]);
    expect(first_diff(read_buffer(w, buffer.addr), expected_scattered(ranges))).toBe(-1);
  });

  it("iov_kunit_copy_from_bvec", () => {
    const { w, scratch, buffer } = setup();
    fill_pattern(w, buffer.addr);
    const iter = load_bvec(w, WRITE, buffer.pages);
    const size = iter.count;
    expect(copy_from_iter(w, scratch.addr, size, iter)).toBe(size);
    expect(iter.count).toBe(0);
    expect(iter.nr_segs).toBe(0);
    const ranges = bvec_test_ranges.map(([, from, to]) => [from, to] as [number, number]);
    const img = expected_gathered(ranges, (r) => bvec_test_ranges[r][0] * PAGE_SIZE);
    expect(first_diff(read_buffer(w, scratch.addr), img)).toBe(-1);
  });

  it("iov_kunit_copy_to_folioq", () => {
    const { w, scratch, buffer } = setup();
    fill_pattern(w, scratch.addr);
    const folioq = load_folioq(buffer.pages);
    let i = 0;
    for (const [from, to] of kvec_test_ranges) {
      const size = to - from;
      const iter = iov_iter_folio_queue(w, READ, folioq, 0, 0, to)!;
      iov_iter_advance(iter, from);
      expect(copy_to_iter(w, scratch.addr + i, size, iter)).toBe(size);
      expect(iter.count).toBe(0);
      expect(iter.iov_offset).toBe(to % PAGE_SIZE);
      i += size;
    }
    expect(first_diff(read_buffer(w, buffer.addr), expected_scattered(kvec_test_ranges))).toBe(-1);
  });

  it("iov_kunit_copy_from_folioq", () => {
    const { w, scratch, buffer } = setup();
    fill_pattern(w, buffer.addr);
    const folioq = load_folioq(buffer.pages);
    let i = 0;
    for (const [from, to] of kvec_test_ranges) {
      const size = to - from;
      const iter = iov_iter_folio_queue(w, WRITE, folioq, 0, 0, to)!;
      iov_iter_advance(iter, from);
      expect(copy_from_iter(w, scratch.addr + i, size, iter)).toBe(size);
      expect(iter.count).toBe(0);
      expect(iter.iov_offset).toBe(to % PAGE_SIZE);
      i += size;
    }
    expect(first_diff(read_buffer(w, scratch.addr), expected_gathered(kvec_test_ranges))).toBe(-1);
  });

  it("iov_kunit_copy_to_xarray", () => {
    const { w, scratch, buffer } = setup();
    fill_pattern(w, scratch.addr);
    const xa = load_xarray(buffer.pages);
    let i = 0;
    for (const [from, to] of kvec_test_ranges) {
      const size = to - from;
      const iter = iov_iter_xarray(w, READ, xa, from, size)!;
      expect(copy_to_iter(w, scratch.addr + i, size, iter)).toBe(size);
      expect(iter.count).toBe(0);
      expect(iter.iov_offset).toBe(size);
      i += size;
    }
    expect(first_diff(read_buffer(w, buffer.addr), expected_scattered(kvec_test_ranges))).toBe(-1);
  });

  it("iov_kunit_copy_from_xarray", () => {
    const { w, scratch, buffer } = setup();
    fill_pattern(w, buffer.addr);
    const xa = load_xarray(buffer.pages);
    let i = 0;
    for (const [from, to] of kvec_test_ranges) {
      const size = to - from;
      const iter = iov_iter_xarray(w, WRITE, xa, from, size)!;
      expect(copy_from_iter(w, scratch.addr + i, size, iter)).toBe(size);
      expect(iter.count).toBe(0);
      expect(iter.iov_offset).toBe(size);
      i += size;
    }
    expect(first_diff(read_buffer(w, scratch.addr), expected_gathered(kvec_test_ranges))).toBe(-1);
  });
});

interface Call {
  len: number;
  offset0: number;
  pages: number[];
}

/** One iov_iter_extract_pages(iter, &pagelist, 100 KiB, 8, 0, &offset0) call. */
function extract8(w: World, iter: iov_iter): Call {
  const pagelist = new Array<number>(8).fill(0xaa55aa55);
  const r = iov_iter_extract_pages(w, iter, pagelist, 100 * 1024, 8, 0);
  expect(r.ret).toBeGreaterThanOrEqual(0);
  const n = r.ret ? Math.ceil(((r.offset0 ?? 0) + r.ret) / PAGE_SIZE) : 0;
  // Entries past the pages described are untouched.
  expect(pagelist.slice(n)).toEqual(new Array(8 - n).fill(0xaa55aa55));
  return { len: r.ret, offset0: r.offset0 ?? -1, pages: pagelist.slice(0, n) };
}

/**
 * The kunit check loop: walking the ranges in order, each page listed must be the buffer page
 * holding `from`, and offset0 must be from's offset in it.
 */
function check_calls(calls: Call[], ranges: readonly [number, number][], page_of: (r: number, from: number) => number) {
  let r = 0;
  let from = ranges[0][0];
  for (const call of calls) {
    let { len, offset0 } = call;
    expect(offset0).toBeGreaterThanOrEqual(0);
    expect(offset0).toBeLessThan(PAGE_SIZE);
    for (const page of call.pages) {
      const part = Math.min(len, PAGE_SIZE - offset0);
      while (from === ranges[r][1]) from = ranges[++r][0];
      expect(page).toBe(page_of(r, from));
      expect(offset0).toBe(from % PAGE_SIZE);
      from += part;
      len -= part;
      offset0 = 0;
    }
    expect(len).toBe(0);
  }
}

function extract_all(w: World, iter: iov_iter): Call[] {
  const calls: Call[] = [];
  let size = iter.count;
  do {
    const call = extract8(w, iter);
    expect(call.len).toBeLessThanOrEqual(size);
    expect(iter.count).toBe(size - call.len);
    size -= call.len;
    if (!call.len) break;
    calls.push(call);
  } while (iov_iter_count(iter) > 0);
  expect(size).toBe(0);
  expect(iter.count).toBe(0);
  return calls;
}

describe("kunit iov_iter: extract_pages", () => {
  it("iov_kunit_extract_pages_kvec", () => {
    const w = boot();
    const buffer = create_buffer(w);
    const calls = extract_all(w, load_kvec(w, READ, buffer.addr));
    check_calls(calls, kvec_test_ranges, (_r, from) => buffer.pages[Math.floor(from / PAGE_SIZE)]);
    // KVEC extraction stops at each segment's end: the first two calls cover [0x27, 0x3000)
    // whole and then the first 8 pages of [0x5193, 0x18794).
    expect(calls[0]).toEqual({ len: 0x3000 - 0x27, offset0: 0x27, pages: buffer.pages.slice(0, 3) });
    expect(calls[1]).toEqual({ len: 8 * PAGE_SIZE - 0x193, offset0: 0x193, pages: buffer.pages.slice(5, 13) });
    expect(calls.map((c) => c.len).reduce((a, b) => a + b)).toBe(
      kvec_test_ranges.reduce((s, [f, t]) => s + t - f, 0),
    );
    // Bare page pointers: no page gained a reference or a pin.
    expect(buffer.pages.every((p) => w.mem.refcount[p] === 1)).toBe(true);
  });

  it("iov_kunit_extract_pages_bvec", () => {
    const w = boot();
    const buffer = create_buffer(w);
    const calls = extract_all(w, load_bvec(w, READ, buffer.pages));
    const ranges = bvec_test_ranges.map(([, from, to]) => [from, to] as [number, number]);
    check_calls(calls, ranges, (r, from) => buffer.pages[bvec_test_ranges[r][0] + Math.floor(from / PAGE_SIZE)]);
    // Pages 3..6 are physically consecutive, so load_bvec merged them into one multi-page bvec,
    // and the multi-bvec walk hands them out in one call.
    expect(calls.map((c) => [c.offset0, c.len, c.pages.length])).toEqual([
      [0x27, 0x893 - 0x27, 1],
      [0x193, 0x794 - 0x193, 1],
      [0, 3 * PAGE_SIZE + 0xffb, 4],
      [0xffd, 1, 1],
    ]);
    expect(buffer.pages.every((p) => w.mem.refcount[p] === 1)).toBe(true);
  });

  it("iov_kunit_extract_pages_folioq", () => {
    const w = boot();
    const buffer = create_buffer(w);
    const folioq = load_folioq(buffer.pages);
    for (const [from, to] of kvec_test_ranges) {
      const iter = iov_iter_folio_queue(w, WRITE, folioq, 0, 0, to)!;
      iov_iter_advance(iter, from);
      const calls = extract_all(w, iter);
      check_calls(calls, [[from, to]], (_r, f) => buffer.pages[Math.floor(f / PAGE_SIZE)]);
      if (to > from) expect(calls.length).toBeGreaterThan(0);
    }
    expect(buffer.pages.every((p) => w.mem.refcount[p] === 1)).toBe(true);
  });

  it("iov_kunit_extract_pages_xarray", () => {
    const w = boot();
    const buffer = create_buffer(w);
    const xa = load_xarray(buffer.pages);
    for (const [from, to] of kvec_test_ranges) {
      const iter = iov_iter_xarray(w, WRITE, xa, from, to - from)!;
      const calls = extract_all(w, iter);
      check_calls(calls, [[from, to]], (_r, f) => buffer.pages[Math.floor(f / PAGE_SIZE)]);
      expect(iter.iov_offset).toBe(to - from);
    }
    expect(buffer.pages.every((p) => w.mem.refcount[p] === 1)).toBe(true);
  });
});
