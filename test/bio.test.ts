// block/bio.c: building bios from iterators (pins and flags per iterator type, BIO_CLONED,
// align-down trimming with its [obs] pin accounting), releasing pages with and without dirtying,
// and bio_check_pages_dirty()'s deferred re-dirty + unpin.
import { describe, expect, it } from "vitest";
import type { bio, World } from "../src/kernel/index.js";
import {
  alloc_pages, BIO_CLONED, BIO_PAGE_PINNED, BIO_PAGE_REFFED, bio_alloc, bio_check_pages_dirty, bio_flagged, bio_iov_iter_get_pages,
  bio_iov_vecs_to_alloc, bio_put, bio_release_pages, bio_set_pages_dirty, boot, config_for, EFAULT, EIO, folio_end_writeback,
  folio_put, folio_start_writeback, folio_test, GUP_PIN_COUNTING_BIAS, iov_iter_bvec, iov_iter_init, iov_iter_ubuf,
  mmap_anon, PAGE_SIZE, page_add_rmap, PG_anon, PG_anon_exclusive, PG_dirty, PG_lru,
  PROT_READ, PROT_WRITE, READ, REQ_OP_READ, REQ_OP_WRITE, run_work, set_pte, tmpfile, WRITE,
} from "../src/kernel/index.js";
import { counts, map_shared_written, pfn_at, quiescent, spawn } from "./helpers/proc.js";

const LBS512 = 511;

/** Release the bio's pages and free it: every count back at base, nothing left over, no warning. */
function release_to_base(w: World, b: bio, base: ReturnType<typeof counts>): void {
  bio_release_pages(w, b, false);
  bio_put(w, b);
  expect(counts(w)).toEqual(base);
  expect(quiescent(w)).toEqual([]);
}

/** A bio sized for the iterator, as iomap allocates it. */
const bio_for = (w: World, iter: Parameters<typeof bio_iov_vecs_to_alloc>[0], op = REQ_OP_READ) =>
  bio_alloc(w, -1, bio_iov_vecs_to_alloc(iter, 256), op);

