// The kernel's error behaviour around iov_iter (lib/iov_iter.c, include/linux/uio.h): direction
// checks, constructor checks, revert/restore limits, import_ubuf/import_iovec validation, the
// inspection helpers, and a copy from freed kernel memory. WARN/BUG are events, never throws.
import { describe, expect, it } from "vitest";
import type { bio_vec, iov_iter, iovec, KernelEventKind, Mm, World } from "../src/kernel/index.js";
import {
  alloc_pages, boot, bvec_set_page, copy_from_iter, copy_page_to_iter, copy_to_iter, dup_iter, EFAULT, EINVAL,
  folio_put, folioq_append, folioq_from, folioq_init, import_iovec, IOVEC_SIZE, import_ubuf, ITER_BVEC, ITER_IOVEC, ITER_KVEC, ITER_UBUF,
  iov_iter_advance, iov_iter_alignment, iov_iter_bvec, iov_iter_discard, iov_iter_folio_queue,
  iov_iter_gap_alignment, iov_iter_init, iov_iter_is_aligned, iov_iter_kvec, iov_iter_npages, iov_iter_reexpand,
  iov_iter_restore, iov_iter_revert, iov_iter_save_state, iov_iter_single_seg_count, iov_iter_truncate,
  iov_iter_ubuf, iov_iter_xarray, iov_iter_zero, kread, kwrite, MAX_RW_COUNT, mm_alloc, mmap_anon, munmap, page_address,
  PAGE_OFFSET, PAGE_SIZE, PROT_READ, PROT_WRITE, put_user_iovecs, READ, TASK_SIZE_MAX, UIO_FASTIOV, UIO_MAXIOV,
  user_access, vfree, vmalloc, WRITE, xa_init,
} from "../src/kernel/index.js";
import { create_buffer, fill_pattern } from "./helpers/kunit.js";

const P = PAGE_SIZE;

const ev = (kind: KernelEventKind, fn: string) => ({ kind, fn, what: expect.any(String) });

/** A shallow snapshot of an iterator (segment arrays are compared by content). */
const snap = (i: iov_iter): iov_iter => ({ ...i });

function user_setup(npages: number): { w: World; mm: Mm; addr: number } {
  const w = boot();
  const id = mm_alloc(w);
  w.current = id;
  const mm = w.mms[id];
  const addr = mmap_anon(w, mm, npages * P, PROT_READ | PROT_WRITE);
  const bytes = new Uint8Array(npages * P).fill(0x5a);
  expect(user_access(w, mm, addr, bytes, true)).toBe(0);
  return { w, mm, addr };
}

function read_user(w: World, mm: Mm, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  expect(user_access(w, mm, addr, out, false)).toBe(0);
  return out;
}

describe("direction checks", () => {
  it("copy_to_iter into an ITER_SOURCE iterator: 0, WARN_ON_ONCE, iterator and memory unchanged", () => {
    const w = boot();
    const src = create_buffer(w, 2);
    const dst = create_buffer(w, 2);
    fill_pattern(w, src.addr, 2 * P);
    const iter = iov_iter_kvec(w, WRITE, [{ iov_base: dst.addr + 0x10, iov_len: 0x100 }], 1, 0x100);
    const before = snap(iter);
    expect(copy_to_iter(w, src.addr, 0x100, iter)).toBe(0);
    expect(w.events).toEqual([ev("WARN_ON_ONCE", "_copy_to_iter")]);
    expect(iter).toEqual(before);
    expect(kread(w, dst.addr, 2 * P).every((b) => b === 0)).toBe(true);
  });

  it("copy_to_iter into a SOURCE UBUF leaves user memory alone", () => {
    const { w, mm, addr } = user_setup(1);
    const src = create_buffer(w, 1);
    fill_pattern(w, src.addr, P);
    const iter = iov_iter_ubuf(w, WRITE, addr, P);
    const before = snap(iter);
    expect(copy_to_iter(w, src.addr, P, iter)).toBe(0);
    expect(w.events).toEqual([ev("WARN_ON_ONCE", "_copy_to_iter")]);
    expect(iter).toEqual(before);
    expect(read_user(w, mm, addr, P).every((b) => b === 0x5a)).toBe(true);
  });

  it("copy_from_iter out of an ITER_DEST iterator: 0, WARN_ON_ONCE, iterator and memory unchanged", () => {
    const w = boot();
    const src = create_buffer(w, 1);
    const dst = create_buffer(w, 1);
    fill_pattern(w, src.addr, P);
    const iter = iov_iter_kvec(w, READ, [{ iov_base: src.addr, iov_len: P }], 1, P);
    const before = snap(iter);
    expect(copy_from_iter(w, dst.addr, P, iter)).toBe(0);
    expect(w.events).toEqual([ev("WARN_ON_ONCE", "_copy_from_iter")]);
    expect(iter).toEqual(before);
    expect(kread(w, dst.addr, P).every((b) => b === 0)).toBe(true);
  });

  it("copy_page_to_iter on a SOURCE iterator: 0 and one WARN_ON_ONCE from copy_page_to_iter itself", () => {
    const w = boot();
    const page = alloc_pages(w.mem, 0);
    kwrite(w, page_address(page), new Uint8Array(P).fill(0x11));
    const dst = create_buffer(w, 1);
    const iter = iov_iter_kvec(w, WRITE, [{ iov_base: dst.addr, iov_len: P }], 1, P);
    const before = snap(iter);
    expect(copy_page_to_iter(w, page, 0, P, iter)).toBe(0);
    expect(w.events).toEqual([ev("WARN_ON_ONCE", "copy_page_to_iter")]);
    expect(iter).toEqual(before);
    expect(kread(w, dst.addr, P).every((b) => b === 0)).toBe(true);
  });

  it("ITER_DISCARD: copy_to_iter consumes (up to count) and returns n; copy_from_iter warns", () => {
    const w = boot();
    const src = create_buffer(w, 1);
    const iter = iov_iter_discard(w, READ, 0x300)!;
    expect(copy_to_iter(w, src.addr, 0x200, iter)).toBe(0x200);
    expect(iter.count).toBe(0x100);
    expect(copy_to_iter(w, src.addr, 0x200, iter)).toBe(0x100);
    expect(iter.count).toBe(0);
    expect(w.events).toEqual([]);
    const iter2 = iov_iter_discard(w, READ, 0x300)!;
    expect(copy_from_iter(w, src.addr, 0x100, iter2)).toBe(0);
    expect(iter2.count).toBe(0x300);
    expect(w.events).toEqual([ev("WARN_ON_ONCE", "_copy_from_iter")]);
  });

  it("iov_iter_zero has no direction check: it zeroes an ITER_SOURCE iterator's memory", () => {
    const w = boot();
    const buf = create_buffer(w, 1);
    fill_pattern(w, buf.addr, P);
    const iter = iov_iter_kvec(w, WRITE, [{ iov_base: buf.addr + 0x100, iov_len: 0x200 }], 1, 0x200);
    expect(iov_iter_zero(w, 0x200, iter)).toBe(0x200);
    expect(iter.count).toBe(0);
    const img = kread(w, buf.addr, P);
    expect(img.subarray(0x100, 0x300).every((b) => b === 0)).toBe(true);
    expect(img[0xff]).toBe(0xff);
    expect(img[0x301]).toBe(0x01);
    expect(w.events).toEqual([]);
  });
});

