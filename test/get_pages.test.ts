// The legacy page getters iov_iter_get_pages2() / iov_iter_get_pages_alloc2() (lib/iov_iter.c),
// set against iov_iter_extract_pages() on the same iterator shapes, and the GUP entry points
// underneath them (mm/gup.c): pin_user_pages_fast(), get_user_pages_fast(), unpin_user_page(s).
import { describe, expect, it } from "vitest";
import type { iov_iter, Mm, World } from "../src/kernel/index.js";
import {
  alloc_pages, boot, bvec_set_page, clone_world, EFAULT, EINVAL, EOVERFLOW, FOLL_DUMP, FOLL_FORCE, FOLL_GET, FOLL_LONGTERM,
  FOLL_NOFAULT, FOLL_PCI_P2PDMA, FOLL_PIN, FOLL_REMOTE, FOLL_TOUCH, FOLL_WRITE, folio_maybe_dma_pinned, folioq_from, follow_pte,
  get_user_pages_fast, GUP_PIN_COUNTING_BIAS, has_bug, iov_iter_bvec, iov_iter_discard, iov_iter_extract_pages,
  iov_iter_folio_queue, iov_iter_get_pages2, iov_iter_get_pages_alloc2, iov_iter_init, iov_iter_kvec, iov_iter_ubuf,
  iov_iter_xarray, kmalloc, mm_alloc, mm_flag, mmap_anon, MMF_HAS_PINNED, PAGE_SIZE, PG_anon,
  PG_anon_exclusive, PG_slab, pin_user_pages, pin_user_pages_fast, PROT_READ, PROT_WRITE, put_page, READ, try_grab_folio,
  unpin_user_page, unpin_user_pages, user_access, virt_to_page, vmalloc, WRITE, xa_init, xa_store, ZERO_PFN,
} from "../src/kernel/index.js";

const SENTINEL = -7;
const RW = PROT_READ | PROT_WRITE;

/** A process whose current mm has one anonymous mapping of npages; `written` pages are faulted in. */
function proc(npages: number, written: number[], prot = RW): { w: World; mm: Mm; addr: number } {
  const w = boot();
  const id = mm_alloc(w);
  w.current = id;
  const mm = w.mms[id];
  const addr = mmap_anon(w, mm, npages * PAGE_SIZE, prot);
  for (const k of written) {
    const bytes = new Uint8Array(PAGE_SIZE).fill(0x40 + k);
    expect(user_access(w, mm, addr + k * PAGE_SIZE, bytes, true)).toBe(0);
  }
  return { w, mm, addr };
}

const pfn_at = (mm: Mm, a: number): number => {
  const pte = follow_pte(mm, a);
  expect(pte, `no PTE at ${a.toString(16)}`).toBeDefined();
  return pte!.pfn;
};

const pagelist = (n = 8): number[] => new Array<number>(n).fill(SENTINEL);
const snapshot = (w: World) => ({
  refcount: w.mem.refcount.slice(),
  pincount: w.mem.pincount.slice(),
  vmstat: { ...w.vmstat },
  nevents: w.events.length,
});
const iter_state = (i: iov_iter) => ({ count: i.count, iov_offset: i.iov_offset, seg: i.seg, nr_segs: i.nr_segs, folioq_slot: i.folioq_slot, folioq: i.folioq });

/** Refcounts equal the snapshot except where `plus` says (frame -> extra references). */
function expect_refs(w: World, base: Int32Array, plus: Record<number, number>): void {
  const want = base.slice();
  for (const [f, n] of Object.entries(plus)) want[Number(f)] += n;
  for (let f = 0; f < Math.max(want.length, w.mem.refcount.length); f++)
    expect(w.mem.refcount[f] ?? 0, `refcount of frame ${f}`).toBe(want[f] ?? 0);
}