describe("bio_iov_iter_get_pages", () => {
  it("UBUF: pins every page spanned, one bvec per small folio, BIO_PAGE_PINNED, iterator consumed", () => {
    const w = boot();
    const p = spawn(w, 3);
    const pages = [0, 1, 2].map((k) => pfn_at(p.mm, p.buf + k * PAGE_SIZE));
    const base = counts(w);
    const iter = iov_iter_ubuf(w, READ, p.buf + 512, 2 * PAGE_SIZE);
    const bio = bio_for(w, iter);
    expect(bio.bi_max_vecs).toBe(4); // 3 pages asked, rounded to the inline vecs

    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(bio_flagged(bio, BIO_PAGE_PINNED)).toBe(true);
    expect(bio_flagged(bio, BIO_CLONED)).toBe(false);
    expect(bio.bi_vcnt).toBe(3);
    expect(bio.bi_io_vec.slice(0, 3)).toEqual([
      { bv_page: pages[0], bv_offset: 512, bv_len: PAGE_SIZE - 512 },
      { bv_page: pages[1], bv_offset: 0, bv_len: PAGE_SIZE },
      { bv_page: pages[2], bv_offset: 0, bv_len: 512 },
    ]);
    expect(bio.bi_iter.bi_size).toBe(2 * PAGE_SIZE);
    expect(iter.count).toBe(0);
    for (const pg of pages) expect(w.mem.refcount[pg]).toBe(base.get(pg)![0] + GUP_PIN_COUNTING_BIAS);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(3);

    release_to_base(w, bio, base);
    for (const pg of pages) expect(folio_test(w, pg, PG_dirty)).toBe(false);
  });

  it("IOVEC: only the segments' pages are pinned, one extraction per segment", () => {
    const w = boot();
    const p = spawn(w, 3);
    const pages = [0, 1, 2].map((k) => pfn_at(p.mm, p.buf + k * PAGE_SIZE));
    const base = counts(w);
    const iov = [{ iov_base: p.buf + 1024, iov_len: 512 }, { iov_base: p.buf + 2 * PAGE_SIZE, iov_len: 1024 }];
    const iter = iov_iter_init(w, READ, iov, 2, 1536);
    const bio = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(bio_flagged(bio, BIO_PAGE_PINNED)).toBe(true);
    expect(bio.bi_vcnt).toBe(2);
    expect(bio.bi_io_vec.slice(0, 2)).toEqual([
      { bv_page: pages[0], bv_offset: 1024, bv_len: 512 },
      { bv_page: pages[2], bv_offset: 0, bv_len: 1024 },
    ]);
    expect(w.mem.refcount[pages[0]]).toBe(base.get(pages[0])![0] + GUP_PIN_COUNTING_BIAS);
    expect(w.mem.refcount[pages[1]]).toBe(base.get(pages[1])![0]);
    expect(w.mem.refcount[pages[2]]).toBe(base.get(pages[2])![0] + GUP_PIN_COUNTING_BIAS);
    release_to_base(w, bio, base);
  });

  it("BVEC: the bio uses the iterator's bvecs in place (BIO_CLONED), with no references and no pins", () => {
    const w = boot();
    const a = alloc_pages(w.mem, 0);
    const b = alloc_pages(w.mem, 0);
    const bv = [{ bv_page: a, bv_offset: 0, bv_len: PAGE_SIZE }, { bv_page: b, bv_offset: 0, bv_len: 2048 }];
    const iter = iov_iter_bvec(w, WRITE, bv, 2, PAGE_SIZE + 2048);
    const base = counts(w);
    const bio = bio_for(w, iter, REQ_OP_WRITE);
    expect(bio.bi_max_vecs).toBe(0);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(bio_flagged(bio, BIO_CLONED)).toBe(true);
    expect(bio_flagged(bio, BIO_PAGE_PINNED)).toBe(false);
    expect(bio.bi_vcnt).toBe(0);
    expect(bio.bi_io_vec).toEqual(bv);
    expect(bio.bi_iter).toMatchObject({ bi_size: PAGE_SIZE + 2048, bi_idx: 0, bi_bvec_done: 0 });
    expect(iter.count).toBe(0);
    expect(counts(w)).toEqual(base);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(0);

    // A cloned bio cannot take more pages.
    const again = iov_iter_bvec(w, WRITE, bv, 2, PAGE_SIZE);
    expect(bio_iov_iter_get_pages(w, bio, again, LBS512)).toBe(-EIO);
    expect(w.events.map((e) => e.fn)).toEqual(["bio_iov_iter_get_pages"]);
    expect(again.count).toBe(PAGE_SIZE);

    bio_release_pages(w, bio, true); // nothing of its own to release
    bio_put(w, bio);
    expect(counts(w)).toEqual(base);
    expect(folio_test(w, a, PG_dirty)).toBe(false);
  });

  it("BVEC into a bio that has its own vecs warns (bio_iov_bvec_set)", () => {
    const w = boot();
    const a = alloc_pages(w.mem, 0);
    const iter = iov_iter_bvec(w, WRITE, [{ bv_page: a, bv_offset: 0, bv_len: 512 }], 1, 512);
    const bio = bio_alloc(w, -1, 1, REQ_OP_WRITE);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(w.events).toEqual([{ kind: "WARN_ON_ONCE", fn: "bio_iov_bvec_set", what: "bio->bi_max_vecs" }]);
  });

  it("align-down: a trailing partial block is trimmed, its bvec dropped and unpinned, the iterator reverted", () => {
    const w = boot();
    const p = spawn(w, 2);
    const pages = [0, 1].map((k) => pfn_at(p.mm, p.buf + k * PAGE_SIZE));
    const base = counts(w);
    const iter = iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE + 300);
    const bio = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(bio.bi_vcnt).toBe(1);
    expect(bio.bi_iter.bi_size).toBe(PAGE_SIZE);
    expect(iter).toMatchObject({ count: 300, iov_offset: PAGE_SIZE });
    expect(w.mem.refcount[pages[0]]).toBe(base.get(pages[0])![0] + GUP_PIN_COUNTING_BIAS);
    expect(w.mem.refcount[pages[1]]).toBe(base.get(pages[1])![0]); // dropped with its bvec
    expect(w.vmstat).toEqual({ nr_foll_pin_acquired: 2, nr_foll_pin_released: 1 });
    release_to_base(w, bio, base);
  });

  it("align-down: a trailing partial block within a bvec only shortens it", () => {
    const w = boot();
    const p = spawn(w, 2);
    const base = counts(w);
    const iter = iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE + 700);
    const bio = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(bio.bi_vcnt).toBe(2);
    expect(bio.bi_io_vec[1].bv_len).toBe(512);
    expect(bio.bi_iter.bi_size).toBe(PAGE_SIZE + 512);
    expect(iter).toMatchObject({ count: 188, iov_offset: PAGE_SIZE + 512 });
    release_to_base(w, bio, base);
  });

  it("align-down: less than one block leaves nothing: -EFAULT, everything unpinned and reverted", () => {
    const w = boot();
    const p = spawn(w, 1);
    const base = counts(w);
    const iter = iov_iter_ubuf(w, READ, p.buf, 300);
    const bio = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, bio, iter, 4095)).toBe(-EFAULT);
    expect(bio.bi_vcnt).toBe(0);
    expect(bio.bi_iter.bi_size).toBe(0);
    expect(iter).toMatchObject({ count: 300, iov_offset: 0 });
    bio_put(w, bio);
    expect(counts(w)).toEqual(base);
    expect(quiescent(w)).toEqual([]);
  });

  describe("[obs] align-down with multi-page bvecs leaks pins", () => {
    /** A 4-page anonymous folio mapped at addr (the simulation's faults only make small folios). */
    function map_large_folio(w: World, pid: number): { addr: number; folio: number } {
      const mm = w.mms[pid];
      const addr = mmap_anon(w, mm, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
      mm.vmas.find((v) => v.vm_start === addr)!.anon_vma = true;
      const folio = alloc_pages(w.mem, 2, PG_anon | PG_lru);
      for (let k = 0; k < 4; k++) {
        w.mem.flags[folio + k] |= PG_anon_exclusive;
        page_add_rmap(w, folio + k);
        set_pte(mm, addr + k * PAGE_SIZE, { pfn: folio + k, write: true, dirty: true });
      }
      folio_put(w, folio); // the mappings now hold it
      return { addr, folio };
    }

    it("a shortened multi-page bvec keeps the pin of the page it no longer spans", () => {
      const w = boot();
      const p = spawn(w, 1);
      const { addr, folio } = map_large_folio(w, p.id);
      const iter = iov_iter_ubuf(w, READ, addr, 3 * PAGE_SIZE + 100);
      const bio = bio_for(w, iter);
      expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
      expect(bio.bi_vcnt).toBe(1); // one bvec over four pages of one folio
      expect(bio.bi_io_vec[0].bv_len).toBe(3 * PAGE_SIZE);
      expect(w.mem.pincount[folio]).toBe(4);
      bio_release_pages(w, bio, false);
      bio_put(w, bio);
      expect(w.mem.pincount[folio]).toBe(1); // the fourth page's pin is never dropped
      expect(w.mem.refcount[folio]).toBe(4 + 1);
    });

    it("a dropped multi-page bvec is unpinned only for bv_page", () => {
      const w = boot();
      const p = spawn(w, 1);
      const { addr, folio } = map_large_folio(w, p.id);
      const iov = [{ iov_base: p.buf, iov_len: 512 }, { iov_base: addr + 4000, iov_len: 200 }];
      const iter = iov_iter_init(w, READ, iov, 2, 712);
      const bio = bio_for(w, iter);
      expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
      expect(w.mem.pincount[folio]).toBe(1); // two taken (one per page spanned), one dropped
      expect(bio.bi_vcnt).toBe(1);
      expect(iter).toMatchObject({ count: 200, seg: 1, iov_offset: 0 });
      bio_release_pages(w, bio, false);
      bio_put(w, bio);
      expect(w.mem.pincount[folio]).toBe(1);
      expect(w.vmstat.nr_foll_pin_acquired - w.vmstat.nr_foll_pin_released).toBe(1);
    });
  });
});