describe("constructors", () => {
  it("iov_iter_init/_kvec/_bvec/_ubuf with direction 2: WARN, but the iterator is built", () => {
    const w = boot();
    const iov: iovec[] = [{ iov_base: 0x10000, iov_len: 0x10 }];
    const a = iov_iter_init(w, 2, iov, 1, 0x10);
    const b = iov_iter_kvec(w, 2, [{ iov_base: PAGE_OFFSET, iov_len: 0x10 }], 1, 0x10);
    const c = iov_iter_bvec(w, 2, [bvec_set_page(1, 0x10, 0)], 1, 0x10);
    const d = iov_iter_ubuf(w, 2, 0x10000, 0x10);
    expect(w.events).toEqual([
      ev("WARN", "iov_iter_init"), ev("WARN", "iov_iter_kvec"), ev("WARN", "iov_iter_bvec"), ev("WARN", "iov_iter_ubuf"),
    ]);
    expect([a.iter_type, b.iter_type, c.iter_type, d.iter_type]).toEqual([ITER_IOVEC, ITER_KVEC, ITER_BVEC, ITER_UBUF]);
    // data_source = direction, a bool: 2 reads as a source.
    expect([a, b, c, d].map((i) => [i.count, i.data_source, i.nr_segs])).toEqual([
      [0x10, true, 1], [0x10, true, 1], [0x10, true, 1], [0x10, true, 1],
    ]);
    expect(a.__iov).toBe(iov);
  });

  it("READ and WRITE are accepted silently", () => {
    const w = boot();
    expect(iov_iter_init(w, READ, [], 0, 0).data_source).toBe(false);
    expect(iov_iter_ubuf(w, WRITE, 0x10000, 1).data_source).toBe(true);
    expect(iov_iter_xarray(w, WRITE, xa_init(), 0, 0)).not.toBeNull();
    expect(iov_iter_discard(w, READ, 5)!.count).toBe(5);
    expect(w.events).toEqual([]);
  });

  it("iov_iter_xarray / iov_iter_folio_queue with direction 2: BUG and no iterator", () => {
    const w = boot();
    expect(iov_iter_xarray(w, 2, xa_init(), 0, P)).toBeNull();
    expect(iov_iter_folio_queue(w, 2, folioq_from([]), 0, 0, P)).toBeNull();
    expect(w.events).toEqual([ev("BUG", "iov_iter_xarray"), ev("BUG", "iov_iter_folio_queue")]);
  });

  it("iov_iter_discard with WRITE: BUG and no iterator", () => {
    const w = boot();
    expect(iov_iter_discard(w, WRITE, P)).toBeNull();
    expect(w.events).toEqual([ev("BUG", "iov_iter_discard")]);
  });
});

