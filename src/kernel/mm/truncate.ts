// mm/truncate.c and fs/attr.c: truncating a file. Cached folios past the new size are unmapped
// from every page table (unmap_mapping_range; private COW copies are anonymous and stay) and
// removed from the page cache, which drops the cache's reference. A folio someone still pins
// or references stays allocated but belongs to no file any more.
import { EAGAIN } from "../include/errno.js";
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { filemap_get_folios, filemap_remove_folio } from "./filemap.js";
import { folio_test } from "./folio.js";
import { PG_dirty, PG_writeback } from "./mem_map.js";
import { unmap_mapping_folio } from "./memory.js";

/**
 * truncate_inode_pages_range() from byte lstart to the end: returns the folios it could not
 * remove because they are under writeback (the kernel would wait for them).
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
    unmap_mapping_folio(w, folio);
    w.mem.flags[folio] &= ~PG_dirty; // folio_cancel_dirty(): a truncated folio's data is gone
    filemap_remove_folio(w, inode, folio);
  }
  for (const k of [...inode.disk.keys()]) if (k >= first) inode.disk.delete(k);
  return busy;
}

/** ftruncate(fd, size) */
export function ftruncate(w: World, ino: number, size: number): number {
  w.inodes[ino].i_size = size;
  return truncate_inode_pages(w, ino, size).length ? -EAGAIN : 0; // writeback in progress: the kernel would wait
}
