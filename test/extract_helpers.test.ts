// The extraction helpers built on iov_iter_extract_pages(): iov_iter_extract_bvecs()
// (lib/iov_iter.c, Jan 2026), netfs_extract_user_iter() (fs/netfs/iterator.c) and
// extract_iter_to_sg() (lib/scatterlist.c). Expected values are worked out by hand from the
// kernel source; user pages must come back pinned exactly once, kernel pages untouched.
import { describe, expect, it } from "vitest";
import type { bio_vec, iov_iter, iovec, Mm, scatterlist, sg_table, World } from "../src/kernel/index.js";
import {
  alloc_pages, boot, bvec_set_page, EFAULT, EIO, extract_iter_to_sg, folioq_from, follow_pte,
  GUP_PIN_COUNTING_BIAS, ITER_BVEC, iov_iter_advance, iov_iter_bvec, iov_iter_discard, iov_iter_extract_bvecs,
  iov_iter_folio_queue, iov_iter_init, iov_iter_kvec, iov_iter_ubuf, iov_iter_xarray, kmalloc, mm_alloc, mmap_anon,
  netfs_extract_user_iter, PAGE_SIZE, PROT_READ, PROT_WRITE, READ, unpin_user_page, user_access,
  virt_to_page, vmalloc, vmalloc_to_page, WRITE, xa_init, xa_store,
} from "../src/kernel/index.js";

const P = PAGE_SIZE;
/** An address no VMA covers (the process's mappings start at 0x7f0000000000). */
const UNMAPPED = 0x10000000;

interface UserSetup {
  w: World;
  mm: Mm;
  addr: number;
  /** The frame behind each page of the mapping, in order. */
  pages: number[];
}

/** A process with npages of private anonymous memory, every page written (so present). */
function user_setup(npages: number): UserSetup {
  const w = boot();
  const id = mm_alloc(w);
  w.current = id;
  const mm = w.mms[id];
  const addr = mmap_anon(w, mm, npages * P, PROT_READ | PROT_WRITE);
  const bytes = new Uint8Array(npages * P);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  expect(user_access(w, mm, addr, bytes, true)).toBe(0);
  const pages = Array.from({ length: npages }, (_, k) => follow_pte(mm, addr + k * P)!.pfn);
  // Every page is its own order-0 folio mapped once: one reference, no pin.
  for (const p of pages) expect(w.mem.refcount[p]).toBe(1);
  return { w, mm, addr, pages };
}

const refs = (w: World, pages: readonly number[]): number[] => pages.map((p) => w.mem.refcount[p]);
const pinned = 1 + GUP_PIN_COUNTING_BIAS;