describe("iov_iter_revert", () => {
  const three: iovec[] = [
    { iov_base: 0x10000, iov_len: 0x100 },
    { iov_base: 0x20000, iov_len: 0x200 },
    { iov_base: 0x30000, iov_len: 0x300 },
  ];

  it("0 does nothing; more than MAX_RW_COUNT WARNs and does nothing", () => {
    const w = boot();
    const iter = iov_iter_init(w, READ, three, 3, 0x600);
    iov_iter_advance(iter, 0x150);
    const before = snap(iter);
    iov_iter_revert(w, iter, 0);
    expect(iter).toEqual(before);
    expect(w.events).toEqual([]);
    iov_iter_revert(w, iter, MAX_RW_COUNT + 1);
    expect(iter).toEqual(before);
    expect(w.events).toEqual([ev("WARN", "iov_iter_revert")]);
  });

  it("UBUF: within iov_offset just steps back; past the start BUGs", () => {
    const w = boot();
    const iter = iov_iter_ubuf(w, READ, 0x10000, 0x1000);
    iov_iter_advance(iter, 0x100);
    iov_iter_revert(w, iter, 0x80);
    expect([iter.iov_offset, iter.count]).toEqual([0x80, 0xf80]);
    expect(w.events).toEqual([]);
    iov_iter_revert(w, iter, 0x81);
    expect(w.events).toEqual([ev("BUG", "iov_iter_revert")]);
  });

  it("XARRAY: past the start BUGs", () => {
    const w = boot();
    const iter = iov_iter_xarray(w, READ, xa_init(), 0x5000, 0x2000)!;
    iov_iter_advance(iter, 0x100);
    iov_iter_revert(w, iter, 0x100);
    expect([iter.iov_offset, iter.count]).toEqual([0, 0x2000]);
    expect(w.events).toEqual([]);
    iov_iter_revert(w, iter, 1);
    expect(w.events).toEqual([ev("BUG", "iov_iter_revert")]);
  });

  it("IOVEC: steps back across segments exactly, nr_segs++ per segment passed", () => {
    const w = boot();
    const iter = iov_iter_init(w, READ, three, 3, 0x600);
    iov_iter_advance(iter, 0x350);
    expect([iter.seg, iter.nr_segs, iter.iov_offset, iter.count]).toEqual([2, 1, 0x50, 0x2b0]);
    iov_iter_revert(w, iter, 0x250); // back to the start of segment 1
    expect([iter.seg, iter.nr_segs, iter.iov_offset, iter.count]).toEqual([1, 2, 0, 0x500]);
    iov_iter_revert(w, iter, 0x50); // into segment 0
    expect([iter.seg, iter.nr_segs, iter.iov_offset, iter.count]).toEqual([0, 3, 0xb0, 0x550]);
    expect(w.events).toEqual([]);
  });

  it("KVEC: an empty segment on the way back still counts as a segment", () => {
    const w = boot();
    const kv = [
      { iov_base: PAGE_OFFSET, iov_len: 0x100 },
      { iov_base: PAGE_OFFSET + 0x1000, iov_len: 0 },
      { iov_base: PAGE_OFFSET + 0x2000, iov_len: 0x300 },
    ];
    const iter = iov_iter_kvec(w, READ, kv, 3, 0x400);
    iov_iter_advance(iter, 0x150);
    expect([iter.seg, iter.nr_segs, iter.iov_offset]).toEqual([2, 1, 0x50]);
    iov_iter_revert(w, iter, 0x100);
    expect([iter.seg, iter.nr_segs, iter.iov_offset, iter.count]).toEqual([0, 3, 0x50, 0x3b0]);
    expect(w.events).toEqual([]);
  });

  it("BVEC: steps back across bvecs", () => {
    const w = boot();
    const bv: bio_vec[] = [bvec_set_page(1, 0x800, 0x100), bvec_set_page(2, 0x1000, 0), bvec_set_page(3, 0x10, 0)];
    const iter = iov_iter_bvec(w, WRITE, bv, 3, 0x1810);
    iov_iter_advance(iter, 0x1808);
    expect([iter.seg, iter.nr_segs, iter.iov_offset]).toEqual([2, 1, 0x8]);
    iov_iter_revert(w, iter, 0x1000);
    expect([iter.seg, iter.nr_segs, iter.iov_offset, iter.count]).toEqual([1, 2, 0x8, 0x1008]);
    iov_iter_revert(w, iter, 0x10);
    expect([iter.seg, iter.nr_segs, iter.iov_offset, iter.count]).toEqual([0, 3, 0x7f8, 0x1018]);
    expect(w.events).toEqual([]);
  });

  it("past the front of a segment array: BUG (the kernel would walk off the array)", () => {
    const w = boot();
    const iter = iov_iter_init(w, READ, three, 3, 0x600);
    iov_iter_advance(iter, 0x150);
    iov_iter_revert(w, iter, 0x151);
    expect(w.events).toEqual([ev("BUG", "iov_iter_revert")]);
  });

  it("DISCARD: only the count grows", () => {
    const w = boot();
    const iter = iov_iter_discard(w, READ, 0x100)!;
    iov_iter_advance(iter, 0x40);
    iov_iter_revert(w, iter, 0x1000);
    expect([iter.count, iter.iov_offset]).toEqual([0x10c0, 0]);
    expect(w.events).toEqual([]);
  });
});

