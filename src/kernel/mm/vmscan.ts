// mm/vmscan.c shrink_folio_list() for one folio (what kswapd does to a folio it takes off the
// LRU), mm/rmap.c try_to_unmap() and mm/madvise.c MADV_PAGEOUT. A page-cache folio is unmapped
// and freed unless it is under writeback, dirty, maybe pinned (skipped since d824ec2a1546 "mm: do
// not reclaim private data from pinned page", v6.4, Cc: stable) or otherwise referenced. An
// anonymous folio goes out through the swap cache: from v5.11 a maybe-pinned one is never added to
// it (feb889fb40fa), and from v5.19 an exclusive maybe-pinned page cannot be unmapped (its PTE stays).
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { filemap_remove_folio } from "./filemap.js";
import type { Mm } from "./mm_types.js";
import { folio_mapcount, folio_mark_dirty, folio_maybe_dma_pinned, folio_nr_pages, folio_ref_count, folio_test, page_folio, PageAnonExclusive } from "./folio.js";
import { PG_anon, PG_anon_exclusive, PG_dirty, PG_swapcache, PG_writeback, ZERO_PFN } from "./mem_map.js";
import { follow_pte, unmap_mapping_folio } from "./memory.js";
import { page_remove_rmap, rmap_walk } from "./rmap.js";
import { add_to_swap, delete_from_swap_cache, swap_duplicate } from "./swapfile.js";

export type ReclaimResult = "reclaimed" | "writeback" | "pinned" | "dirty" | "referenced" | "mapped";

/**
 * try_to_unmap() of an anonymous folio: each PTE becomes a swap PTE. From v5.19,
 * folio_try_share_anon_rmap_pte() refuses (-EBUSY) for an exclusive page that may be pinned (that
 * PTE stays and unmapping stops), and the swap PTE keeps the exclusive bit (1493a1913e34); before,
 * neither existed and every PTE went.
 */
function try_to_unmap_anon(w: World, folio: number): boolean {
  const slot = w.mem.index[folio];
  for (const { mm: id, vpn, pte } of rmap_walk(w, folio)) {
    const exclusive = PageAnonExclusive(w, pte.pfn);
    if (exclusive && folio_maybe_dma_pinned(w, folio)) return false;
    w.mem.flags[pte.pfn] &= ~PG_anon_exclusive;
    if (pte.dirty) folio_mark_dirty(w, folio);
    const mm = w.mm(id)!;
    mm.ptes.delete(vpn);
    mm.swap.set(vpn, { slot, exclusive });
    swap_duplicate(w, slot);
    page_remove_rmap(w, pte.pfn);
  }
  return true;
}

function shrink_anon_folio(w: World, folio: number): ReclaimResult {
  if (!folio_test(w, folio, PG_swapcache)) {
    if (w.config.swapcache_skips_pinned && folio_maybe_dma_pinned(w, folio)) return "pinned";
    add_to_swap(w, folio);
    folio_mark_dirty(w, folio); // a new swap slot holds nothing yet
  }
  if (!try_to_unmap_anon(w, folio)) return "pinned";
  if (folio_maybe_dma_pinned(w, folio)) return "pinned"; // unmapped, so no new pins: not paged out (d824ec2a1546, every era)
  // pageout() writes only a folio nobody but the swap cache holds (is_page_cache_freeable()):
  // else PAGE_KEEP, nothing written and the folio still dirty, as __remove_mapping() would refuse it.
  if (folio_ref_count(w, folio) !== 1) return "referenced";
  if (folio_test(w, folio, PG_dirty)) {
    // swap_writepage(): synchronous here.
    w.swap.slots.get(w.mem.index[folio])!.bytes = w.data_for_read.read(folio).slice();
    w.mem.flags[folio] &= ~PG_dirty;
  }
  delete_from_swap_cache(w, folio);
  return "reclaimed";
}

export function shrink_folio(w: World, folio: number): ReclaimResult {
  if (folio_test(w, folio, PG_writeback)) return "writeback";
  if (folio_test(w, folio, PG_anon)) return folio_nr_pages(w, folio) > 1 ? "mapped" : shrink_anon_folio(w, folio);
  unmap_mapping_folio(w, folio); // try_to_unmap(): every PTE of a file folio just goes
  if (folio_maybe_dma_pinned(w, folio)) return "pinned";
  if (folio_test(w, folio, PG_dirty)) return "dirty";
  // __remove_mapping(): folio_ref_freeze() succeeds only if the page cache holds the last reference.
  if (folio_ref_count(w, folio) !== 1) return "referenced";
  filemap_remove_folio(w, w.inodes[w.mem.mapping[folio]], folio);
  return "reclaimed";
}

/** The folio mapped at addr in mm, or -1: nothing mapped, or the zero page, which reclaim leaves. */
function mapped_folio(w: World, mm: Readonly<Mm>, addr: number): number {
  const pte = follow_pte(mm, addr);
  return pte && pte.pfn !== ZERO_PFN ? page_folio(w, pte.pfn) : -1;
}

/**
 * kswapd reaching, on the LRU, the folio mapped at addr: shrink_folio_list() on it, which unlike
 * MADV_PAGEOUT also takes a folio other mappings share, unmapping it from all of them. null when
 * nothing reclaimable is mapped there.
 */
export function shrink_mapped_folio(w: World, mm: Readonly<Mm>, addr: number): ReclaimResult | null {
  const folio = mapped_folio(w, mm, addr);
  return folio < 0 ? null : shrink_folio(w, folio);
}

/**
 * madvise(MADV_PAGEOUT) (madvise_cold_or_pageout_pte_range()): reclaim the folios mapped in the
 * range that no other mapping uses (a mapcount of one per page); a shared folio is left alone, so
 * it is not in the result. What each attempt gave.
 */
export function madvise_pageout(w: World, mm: Mm, addr: number, len: number): ReclaimResult[] {
  const out: ReclaimResult[] = [];
  for (let a = addr; a < addr + len; a += PAGE_SIZE) {
    const folio = mapped_folio(w, mm, a);
    if (folio >= 0 && folio_mapcount(w, folio) === folio_nr_pages(w, folio)) out.push(shrink_folio(w, folio));
  }
  return out;
}