describe("iov_iter_get_pages2: user-backed iterators take FOLL_GET references", () => {
  it("ITER_IOVEC ITER_DEST: first non-empty segment only, +1 per page, not pinned; advances; put_page restores", () => {
    const { w, mm, addr } = proc(16, [0, 1, 2, 3, 4, 5, 6, 7]);
    const before = snapshot(w);
    const iov = [
      { iov_base: addr + 0x100, iov_len: 0 },
      { iov_base: addr + 0x123, iov_len: 3 * PAGE_SIZE },
      { iov_base: addr + 10 * PAGE_SIZE, iov_len: PAGE_SIZE },
    ];
    const iter = iov_iter_init(w, READ, iov, 3, 4 * PAGE_SIZE);
    const pages = pagelist();
    const r = iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8);
    expect(r.ret).toBe(3 * PAGE_SIZE);
    expect(r.offset0).toBe(0x123);
    const want = [0, 1, 2, 3].map((k) => pfn_at(mm, addr + k * PAGE_SIZE));
    expect(pages).toEqual([...want, SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
    expect_refs(w, before.refcount, Object.fromEntries(want.map((p) => [p, 1])));
    for (const p of want) expect(folio_maybe_dma_pinned(w, p)).toBe(false);
    expect(w.vmstat).toEqual(before.vmstat);
    expect(mm_flag(mm, MMF_HAS_PINNED)).toBe(false);
    // Advanced over the empty and the first segment exactly.
    expect(iter_state(iter)).toMatchObject({ count: PAGE_SIZE, iov_offset: 0, seg: 2, nr_segs: 1 });

    // The next call reaches the untouched page 10: FOLL_WRITE faults in a writable exclusive page.
    expect(follow_pte(mm, addr + 10 * PAGE_SIZE)).toBeUndefined();
    const pages2 = pagelist();
    const r2 = iov_iter_get_pages2(w, iter, pages2, 100 * 1024, 8);
    expect(r2.ret).toBe(PAGE_SIZE);
    expect(r2.offset0).toBe(0);
    const pte = follow_pte(mm, addr + 10 * PAGE_SIZE)!;
    expect(pte.pfn).not.toBe(ZERO_PFN);
    expect(pte.write).toBe(true);
    expect(w.mem.flags[pte.pfn] & (PG_anon | PG_anon_exclusive)).toBe(PG_anon | PG_anon_exclusive);
    expect(pages2[0]).toBe(pte.pfn);
    expect(w.mem.refcount[pte.pfn]).toBe(2); // the mapping + our reference
    expect(iter.count).toBe(0);

    for (const p of want) put_page(w, p);
    put_page(w, pages2[0]);
    expect_refs(w, before.refcount, { [pte.pfn]: 1 }); // only the new page's mapping reference remains
    expect(w.vmstat).toEqual(before.vmstat);
    expect(w.events).toEqual([]);
  });

  it("ITER_UBUF ITER_SOURCE: no FOLL_WRITE, an untouched page is a reference on the zero page", () => {
    const { w, mm, addr } = proc(4, [0]);
    const before = snapshot(w);
    const iter = iov_iter_ubuf(w, WRITE, addr + 0x10, 3 * PAGE_SIZE - 0x10);
    const pages = pagelist();
    const r = iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8);
    expect(r.ret).toBe(3 * PAGE_SIZE - 0x10);
    expect(r.offset0).toBe(0x10);
    const p0 = pfn_at(mm, addr);
    expect(pages.slice(0, 4)).toEqual([p0, ZERO_PFN, ZERO_PFN, SENTINEL]);
    for (const k of [1, 2]) expect(follow_pte(mm, addr + k * PAGE_SIZE)).toEqual({ pfn: ZERO_PFN, write: false, dirty: false });
    expect_refs(w, before.refcount, { [p0]: 1, [ZERO_PFN]: 2 });
    expect(folio_maybe_dma_pinned(w, p0)).toBe(false);
    expect(w.vmstat).toEqual(before.vmstat);
    expect(iter.iov_offset).toBe(r.ret);
    expect(iter.count).toBe(0);
    for (const p of pages.slice(0, 3)) put_page(w, p);
    expect_refs(w, before.refcount, {});
    expect(w.events).toEqual([]);
  });

  it("maxpages clips the result and the iterator advances only over what the pages cover", () => {
    const { w, mm, addr } = proc(8, [0, 1, 2, 3, 4, 5]);
    const iter = iov_iter_ubuf(w, READ, addr + 0x300, 5 * PAGE_SIZE);
    const pages = pagelist();
    const r = iov_iter_get_pages2(w, iter, pages, 100 * 1024, 2);
    expect(r.ret).toBe(2 * PAGE_SIZE - 0x300);
    expect(pages).toEqual([pfn_at(mm, addr), pfn_at(mm, addr + PAGE_SIZE), ...new Array(6).fill(SENTINEL)]);
    expect(iter.iov_offset).toBe(2 * PAGE_SIZE - 0x300);
    expect(iter.count).toBe(5 * PAGE_SIZE - r.ret);
    // maxsize clips too.
    const r2 = iov_iter_get_pages2(w, iter, pagelist(), 100, 8);
    expect(r2.ret).toBe(100);
    expect(r2.offset0).toBe(0);
    expect(iter.count).toBe(5 * PAGE_SIZE - r.ret - 100);
  });

  it("a nofault iterator over an untouched page gets -EFAULT and takes nothing", () => {
    const { w, mm, addr } = proc(2, []);
    const before = snapshot(w);
    const iter = iov_iter_ubuf(w, READ, addr, PAGE_SIZE);
    iter.nofault = true;
    const pages = pagelist();
    expect(iov_iter_get_pages2(w, iter, pages, PAGE_SIZE, 8).ret).toBe(-EFAULT);
    expect(pages).toEqual(pagelist());
    expect(follow_pte(mm, addr)).toBeUndefined();
    expect(iter.count).toBe(PAGE_SIZE);
    expect_refs(w, before.refcount, {});
  });

  it("iov_iter_get_pages_alloc2 allocates exactly the pages needed", () => {
    const { w, mm, addr } = proc(8, [0, 1, 2, 3]);
    const iter = iov_iter_ubuf(w, READ, addr + 0xf00, 2 * PAGE_SIZE);
    const r = iov_iter_get_pages_alloc2(w, iter, 100 * 1024);
    expect(r.ret).toBe(2 * PAGE_SIZE);
    expect(r.offset0).toBe(0xf00);
    expect(r.pages).toEqual([0, 1, 2].map((k) => pfn_at(mm, addr + k * PAGE_SIZE)));
    for (const p of r.pages!) expect(w.mem.refcount[p]).toBe(2);
  });
});