describe("iov_iter_restore", () => {
  it("IOVEC, BVEC and UBUF are restored silently", () => {
    const w = boot();
    const iters = [
      iov_iter_init(w, READ, [{ iov_base: 0x10000, iov_len: 0x100 }, { iov_base: 0x20000, iov_len: 0x100 }], 2, 0x200),
      iov_iter_bvec(w, READ, [bvec_set_page(1, 0x100, 0), bvec_set_page(2, 0x100, 0)], 2, 0x200),
      iov_iter_ubuf(w, READ, 0x10000, 0x200),
    ];
    for (const iter of iters) {
      iov_iter_advance(iter, 0x10);
      const before = snap(iter);
      const state = iov_iter_save_state(iter);
      iov_iter_advance(iter, 0x180);
      expect(iter).not.toEqual(before);
      iov_iter_restore(w, iter, state);
      expect(iter).toEqual(before);
    }
    expect(w.events).toEqual([]);
  });

  it("KVEC: WARN_ON_ONCE, but restored all the same", () => {
    const w = boot();
    const kv = [{ iov_base: PAGE_OFFSET, iov_len: 0x100 }, { iov_base: PAGE_OFFSET + P, iov_len: 0x100 }];
    const iter = iov_iter_kvec(w, READ, kv, 2, 0x200);
    const before = snap(iter);
    const state = iov_iter_save_state(iter);
    iov_iter_advance(iter, 0x180);
    iov_iter_restore(w, iter, state);
    expect(w.events).toEqual([ev("WARN_ON_ONCE", "iov_iter_restore")]);
    expect(iter).toEqual(before);
  });

  it("XARRAY: WARN_ON_ONCE and left alone", () => {
    const w = boot();
    const iter = iov_iter_xarray(w, READ, xa_init(), 0x3000, 0x200)!;
    const state = iov_iter_save_state(iter);
    iov_iter_advance(iter, 0x180);
    const advanced = snap(iter);
    iov_iter_restore(w, iter, state);
    expect(w.events).toEqual([ev("WARN_ON_ONCE", "iov_iter_restore")]);
    expect(iter).toEqual(advanced);
    expect(iter.iov_offset).toBe(0x180);
  });
});