describe("bio_iov_iter_get_pages before v6.5 (FOLL_GET references, BIO_PAGE_REFFED)", () => {
  const legacy = () => boot(config_for(undefined, "6.0-6.4"));

  it("a segment continuing the last vec in the same page is merged and gives its extra reference back (same_page)", () => {
    const w = legacy();
    const p = spawn(w, 1);
    const page = pfn_at(p.mm, p.buf);
    const base = counts(w);
    const iov = [{ iov_base: p.buf, iov_len: 512 }, { iov_base: p.buf + 512, iov_len: 1024 }];
    const iter = iov_iter_init(w, READ, iov, 2, 1536);
    const bio = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(bio_flagged(bio, BIO_PAGE_REFFED)).toBe(true);
    expect(bio.bi_vcnt).toBe(1);
    expect(bio.bi_io_vec[0]).toEqual({ bv_page: page, bv_offset: 0, bv_len: 1536 });
    expect(w.mem.refcount[page]).toBe(base.get(page)![0] + 1); // one reference for the one vec
    release_to_base(w, bio, base);
  });

  it("physically contiguous pages share one vec, each keeping its reference until the release puts it", () => {
    const w = legacy();
    const p = spawn(w, 2);
    const pages = [0, 1].map((k) => pfn_at(p.mm, p.buf + k * PAGE_SIZE));
    expect(pages[1]).toBe(pages[0] + 1); // the allocator hands out consecutive frames here
    const base = counts(w);
    const iter = iov_iter_ubuf(w, READ, p.buf + 512, PAGE_SIZE);
    const bio = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(bio.bi_vcnt).toBe(1);
    expect(bio.bi_io_vec[0]).toEqual({ bv_page: pages[0], bv_offset: 512, bv_len: PAGE_SIZE });
    for (const pg of pages) expect(w.mem.refcount[pg]).toBe(base.get(pg)![0] + 1);
    release_to_base(w, bio, base);
  });

  it("a trailing partial block is trimmed before the pages are added: its page's reference is put, the iterator keeps the bytes", () => {
    const w = legacy();
    const p = spawn(w, 2);
    const pages = [0, 1].map((k) => pfn_at(p.mm, p.buf + k * PAGE_SIZE));
    const base = counts(w);
    const iter = iov_iter_ubuf(w, READ, p.buf + 512, PAGE_SIZE - 512 + 100);
    const bio = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    expect(bio.bi_vcnt).toBe(1);
    expect(bio.bi_iter.bi_size).toBe(PAGE_SIZE - 512);
    expect(iter.count).toBe(100);
    expect(w.mem.refcount[pages[0]]).toBe(base.get(pages[0])![0] + 1);
    expect(w.mem.refcount[pages[1]]).toBe(base.get(pages[1])![0]);
    release_to_base(w, bio, base);
    // Less than one block: nothing added, -EFAULT, the page given back.
    const small = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, small, iter, LBS512)).toBe(-EFAULT);
    expect(small.bi_vcnt).toBe(0);
    expect(iter.count).toBe(100);
    release_to_base(w, small, base);
  });
});