describe("iov_iter_get_pages2: kernel iterators", () => {
  it("ITER_BVEC over two separately allocated order-1 folios: each page's own folio gets the reference", () => {
    // "lib/iov_iter: fix to increase non slab folio refcount": before it, every page's
    // reference went to the first page's folio.
    const w = boot();
    const a = alloc_pages(w.mem, 1);
    const b = alloc_pages(w.mem, 1);
    expect(b).toBe(a + 2); // physically consecutive, so one bvec can span both
    const before = snapshot(w);
    const len = 4 * PAGE_SIZE - 0x200;
    const iter = iov_iter_bvec(w, WRITE, [bvec_set_page(a, len, 0x100)], 1, len);
    const pages = pagelist();
    const r = iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8);
    expect(r.ret).toBe(len);
    expect(r.offset0).toBe(0x100);
    expect(pages.slice(0, 5)).toEqual([a, a + 1, b, b + 1, SENTINEL]);
    expect_refs(w, before.refcount, { [a]: 2, [b]: 2 }); // heads only; tail counts untouched
    expect(folio_maybe_dma_pinned(w, a)).toBe(false);
    expect(iter_state(iter)).toMatchObject({ count: 0, iov_offset: 0, seg: 1, nr_segs: 0 });
    for (const p of pages.slice(0, 4)) put_page(w, p);
    expect_refs(w, before.refcount, {});
    expect(w.events).toEqual([]);
  });

  it("ITER_BVEC inside an order-2 folio: references on the head; only the first bvec is used", () => {
    const w = boot();
    const f = alloc_pages(w.mem, 2);
    const g = alloc_pages(w.mem, 0);
    const before = snapshot(w);
    // bv_offset past the first page: first_bvec_segment() starts at page f+1, offset 0x80.
    const bvec = [bvec_set_page(f, 2 * PAGE_SIZE, PAGE_SIZE + 0x80), bvec_set_page(g, 0x200, 0)];
    const iter = iov_iter_bvec(w, READ, bvec, 2, 2 * PAGE_SIZE + 0x200);
    const pages = pagelist();
    const r = iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8);
    expect(r.ret).toBe(2 * PAGE_SIZE);
    expect(r.offset0).toBe(0x80);
    expect(pages.slice(0, 4)).toEqual([f + 1, f + 2, f + 3, SENTINEL]);
    expect_refs(w, before.refcount, { [f]: 3 });
    expect(iter_state(iter)).toMatchObject({ count: 0x200, iov_offset: 0, seg: 1, nr_segs: 1 });
    const r2 = iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8);
    expect(r2.ret).toBe(0x200);
    expect(pages[0]).toBe(g);
    expect_refs(w, before.refcount, { [f]: 3, [g]: 1 });
  });

  it("ITER_BVEC over kmalloc'd (slab) memory takes no reference at all", () => {
    const w = boot();
    const small = kmalloc(w, 512);
    const big = kmalloc(w, 5000); // an order-1 slab
    const sp = virt_to_page(small);
    const bp = virt_to_page(big);
    expect(w.mem.flags[sp] & PG_slab).toBe(PG_slab);
    expect(w.mem.flags[bp] & PG_slab).toBe(PG_slab);
    expect(w.mem.order[bp]).toBe(1);
    const before = snapshot(w);
    const bvec = [bvec_set_page(sp, 512, small % PAGE_SIZE), bvec_set_page(bp, 5000, big % PAGE_SIZE)];
    const iter = iov_iter_bvec(w, WRITE, bvec, 2, 5512);
    const p1 = pagelist();
    expect(iov_iter_get_pages2(w, iter, p1, 100 * 1024, 8).ret).toBe(512);
    expect(p1[0]).toBe(sp);
    const p2 = pagelist();
    expect(iov_iter_get_pages2(w, iter, p2, 100 * 1024, 8).ret).toBe(5000);
    expect(p2.slice(0, 3)).toEqual([bp, bp + 1, SENTINEL]);
    expect_refs(w, before.refcount, {});
    put_page(w, sp);
    put_page(w, bp);
    put_page(w, bp + 1);
    expect_refs(w, before.refcount, {});
    expect(w.events).toEqual([]); // no get_page() on a slab page: no warning either
  });

  it("ITER_FOLIOQ: get_page per page listed, on each page's folio", () => {
    const w = boot();
    const f = alloc_pages(w.mem, 2);
    const g = alloc_pages(w.mem, 0);
    const before = snapshot(w);
    const q = folioq_from([{ folio: f, order: 2 }, { folio: g, order: 0 }]);
    const count = 5 * PAGE_SIZE - 0x800;
    const iter = iov_iter_folio_queue(w, READ, q, 0, 0x800, count)!;
    const pages = pagelist();
    const r = iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8);
    expect(r.ret).toBe(count);
    expect(r.offset0).toBe(0x800);
    expect(pages.slice(0, 6)).toEqual([f, f + 1, f + 2, f + 3, g, SENTINEL]);
    expect_refs(w, before.refcount, { [f]: 4, [g]: 1 });
    expect(iter_state(iter)).toMatchObject({ count: 0, folioq_slot: 1, iov_offset: PAGE_SIZE });
    for (const p of pages.slice(0, 5)) put_page(w, p);
    expect_refs(w, before.refcount, {});

    const it2 = iov_iter_folio_queue(w, READ, q, 0, 0x800, count)!;
    const r2 = iov_iter_get_pages2(w, it2, pagelist(), 100 * 1024, 2);
    expect(r2.ret).toBe(2 * PAGE_SIZE - 0x800);
    expect(iter_state(it2)).toMatchObject({ count: count - r2.ret, folioq_slot: 0, iov_offset: 2 * PAGE_SIZE });
    expect_refs(w, before.refcount, { [f]: 2 });
    expect(w.events).toEqual([]);
  });

  it("ITER_XARRAY: folio_get per page, stopping at a hole; a hole first returns 0", () => {
    const w = boot();
    const f = alloc_pages(w.mem, 2);
    const g = alloc_pages(w.mem, 0);
    const h = alloc_pages(w.mem, 0);
    const xa = xa_init();
    xa_store(xa, 0, { folio: f, order: 2 }); // indices 0..3
    xa_store(xa, 4, { folio: g, order: 0 });
    xa_store(xa, 6, { folio: h, order: 0 }); // index 5 is a hole
    const before = snapshot(w);
    const iter = iov_iter_xarray(w, WRITE, xa, 0x100, 7 * PAGE_SIZE)!;
    const pages = pagelist();
    const r = iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8);
    expect(r.ret).toBe(5 * PAGE_SIZE - 0x100);
    expect(r.offset0).toBe(0x100);
    expect(pages.slice(0, 6)).toEqual([f, f + 1, f + 2, f + 3, g, SENTINEL]);
    expect_refs(w, before.refcount, { [f]: 4, [g]: 1 });
    expect(iter.iov_offset).toBe(r.ret);
    expect(iter.count).toBe(7 * PAGE_SIZE - r.ret);

    // Now at index 5, the hole: nothing, and the iterator stays put.
    const st = iter_state(iter);
    const p2 = pagelist();
    expect(iov_iter_get_pages2(w, iter, p2, 100 * 1024, 8).ret).toBe(0);
    expect(p2).toEqual(pagelist());
    expect(iter_state(iter)).toEqual(st);
    expect(iov_iter_get_pages_alloc2(w, iter, 100 * 1024).pages).toBeNull();
    expect_refs(w, before.refcount, { [f]: 4, [g]: 1 });

    for (const p of pages.slice(0, 5)) put_page(w, p);
    expect_refs(w, before.refcount, {});
    expect(w.events).toEqual([]);
  });

  it("ITER_KVEC and ITER_DISCARD are -EFAULT and touch nothing", () => {
    const w = boot();
    const buf = vmalloc(w, 2 * PAGE_SIZE);
    const before = snapshot(w);
    const kv = iov_iter_kvec(w, READ, [{ iov_base: buf, iov_len: 2 * PAGE_SIZE }], 1, 2 * PAGE_SIZE);
    const ds = iov_iter_discard(w, READ, 2 * PAGE_SIZE)!;
    for (const iter of [kv, ds]) {
      const st = iter_state(iter);
      const pages = pagelist();
      expect(iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8).ret).toBe(-EFAULT);
      expect(pages).toEqual(pagelist());
      expect(iter_state(iter)).toEqual(st);
      const r = iov_iter_get_pages_alloc2(w, iter, 100 * 1024);
      expect(r.ret).toBe(-EFAULT);
      expect(r.pages).toBeNull();
    }
    expect_refs(w, before.refcount, {});
    expect(w.events).toEqual([]);
  });
});