describe("import_ubuf / import_iovec", () => {
  it("import_ubuf caps the length at MAX_RW_COUNT and rejects kernel addresses", () => {
    const w = boot();
    const ok = import_ubuf(w, READ, 0x10000, MAX_RW_COUNT + 0x5000);
    expect(ok.ret).toBe(0);
    expect([ok.iter!.iter_type, ok.iter!.ubuf, ok.iter!.count]).toEqual([ITER_UBUF, 0x10000, MAX_RW_COUNT]);
    expect(import_ubuf(w, READ, PAGE_OFFSET, 0x10)).toEqual({ ret: -EFAULT, iter: null });
    expect(import_ubuf(w, WRITE, TASK_SIZE_MAX - 0x800, 0x1000)).toEqual({ ret: -EFAULT, iter: null });
    expect(w.events).toEqual([]);
  });

  /** A process with one page for the struct iovec array. */
  function iov_setup(npages = 1) {
    const { w, addr } = user_setup(npages);
    const put = (iov: { iov_base: number; iov_len: number | bigint }[]) => expect(put_user_iovecs(w, addr, iov)).toBe(0);
    return { w, uvec: addr, put };
  }

  it("more than UIO_MAXIOV segments: -EINVAL; exactly UIO_MAXIOV is fine", () => {
    const { w, uvec, put } = iov_setup(4);
    expect(import_iovec(w, READ, uvec, UIO_MAXIOV + 1, UIO_FASTIOV)).toEqual({ ret: -EINVAL, iter: null, iovp: null });
    put(Array.from({ length: UIO_MAXIOV }, (_, k) => ({ iov_base: 0x10000 + k * 0x10, iov_len: 1 })));
    const r = import_iovec(w, READ, uvec, UIO_MAXIOV, UIO_FASTIOV);
    expect(r.ret).toBe(UIO_MAXIOV);
    expect(r.iter!.nr_segs).toBe(UIO_MAXIOV);
  });

  it("a length negative as ssize_t: -EINVAL (also for a single segment)", () => {
    const { w, uvec, put } = iov_setup();
    put([{ iov_base: 0x10000, iov_len: 0x10 }, { iov_base: 0x20000, iov_len: -1n }]);
    expect(import_iovec(w, READ, uvec, 2, UIO_FASTIOV).ret).toBe(-EINVAL);
    put([{ iov_base: 0x20000, iov_len: -(2n ** 63n) }]);
    expect(import_iovec(w, READ, uvec, 1, UIO_FASTIOV).ret).toBe(-EINVAL);
  });

  it("entries are read one by one: a negative length is -EINVAL although the next entry is unreadable", () => {
    const { w, uvec } = iov_setup(2);
    const last = uvec + P - IOVEC_SIZE; // the first page's last entry; the next one lies on the second page
    expect(munmap(w, w.mms[w.current], uvec + P, P)).toBe(0);
    expect(put_user_iovecs(w, last, [{ iov_base: 0x10000, iov_len: -1n }])).toBe(0);
    expect(import_iovec(w, READ, last, 2, UIO_FASTIOV).ret).toBe(-EINVAL);
    expect(put_user_iovecs(w, last, [{ iov_base: 0x10000, iov_len: 0x10 }])).toBe(0);
    expect(import_iovec(w, READ, last, 2, UIO_FASTIOV).ret).toBe(-EFAULT);
  });

  it("a segment failing access_ok: -EFAULT (also for a single segment); an unreadable array: -EFAULT", () => {
    const { w, uvec, put } = iov_setup();
    put([{ iov_base: 0x10000, iov_len: 0x10 }, { iov_base: PAGE_OFFSET, iov_len: 0x10 }]);
    expect(import_iovec(w, WRITE, uvec, 2, UIO_FASTIOV)).toEqual({ ret: -EFAULT, iter: null, iovp: null });
    put([{ iov_base: TASK_SIZE_MAX - 0x10, iov_len: 0x20 }]);
    expect(import_iovec(w, WRITE, uvec, 1, UIO_FASTIOV).ret).toBe(-EFAULT);
    expect(import_iovec(w, WRITE, 0x10000000, 2, UIO_FASTIOV).ret).toBe(-EFAULT);
  });

  it("a single segment becomes an ITER_UBUF (length capped), with no iovec array handed back", () => {
    const { w, uvec, put } = iov_setup();
    put([{ iov_base: 0x10040, iov_len: 0x123 }]);
    const r = import_iovec(w, WRITE, uvec, 1, UIO_FASTIOV);
    expect(r.ret).toBe(0x123);
    expect(r.iovp).toBeNull();
    expect([r.iter!.iter_type, r.iter!.ubuf, r.iter!.count, r.iter!.data_source]).toEqual([ITER_UBUF, 0x10040, 0x123, true]);
    put([{ iov_base: 0x10000, iov_len: BigInt(MAX_RW_COUNT) + 0x3000n }]);
    expect(import_iovec(w, READ, uvec, 1, UIO_FASTIOV).iter!.count).toBe(MAX_RW_COUNT);
  });

  it("the total is capped at MAX_RW_COUNT by shortening the segments that overflow it", () => {
    const { w, uvec, put } = iov_setup();
    put([
      { iov_base: 0x10000, iov_len: MAX_RW_COUNT - 0x1000 },
      { iov_base: 0x100000000, iov_len: 0x3000 },
      { iov_base: 0x200000000, iov_len: 0x1000 },
    ]);
    const r = import_iovec(w, READ, uvec, 3, UIO_FASTIOV);
    expect(r.ret).toBe(MAX_RW_COUNT);
    expect(r.iter!.iter_type).toBe(ITER_IOVEC);
    expect(r.iter!.count).toBe(MAX_RW_COUNT);
    expect(r.iter!.__iov.map((v) => v.iov_len)).toEqual([MAX_RW_COUNT - 0x1000, 0x1000, 0]);
  });

  it("*iovp is set only when nr_segs exceeds fast_segs", () => {
    const { w, uvec, put } = iov_setup();
    const segs = Array.from({ length: UIO_FASTIOV + 1 }, (_, k) => ({ iov_base: 0x10000 * (k + 1), iov_len: 0x10 }));
    put(segs);
    const fast = import_iovec(w, READ, uvec, UIO_FASTIOV, UIO_FASTIOV);
    expect(fast.ret).toBe(UIO_FASTIOV * 0x10);
    expect(fast.iovp).toBeNull();
    const slow = import_iovec(w, READ, uvec, UIO_FASTIOV + 1, UIO_FASTIOV);
    expect(slow.ret).toBe((UIO_FASTIOV + 1) * 0x10);
    expect(slow.iovp).not.toBeNull();
    expect(slow.iovp).toBe(slow.iter!.__iov);
    expect(slow.iovp!.map((v) => v.iov_base)).toEqual(segs.map((s) => s.iov_base));
    expect(import_iovec(w, READ, uvec, 3, 2).iovp).toHaveLength(3);
    const none = import_iovec(w, READ, uvec, 0, UIO_FASTIOV);
    expect([none.ret, none.iter!.count, none.iovp]).toEqual([0, 0, null]);
  });
});

