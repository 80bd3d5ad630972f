// mm/vmscan.c shrink_folio_list() for one page-cache folio: unmap it, then free it unless it
// is under writeback, dirty, maybe pinned (skipped since "mm: do not reclaim private data from
// pinned page", 2023) or held by references other than the page cache's.
import { xa_erase } from "../lib/xarray.js";
import type { World } from "../world.js";
import { folio_maybe_dma_pinned, folio_put, folio_ref_count, folio_test } from "./folio.js";
import { PG_anon, PG_dirty, PG_writeback } from "./mem_map.js";
import { zap_pte } from "./memory.js";
import { rmap_walk } from "./rmap.js";

export type ReclaimResult = "reclaimed" | "writeback" | "pinned" | "dirty" | "referenced" | "anon";

export function shrink_folio(w: World, folio: number): ReclaimResult {
  // Anonymous memory needs swap, which the simulation does not model yet.
  if (folio_test(w, folio, PG_anon)) return "anon";
  if (folio_test(w, folio, PG_writeback)) return "writeback";
  for (const { mm, vpn } of rmap_walk(w, folio)) zap_pte(w, mm, vpn * 4096); // try_to_unmap()
  if (folio_maybe_dma_pinned(w, folio)) return "pinned";
  if (folio_test(w, folio, PG_dirty)) return "dirty";
  // __remove_mapping(): folio_ref_freeze() succeeds only if the page cache holds the last reference.
  if (folio_ref_count(w, folio) !== 1) return "referenced";
  xa_erase(w.inodes[w.mem.mapping[folio]].i_pages, w.mem.index[folio]);
  folio_put(w, folio);
  return "reclaimed";
}