describe("iov_iter_get_pages2 / _alloc2 argument handling", () => {
  it("maxpages 0 returns 0 and does nothing", () => {
    const { w, addr } = proc(2, [0]);
    const before = snapshot(w);
    const iter = iov_iter_ubuf(w, READ, addr, PAGE_SIZE);
    const pages = pagelist();
    expect(iov_iter_get_pages2(w, iter, pages, PAGE_SIZE, 0).ret).toBe(0);
    expect(pages).toEqual(pagelist());
    expect(iter.count).toBe(PAGE_SIZE);
    expect_refs(w, before.refcount, {});
    expect(w.events).toEqual([]);
  });

  it("a null page array is BUG_ON(!pages): a BUG event and nothing else", () => {
    const { w, addr } = proc(2, [0]);
    const before = snapshot(w);
    const iter = iov_iter_ubuf(w, READ, addr, PAGE_SIZE);
    const st = iter_state(iter);
    iov_iter_get_pages2(w, iter, null, PAGE_SIZE, 8);
    expect(w.events).toEqual([expect.objectContaining({ kind: "BUG", fn: "iov_iter_get_pages2" })]);
    expect(iter_state(iter)).toEqual(st);
    expect_refs(w, before.refcount, {});
    expect(w.vmstat).toEqual(before.vmstat);
  });

  it("get_pages_alloc2 hands back no array when the result is <= 0", () => {
    const { w, addr } = proc(2, [0]);
    const empty = iov_iter_ubuf(w, READ, addr, 0);
    expect(iov_iter_get_pages_alloc2(w, empty, PAGE_SIZE)).toMatchObject({ ret: 0, pages: null });
    const unmapped = iov_iter_ubuf(w, READ, addr + 2 * PAGE_SIZE, PAGE_SIZE); // the gap after the VMA
    expect(iov_iter_get_pages_alloc2(w, unmapped, PAGE_SIZE)).toMatchObject({ ret: -EFAULT, pages: null });
    expect(unmapped.count).toBe(PAGE_SIZE);
  });
});

