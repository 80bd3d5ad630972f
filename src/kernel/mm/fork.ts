// kernel/fork.c (dup_mmap) and mm/memory.c (copy_page_range, copy_present_pte,
// copy_present_page): the child's address space. Anonymous pages are shared copy-on-write,
// except that a possibly pinned page of an mm that ever pinned is copied for the child at once
// (70e806e4e645; which pages, by era, below), so the pinner keeps the page its pins refer to.
// Swap entries are shared by both and lose their exclusive bit.
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { folio_maybe_dma_pinned, folio_test, page_folio, PageAnonExclusive } from "./folio.js";
import { PG_anon, PG_anon_exclusive, ZERO_PFN } from "./mem_map.js";
import { new_anon_page, set_pte } from "./memory.js";
import { mm_alloc } from "./mmap.js";
import type { Mm, Pte, Vma } from "./mm_types.js";
import { is_cow_mapping, MMF_HAS_PINNED, mm_flag, VM_SHARED, VM_WRITE } from "./mm_types.js";
import { page_add_rmap } from "./rmap.js";
import type { SwapPte } from "./swapfile.js";
import { swap_duplicate } from "./swapfile.js";

/** folio_needs_cow_for_dma(): only meaningful while fork holds write_protect_seq. */
const folio_needs_cow_for_dma = (w: World, src: Mm, folio: number): boolean =>
  mm_flag(src, MMF_HAS_PINNED) && folio_maybe_dma_pinned(w, folio);

/** vma_needs_copy(): VMAs without anonymous pages are faulted in lazily by the child. */
const vma_needs_copy = (vma: Vma): boolean => vma.anon_vma;

/** copy_present_page(): the child gets its own exclusive copy; the parent PTE stays as it was. */
function copy_present_page(w: World, dst: Mm, vma: Vma, addr: number, src_pte: Pte): void {
  const copy = new_anon_page(w, vma);
  w.data.write(copy).set(w.data_for_read.read(src_pte.pfn));
  set_pte(dst, addr, { pfn: copy, write: (vma.vm_flags & VM_WRITE) !== 0, dirty: true });
}

/** copy_present_pte() */
function copy_present_pte(w: World, src: Mm, dst: Mm, vma: Vma, addr: number, pte: Pte): void {
  const page = pte.pfn;
  if (page === ZERO_PFN) {
    set_pte(dst, addr, pte);
    return;
  }
  const folio = page_folio(w, page);
  const anon = folio_test(w, folio, PG_anon);
  // Which maybe-pinned pages the child gets a copy of, by era: none before v5.9; in v5.9-5.18
  // (page_needs_cow_for_dma) any page of a COW mapping, page-cache pages of a private file
  // mapping included; since fb3d824d1a46 (v5.19) an exclusive anonymous page only
  // (folio_try_dup_anon_rmap_pte() failing with -EBUSY).
  const may_copy = w.config.anon_exclusive ? anon && PageAnonExclusive(w, page) : is_cow_mapping(vma.vm_flags);
  if (w.config.fork_early_cow && may_copy && folio_needs_cow_for_dma(w, src, folio)) {
    copy_present_page(w, dst, vma, addr, pte);
    return;
  }
  if (anon) w.mem.flags[page] &= ~PG_anon_exclusive;
  page_add_rmap(w, page);
  let write = pte.write;
  if (is_cow_mapping(vma.vm_flags) && write) {
    set_pte(src, addr, { ...pte, write: false }); // ptep_set_wrprotect() on the parent
    write = false;
  }
  // The child's PTE: clean for shared mappings, old; R/O where the parent's was made R/O.
  set_pte(dst, addr, { pfn: page, write, dirty: vma.vm_flags & VM_SHARED ? false : pte.dirty });
}

/** copy_nonpresent_pte() for a swap entry: both PTEs share the slot, neither is exclusive any more. */
function copy_swap_pte(w: World, src: Mm, dst: Mm, addr: number, swp: SwapPte): void {
  swap_duplicate(w, swp.slot);
  const shared = { slot: swp.slot, exclusive: false };
  src.swap.set(addr / PAGE_SIZE, shared);
  dst.swap.set(addr / PAGE_SIZE, shared);
}

/** fork(): duplicate parent's address space; returns the child's mm index. */
export function fork_mm(w: World, parent: number): number {
  const child = mm_alloc(w);
  const src = w.mm(parent)!;
  const dst = w.mm(child)!;
  dst.mmap_base = src.mmap_base;
  dst.parent = parent;
  for (const vma of src.vmas) {
    if (vma.dontcopy) continue;
    dst.vmas.push({ ...vma });
    if (!vma_needs_copy(vma)) continue;
    for (let addr = vma.vm_start; addr < vma.vm_end; addr += PAGE_SIZE) {
      const pte = src.ptes.get(addr / PAGE_SIZE);
      if (pte) copy_present_pte(w, src, dst, vma, addr, pte);
      const swp = src.swap.get(addr / PAGE_SIZE);
      if (swp) copy_swap_pte(w, src, dst, addr, swp);
    }
  }
  return child;
}