describe("iov_iter_extract_bvecs", () => {
  it("UBUF: one bvec per user page (separate order-0 folios), each pinned exactly once", () => {
    const { w, addr, pages } = user_setup(4);
    // The anon pages were allocated back to back: physically consecutive, yet not merged,
    // because get_contig_folio_len() only merges pages of one folio.
    expect(pages.map((p) => p - pages[0])).toEqual([0, 1, 2, 3]);
    const iter = iov_iter_ubuf(w, READ, addr + 0x100, 3 * P + 0x200);
    const bv: bio_vec[] = [];
    const r = iov_iter_extract_bvecs(w, iter, bv, 0x100000, 0, 16, 0);
    expect(r).toEqual({ ret: 3 * P + 0x200, nr_vecs: 4 });
    expect(bv).toEqual([
      { bv_page: pages[0], bv_len: 0xf00, bv_offset: 0x100 },
      { bv_page: pages[1], bv_len: P, bv_offset: 0 },
      { bv_page: pages[2], bv_len: P, bv_offset: 0 },
      { bv_page: pages[3], bv_len: 0x300, bv_offset: 0 },
    ]);
    expect(iter.count).toBe(0);
    expect(refs(w, pages)).toEqual([pinned, pinned, pinned, pinned]);
    expect(w.vmstat).toEqual({ nr_foll_pin_acquired: 4, nr_foll_pin_released: 0 });
    expect(w.events).toEqual([]);
  });

  it("max_vecs smaller than the pages available: only max_vecs pages pinned, iterator advanced by what was added", () => {
    const { w, addr, pages } = user_setup(8);
    const iter = iov_iter_ubuf(w, WRITE, addr, 8 * P);
    const bv: bio_vec[] = [];
    const r = iov_iter_extract_bvecs(w, iter, bv, 8 * P, 0, 3, 0);
    expect(r).toEqual({ ret: 3 * P, nr_vecs: 3 });
    expect(bv.map((b) => b.bv_page)).toEqual(pages.slice(0, 3));
    expect(iter.count).toBe(5 * P);
    expect(iter.iov_offset).toBe(3 * P);
    expect(refs(w, pages)).toEqual([pinned, pinned, pinned, 1, 1, 1, 1, 1]);
    expect(w.vmstat).toEqual({ nr_foll_pin_acquired: 3, nr_foll_pin_released: 0 });
  });

  it("nr_vecs > 0 on entry: new bvecs are appended after the existing ones (IOVEC, one segment per call)", () => {
    const { w, addr, pages } = user_setup(4);
    const iov: iovec[] = [
      { iov_base: addr + 0x10, iov_len: 0x20 },
      { iov_base: addr + 2 * P, iov_len: P + 0x40 },
    ];
    const iter = iov_iter_init(w, READ, iov, 2, 0x20 + P + 0x40);
    const sentinel = { bv_page: 12345, bv_len: 7, bv_offset: 3 };
    const bv: bio_vec[] = [{ ...sentinel }, { ...sentinel }];
    // First call: the extraction stops at the end of the first segment.
    let r = iov_iter_extract_bvecs(w, iter, bv, 0x10000, 2, 5, 0);
    expect(r).toEqual({ ret: 0x20, nr_vecs: 3 });
    // Second call continues with the next segment and appends again.
    r = iov_iter_extract_bvecs(w, iter, bv, 0x10000, r.nr_vecs, 5, 0);
    expect(r).toEqual({ ret: P + 0x40, nr_vecs: 5 });
    expect(bv).toEqual([
      sentinel,
      sentinel,
      { bv_page: pages[0], bv_len: 0x20, bv_offset: 0x10 },
      { bv_page: pages[2], bv_len: P, bv_offset: 0 },
      { bv_page: pages[3], bv_len: 0x40, bv_offset: 0 },
    ]);
    expect(iter.count).toBe(0);
    expect(refs(w, pages)).toEqual([pinned, 1, pinned, pinned]);
  });

  it("BVEC over an order-2 folio: coalesced into one bvec, no reference or pin taken", () => {
    const w = boot();
    const folio = alloc_pages(w.mem, 2);
    const iter = iov_iter_bvec(w, WRITE, [bvec_set_page(folio, 4 * P, 0)], 1, 4 * P);
    const bv: bio_vec[] = [];
    const r = iov_iter_extract_bvecs(w, iter, bv, 0x100000, 0, 16, 0);
    expect(r).toEqual({ ret: 4 * P, nr_vecs: 1 });
    expect(bv).toEqual([{ bv_page: folio, bv_len: 4 * P, bv_offset: 0 }]);
    expect(iter.count).toBe(0);
    expect(w.mem.refcount[folio]).toBe(1);
    expect(w.mem.pincount[folio]).toBe(0);
    expect(w.vmstat).toEqual({ nr_foll_pin_acquired: 0, nr_foll_pin_released: 0 });
  });

  it("BVEC starting inside page 1 of an order-2 folio: one bvec from that page, offset kept", () => {
    const w = boot();
    const folio = alloc_pages(w.mem, 2);
    // bv_offset 0x1100 into the folio: page folio+1, offset 0x100, 0x2e00 bytes up to 0x100
    // before the folio's end.
    const iter = iov_iter_bvec(w, READ, [bvec_set_page(folio, 0x2e00, 0x1100)], 1, 0x2e00);
    const bv: bio_vec[] = [];
    const r = iov_iter_extract_bvecs(w, iter, bv, 0x100000, 0, 16, 0);
    expect(r).toEqual({ ret: 0x2e00, nr_vecs: 1 });
    expect(bv).toEqual([{ bv_page: folio + 1, bv_len: 0x2e00, bv_offset: 0x100 }]);
    expect(w.mem.refcount[folio]).toBe(1);
  });

  it("FOLIOQ of physically consecutive order-0 folios: not merged across folios", () => {
    const w = boot();
    const folios = [alloc_pages(w.mem, 0), alloc_pages(w.mem, 0), alloc_pages(w.mem, 0)];
    expect(folios.map((f) => f - folios[0])).toEqual([0, 1, 2]);
    const q = folioq_from(folios.map((folio) => ({ folio, order: 0 })));
    const iter = iov_iter_folio_queue(w, READ, q, 0, 0, 3 * P)!;
    iov_iter_advance(iter, 0x80);
    const bv: bio_vec[] = [];
    const r = iov_iter_extract_bvecs(w, iter, bv, 0x100000, 0, 16, 0);
    expect(r).toEqual({ ret: 3 * P - 0x80, nr_vecs: 3 });
    expect(bv).toEqual([
      { bv_page: folios[0], bv_len: P - 0x80, bv_offset: 0x80 },
      { bv_page: folios[1], bv_len: P, bv_offset: 0 },
      { bv_page: folios[2], bv_len: P, bv_offset: 0 },
    ]);
    expect(refs(w, folios)).toEqual([1, 1, 1]);
  });

  it("an extraction of 0 bytes (empty iterator) is -EFAULT; a failed pin passes its error through", () => {
    const { w, addr } = user_setup(1);
    const bv: bio_vec[] = [{ bv_page: 1, bv_len: 1, bv_offset: 0 }];
    const empty = iov_iter_ubuf(w, READ, addr, 0);
    expect(iov_iter_extract_bvecs(w, empty, bv, 0x1000, 1, 4, 0)).toEqual({ ret: -EFAULT, nr_vecs: 1 });
    const no_segs = iov_iter_bvec(w, READ, [], 0, 0);
    expect(iov_iter_extract_bvecs(w, no_segs, bv, 0x1000, 1, 4, 0)).toEqual({ ret: -EFAULT, nr_vecs: 1 });
    const unmapped = iov_iter_ubuf(w, READ, UNMAPPED, P);
    expect(iov_iter_extract_bvecs(w, unmapped, bv, 0x1000, 1, 4, 0)).toEqual({ ret: -EFAULT, nr_vecs: 1 });
    expect(unmapped.count).toBe(P);
    expect(bv).toEqual([{ bv_page: 1, bv_len: 1, bv_offset: 0 }]);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(0);
  });
});

