// mm/filemap.c (kiocb_write_and_wait, kiocb_invalidate_pages, kiocb_invalidate_post_direct_write,
// filemap_write_and_wait_range) and mm/truncate.c (invalidate_inode_pages2_range): how direct I/O
// keeps the page cache coherent with the disk around it.
import { EAGAIN, EBUSY } from "../include/errno.js";
import { PAGE_SIZE } from "../include/page.js";
import { filemap_get_folios, filemap_remove_folio, folio_test_locked } from "./filemap.js";
import { folio_test } from "./folio.js";
import { PG_dirty, PG_writeback } from "./mem_map.js";
import { unmap_mapping_folio } from "./memory.js";
import { folio_end_writeback, folio_start_writeback } from "./page_writeback.js";
import type { World } from "../world.js";
import type { Inode } from "../fs/inode.js";
import type { kiocb } from "../fs/kiocb.js";
import { IOCB_NOWAIT } from "../fs/kiocb.js";

const index_range = (lstart: number, lend: number): [number, number] => [Math.floor(lstart / PAGE_SIZE), Math.floor(lend / PAGE_SIZE)];

/**
 * filemap_write_and_wait_range(): write back every dirty folio of the byte range and wait for
 * all writeback there. Data-integrity writeback (WB_SYNC_ALL) first waits out a writeback
 * already under way (folio_prepare_writeback), so a folio dirtied again meanwhile is written
 * once more and comes back clean. The simulation cannot sleep: each wait finishes the writeback
 * on the spot, which is what the waiter would have seen.
 */
export function filemap_write_and_wait_range(w: World, inode: Inode, lstart: number, lend: number): number {
  for (const folio of filemap_get_folios(inode, ...index_range(lstart, lend))) {
    if (folio_test(w, folio, PG_writeback)) folio_end_writeback(w, folio); // folio_wait_writeback()
    // Writeback visits the folios tagged dirty: PG_dirty, not a dirty bit still in a PTE.
    if (folio_test(w, folio, PG_dirty) && folio_start_writeback(w, folio)) folio_end_writeback(w, folio);
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
  for (const folio of filemap_get_folios(inode, start, end)) {
    // folio_lock() sleeps while another task holds the folio locked; the simulation cannot
    // sleep, so the folio stays and the caller sees -EAGAIN (callers that can wait check
    // folio_test_locked() first, as the scenario engine does).
    if (folio_test_locked(w, folio)) {
      ret = -EAGAIN;
      continue;
    }
    if (folio_test(w, folio, PG_writeback)) folio_end_writeback(w, folio); // folio_wait_writeback()
    unmap_mapping_folio(w, folio);
    // folio_launder(): ext4 has no ->launder_folio, so a dirty folio fails invalidation.
    if (folio_test(w, folio, PG_dirty)) {
      ret = -EBUSY;
      continue;
    }
    filemap_remove_folio(w, inode, folio); // invalidate_complete_folio2()
  }
  return ret;
}

/** kiocb_write_and_wait(): flush dirty cached data of the range a DIO read is about to read. */
export function kiocb_write_and_wait(w: World, iocb: kiocb, count: number): number {
  if (!w.inodes_for_read[iocb.ki_filp].i_pages.slots.size) return 0; // nothing cached (and the files stay uncopied)
  const inode = w.inodes[iocb.ki_filp];
  const pos = iocb.ki_pos;
  const end = pos + count - 1;
  if (iocb.ki_flags & IOCB_NOWAIT) {
    const [first, last] = index_range(pos, end);
    const busy = filemap_get_folios(inode, first, last).some((f) => folio_test(w, f, PG_dirty) || folio_test(w, f, PG_writeback));
    return busy ? -EAGAIN : 0;
  }
  return filemap_write_and_wait_range(w, inode, pos, end);
}

/** kiocb_invalidate_pages(): before a DIO write, flush and drop the cached range. */
export function kiocb_invalidate_pages(w: World, iocb: kiocb, count: number): number {
  if (!w.inodes_for_read[iocb.ki_filp].i_pages.slots.size) return 0; // nothing cached to flush or drop
  const inode = w.inodes[iocb.ki_filp];
  const pos = iocb.ki_pos;
  const end = pos + count - 1;
  const [first, last] = index_range(pos, end);
  if (iocb.ki_flags & IOCB_NOWAIT) {
    if (filemap_get_folios(inode, first, last).length) return -EAGAIN;
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
  if (!w.inodes_for_read[iocb.ki_filp].i_pages.slots.size) return 0;
  return invalidate_inode_pages2_range(w, w.inodes[iocb.ki_filp], ...index_range(iocb.ki_pos, iocb.ki_pos + count - 1));
}