describe("inspection helpers", () => {
  it("iov_iter_npages", () => {
    const w = boot();
    const ubuf = iov_iter_ubuf(w, READ, 0x10ff0, 0x20);
    expect(iov_iter_npages(ubuf, 100)).toBe(2);
    expect(iov_iter_npages(ubuf, 1)).toBe(1);
    expect(iov_iter_npages(iov_iter_ubuf(w, READ, 0x10ff0, 0), 100)).toBe(0);
    // IOVEC: empty segments are skipped; each segment counts the pages it touches.
    const iov = iov_iter_init(w, READ, [
      { iov_base: 0x10ff0, iov_len: 0x20 },
      { iov_base: 0x20800, iov_len: 0 },
      { iov_base: 0x30000, iov_len: 0x1001 },
    ], 3, 0x1021);
    expect(iov_iter_npages(iov, 100)).toBe(4);
    expect(iov_iter_npages(iov, 3)).toBe(3);
    iov_iter_advance(iov, 0x10); // now at 0x11000: page 0x10 is no longer spanned
    expect(iov_iter_npages(iov, 100)).toBe(3);
    // BVEC: bvec_npages() has no empty-segment check, so an empty bvec that starts inside a
    // page counts as a page.
    const bv = iov_iter_bvec(w, READ, [
      bvec_set_page(1, 0x10, 0xf80),
      bvec_set_page(2, 0, 0x800),
      bvec_set_page(3, 0x100, 0xf80),
    ], 3, 0x110);
    expect(iov_iter_npages(bv, 100)).toBe(1 + 1 + 2);
    const xa = iov_iter_xarray(w, READ, xa_init(), 0x1800, 0x1000)!;
    expect(iov_iter_npages(xa, 100)).toBe(2);
    expect(iov_iter_npages(iov_iter_discard(w, READ, 0x5000)!, 100)).toBe(0);
  });

  it("iov_iter_alignment", () => {
    const w = boot();
    const ubuf = iov_iter_ubuf(w, READ, 0x10000, 0x1000);
    expect(iov_iter_alignment(ubuf)).toBe(0x11000);
    iov_iter_advance(ubuf, 0x10);
    expect(iov_iter_alignment(ubuf)).toBe(0x10010 | 0xff0);
    // IOVEC: an empty segment contributes nothing, not even its address.
    const iov = iov_iter_init(w, READ, [
      { iov_base: 0x10200, iov_len: 0x200 },
      { iov_base: 0x77, iov_len: 0 },
      { iov_base: 0x20000, iov_len: 0x1000 },
    ], 3, 0x1200);
    expect(iov_iter_alignment(iov)).toBe(0x10200 | 0x200 | 0x20000 | 0x1000);
    // The last segment only counts up to the iterator's count.
    iov_iter_truncate(iov, 0x208);
    expect(iov_iter_alignment(iov)).toBe(0x10200 | 0x200 | 0x20000 | 0x8);
    // BVEC: every offset is ORed in, including an empty bvec's.
    const bv = iov_iter_bvec(w, READ, [
      bvec_set_page(1, 0x200, 0),
      bvec_set_page(2, 0, 0x7),
      bvec_set_page(3, 0x400, 0),
    ], 3, 0x600);
    expect(iov_iter_alignment(bv)).toBe(0x607);
    const xa = iov_iter_xarray(w, READ, xa_init(), 0x1800, 0x1000)!;
    expect(iov_iter_alignment(xa)).toBe(0x1800 | 0x1000);
  });

  it("iov_iter_gap_alignment: OR of each inner boundary; 0 for UBUF; WARN and 0xffffffff otherwise", () => {
    const w = boot();
    const iov = iov_iter_init(w, READ, [
      { iov_base: 0x1000, iov_len: 0x1000 },
      { iov_base: 0x3000, iov_len: 0 },
      { iov_base: 0x3000, iov_len: 0x800 },
      { iov_base: 0x5200, iov_len: 0x100 },
      { iov_base: 0x9000, iov_len: 0x100 },
    ], 5, 0x1900);
    // (0x3000 | 0x2000) | (0x5200 | 0x3800); the count ends inside the 0x5200 segment.
    expect(iov_iter_gap_alignment(w, iov)).toBe(0x7a00);
    expect(iov_iter_gap_alignment(w, iov_iter_ubuf(w, READ, 0x1234, 0x10))).toBe(0);
    expect(w.events).toEqual([]);
    const kv = iov_iter_kvec(w, READ, [{ iov_base: PAGE_OFFSET, iov_len: 0x10 }], 1, 0x10);
    expect(iov_iter_gap_alignment(w, kv)).toBe(0xffffffff);
    expect(w.events).toEqual([ev("WARN", "iov_iter_gap_alignment")]);
  });

  it("iov_iter_is_aligned", () => {
    const w = boot();
    const ubuf = iov_iter_ubuf(w, READ, 0x10200, 0x400);
    expect(iov_iter_is_aligned(ubuf, 0x1ff, 0x1ff)).toBe(true);
    expect(iov_iter_is_aligned(ubuf, 0x3ff, 0x1ff)).toBe(false);
    expect(iov_iter_is_aligned(ubuf, 0x1ff, 0x7ff)).toBe(false);
    const iov = iov_iter_init(w, READ, [
      { iov_base: 0x10000, iov_len: 0x400 },
      { iov_base: 0x20200, iov_len: 0x200 },
    ], 2, 0x600);
    expect(iov_iter_is_aligned(iov, 0x1ff, 0x1ff)).toBe(true);
    iov_iter_advance(iov, 0x100); // first piece now at 0x10100, 0x300 long
    expect(iov_iter_is_aligned(iov, 0x1ff, 0x0ff)).toBe(false);
    expect(iov_iter_is_aligned(iov, 0x0ff, 0x0ff)).toBe(true);
    // BVEC: the first bvec is measured from the current position (bv_len - skip).
    const bv = iov_iter_bvec(w, READ, [bvec_set_page(1, 0x1000, 0), bvec_set_page(2, 0x200, 0)], 2, 0x1200);
    iov_iter_advance(bv, 0x600);
    // Pieces: 0xa00 at offset 0x600, then 0x200 at 0.
    expect(iov_iter_is_aligned(bv, 0x1ff, 0x1ff)).toBe(true);
    expect(iov_iter_is_aligned(bv, 0x0, 0x3ff)).toBe(false);
    const xa = iov_iter_xarray(w, READ, xa_init(), 0x1800, 0x1000)!;
    expect(iov_iter_is_aligned(xa, 0x7ff, 0xfff)).toBe(true);
    expect(iov_iter_is_aligned(xa, 0xfff, 0xfff)).toBe(false);
  });

  it("iov_iter_single_seg_count", () => {
    const w = boot();
    const iov = iov_iter_init(w, READ, [
      { iov_base: 0x10000, iov_len: 0x100 },
      { iov_base: 0x20000, iov_len: 0x200 },
    ], 2, 0x300);
    iov_iter_advance(iov, 0x40);
    expect(iov_iter_single_seg_count(iov)).toBe(0xc0);
    iov_iter_truncate(iov, 0x20);
    expect(iov_iter_single_seg_count(iov)).toBe(0x20);
    iov_iter_reexpand(iov, 0x2c0);
    iov_iter_advance(iov, 0xc0); // now on the last segment: nr_segs == 1, the whole count
    expect([iov.nr_segs, iov_iter_single_seg_count(iov)]).toEqual([1, 0x200]);
    const bv = iov_iter_bvec(w, READ, [bvec_set_page(1, 0x800, 0), bvec_set_page(2, 0x800, 0)], 2, 0x1000);
    expect(iov_iter_single_seg_count(bv)).toBe(0x800);
    expect(iov_iter_single_seg_count(iov_iter_ubuf(w, READ, 0x10000, 0x3000))).toBe(0x3000);
    const q = folioq_from([{ folio: 4, order: 2 }, { folio: 8, order: 0 }]);
    expect(iov_iter_single_seg_count(iov_iter_folio_queue(w, READ, q, 0, 0, 5 * P)!)).toBe(4 * P);
    expect(iov_iter_single_seg_count(iov_iter_folio_queue(w, READ, q, 0, 0, 0)!)).toBe(0);
  });

  it("an unfilled folio_queue slot counts as PAGE_SIZE (folioq_folio_size() reads only the order)", () => {
    // Kernel builders fill a segment before chaining the next; one that does not gets the kernel's
    // walk: advancing past segment a's one folio goes through a's empty slots, not to segment b.
    const w = boot();
    const a = folioq_init();
    const b = folioq_init();
    folioq_append(a, 4, 0);
    folioq_append(b, 8, 0);
    a.next = b;
    b.prev = a;
    const i = iov_iter_folio_queue(w, READ, a, 0, 0, 3 * P)!;
    iov_iter_advance(i, 2 * P);
    expect([i.folioq === a, i.folioq_slot, i.iov_offset, i.count]).toEqual([true, 2, 0, P]);
  });

  it("iov_iter_truncate / iov_iter_reexpand", () => {
    const w = boot();
    const iter = iov_iter_ubuf(w, READ, 0x10000, 0x1000);
    iov_iter_truncate(iter, 0x2000);
    expect(iter.count).toBe(0x1000);
    iov_iter_truncate(iter, 0x300);
    expect(iter.count).toBe(0x300);
    iov_iter_advance(iter, 0x100);
    iov_iter_reexpand(iter, 0x200 + 0xd00);
    expect([iter.count, iter.iov_offset]).toEqual([0xf00, 0x100]);
  });

  it("dup_iter copies the remaining segment array and takes no page references", () => {
    const w = boot();
    const pages = [alloc_pages(w.mem, 0), alloc_pages(w.mem, 0), alloc_pages(w.mem, 0)];
    const bvec = pages.map((p) => bvec_set_page(p, P, 0));
    const old = iov_iter_bvec(w, READ, bvec, 3, 3 * P);
    iov_iter_advance(old, P + 0x10);
    const { iter, dup } = dup_iter(old);
    expect(dup).toBe(iter.bvec);
    expect(iter.bvec).toEqual(bvec.slice(1));
    expect(iter.bvec).not.toBe(old.bvec);
    expect([iter.seg, iter.nr_segs, iter.iov_offset, iter.count]).toEqual([0, 2, 0x10, 2 * P - 0x10]);
    (iter.bvec as bio_vec[])[0].bv_len = 1;
    expect(bvec[1].bv_len).toBe(P);
    expect(pages.map((p) => w.mem.refcount[p])).toEqual([1, 1, 1]);
    // KVEC/IOVEC likewise; others are a plain struct copy with nothing returned.
    const kv = iov_iter_kvec(w, READ, [{ iov_base: PAGE_OFFSET, iov_len: 4 }, { iov_base: PAGE_OFFSET + P, iov_len: 8 }], 2, 12);
    iov_iter_advance(kv, 5);
    const k = dup_iter(kv);
    expect(k.iter.__iov).toEqual([{ iov_base: PAGE_OFFSET + P, iov_len: 8 }]);
    expect(k.dup).toBe(k.iter.__iov);
    const u = dup_iter(iov_iter_ubuf(w, READ, 0x10000, 0x10));
    expect(u.dup).toBeNull();
    expect(u.iter.ubuf).toBe(0x10000);
  });
});

