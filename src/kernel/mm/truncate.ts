// mm/truncate.c and fs/attr.c: truncating a file, and dropping clean cached pages nobody uses.
// A truncate unmaps every page past the new size from every page table, private COW copies
// included (truncate_pagecache: unmap_mapping_range with even_cows), and removes the cached
// folios from the page cache, which drops the cache's reference. A folio someone still pins or
// references stays allocated but belongs to no file any more.
import { EAGAIN } from "../include/errno.js";
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { filemap_get_folios, filemap_remove_folio } from "./filemap.js";
import type { Inode } from "../fs/inode.js";
import { folio_ref_count, folio_test } from "./folio.js";
import { PG_dirty, PG_locked, PG_writeback } from "./mem_map.js";
import { vpn, zap_pte } from "./memory.js";

/**
 * truncate_inode_pages_range() from byte lstart to the end: returns the folios it could not
 * remove because they are under writeback (the kernel would wait for them). The caller has
 * unmapped the range (ftruncate), so truncate_cleanup_folio() finds no folio mapped.
 */
export function truncate_inode_pages(w: World, ino: number, lstart: number): number[] {
  const inode = w.inodes[ino];
  const first = Math.ceil(lstart / PAGE_SIZE);
  const busy: number[] = [];
  for (const folio of filemap_get_folios(inode, first, Infinity)) {
    if (folio_test(w, folio, PG_writeback)) {
      busy.push(folio);
      continue;
    }
    w.mem.flags[folio] &= ~PG_dirty; // folio_cancel_dirty(): a truncated folio's data is gone
    filemap_remove_folio(w, inode, folio);
  }
  for (const k of [...inode.disk.keys()]) if (k >= first) inode.disk.delete(k);
  return busy;
}

/**
 * invalidate_mapping_pages(): a hint, not a demand. Drop the cached folios of the index range
 * that nobody needs: not locked, dirty or under writeback, and holding no reference but the
 * page cache's (mapping_evict_folio(); a mapping or a pin holds one). Returns how many went.
 */
export function invalidate_mapping_pages(w: World, inode: Inode, start: number, end: number): number {
  let count = 0;
  for (const folio of filemap_get_folios(inode, start, end)) {
    if (folio_test(w, folio, PG_locked | PG_dirty | PG_writeback) || folio_ref_count(w, folio) > 1) continue;
    filemap_remove_folio(w, inode, folio);
    count++;
  }
  return count;
}

/**
 * unmap_mapping_range(mapping, holebegin, 0, even_cows=1): zap every PTE and swap entry of a VMA
 * mapping the file at page index `first` or past it, the private COW copies (anonymous pages in
 * a file VMA) included. Only the address spaces with an entry to zap are copied.
 */
function unmap_mapping_range(w: World, ino: number, first: number): void {
  const all = w.mms_for_read;
  for (let i = 0; i < all.length; i++)
    for (const vma of all[i].vmas) {
      if (vma.file !== ino) continue;
      for (let addr = vma.vm_start + Math.max(0, first - vma.vm_pgoff) * PAGE_SIZE; addr < vma.vm_end; addr += PAGE_SIZE)
        if (all[i].ptes.has(vpn(addr)) || all[i].swap.has(vpn(addr))) zap_pte(w, w.mm(i)!, addr);
    }
}

/** ftruncate(fd, size): truncate_setsize(), then truncate_pagecache(). */
export function ftruncate(w: World, ino: number, size: number): number {
  w.inodes[ino].i_size = size;
  // The kernel unmaps once more afterwards, for faults racing in; a step here is atomic.
  unmap_mapping_range(w, ino, Math.ceil(size / PAGE_SIZE));
  return truncate_inode_pages(w, ino, size).length ? -EAGAIN : 0; // writeback in progress: the kernel would wait
}