describe("get_pages2 vs extract_pages on the same iterator shapes", () => {
  interface Shape {
    name: string;
    user: boolean;
    make: (w: World, s: Fixture) => iov_iter;
  }
  interface Fixture {
    addr: number;
    f: number;
    g: number;
    vbuf: number;
  }
  function fixture(): { w: World; s: Fixture } {
    const { w, addr } = proc(8, [0, 1, 2, 3, 4, 5, 6, 7]);
    const f = alloc_pages(w.mem, 2);
    const g = alloc_pages(w.mem, 0);
    const vbuf = vmalloc(w, 2 * PAGE_SIZE);
    return { w, s: { addr, f, g, vbuf } };
  }
  const shapes: Shape[] = [
    { name: "ITER_UBUF dest", user: true, make: (w, s) => iov_iter_ubuf(w, READ, s.addr + 0x40, 3 * PAGE_SIZE) },
    {
      name: "ITER_IOVEC source", user: true,
      make: (w, s) => iov_iter_init(w, WRITE, [{ iov_base: s.addr + 0x1800, iov_len: 2 * PAGE_SIZE }, { iov_base: s.addr + 6 * PAGE_SIZE, iov_len: 10 }], 2, 2 * PAGE_SIZE + 10),
    },
    // bv_offset 0: with an in-page offset the two disagree by design (the extractor sizes its
    // array from the offset into the bvec, get_pages2 from the offset into the page).
    { name: "ITER_BVEC", user: false, make: (w, s) => iov_iter_bvec(w, READ, [bvec_set_page(s.f, 3 * PAGE_SIZE, 0)], 1, 3 * PAGE_SIZE) },
    {
      name: "ITER_FOLIOQ", user: false,
      make: (w, s) => iov_iter_folio_queue(w, WRITE, folioq_from([{ folio: s.f, order: 2 }, { folio: s.g, order: 0 }]), 0, 0x10, 4 * PAGE_SIZE)!,
    },
    {
      name: "ITER_XARRAY", user: false,
      make: (w, s) => {
        const xa = xa_init();
        xa_store(xa, 8, { folio: s.f, order: 2 });
        xa_store(xa, 12, { folio: s.g, order: 0 });
        return iov_iter_xarray(w, READ, xa, 8 * PAGE_SIZE + 0x30, 4 * PAGE_SIZE)!;
      },
    },
    { name: "ITER_KVEC", user: false, make: (w, s) => iov_iter_kvec(w, READ, [{ iov_base: s.vbuf + 8, iov_len: PAGE_SIZE }], 1, PAGE_SIZE) },
  ];

  it.each(shapes)("$name", ({ user, make, name }) => {
    const { w: w1, s } = fixture();
    const w2 = clone_world(w1);
    const get_iter = make(w1, s);
    const ext_iter = make(w2, s);
    const base = w1.mem.refcount.slice();
    expect(w2.mem.refcount).toEqual(base);

    const got = iov_iter_get_pages2(w1, get_iter, pagelist(), 100 * 1024, 8);
    const ext = iov_iter_extract_pages(w2, ext_iter, pagelist(), 100 * 1024, 8, 0);

    if (name === "ITER_KVEC") {
      expect(got.ret).toBe(-EFAULT);
      expect(ext.ret).toBe(PAGE_SIZE); // extraction lists KVEC pages (bare pointers)
      expect(ext.pages!.slice(0, 2)).toEqual([0, 1].map((k) => w2.kvm.areas[0].pages[k]));
      expect(w2.mem.refcount).toEqual(base);
      return;
    }
    // Same pages, same length, same offset, same advance.
    expect(got.ret).toBeGreaterThan(0);
    expect(ext.ret).toBe(got.ret);
    expect(ext.offset0).toBe(got.offset0);
    expect(ext.pages).toEqual(got.pages);
    expect(iter_state(ext_iter)).toEqual(iter_state(get_iter));
    const n = Math.ceil((got.offset0! + got.ret) / PAGE_SIZE);
    const listed = got.pages!.slice(0, n);
    const heads = listed.map((p) => w1.mem.head[p]);

    // get_pages2: one plain reference per page listed, on its folio; never a pin.
    const plus1: Record<number, number> = {};
    for (const h of heads) plus1[h] = (plus1[h] ?? 0) + 1;
    expect_refs(w1, base, plus1);
    for (const h of heads) expect(folio_maybe_dma_pinned(w1, h)).toBe(false);
    expect(w1.vmstat.nr_foll_pin_acquired).toBe(0);

    if (user) {
      // extract_pages: a pin per page for user memory.
      const pins: Record<number, number> = {};
      for (const h of heads) pins[h] = (pins[h] ?? 0) + GUP_PIN_COUNTING_BIAS;
      expect_refs(w2, base, pins);
      for (const h of heads) expect(folio_maybe_dma_pinned(w2, h)).toBe(true);
      expect(w2.vmstat.nr_foll_pin_acquired).toBe(n);
      expect(mm_flag(w2.mms[w2.current], MMF_HAS_PINNED)).toBe(true);
      expect(mm_flag(w1.mms[w1.current], MMF_HAS_PINNED)).toBe(false);
      unpin_user_pages(w2, ext.pages!, n);
    } else {
      // extract_pages: nothing at all for kernel memory.
      expect(w2.mem.refcount).toEqual(base);
      expect(w2.vmstat.nr_foll_pin_acquired).toBe(0);
    }
    for (const p of listed) put_page(w1, p);
    expect(w1.mem.refcount).toEqual(base);
    expect(w2.mem.refcount).toEqual(base);
    expect(w1.events).toEqual([]);
    expect(w2.events).toEqual([]);
  });
});