describe("use after free", () => {
  it("copy_to_iter from a vfree()d buffer records a BUG and returns short instead of throwing", () => {
    const w = boot();
    const src = vmalloc(w, 2 * P);
    fill_pattern(w, src, 2 * P);
    const dst = create_buffer(w, 2);
    vfree(w, src);
    const iter = iov_iter_kvec(w, READ, [{ iov_base: dst.addr, iov_len: 2 * P }], 1, 2 * P);
    let n = -1;
    expect(() => { n = copy_to_iter(w, src, 2 * P, iter); }).not.toThrow();
    expect(n).toBe(0);
    expect(iter.count).toBe(2 * P);
    expect(w.events).toEqual([ev("BUG", "memcpy")]);
    expect(kread(w, dst.addr, 2 * P).every((b) => b === 0)).toBe(true);
  });

  it("a source whose second page was freed: the first page is copied, then BUG and a short count", () => {
    const w = boot();
    const p0 = alloc_pages(w.mem, 0);
    const p1 = alloc_pages(w.mem, 0);
    expect(p1).toBe(p0 + 1); // virtually contiguous in the direct map
    kwrite(w, page_address(p0), new Uint8Array(2 * P).fill(0x33));
    const dst = create_buffer(w, 2);
    folio_put(w, p1); // freed after dst was allocated, so nothing reuses the frame
    expect(w.mem.head[p1]).toBe(-1);
    const iter = iov_iter_bvec(w, READ, dst.pages.map((p) => bvec_set_page(p, P, 0)), 2, 2 * P);
    expect(copy_to_iter(w, page_address(p0), 2 * P, iter)).toBe(P);
    expect(iter.count).toBe(P);
    expect(w.events.map((e) => e.kind)).toEqual(["BUG"]);
    const img = kread(w, dst.addr, 2 * P);
    expect(img.subarray(0, P).every((b) => b === 0x33)).toBe(true);
    expect(img.subarray(P).every((b) => b === 0)).toBe(true);
  });

  it("to user memory: copy_to_user records the BUG and the copy comes up short", () => {
    const { w, mm, addr } = user_setup(1);
    const src = vmalloc(w, P);
    vfree(w, src);
    const iter = iov_iter_ubuf(w, READ, addr, P);
    expect(copy_to_iter(w, src, P, iter)).toBe(0);
    expect(w.events).toEqual([ev("BUG", "copy_to_user")]);
    expect(read_user(w, mm, addr, P).every((b) => b === 0x5a)).toBe(true);
  });
});

