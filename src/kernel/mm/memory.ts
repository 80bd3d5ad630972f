// mm/memory.c, the subset the iterator layer needs until the full fault and COW model lands:
// anonymous read faults map the shared zero page, write faults allocate or copy
// (do_anonymous_page, do_wp_page with the PageAnonExclusive / sole-reference reuse rule), and
// unshare faults make a possibly shared anonymous page exclusive without making it writable.
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { folio_put, folio_ref_count, page_folio } from "./folio.js";
import { alloc_pages, PG_anon, PG_anon_exclusive, PG_dirty, PG_lru, ZERO_PFN } from "./mem_map.js";
import type { Mm, Pte } from "./mm_types.js";
import { find_vma, VM_READ, VM_WRITE } from "./mm_types.js";

export const FAULT_FLAG_WRITE = 1 << 0;
export const FAULT_FLAG_UNSHARE = 1 << 10;

export const VM_FAULT_SIGSEGV = 0x0040;

const vpn = (addr: number): number => Math.floor(addr / PAGE_SIZE);

export const follow_pte = (mm: Mm, addr: number): Pte | undefined => mm.ptes.get(vpn(addr));

function set_pte(mm: Mm, addr: number, pte: Pte): void {
  mm.ptes.set(vpn(addr), pte);
}

/** A fresh exclusive anonymous page, mapped once; the mapping holds its one reference. */
function new_anon_page(w: World): number {
  const pfn = alloc_pages(w.mem, 0, PG_anon | PG_anon_exclusive | PG_lru);
  w.mem.mapcount[pfn] = 1;
  return pfn;
}

/** wp_page_copy(): give this PTE a private copy and drop its mapping of the old page. */
function wp_page_copy(w: World, mm: Mm, addr: number, old: number, write: boolean): void {
  const copy = new_anon_page(w);
  if (old !== ZERO_PFN) {
    w.mem.data.write(copy).set(w.mem.data.read(old));
    w.mem.mapcount[old] -= 1;
    folio_put(w, page_folio(w, old));
  }
  set_pte(mm, addr, { pfn: copy, write, dirty: write });
}

/** handle_mm_fault(): 0 on success, VM_FAULT_SIGSEGV when the access is not allowed. */
export function handle_mm_fault(w: World, mm: Mm, addr: number, flags: number): number {
  const vma = find_vma(mm, addr);
  const write = (flags & FAULT_FLAG_WRITE) !== 0;
  if (!vma || !(vma.vm_flags & (write ? VM_WRITE : VM_READ))) return VM_FAULT_SIGSEGV;
  const pte = follow_pte(mm, addr);
  if (!pte) {
    // do_anonymous_page(): reads map the zero page, writes get a new page.
    if (write) set_pte(mm, addr, { pfn: new_anon_page(w), write: true, dirty: true });
    else set_pte(mm, addr, { pfn: ZERO_PFN, write: false, dirty: false });
    return 0;
  }
  if (!write && !(flags & FAULT_FLAG_UNSHARE)) return 0;
  if (write && pte.write) return 0;
  // do_wp_page() / unshare.
  if (pte.pfn === ZERO_PFN) {
    // wp_page_copy() of the zero page: a zeroed page, writable for a write, R/O for an unshare.
    wp_page_copy(w, mm, addr, ZERO_PFN, write);
    return 0;
  }
  const folio = page_folio(w, pte.pfn);
  const exclusive = (w.mem.flags[pte.pfn] & PG_anon_exclusive) !== 0;
  if (exclusive || folio_ref_count(w, folio) === 1) {
    w.mem.flags[pte.pfn] |= PG_anon_exclusive;
    if (write) {
      w.mem.flags[folio] |= PG_dirty;
      set_pte(mm, addr, { pfn: pte.pfn, write: true, dirty: true });
    }
    return 0;
  }
  wp_page_copy(w, mm, addr, pte.pfn, write);
  return 0;
}
