// include/linux/mm.h, include/linux/page_ref.h, mm/swap.c: folio geometry and reference counting.
import { BUG, WARN_ON_ONCE } from "../include/bug.js";
import { GUP_PIN_COUNTING_BIAS, PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { free_frames, PG_anon_exclusive, PG_dirty, PG_slab, ZERO_PFN } from "./mem_map.js";

export const page_folio = (w: World, page: number): number => w.mem_for_read.head[page];
export const folio_order = (w: World, folio: number): number => w.mem_for_read.order[folio];
export const folio_nr_pages = (w: World, folio: number): number => 1 << w.mem_for_read.order[folio];
export const folio_size = (w: World, folio: number): number => folio_nr_pages(w, folio) * PAGE_SIZE;
export const folio_page = (folio: number, n: number): number => folio + n;
export const folio_page_idx = (folio: number, page: number): number => page - folio;
export const folio_ref_count = (w: World, folio: number): number => w.mem_for_read.refcount[folio];
export const folio_test = (w: World, folio: number, flag: number): boolean => (w.mem_for_read.flags[folio] & flag) !== 0;
export const folio_test_slab = (w: World, folio: number): boolean => folio_test(w, folio, PG_slab);
export const is_zero_folio = (folio: number): boolean => folio === ZERO_PFN;
/**
 * PageAnonExclusive() (include/linux/page-flags.h): the page's PG_anon_exclusive bit, in the eras
 * that have it (6c287605fd56, v5.19: KernelConfig.anon_exclusive); earlier kernels never ask.
 */
export const PageAnonExclusive = (w: World, page: number): boolean =>
  w.config.anon_exclusive && (w.mem_for_read.flags[page] & PG_anon_exclusive) !== 0;
/** folio_mapcount(): the PTEs mapping pages of the folio, summed over its pages. */
export function folio_mapcount(w: World, folio: number): number {
  const m = w.mem_for_read;
  let n = 0;
  for (let k = 0; k < 1 << m.order[folio]; k++) n += m.mapcount[folio + k];
  return n;
}
/** folio_mapped(): does any PTE map a page of the folio? */
export const folio_mapped = (w: World, folio: number): boolean => folio_mapcount(w, folio) > 0;
/** 64-bit: every large folio has a _pincount field. */
export const folio_has_pincount = (w: World, folio: number): boolean => w.mem_for_read.order[folio] > 0;

/** folio_maybe_dma_pinned(): exact for large folios, the 1024-bias heuristic for small ones. */
export function folio_maybe_dma_pinned(w: World, folio: number): boolean {
  const m = w.mem_for_read;
  if (m.order[folio] > 0) return m.pincount[folio] > 0; // folio_has_pincount()
  return m.refcount[folio] >>> 0 >= GUP_PIN_COUNTING_BIAS;
}

export const page_maybe_dma_pinned = (w: World, page: number): boolean =>
  folio_maybe_dma_pinned(w, page_folio(w, page));

export function folio_ref_add(w: World, folio: number, nr: number): void {
  w.mem.refcount[folio] += nr;
}

/** folio_get(): a caller that already holds a reference takes another. */
export function folio_get(w: World, folio: number): void {
  if (w.mem.refcount[folio] <= 0) BUG(w, "folio_get", "VM_BUG_ON_FOLIO: get on a folio with refcount <= 0");
  else w.mem.refcount[folio] += 1;
}

/** folio_ref_sub_and_test() and the free that follows; a drop below zero is DEBUG_VM's BUG. */
export function folio_put_refs(w: World, folio: number, refs: number, fn = "folio_put"): void {
  const left = w.mem.refcount[folio] - refs;
  if (w.mem.refcount[folio] <= 0 || left < 0) {
    BUG(w, fn, `VM_BUG_ON_FOLIO: refcount ${w.mem.refcount[folio]} - ${refs} underflows`);
    return;
  }
  w.mem.refcount[folio] = left;
  if (left === 0 && !is_zero_folio(folio)) free_frames(w, folio);
}

export const folio_put = (w: World, folio: number): void => folio_put_refs(w, folio, 1);

/** get_page(): since b9c0e49abfca (2025) a slab page's refcount is left alone, with a warning. */
export function get_page(w: World, page: number): void {
  const folio = page_folio(w, page);
  if (folio_test_slab(w, folio)) {
    WARN_ON_ONCE(w, "get_page", "get_page() on a slab page");
    return;
  }
  folio_get(w, folio);
}

/** put_page(): a slab page is ignored (b9c0e49abfca); otherwise one reference is dropped. */
export function put_page(w: World, page: number): void {
  const folio = page_folio(w, page);
  if (folio < 0) {
    BUG(w, "put_page", `page ${page} is not allocated (use after free)`);
    return;
  }
  if (folio_test_slab(w, folio)) return;
  folio_put_refs(w, folio, 1, "put_page");
}

/** folio_mark_dirty() / set_page_dirty(). */
export function folio_mark_dirty(w: World, folio: number): void {
  w.mem.flags[folio] |= PG_dirty;
}