describe("maxpages 0 (want_pages_array)", () => {
  it("warns and gives -ENOMEM without moving a KVEC, XARRAY, FOLIOQ or user iterator", async () => {
    const k = await import("../src/kernel/index.js");
    const w = k.boot();
    w.current = k.mm_alloc(w);
    const ubuf = k.mmap_anon(w, w.mms[w.current], 2 * k.PAGE_SIZE, k.PROT_READ | k.PROT_WRITE);
    const kbuf = k.vmalloc(w, 2 * k.PAGE_SIZE);
    const pages = [0, 1].map(() => k.alloc_pages(w.mem, 0));
    const xa = k.xa_init();
    pages.forEach((p, i) => k.xa_store(xa, i, { folio: p, order: 0 }));
    const iters = [
      k.iov_iter_kvec(w, k.ITER_DEST, [{ iov_base: kbuf + 100, iov_len: 5000 }], 1, 5000),
      k.iov_iter_xarray(w, k.ITER_DEST, xa, 100, 5000)!,
      k.iov_iter_folio_queue(w, k.ITER_DEST, k.folioq_from(pages.map((folio) => ({ folio, order: 0 }))), 0, 100, 5000)!,
      k.iov_iter_ubuf(w, k.ITER_DEST, ubuf + 100, 5000),
    ];
    for (const it of iters) {
      const before = { ...it };
      w.events.length = 0;
      const r = k.iov_iter_extract_pages(w, it, null, 5000, 0, 0);
      expect(r.ret).toBe(-k.ENOMEM);
      expect(w.events.map((e) => e.fn)).toEqual(["want_pages_array"]);
      expect({ ...it }).toEqual(before);
    }
    expect(w.vmstat.nr_foll_pin_acquired).toBe(0);
  });
});
