// mm/rmap.c: adding and removing a page's mappings (mapcount and the mapping's reference), and
// the reverse walk over every PTE that maps a page.
import type { World } from "../world.js";
import { folio_put, page_folio } from "./folio.js";
import { ZERO_PFN } from "./mem_map.js";
import type { Pte } from "./mm_types.js";

/** Map page into a PTE: one more mapping, holding one more reference (the zero page holds none). */
export function page_add_rmap(w: World, page: number): void {
  if (page === ZERO_PFN) return;
  w.mem.mapcount[page] += 1;
  w.mem.refcount[page_folio(w, page)] += 1;
}

/** A PTE stops mapping page: one mapping and its reference go. */
export function page_remove_rmap(w: World, page: number): void {
  if (page === ZERO_PFN) return;
  w.mem.mapcount[page] -= 1;
  folio_put(w, page_folio(w, page));
}

/**
 * Every (address space, virtual page number, pte) that maps page, in a fixed order. The walk
 * only reads: a caller that changes a PTE takes that address space as its own with w.mm(mm).
 */
export function rmap_walk(w: World, page: number): { mm: number; vpn: number; pte: Pte }[] {
  const out: { mm: number; vpn: number; pte: Pte }[] = [];
  const all = w.mms_for_read;
  for (let i = 0; i < all.length; i++) for (const [vpn, pte] of all[i].ptes) if (pte.pfn === page) out.push({ mm: i, vpn, pte });
  return out;
}