describe("bio_release_pages", () => {
  it("with mark_dirty the folios are dirtied before they are unpinned; without, they are left alone", () => {
    for (const mark_dirty of [false, true]) {
      const w = boot();
      const p = spawn(w, 2);
      const pages = [0, 1].map((k) => pfn_at(p.mm, p.buf + k * PAGE_SIZE));
      const base = counts(w);
      const iter = iov_iter_ubuf(w, READ, p.buf, 2 * PAGE_SIZE);
      const bio = bio_for(w, iter);
      expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
      for (const pg of pages) expect(folio_test(w, pg, PG_dirty)).toBe(false);
      bio_release_pages(w, bio, mark_dirty);
      for (const pg of pages) expect(folio_test(w, pg, PG_dirty)).toBe(mark_dirty);
      expect(counts(w)).toEqual(base);
      bio_put(w, bio);
      expect(w.block.bios[bio.id]).toBeNull();
    }
  });

  it("a bio is freed by its last bio_put; another put is a BUG", () => {
    const w = boot();
    const bio = bio_alloc(w, -1, 1, REQ_OP_READ);
    bio_put(w, bio);
    expect(w.block.bios[bio.id]).toBeNull();
    bio_put(w, bio);
    expect(w.events.map((e) => e.kind)).toEqual(["BUG"]);
  });
});