describe("netfs_extract_user_iter", () => {
  it("UBUF: one bvec per page, only the first with an offset; direction and count carried over; one pin each", () => {
    const { w, addr, pages } = user_setup(4);
    const orig = iov_iter_ubuf(w, READ, addr + 0x80, 3 * P);
    const r = netfs_extract_user_iter(w, orig, 3 * P, 0);
    expect(r.ret).toBe(4);
    expect(r.bvec).toEqual([
      { bv_page: pages[0], bv_offset: 0x80, bv_len: P - 0x80 },
      { bv_page: pages[1], bv_offset: 0, bv_len: P },
      { bv_page: pages[2], bv_offset: 0, bv_len: P },
      { bv_page: pages[3], bv_offset: 0, bv_len: 0x80 },
    ]);
    const it = r.iter!;
    expect(it.iter_type).toBe(ITER_BVEC);
    expect(it.data_source).toBe(false);
    expect(it.count).toBe(3 * P);
    expect(it.nr_segs).toBe(4);
    expect(it.bvec).toBe(r.bvec);
    expect(orig.count).toBe(0);
    expect(refs(w, pages)).toEqual([pinned, pinned, pinned, pinned]);
    // Cleanup as netfs does it: unpin every bv_page.
    for (const b of r.bvec) unpin_user_page(w, b.bv_page);
    expect(refs(w, pages)).toEqual([1, 1, 1, 1]);
    expect(w.vmstat).toEqual({ nr_foll_pin_acquired: 4, nr_foll_pin_released: 4 });
    expect(w.events).toEqual([]);
  });

  it("SOURCE iterator and orig_len shorter than the iterator: data_source kept, the rest left in orig", () => {
    const { w, addr, pages } = user_setup(4);
    const orig = iov_iter_ubuf(w, WRITE, addr, 4 * P);
    const r = netfs_extract_user_iter(w, orig, P + 0x800, 0);
    expect(r.ret).toBe(2);
    expect(r.iter!.data_source).toBe(true);
    expect(r.iter!.count).toBe(P + 0x800);
    expect(r.bvec.map((b) => [b.bv_page, b.bv_offset, b.bv_len])).toEqual([
      [pages[0], 0, P],
      [pages[1], 0, 0x800],
    ]);
    expect(orig.count).toBe(3 * P - 0x800);
    expect(refs(w, pages)).toEqual([pinned, pinned, 1, 1]);
  });

  it("IOVEC with several segments: one extraction call per segment, all pages listed in order", () => {
    const { w, addr, pages } = user_setup(6);
    const iov: iovec[] = [
      { iov_base: addr + 0x10, iov_len: 2 * P - 0x10 }, // pages 0-1
      { iov_base: addr + 2 * P + 0x800, iov_len: 0x100 }, // page 2
      { iov_base: addr + 4 * P + 0x20, iov_len: P }, // pages 4-5
    ];
    const total = 2 * P - 0x10 + 0x100 + P;
    const orig = iov_iter_init(w, READ, iov, 3, total);
    const r = netfs_extract_user_iter(w, orig, total, 0);
    expect(r.ret).toBe(5);
    expect(r.bvec).toEqual([
      { bv_page: pages[0], bv_offset: 0x10, bv_len: P - 0x10 },
      { bv_page: pages[1], bv_offset: 0, bv_len: P },
      { bv_page: pages[2], bv_offset: 0x800, bv_len: 0x100 },
      { bv_page: pages[4], bv_offset: 0x20, bv_len: P - 0x20 },
      { bv_page: pages[5], bv_offset: 0, bv_len: 0x20 },
    ]);
    expect(r.iter!.count).toBe(total);
    expect(orig.count).toBe(0);
    expect(refs(w, pages)).toEqual([pinned, pinned, pinned, 1, pinned, pinned]);
    for (const b of r.bvec) unpin_user_page(w, b.bv_page);
    expect(refs(w, pages)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("a KVEC is refused: WARN_ON_ONCE and -EIO", () => {
    const w = boot();
    const buf = vmalloc(w, P);
    const orig = iov_iter_kvec(w, READ, [{ iov_base: buf, iov_len: P }], 1, P);
    const r = netfs_extract_user_iter(w, orig, P, 0);
    expect(r.ret).toBe(-EIO);
    expect(r.iter).toBeNull();
    expect(w.events).toEqual([{ kind: "WARN_ON_ONCE", fn: "netfs_extract_user_iter", what: expect.any(String) }]);
    expect(orig.count).toBe(P);
  });

  // 0aad5704c6b4 (2026): an error fails the call only if nothing was extracted (or on -ENOMEM);
  // otherwise the pages extracted so far are returned as a short result.
  it("nothing extractable (first segment unmapped): the error is returned and nothing stays pinned", () => {
    const { w, addr } = user_setup(2);
    const iov: iovec[] = [
      { iov_base: UNMAPPED, iov_len: P },
      { iov_base: addr, iov_len: P },
    ];
    const orig = iov_iter_init(w, READ, iov, 2, 2 * P);
    const r = netfs_extract_user_iter(w, orig, 2 * P, 0);
    expect(r.ret).toBe(-EFAULT);
    expect(r.iter).toBeNull();
    expect(r.bvec).toEqual([]);
    expect(w.vmstat).toEqual({ nr_foll_pin_acquired: 0, nr_foll_pin_released: 0 });
    expect(w.events).toEqual([]);
  });

  it("a failure after some pages were extracted gives a short BVEC over those pages", () => {
    const { w, addr, pages } = user_setup(2);
    const iov: iovec[] = [
      { iov_base: addr + 0x100, iov_len: P },
      { iov_base: UNMAPPED, iov_len: P },
    ];
    const orig = iov_iter_init(w, READ, iov, 2, 2 * P);
    const r = netfs_extract_user_iter(w, orig, 2 * P, 0);
    expect(r.ret).toBe(2);
    expect(r.iter!.count).toBe(P);
    expect(r.bvec.map((b) => b.bv_page)).toEqual(pages);
    expect(refs(w, pages)).toEqual([pinned, pinned]);
  });
});

const sg_table_with = (entries: scatterlist[]): sg_table => ({
  sgl: entries.map((e) => ({ ...e })),
  nents: entries.length,
  orig_nents: entries.length,
});
const PRE: scatterlist = { page: 4242, offset: 0x10, length: 0x20 };

describe("extract_iter_to_sg", () => {
  it("UBUF: one entry per page (min(PAGE_SIZE - off, remaining)), each pinned; nents grows, orig_nents not", () => {
    const { w, addr, pages } = user_setup(3);
    const iter = iov_iter_ubuf(w, READ, addr + 0x300, 2 * P);
    const sgt = sg_table_with([PRE]);
    expect(extract_iter_to_sg(w, iter, 2 * P, sgt, 8, 0)).toBe(2 * P);
    expect(sgt.sgl).toEqual([
      PRE,
      { page: pages[0], offset: 0x300, length: P - 0x300 },
      { page: pages[1], offset: 0, length: P },
      { page: pages[2], offset: 0, length: 0x300 },
    ]);
    expect(sgt.nents).toBe(4);
    expect(sgt.orig_nents).toBe(1);
    expect(iter.count).toBe(0);
    expect(refs(w, pages)).toEqual([pinned, pinned, pinned]);
  });

  it("IOVEC whose second segment is unmapped: entries added by the call are unpinned and nents rolled back", () => {
    const { w, addr, pages } = user_setup(2);
    const iov: iovec[] = [
      { iov_base: addr + 0x800, iov_len: P }, // pages 0-1: pinned by the first extraction call
      { iov_base: UNMAPPED, iov_len: P }, // the second call fails with -EFAULT
    ];
    const iter = iov_iter_init(w, WRITE, iov, 2, 2 * P);
    const sgt = sg_table_with([PRE]);
    expect(extract_iter_to_sg(w, iter, 2 * P, sgt, 8, 0)).toBe(-EFAULT);
    expect(sgt.nents).toBe(1);
    expect(sgt.orig_nents).toBe(1);
    expect(sgt.sgl[0]).toEqual(PRE);
    expect(refs(w, pages)).toEqual([1, 1]);
    expect(w.vmstat).toEqual({ nr_foll_pin_acquired: 2, nr_foll_pin_released: 2 });
    // The kernel does not revert the iterator: the first segment stays consumed.
    expect(iter.count).toBe(P);
    expect(w.events).toEqual([]);
  });

  it("BVEC: one entry per bvec, offset bv_offset + skip, no references or pins", () => {
    const w = boot();
    const big = alloc_pages(w.mem, 2);
    const q = alloc_pages(w.mem, 0);
    const r = alloc_pages(w.mem, 0);
    const bvec = [bvec_set_page(big, 0x3000, 0x400), bvec_set_page(q, 0x200, 0x100), bvec_set_page(r, P, 0)];
    const iter = iov_iter_bvec(w, READ, bvec, 3, 0x3000 + 0x200 + P);
    iov_iter_advance(iter, 0x1800);
    const sgt = sg_table_with([]);
    expect(extract_iter_to_sg(w, iter, 0x1800 + 0x200 + 0x800, sgt, 8, 0)).toBe(0x2200);
    expect(sgt.sgl).toEqual([
      // The entry keeps the bvec's first page; the offset may reach beyond it.
      { page: big, offset: 0x1c00, length: 0x1800 },
      { page: q, offset: 0x100, length: 0x200 },
      { page: r, offset: 0, length: 0x800 },
    ]);
    expect(sgt.nents).toBe(3);
    expect([iter.seg, iter.iov_offset, iter.count]).toEqual([2, 0x800, 0x800]);
    expect(refs(w, [big, q, r])).toEqual([1, 1, 1]);
  });

  it("KVEC over a multi-page vmalloc buffer: one entry per page, each only this page's part", () => {
    // Mainline 07b7d66e65d9 ("lib/scatterlist: fix length calculations in
    // extract_kvec_to_sg", 2026): before it, every entry was given the length of the whole
    // rest of the segment.
    const w = boot();
    const buf = vmalloc(w, 3 * P);
    const vpages = [0, 1, 2].map((k) => vmalloc_to_page(w, buf + k * P));
    const small = kmalloc(w, 64);
    const kv = [
      { iov_base: buf + 0x100, iov_len: 3 * P - 0x200 },
      { iov_base: small, iov_len: 64 },
    ];
    const iter = iov_iter_kvec(w, WRITE, kv, 2, 3 * P - 0x200 + 64);
    const sgt = sg_table_with([]);
    expect(extract_iter_to_sg(w, iter, iter.count, sgt, 8, 0)).toBe(3 * P - 0x200 + 64);
    expect(sgt.sgl).toEqual([
      { page: vpages[0], offset: 0x100, length: P - 0x100 },
      { page: vpages[1], offset: 0, length: P },
      { page: vpages[2], offset: 0, length: P - 0x100 },
      { page: virt_to_page(small), offset: small % P, length: 64 },
    ]);
    expect(iter.count).toBe(0);
    expect(refs(w, vpages)).toEqual([1, 1, 1]);
  });

  it("KVEC running out of sg entries inside a segment counts only what the entries describe", () => {
    const w = boot();
    const buf = vmalloc(w, 3 * P);
    const kv = [{ iov_base: buf + 0x100, iov_len: 3 * P - 0x200 }];
    const iter = iov_iter_kvec(w, READ, kv, 1, 3 * P - 0x200);
    const sgt = sg_table_with([]);
    expect(extract_iter_to_sg(w, iter, iter.count, sgt, 2, 0)).toBe(2 * P - 0x100);
    expect(sgt.sgl.map((e) => e.length)).toEqual([P - 0x100, P]);
    expect(iter.iov_offset).toBe(2 * P - 0x100);
    expect(iter.count).toBe(P - 0x100);
  });

  it("FOLIOQ: one entry per folio piece, page = the folio's first page, offset inside the folio", () => {
    const w = boot();
    const f1 = alloc_pages(w.mem, 2);
    const f2 = alloc_pages(w.mem, 0);
    const q = folioq_from([{ folio: f1, order: 2 }, { folio: f2, order: 0 }]);
    const iter = iov_iter_folio_queue(w, READ, q, 0, 0, 5 * P)!;
    iov_iter_advance(iter, 0x1100);
    const sgt = sg_table_with([]);
    expect(extract_iter_to_sg(w, iter, iter.count, sgt, 8, 0)).toBe(5 * P - 0x1100);
    expect(sgt.sgl).toEqual([
      { page: f1, offset: 0x1100, length: 4 * P - 0x1100 },
      { page: f2, offset: 0, length: P },
    ]);
    expect(iter.count).toBe(0);
    expect(refs(w, [f1, f2])).toEqual([1, 1]);
  });

  it("XARRAY: one entry per folio", () => {
    const w = boot();
    const f1 = alloc_pages(w.mem, 2);
    const f2 = alloc_pages(w.mem, 0);
    const xa = xa_init();
    xa_store(xa, 0, { folio: f1, order: 2 });
    xa_store(xa, 4, { folio: f2, order: 0 });
    const iter = iov_iter_xarray(w, READ, xa, P, 3 * P + 0x800)!;
    const sgt = sg_table_with([]);
    expect(extract_iter_to_sg(w, iter, iter.count, sgt, 8, 0)).toBe(3 * P + 0x800);
    expect(sgt.sgl).toEqual([
      { page: f1, offset: P, length: 3 * P },
      { page: f2, offset: 0, length: 0x800 },
    ]);
    expect([iter.iov_offset, iter.count]).toEqual([3 * P + 0x800, 0]);
    expect(refs(w, [f1, f2])).toEqual([1, 1]);
  });

  it("XARRAY from an unaligned start: every folio's offset is taken from the same start position", () => {
    // extract_xarray_to_sg() computes offset_in_folio(folio, start) with start never advanced,
    // so the second folio's entry starts at start's offset within it rather than at 0.
    const w = boot();
    const f1 = alloc_pages(w.mem, 2);
    const f2 = alloc_pages(w.mem, 0);
    const xa = xa_init();
    xa_store(xa, 0, { folio: f1, order: 2 });
    xa_store(xa, 4, { folio: f2, order: 0 });
    const iter = iov_iter_xarray(w, READ, xa, 0x1100, 4 * P - 0x1100 + 0x800)!;
    const sgt = sg_table_with([]);
    expect(extract_iter_to_sg(w, iter, iter.count, sgt, 8, 0)).toBe(4 * P - 0x1100 + 0x800);
    expect(sgt.sgl).toEqual([
      { page: f1, offset: 0x1100, length: 4 * P - 0x1100 },
      { page: f2, offset: 0x100, length: 0x800 },
    ]);
  });

  it("DISCARD: WARN_ON_ONCE and -EIO; maxsize 0 or sg_max 0: 0 with nothing added", () => {
    const w = boot();
    const sgt = sg_table_with([PRE]);
    const discard = iov_iter_discard(w, READ, P)!;
    expect(extract_iter_to_sg(w, discard, P, sgt, 8, 0)).toBe(-EIO);
    expect(w.events).toEqual([{ kind: "WARN_ON_ONCE", fn: "extract_iter_to_sg", what: expect.any(String) }]);
    w.events.length = 0;
    const page = alloc_pages(w.mem, 0);
    const bvec_iter = (): iov_iter => iov_iter_bvec(w, READ, [bvec_set_page(page, P, 0)], 1, P);
    let iter = bvec_iter();
    expect(extract_iter_to_sg(w, iter, 0, sgt, 8, 0)).toBe(0);
    expect(iter.count).toBe(P);
    // 07b7d66e65d9: no room for an entry returns at once.
    iter = bvec_iter();
    expect(extract_iter_to_sg(w, iter, P, sgt, 0, 0)).toBe(0);
    expect(iter.count).toBe(P);
    expect(sgt).toEqual(sg_table_with([PRE]));
    expect(w.events).toEqual([]);
    // A user iterator over an unmapped address: the pin fails, -EFAULT, nothing added.
    const id = mm_alloc(w);
    w.current = id;
    expect(extract_iter_to_sg(w, iov_iter_ubuf(w, READ, UNMAPPED, P), P, sgt, 8, 0)).toBe(-EFAULT);
    expect(sgt.nents).toBe(1);
  });
});