describe("GUP entry points", () => {
  type Gup = typeof pin_user_pages_fast;
  const bad: [string, Gup, number, boolean][] = [
    ["pin_user_pages_fast(FOLL_GET): FOLL_GET and FOLL_PIN together", pin_user_pages_fast, FOLL_GET, true],
    ["pin_user_pages_fast(FOLL_GET|FOLL_PIN): FOLL_PIN is internal", pin_user_pages_fast, FOLL_GET | FOLL_PIN, true],
    ["get_user_pages_fast(FOLL_PIN): FOLL_PIN is internal", get_user_pages_fast, FOLL_PIN, true],
    ["get_user_pages_fast(FOLL_LONGTERM) without FOLL_PIN", get_user_pages_fast, FOLL_LONGTERM, true],
    ["get_user_pages_fast(FOLL_TOUCH): internal flag", get_user_pages_fast, FOLL_TOUCH, true],
    ["pin_user_pages_fast(FOLL_TOUCH): internal flag", pin_user_pages_fast, FOLL_TOUCH | FOLL_WRITE, true],
    ["pin_user_pages_fast(FOLL_REMOTE): internal flag", pin_user_pages_fast, FOLL_REMOTE, true],
    ["get_user_pages_fast(FOLL_DUMP): not a GUP-fast flag", get_user_pages_fast, FOLL_DUMP, true],
    ["pin_user_pages_fast(FOLL_LONGTERM|FOLL_PCI_P2PDMA): a P2PDMA pgmap must stay unpluggable", pin_user_pages_fast, FOLL_LONGTERM | FOLL_PCI_P2PDMA | FOLL_WRITE, true],
    ["pin_user_pages_fast(pages = NULL)", pin_user_pages_fast, FOLL_WRITE, false],
    ["get_user_pages_fast(pages = NULL)", get_user_pages_fast, 0, false],
  ];
  it.each(bad)("%s -> WARN and -EINVAL, nothing taken", (_name, gup, flags, with_pages) => {
    const { w, mm, addr } = proc(2, [0, 1]);
    const before = snapshot(w);
    const pages = with_pages ? pagelist() : null;
    expect(gup(w, addr, 2, flags, pages)).toBe(-EINVAL);
    expect(w.events.length).toBe(1);
    expect(w.events[0].kind).toMatch(/^WARN/);
    if (pages) expect(pages).toEqual(pagelist());
    expect_refs(w, before.refcount, {});
    expect(w.vmstat).toEqual(before.vmstat);
    expect(mm_flag(mm, MMF_HAS_PINNED)).toBe(false);
  });

  it("pin_user_pages_fast(FOLL_LONGTERM) is valid", () => {
    const { w, mm, addr } = proc(2, [0, 1]);
    const pages = pagelist();
    expect(pin_user_pages_fast(w, addr, 2, FOLL_LONGTERM | FOLL_WRITE, pages)).toBe(2);
    expect(pages.slice(0, 2)).toEqual([pfn_at(mm, addr), pfn_at(mm, addr + PAGE_SIZE)]);
    expect(w.events).toEqual([]);
    unpin_user_pages(w, pages, 2);
    expect(w.vmstat.nr_foll_pin_released).toBe(2);
  });

  it("a range running past the VMA end gets the pages before it; none at all is -EFAULT", () => {
    const { w, mm, addr } = proc(4, [0, 1, 2, 3]);
    for (const gup of [pin_user_pages_fast, get_user_pages_fast]) {
      const pages = pagelist();
      expect(gup(w, addr + 2 * PAGE_SIZE, 6, FOLL_WRITE, pages)).toBe(2);
      expect(pages).toEqual([pfn_at(mm, addr + 2 * PAGE_SIZE), pfn_at(mm, addr + 3 * PAGE_SIZE), ...new Array(6).fill(SENTINEL)]);
      if (gup === pin_user_pages_fast) unpin_user_pages(w, pages, 2);
      else for (const p of pages.slice(0, 2)) put_page(w, p);
      const none = pagelist();
      expect(gup(w, addr + 4 * PAGE_SIZE, 2, 0, none)).toBe(-EFAULT);
      expect(none).toEqual(pagelist());
    }
    for (let k = 0; k < 4; k++) expect(w.mem.refcount[pfn_at(mm, addr + k * PAGE_SIZE)]).toBe(1);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(2);
    expect(w.vmstat.nr_foll_pin_released).toBe(2);
    expect(w.events).toEqual([]);
  });

  it("MMF_HAS_PINNED is set by any FOLL_PIN call that gets past argument checks, even a failing one", () => {
    const { w, mm, addr } = proc(1, [0]);
    expect(get_user_pages_fast(w, addr, 1, 0, pagelist())).toBe(1);
    expect(mm_flag(mm, MMF_HAS_PINNED)).toBe(false);
    // __get_user_pages_locked() returns for nr_pages 0 before marking the mm.
    expect(pin_user_pages(w, addr, 0, 0, pagelist())).toBe(0);
    expect(mm_flag(mm, MMF_HAS_PINNED)).toBe(false);
    expect(pin_user_pages_fast(w, addr + 8 * PAGE_SIZE, 1, 0, pagelist())).toBe(-EFAULT);
    expect(mm_flag(mm, MMF_HAS_PINNED)).toBe(true);
  });

  it("FOLL_WRITE on a read-only VMA is -EFAULT; a read is fine", () => {
    const { w, addr } = proc(2, [], PROT_READ);
    expect(pin_user_pages_fast(w, addr, 1, FOLL_WRITE, pagelist())).toBe(-EFAULT);
    expect(get_user_pages_fast(w, addr, 1, FOLL_WRITE, pagelist())).toBe(-EFAULT);
    const pages = pagelist();
    expect(get_user_pages_fast(w, addr, 1, 0, pages)).toBe(1);
    expect(pages[0]).toBe(ZERO_PFN);
    expect(w.events).toEqual([]);
  });

  it("FOLL_LONGTERM|FOLL_PCI_P2PDMA through pin_user_pages(): WARN and 0 pages", () => {
    const { w, mm, addr } = proc(1, [0]);
    expect(pin_user_pages(w, addr, 1, FOLL_LONGTERM | FOLL_PCI_P2PDMA, pagelist())).toBe(0);
    expect(w.events.map((e) => e.kind)).toEqual(["WARN_ON_ONCE"]);
    expect(mm_flag(mm, MMF_HAS_PINNED)).toBe(false);
  });

  it("a PROT_WRITE-only VMA: the CPU may read it (x86 access_error()), GUP only with FOLL_FORCE", () => {
    const { w, mm, addr } = proc(1, [0], PROT_WRITE);
    const out = new Uint8Array(8);
    expect(user_access(w, mm, addr, out, false)).toBe(0);
    expect([...out]).toEqual(new Array(8).fill(0x40));
    expect(get_user_pages_fast(w, addr, 1, 0, pagelist())).toBe(-EFAULT);
    const pages = pagelist();
    expect(pin_user_pages(w, addr, 1, FOLL_FORCE, pages)).toBe(1);
    expect(pages[0]).toBe(pfn_at(mm, addr));
    expect(w.events).toEqual([]);
  });

  it("start is rounded down to its page (untagged_addr(start) & PAGE_MASK)", () => {
    const { w, mm, addr } = proc(2, [0, 1]);
    const pages = pagelist();
    expect(pin_user_pages_fast(w, addr + 0x123, 2, 0, pages)).toBe(2);
    expect(pages.slice(0, 2)).toEqual([pfn_at(mm, addr), pfn_at(mm, addr + PAGE_SIZE)]);
    unpin_user_pages(w, pages, 2);
  });

  it("nr_pages 0 is 0; a negative nr_pages is an overflowing length", () => {
    const { w, addr } = proc(1, [0]);
    const before = snapshot(w);
    expect(get_user_pages_fast(w, addr, 0, 0, pagelist())).toBe(0);
    expect(get_user_pages_fast(w, addr, -1, 0, pagelist())).toBe(-EOVERFLOW);
    expect(get_user_pages_fast(w, 0, -1, 0, pagelist())).toBe(-EFAULT);
    expect_refs(w, before.refcount, {});
  });

  it("FOLL_NOFAULT does not fault in a missing page", () => {
    const { w, mm, addr } = proc(1, []);
    expect(pin_user_pages_fast(w, addr, 1, FOLL_NOFAULT | FOLL_WRITE, pagelist())).toBe(-EFAULT);
    expect(follow_pte(mm, addr)).toBeUndefined();
    expect(w.vmstat.nr_foll_pin_acquired).toBe(0);
  });

  it("a R/O FOLL_LONGTERM pin of an untouched page unshares the zero page; a short-term one pins nothing", () => {
    const { w, mm, addr } = proc(2, []);
    const zero_ref = w.mem.refcount[ZERO_PFN];
    const short = pagelist();
    expect(pin_user_pages_fast(w, addr, 1, 0, short)).toBe(1);
    expect(short[0]).toBe(ZERO_PFN);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(0);
    unpin_user_pages(w, short, 1);

    const long = pagelist();
    expect(pin_user_pages_fast(w, addr + PAGE_SIZE, 1, FOLL_LONGTERM, long)).toBe(1);
    const pte = follow_pte(mm, addr + PAGE_SIZE)!;
    expect(pte.pfn).not.toBe(ZERO_PFN);
    expect(pte.write).toBe(false); // unsharing does not make the PTE writable
    expect(long[0]).toBe(pte.pfn);
    expect(w.mem.flags[pte.pfn] & (PG_anon | PG_anon_exclusive)).toBe(PG_anon | PG_anon_exclusive);
    expect(w.mem.refcount[pte.pfn]).toBe(1 + GUP_PIN_COUNTING_BIAS);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(1);
    expect(w.mem.refcount[ZERO_PFN]).toBe(zero_ref);
    unpin_user_page(w, long[0]);
    expect(w.mem.refcount[pte.pfn]).toBe(1);
    expect(w.events).toEqual([]);
  });

  it("unpin_user_page on the zero page is a no-op", () => {
    const w = boot();
    const before = snapshot(w);
    unpin_user_page(w, ZERO_PFN);
    unpin_user_pages(w, [ZERO_PFN, ZERO_PFN, ZERO_PFN], 3);
    expect_refs(w, before.refcount, {});
    expect(w.vmstat).toEqual(before.vmstat);
    expect(w.events).toEqual([]);
  });

  it("unpinning a FOLL_GET page (the H4 mirror bug) underflows the refcount: a BUG event, not an exception", () => {
    const { w, addr } = proc(1, [0]);
    const pages = pagelist();
    expect(get_user_pages_fast(w, addr, 1, FOLL_WRITE, pages)).toBe(1);
    expect(w.mem.refcount[pages[0]]).toBe(2);
    expect(() => unpin_user_page(w, pages[0])).not.toThrow();
    expect(has_bug(w)).toBe(true);
    expect(w.events).toEqual([expect.objectContaining({ kind: "BUG", fn: "unpin_user_page", what: expect.stringMatching(/underflow/) })]);
    // The page was not freed behind the mapping's back.
    expect(w.mem.head[pages[0]]).toBe(pages[0]);
  });

  it("large folios: pins go to _pincount, unpin_user_pages releases a folio's run in one batch", () => {
    const w = boot();
    const f = alloc_pages(w.mem, 2);
    const g = alloc_pages(w.mem, 0);
    expect(try_grab_folio(w, f, 3, FOLL_PIN)).toBe(0);
    expect(try_grab_folio(w, g, 1, FOLL_PIN)).toBe(0);
    expect(w.mem.refcount[f]).toBe(1 + 3); // large folio: +1 per pin, not the bias
    expect(w.mem.pincount[f]).toBe(3);
    expect(w.mem.refcount[g]).toBe(1 + GUP_PIN_COUNTING_BIAS);
    expect(folio_maybe_dma_pinned(w, f)).toBe(true);
    expect(folio_maybe_dma_pinned(w, g)).toBe(true);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(4);
    // FOLL_GET on a large folio: a reference, invisible to folio_maybe_dma_pinned once pins are gone.
    expect(try_grab_folio(w, f, 2, FOLL_GET)).toBe(0);
    expect(w.mem.pincount[f]).toBe(3);
    unpin_user_pages(w, [f + 1, f + 2, g, f + 3], 4);
    expect(w.mem.pincount[f]).toBe(0);
    expect(w.mem.refcount[f]).toBe(1 + 2);
    expect(w.mem.refcount[g]).toBe(1);
    expect(folio_maybe_dma_pinned(w, f)).toBe(false);
    expect(w.vmstat.nr_foll_pin_released).toBe(4);
    put_page(w, f + 1);
    put_page(w, f + 3); // a tail page's put goes to its folio
    expect(w.mem.refcount[f]).toBe(1);
    expect(w.events).toEqual([]);
  });
});