describe("bio_check_pages_dirty", () => {
  /** A DIO-read style bio over a MAP_SHARED page of an ext4 file, pages dirtied before submission. */
  function shared_file_bio(w: World) {
    const p = spawn(w, 1);
    const ino = tmpfile(w);
    const { addr, folio } = map_shared_written(w, p, ino, 0x5c);
    const base = counts(w);
    const iter = iov_iter_ubuf(w, READ, addr, PAGE_SIZE);
    const bio = bio_for(w, iter);
    expect(bio_iov_iter_get_pages(w, bio, iter, LBS512)).toBe(0);
    bio_set_pages_dirty(w, bio);
    return { p, ino, folio, base, bio };
  }

  it("pages still dirty: released and put at once", () => {
    const w = boot();
    const { folio, base, bio } = shared_file_bio(w);
    bio_check_pages_dirty(w, bio);
    expect(w.block.bios[bio.id]).toBeNull();
    expect(w.block.work).toEqual([]);
    expect(counts(w)).toEqual(base);
    expect(folio_test(w, folio, PG_dirty)).toBe(true);
    expect(quiescent(w)).toEqual([]);
  });

  it("a folio cleaned by writeback during the read: re-dirty and unpin wait for bio_dirty_fn", () => {
    const w = boot();
    const { folio, base, bio } = shared_file_bio(w);
    // Writeback runs while the read is in flight: the folio is cleaned (and written to disk).
    expect(folio_start_writeback(w, folio)).toBe(true);
    folio_end_writeback(w, folio);
    expect(folio_test(w, folio, PG_dirty)).toBe(false);

    bio_check_pages_dirty(w, bio);
    // Deferred: still pinned, still clean, the bio alive on bio_dirty_list.
    expect(w.block.bios[bio.id]).toBe(bio);
    expect(w.block.bio_dirty_list).toEqual([bio.id]);
    expect(w.block.work).toEqual([{ fn: "bio_dirty_fn", arg: 0 }]);
    expect(w.mem.refcount[folio]).toBe(base.get(folio)![0] + GUP_PIN_COUNTING_BIAS);
    expect(folio_test(w, folio, PG_dirty)).toBe(false);

    expect(run_work(w)).toBe(true); // bio_dirty_fn in process context
    expect(folio_test(w, folio, PG_dirty)).toBe(true);
    expect(w.block.bios[bio.id]).toBeNull();
    expect(counts(w)).toEqual(base);
    expect(quiescent(w)).toEqual([]);
  });

  it("several deferred bios share one bio_dirty_fn run", () => {
    const w = boot();
    const a = shared_file_bio(w);
    const b = shared_file_bio(w);
    for (const x of [a, b]) {
      folio_start_writeback(w, x.folio);
      folio_end_writeback(w, x.folio);
      bio_check_pages_dirty(w, x.bio);
    }
    expect(w.block.bio_dirty_list).toEqual([b.bio.id, a.bio.id]);
    expect(w.block.work).toHaveLength(1);
    run_work(w);
    expect(w.block.bio_dirty_list).toEqual([]);
    expect(w.mem.refcount[a.folio]).toBe(a.base.get(a.folio)![0]);
    expect(w.mem.refcount[b.folio]).toBe(b.base.get(b.folio)![0]);
    for (const x of [a, b]) expect(folio_test(w, x.folio, PG_dirty)).toBe(true);
    expect(quiescent(w)).toEqual([]);
  });
});
