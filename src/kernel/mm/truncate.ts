// mm/truncate.c and fs/attr.c: truncating a file. Cached folios past the new size are unmapped
// from every page table (unmap_mapping_range; private COW copies are anonymous and stay) and
// removed from the page cache, which drops the cache's reference. A folio someone still pins
// or references stays allocated but belongs to no file any more.
import { EAGAIN } from "../include/errno.js";
import { PAGE_SIZE } from "../include/page.js";
import { xa_erase, xa_is_value } from "../lib/xarray.js";
import type { World } from "../world.js";
import { folio_put, folio_test } from "./folio.js";
import { PG_dirty, PG_writeback } from "./mem_map.js";
import { zap_pte } from "./memory.js";
import { rmap_walk } from "./rmap.js";

/**
 * truncate_inode_pages_range() from byte lstart to the end: returns the folios it could not
 * remove because they are under writeback (the kernel would wait for them).
 */
export function truncate_inode_pages(w: World, ino: number, lstart: number): number[] {
  const inode = w.inodes[ino];
  const first = Math.ceil(lstart / PAGE_SIZE);
  const busy: number[] = [];
  const indices = [...inode.i_pages.slots.keys()].filter((k) => k >= first).sort((a, b) => a - b);
  for (const index of indices) {
    const e = inode.i_pages.slots.get(index)!;
    if (xa_is_value(e)) continue;
    const folio = e.folio;
    if (folio_test(w, folio, PG_writeback)) {
      busy.push(folio);
      continue;
    }
    for (const { mm, vpn } of rmap_walk(w, folio)) zap_pte(w, mm, vpn * PAGE_SIZE);
    xa_erase(inode.i_pages, index);
    w.mem.mapping[folio] = -1;
    w.mem.flags[folio] &= ~PG_dirty; // a truncated folio's data is gone: nothing to write back
    folio_put(w, folio);
  }
  for (const k of [...inode.disk.keys()]) if (k >= first) inode.disk.delete(k);
  return busy;
}

/** ftruncate(fd, size) */
export function ftruncate(w: World, ino: number, size: number): number {
  w.inodes[ino].i_size = size;
  return truncate_inode_pages(w, ino, size).length ? -EAGAIN : 0; // writeback in progress: the kernel would wait
}
