// Page cache, writeback and reclaim against pins (kernel-semantics §7): writeback cleans and
// write-protects a folio without looking at pins, so a pin holder's later writes reach the disk
// only if the folio is dirtied again at unpin time; reclaim unmaps but skips maybe-pinned folios.
import { describe, expect, it } from "vitest";
import type { World } from "../src/kernel/index.js";
import {
  boot, clone_world, EFAULT, fallocate, file_write_iter, filemap_get_folio, filemap_get_folios, folio_get, folio_mark_dirty, invalidate_mapping_pages, FOLL_LONGTERM, FOLL_WRITE, folio_end_writeback,
  folio_start_writeback, follow_pte, ftruncate, get_user_pages_fast, iov_iter_kvec, ITER_SOURCE, kmalloc, kwrite, MAP_PRIVATE, MAP_SHARED,
  memfd_create, mm_alloc, mmap_file, page_address, PG_anon, PG_dirty, PG_writeback, pin_user_pages_fast, PROT_READ, PROT_WRITE, put_page,
  seal_world, shrink_folio, tmpfile, unpin_user_page, unpin_user_pages_dirty_lock, user_access,
} from "../src/kernel/index.js";
import { pfn_at } from "./helpers/proc.js";

function setup(stable_writes = false) {
  const w = boot();
  w.current = mm_alloc(w);
  const mm = w.mms[w.current];
  const ino = tmpfile(w, stable_writes);
  fallocate(w, ino, 4096);
  const addr = mmap_file(w, mm, ino, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
  return { w, mm, ino, addr, inode: w.inodes[ino] };
}

const fill = (b: number) => new Uint8Array(4096).fill(b);
const flags = (w: World, f: number) => w.mem.flags[f];

describe("writeback", () => {
  it("cleans and write-protects the folio; the next CPU write faults and re-dirties it", () => {
    const { w, mm, addr, inode } = setup();
    user_access(w, mm, addr, fill(1), true);
    const folio = filemap_get_folio(w, inode, 0, false);
    expect(flags(w, folio) & PG_dirty).toBeTruthy();
    expect(follow_pte(mm, addr)).toMatchObject({ pfn: folio, write: true, dirty: true });

    expect(folio_start_writeback(w, folio)).toBe(true);
    expect(flags(w, folio) & PG_dirty).toBe(0);
    expect(flags(w, folio) & PG_writeback).toBeTruthy();
    expect(follow_pte(mm, addr)).toMatchObject({ write: false, dirty: false });

    user_access(w, mm, addr, fill(2), true); // write fault: ->page_mkwrite re-dirties
    expect(flags(w, folio) & PG_dirty).toBeTruthy();
    folio_end_writeback(w, folio);
    expect(inode.disk.get(0)![0]).toBe(2); // the device read the page when it finished
    expect(folio_start_writeback(w, folio)).toBe(true);
    folio_end_writeback(w, folio);
    expect(w.events).toEqual([]);
  });

  it("writeback of a clean, write-protected folio copies neither the files nor the address space", () => {
    const { w, mm, addr, inode } = setup();
    user_access(w, mm, addr, fill(1), true);
    const folio = filemap_get_folio(w, inode, 0, false);
    folio_start_writeback(w, folio);
    folio_end_writeback(w, folio);
    const next = clone_world(seal_world(w));
    expect(folio_start_writeback(next, folio)).toBe(false); // clean: nothing to write
    seal_world(next);
    expect([next.inherited("inodes"), next.inherited_mm(next.current)]).toEqual([true, true]);
  });

  it("leaves a tmpfs folio alone: shmem has no writeback (mapping_can_writeback)", () => {
    const w = boot();
    w.current = mm_alloc(w);
    const mm = w.mms[w.current];
    const ino = memfd_create(w);
    fallocate(w, ino, 4096);
    const addr = mmap_file(w, mm, ino, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
    user_access(w, mm, addr, fill(1), true);
    const folio = filemap_get_folio(w, w.inodes[ino], 0, false);
    expect(folio_start_writeback(w, folio)).toBe(false);
    expect(flags(w, folio) & PG_dirty).toBeTruthy();
    expect(flags(w, folio) & PG_writeback).toBe(0);
    expect(follow_pte(mm, addr)).toMatchObject({ pfn: folio, write: true, dirty: true });
    expect(w.inodes[ino].disk.size).toBe(0);
  });

  it("a pin holder's write after writeback reaches the disk only if unpin re-dirties (W2)", () => {
    for (const make_dirty of [true, false]) {
      const { w, mm, addr, inode } = setup();
      user_access(w, mm, addr, fill(1), true);
      const pages = [-1];
      expect(pin_user_pages_fast(w, addr, 1, FOLL_WRITE, pages)).toBe(1);
      const folio = pages[0];
      expect(folio_start_writeback(w, folio)).toBe(true);
      folio_end_writeback(w, folio);
      expect(inode.disk.get(0)![0]).toBe(1);

      // DMA through the pin: no fault, no ->page_mkwrite, the folio stays clean.
      kwrite(w, page_address(folio), fill(9));
      expect(flags(w, folio) & PG_dirty).toBe(0);
      unpin_user_pages_dirty_lock(w, pages, 1, make_dirty);

      const again = folio_start_writeback(w, folio);
      expect(again).toBe(make_dirty);
      if (again) folio_end_writeback(w, folio);
      // Reclaim then drops the clean folio; what the file holds is what reached the disk.
      expect(shrink_folio(w, folio)).toBe("reclaimed");
      const back = new Uint8Array(4096);
      user_access(w, mm, addr, back, false);
      expect(back[0]).toBe(make_dirty ? 9 : 1);
    }
  });

  it("with stable writes, a buffered write stops at a folio under writeback", () => {
    const { w, ino, inode } = setup(true);
    const buf = kmalloc(w, 4096);
    kwrite(w, buf, fill(5));
    expect(file_write_iter(w, ino, iov_iter_kvec(w, ITER_SOURCE, [{ iov_base: buf, iov_len: 100 }], 1, 100), 0)).toBe(100);
    const folio = filemap_get_folio(w, inode, 0, false);
    folio_start_writeback(w, folio);
    expect(file_write_iter(w, ino, iov_iter_kvec(w, ITER_SOURCE, [{ iov_base: buf, iov_len: 100 }], 1, 100), 0)).toBe(0);
    folio_end_writeback(w, folio);
    expect(file_write_iter(w, ino, iov_iter_kvec(w, ITER_SOURCE, [{ iov_base: buf, iov_len: 100 }], 1, 100), 0)).toBe(100);
  });
});

describe("reclaim of page-cache folios", () => {
  it("unmaps, then frees a clean folio that only the page cache holds", () => {
    const { w, mm, addr, inode } = setup();
    const b = new Uint8Array(1);
    user_access(w, mm, addr, b, false);
    const folio = filemap_get_folio(w, inode, 0, false);
    expect(w.mem.refcount[folio]).toBe(2); // page cache + one mapping
    expect(shrink_folio(w, folio)).toBe("reclaimed");
    expect(follow_pte(mm, addr)).toBeUndefined();
    expect(w.mem.head[folio]).toBe(-1);
    expect(filemap_get_folio(w, inode, 0, false)).toBe(-1);
  });

  it("skips a maybe-pinned folio after unmapping it, and keeps a referenced or dirty one", () => {
    const { w, mm, addr, inode } = setup();
    user_access(w, mm, addr, fill(3), true);
    const folio = filemap_get_folio(w, inode, 0, false);
    expect(shrink_folio(w, folio)).toBe("dirty");
    folio_start_writeback(w, folio);
    expect(shrink_folio(w, folio)).toBe("writeback");
    folio_end_writeback(w, folio);

    const pages = [-1];
    expect(pin_user_pages_fast(w, addr, 1, 0, pages)).toBe(1);
    expect(pages).toEqual([folio]);
    expect(shrink_folio(w, folio)).toBe("pinned");
    expect(follow_pte(mm, addr)).toBeUndefined(); // try_to_unmap() ran first
    expect(w.mem.head[folio]).toBe(folio);
    unpin_user_page(w, pages[0]);

    const refs = [-1];
    expect(get_user_pages_fast(w, addr, 1, 0, refs)).toBe(1); // maps it again and takes a FOLL_GET reference
    expect(refs).toEqual([folio]);
    expect(shrink_folio(w, folio)).toBe("referenced");
    put_page(w, refs[0]);
    expect(shrink_folio(w, folio)).toBe("reclaimed");
    expect(w.events).toEqual([]);
  });

  it("refuses writable long-term pins of dirty-tracked shared file pages, allows short-term ones", () => {
    const { w, addr } = setup();
    const pages = [-1];
    expect(pin_user_pages_fast(w, addr, 1, FOLL_WRITE | FOLL_LONGTERM, pages)).toBe(-EFAULT);
    expect(pages).toEqual([-1]);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(w.vmstat.nr_foll_pin_released); // nothing kept
    expect(pin_user_pages_fast(w, addr, 1, FOLL_WRITE, pages)).toBe(1);
    unpin_user_page(w, pages[0]);
    expect(w.events).toEqual([]);
  });
});

describe("invalidate_mapping_pages", () => {
  it("drops only the clean cached folios nobody maps, references or writes back", () => {
    const w = boot();
    w.current = mm_alloc(w);
    const mm = w.mms[w.current];
    const ino = tmpfile(w);
    fallocate(w, ino, 5 * 4096);
    const inode = w.inodes[ino];
    const f = [0, 1, 2, 3, 4].map((i) => filemap_get_folio(w, inode, i));
    folio_mark_dirty(w, f[1]);
    folio_mark_dirty(w, f[2]);
    expect(folio_start_writeback(w, f[2])).toBe(true);
    const addr = mmap_file(w, mm, ino, 5 * 4096, PROT_READ, MAP_SHARED);
    expect(user_access(w, mm, addr + 3 * 4096, new Uint8Array(1), false)).toBe(0); // maps page 3
    folio_get(w, f[4]); // a GUP or pipe reference
    expect(invalidate_mapping_pages(w, inode, 0, 4)).toBe(1);
    expect(filemap_get_folios(inode, 0, 4)).toEqual(f.slice(1));
    expect(w.mem.head[f[0]]).toBe(-1); // the page cache held its only reference
  });
});

describe("truncation", () => {
  it("unmaps and drops cached folios past the new size; a pinned one survives, detached", () => {
    const { w, mm, ino, addr, inode } = setup();
    user_access(w, mm, addr, fill(4), true);
    const folio = filemap_get_folio(w, inode, 0, false);
    const pages = [-1];
    expect(pin_user_pages_fast(w, addr, 1, FOLL_WRITE, pages)).toBe(1);
    expect(pages).toEqual([folio]);
    expect(ftruncate(w, ino, 0)).toBe(0);
    expect(follow_pte(mm, addr)).toBeUndefined();
    expect(filemap_get_folio(w, inode, 0, false)).toBe(-1);
    expect(w.mem.head[folio]).toBe(folio); // the pin keeps it allocated
    expect(w.mem.mapping[folio]).toBe(-1);
    unpin_user_page(w, pages[0]);
    expect(w.mem.head[folio]).toBe(-1); // the last reference was the pin's
    expect(w.events).toEqual([]);
  });

  it("unmaps a MAP_PRIVATE mapping's COW copies past the new size too (truncate_pagecache's even_cows)", () => {
    const { w, mm, ino } = setup();
    fallocate(w, ino, 2 * 4096);
    const priv = mmap_file(w, mm, ino, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    user_access(w, mm, priv, fill(5), true); // page 0: a private copy
    user_access(w, mm, priv + 4096, fill(6), true); // page 1: a private copy
    const [copy0, copy1] = [pfn_at(mm, priv), pfn_at(mm, priv + 4096)];
    expect(w.mem.flags[copy1] & PG_anon).toBeTruthy();
    expect(ftruncate(w, ino, 4096 + 1)).toBe(0);
    expect(pfn_at(mm, priv + 4096)).toBe(copy1); // the page holding the new end stays
    expect(ftruncate(w, ino, 4096)).toBe(0);
    expect(follow_pte(mm, priv + 4096)).toBeUndefined();
    expect(w.mem.head[copy1]).toBe(-1); // freed with its mapping
    expect(pfn_at(mm, priv)).toBe(copy0); // below the new size: kept
    expect(w.events).toEqual([]);
  });

  it.each([["ext4", tmpfile], ["tmpfs", memfd_create]] as const)(
    "a fault on a %s page past the end is SIGBUS: the CPU access fails, GUP says -EFAULT, nothing is cached",
    (_fs, create) => {
      const w = boot();
      w.current = mm_alloc(w);
      const mm = w.mms[w.current];
      const ino = create(w);
      fallocate(w, ino, 4096 + 1); // two pages: the second holds the last byte
      const addr = mmap_file(w, mm, ino, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED); // mmap may reach past the end
      expect(user_access(w, mm, addr + 4096, fill(7), true)).toBe(0);
      const inode = w.inodes[ino];
      for (const write of [false, true]) expect(user_access(w, mm, addr + 2 * 4096, fill(8), write)).toBe(4096);
      expect(pin_user_pages_fast(w, addr + 2 * 4096, 1, FOLL_WRITE, [-1])).toBe(-EFAULT);
      expect(get_user_pages_fast(w, addr + 2 * 4096, 1, 0, [-1])).toBe(-EFAULT);
      expect(filemap_get_folio(w, inode, 2, false)).toBe(-1);
      expect(follow_pte(mm, addr + 2 * 4096)).toBeUndefined();
      // Truncated below a mapped page: its PTE goes, and the next touch is SIGBUS too.
      expect(ftruncate(w, ino, 4096)).toBe(0);
      expect(user_access(w, mm, addr + 4096, fill(9), false)).toBe(4096);
      expect(user_access(w, mm, addr, fill(9), true)).toBe(0);
      expect(w.events).toEqual([]);
    },
  );

  it("a private mapping's COW fault past the end is SIGBUS as well (do_cow_fault reads the file first)", () => {
    const w = boot();
    w.current = mm_alloc(w);
    const mm = w.mms[w.current];
    const ino = tmpfile(w);
    const addr = mmap_file(w, mm, ino, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    expect(user_access(w, mm, addr, fill(1), true)).toBe(4096);
    expect(follow_pte(mm, addr)).toBeUndefined();
    fallocate(w, ino, 4096);
    expect(user_access(w, mm, addr, fill(1), true)).toBe(0);
    expect(w.mem.flags[pfn_at(mm, addr)] & PG_anon).toBeTruthy();
  });
});
