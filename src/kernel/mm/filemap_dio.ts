// mm/filemap.c (kiocb_write_and_wait, kiocb_invalidate_pages, kiocb_invalidate_post_direct_write,
// filemap_write_and_wait_range) and mm/truncate.c (invalidate_inode_pages2_range): how direct I/O
// keeps the page cache coherent with the disk around it.
import { EAGAIN, EBUSY } from "../include/errno.js";
import { PAGE_SIZE } from "../include/page.js";
import { xa_erase, xa_is_value, xas_for_each } from "../lib/xarray.js";
import { folio_put, folio_test } from "./folio.js";
import { PG_dirty, PG_locked, PG_writeback } from "./mem_map.js";
import { zap_pte } from "./memory.js";
import { folio_end_writeback, folio_start_writeback } from "./page_writeback.js";
import { rmap_walk } from "./rmap.js";
import type { World } from "../world.js";
import type { Inode } from "../fs/inode.js";
import type { kiocb } from "../fs/kiocb.js";
import { IOCB_NOWAIT } from "../fs/kiocb.js";

/** The cached folios whose index lies in [first, last], in index order. */
function cached_folios(inode: Inode, first: number, last: number): number[] {
  const out: number[] = [];
  for (const [e, index] of xas_for_each(inode.i_pages, first)) {
    if (index > last) break;
    if (!xa_is_value(e)) out.push(e.folio);
  }
  return out;
}

const index_range = (lstart: number, lend: number): [number, number] => [Math.floor(lstart / PAGE_SIZE), Math.floor(lend / PAGE_SIZE)];

/**
 * filemap_write_and_wait_range(): write back every dirty folio of the byte range and wait for
 * all writeback there. The simulation cannot sleep: a writeback already under way is finished
 * on the spot, which is what the wait would have seen.
 */
export function filemap_write_and_wait_range(w: World, inode: Inode, lstart: number, lend: number): number {
  for (const folio of cached_folios(inode, ...index_range(lstart, lend))) {
    if (folio_test(w, folio, PG_dirty) && !folio_test(w, folio, PG_writeback)) folio_start_writeback(w, folio);
    if (folio_test(w, folio, PG_writeback)) folio_end_writeback(w, folio);
  }
  return 0;
}

/**
 * invalidate_inode_pages2_range(): unmap and drop every cached folio of the index range. A folio
 * dirty after unmapping stays (-EBUSY); extra references or pins do not stop the removal, the
 * folio just leaves the page cache (invalidate_complete_folio2 checks no refcount).
 */
export function invalidate_inode_pages2_range(w: World, inode: Inode, start: number, end: number): number {
  let ret = 0;
  for (const folio of cached_folios(inode, start, end)) {
    // folio_lock() sleeps while another task holds the folio locked; the simulation cannot
    // sleep, so the folio stays and the caller sees -EAGAIN (callers that can wait check
    // folio_test_locked() first, as the scenario engine does).
    if (folio_test(w, folio, PG_locked)) {
      ret = -EAGAIN;
      continue;
    }
    if (folio_test(w, folio, PG_writeback)) folio_end_writeback(w, folio); // folio_wait_writeback()
    for (const { mm, vpn } of rmap_walk(w, folio)) zap_pte(w, mm, vpn * PAGE_SIZE); // unmap_mapping_folio()
    // folio_launder(): ext4 has no ->launder_folio, so a dirty folio fails invalidation.
    if (folio_test(w, folio, PG_dirty)) {
      ret = -EBUSY;
      continue;
    }
    xa_erase(inode.i_pages, w.mem.index[folio]);
    w.mem.mapping[folio] = -1;
    folio_put(w, folio); // filemap_free_folio(): the page cache's reference
  }
  return ret;
}

/** kiocb_write_and_wait(): flush dirty cached data of the range a DIO read is about to read. */
export function kiocb_write_and_wait(w: World, iocb: kiocb, count: number): number {
  const inode = w.inodes[iocb.ki_filp];
  const pos = iocb.ki_pos;
  const end = pos + count - 1;
  if (iocb.ki_flags & IOCB_NOWAIT) {
    const [first, last] = index_range(pos, end);
    const busy = cached_folios(inode, first, last).some((f) => folio_test(w, f, PG_dirty) || folio_test(w, f, PG_writeback));
    return busy ? -EAGAIN : 0;
  }
  return filemap_write_and_wait_range(w, inode, pos, end);
}

/** kiocb_invalidate_pages(): before a DIO write, flush and drop the cached range. */
export function kiocb_invalidate_pages(w: World, iocb: kiocb, count: number): number {
  const inode = w.inodes[iocb.ki_filp];
  const pos = iocb.ki_pos;
  const end = pos + count - 1;
  const [first, last] = index_range(pos, end);
  if (iocb.ki_flags & IOCB_NOWAIT) {
    if (cached_folios(inode, first, last).length) return -EAGAIN;
  } else {
    const ret = filemap_write_and_wait_range(w, inode, pos, end);
    if (ret) return ret;
  }
  return invalidate_inode_pages2_range(w, inode, first, last);
}

/**
 * kiocb_invalidate_post_direct_write(): drop what buffered readers or faults cached during the
 * write. A failure only warns (dio_warn_stale_pagecache) in the kernel; here it is returned.
 */
export function kiocb_invalidate_post_direct_write(w: World, iocb: kiocb, count: number): number {
  const inode = w.inodes[iocb.ki_filp];
  if (!inode.i_pages.slots.size) return 0;
  return invalidate_inode_pages2_range(w, inode, Math.floor(iocb.ki_pos / PAGE_SIZE), Math.floor((iocb.ki_pos + count - 1) / PAGE_SIZE));
}
