// mm/page-writeback.c and mm/rmap.c (folio_mkclean): writing a dirty page-cache folio back to
// disk. Writeback write-protects and cleans every PTE first, so CPU writers fault again and
// re-dirty the folio; it does not consult pins (W1), so a pin holder's later writes go unseen
// unless the folio is dirtied again when the pin is released.
import { mapping_can_writeback } from "../fs/inode.js";
import type { World } from "../world.js";
import { folio_mark_dirty, folio_test } from "./folio.js";
import { PG_dirty, PG_writeback } from "./mem_map.js";
import { rmap_walk } from "./rmap.js";

/** folio_mkclean(): write-protect and clean every PTE mapping the folio; whether any was dirty. */
export function folio_mkclean(w: World, folio: number): boolean {
  let dirty = false;
  for (const { mm, vpn, pte } of rmap_walk(w, folio)) {
    if (!pte.write && !pte.dirty) continue; // already clean and read-only: its address space stays shared
    dirty ||= pte.dirty;
    w.mm(mm)!.ptes.set(vpn, { ...pte, write: false, dirty: false });
  }
  return dirty;
}

/** folio_clear_dirty_for_io(): move PTE dirty bits to the folio, then test-and-clear it. */
export function folio_clear_dirty_for_io(w: World, folio: number): boolean {
  if (folio_mkclean(w, folio)) folio_mark_dirty(w, folio);
  const was = folio_test(w, folio, PG_dirty);
  w.mem.flags[folio] &= ~PG_dirty;
  return was;
}

/**
 * The first half of writing one folio (write_cache_pages): clean it and mark it under writeback.
 * Nothing for a mapping that cannot write back, which writeback never visits.
 */
export function folio_start_writeback(w: World, folio: number): boolean {
  if (!mapping_can_writeback(w.inodes_for_read[w.mem.mapping[folio]])) return false;
  if (folio_test(w, folio, PG_writeback) || !folio_clear_dirty_for_io(w, folio)) return false;
  w.mem.flags[folio] |= PG_writeback;
  return true;
}

/** The device has read the folio: its bytes at this moment reach the disk; folio_end_writeback(). */
export function folio_end_writeback(w: World, folio: number): void {
  const inode = w.inodes[w.mem.mapping[folio]];
  inode.disk.set(w.mem.index[folio], w.data_for_read.read(folio).slice());
  w.mem.flags[folio] &= ~PG_writeback;
}
