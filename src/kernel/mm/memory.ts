// mm/memory.c: page faults (anonymous, file read / COW / shared, write-protect and unshare),
// with the current reuse rules: an exclusive anonymous page is reused; a possibly shared small
// one only when it holds the sole reference (09854ba94c6a, wp_can_reuse_anon_folio). Permission
// checks belong to the callers (the CPU fault path in uaccess.ts, GUP's check_vma_flags).
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { mapping_can_writeback } from "../fs/inode.js";
import { filemap_get_folio } from "./filemap.js";
import { folio_mapcount, folio_mark_dirty, folio_nr_pages, folio_ref_count, folio_test, page_folio, PageAnonExclusive } from "./folio.js";
import { alloc_pages, PG_anon, PG_anon_exclusive, PG_lru, PG_swapcache, PG_writeback, ZERO_PFN } from "./mem_map.js";
import type { Mm, Pte, Vma } from "./mm_types.js";
import { find_vma, linear_page_index, VM_SHARED, VM_WRITE, vma_is_anonymous } from "./mm_types.js";
import { page_add_rmap, page_remove_rmap, rmap_walk } from "./rmap.js";
import type { SwapPte } from "./swapfile.js";
import { delete_from_swap_cache, folio_free_swap, free_swap_and_cache, free_swap_cache, swap_free } from "./swapfile.js";

export const FAULT_FLAG_WRITE = 1 << 0;
export const FAULT_FLAG_UNSHARE = 1 << 10;

export const VM_FAULT_SIGBUS = 0x0002;
export const VM_FAULT_WRITE = 0x0008;
export const VM_FAULT_SIGSEGV = 0x0040;

/** The virtual page number of a user address: the key of the page-table maps. */
export const vpn = (addr: number): number => Math.floor(addr / PAGE_SIZE);

export const follow_pte = (mm: Mm, addr: number): Pte | undefined => mm.ptes.get(vpn(addr));

export function set_pte(mm: Mm, addr: number, pte: Pte): void {
  mm.ptes.set(vpn(addr), pte);
}

/** zap one PTE: the mapping goes; a dirty PTE passes its dirty bit to a file folio. */
export function zap_pte(w: World, mm: Mm, addr: number): void {
  const swp = mm.swap.get(vpn(addr));
  if (swp) {
    mm.swap.delete(vpn(addr));
    free_swap_and_cache(w, swp.slot); // zap_nonpresent_ptes()
  }
  const pte = follow_pte(mm, addr);
  if (!pte) return;
  mm.ptes.delete(vpn(addr));
  if (pte.pfn === ZERO_PFN) return; // the zero page has no rmap, no mapping reference, no dirty state
  const folio = page_folio(w, pte.pfn);
  if (pte.dirty && !folio_test(w, folio, PG_anon)) folio_mark_dirty(w, folio);
  const swapcache = folio_test(w, folio, PG_swapcache); // the cache's reference keeps it alive
  page_remove_rmap(w, pte.pfn);
  // The zapped page's reference goes in tlb_batch_pages_flush() (mm/mmu_gather.c) through
  // free_pages_and_swap_cache() -> free_swap_cache() (mm/swap_state.c).
  if (swapcache) free_swap_cache(w, folio);
}

/** unmap_mapping_folio(): zap every PTE, in every mm, that maps the folio. */
export function unmap_mapping_folio(w: World, folio: number): void {
  for (const { mm, vpn } of rmap_walk(w, folio)) zap_pte(w, w.mm(mm)!, vpn * PAGE_SIZE);
}

/** A new exclusive anonymous page mapped in vma; the mapping holds its one reference. */
export function new_anon_page(w: World, vma: Vma): number {
  const pfn = alloc_pages(w.mem, 0, PG_anon | PG_anon_exclusive | PG_lru);
  w.mem.mapcount[pfn] = 1;
  vma.anon_vma = true;
  return pfn;
}

/** maybe_mkwrite(): a PTE is made writable only in a VM_WRITE mapping (FOLL_FORCE writes are not). */
const mkwrite = (vma: Vma, write: boolean): boolean => write && (vma.vm_flags & VM_WRITE) !== 0;

/** wp_page_copy(): this PTE gets a private anonymous copy of old (zeros for the zero page). */
function wp_page_copy(w: World, mm: Mm, vma: Vma, addr: number, old: number, write: boolean): void {
  const copy = new_anon_page(w, vma);
  if (old !== ZERO_PFN) w.data.write(copy).set(w.data_for_read.read(old));
  set_pte(mm, addr, { pfn: copy, write: mkwrite(vma, write), dirty: write });
  const folio = page_folio(w, old);
  const swapcache = old !== ZERO_PFN && folio_test(w, folio, PG_swapcache); // the cache's reference keeps it alive
  page_remove_rmap(w, old);
  // mm/memory.c wp_page_copy(): "if (page_copied) free_swap_cache(old_folio);" before the put.
  if (swapcache) free_swap_cache(w, folio);
}

/**
 * __wp_can_reuse_large_anon_folio() (mm/memory.c, 1da190f4d0a6 "mm: Copy-on-Write (COW) reuse
 * support for PTE-mapped THP"): not when at most one page is mapped; not when the folio may be
 * mapped by another mm (FOLIO_MM_IDS_SHARED_BIT, counted exactly here: the kernel's two mm-id
 * slots are exact for up to two mms); otherwise only if every reference is a mapping.
 */
function wp_can_reuse_large_anon_folio(w: World, mm: Mm, folio: number): boolean {
  const nr = folio_nr_pages(w, folio);
  const large_mapcount = folio_mapcount(w, folio);
  if (large_mapcount <= 1) return false;
  let in_mm = 0;
  for (const pte of mm.ptes.values()) if (pte.pfn >= folio && pte.pfn < folio + nr) in_mm++;
  if (in_mm !== large_mapcount) return false;
  return large_mapcount === folio_ref_count(w, folio);
}

/** wp_can_reuse_anon_folio(): may a possibly shared anonymous folio be reused in place? */
function wp_can_reuse_anon_folio(w: World, mm: Mm, folio: number): boolean {
  if (folio_nr_pages(w, folio) > 1) return wp_can_reuse_large_anon_folio(w, mm, folio);
  const swapcache = folio_test(w, folio, PG_swapcache) ? 1 : 0;
  if (folio_ref_count(w, folio) > 3) return false;
  if (folio_ref_count(w, folio) > 1 + swapcache) return false;
  if (swapcache) folio_free_swap(w, folio); // fails while a swap PTE still names the slot
  return folio_ref_count(w, folio) === 1;
}

/**
 * reuse_swap_page() (mm/swapfile.c; do_wp_page() used it before 09854ba94c6a, v5.9, do_swap_page()
 * until v5.18): count the page's mappings plus the swap PTEs still naming its slot, and reuse
 * when that is at most one, first taking a sole user's page out of the swap cache (dirty, since
 * the slot no longer holds its data). References that are neither, such as a GUP reference or a
 * pipe buffer, do not count: "COW can break either way". For a large folio the count is the most
 * any one of its pages is mapped (page_trans_huge_map_swapcount(); large folios never reach swap here).
 */
function reuse_swap_page(w: World, page: number, folio: number): boolean {
  const swapcache = folio_test(w, folio, PG_swapcache);
  let maps = w.mem.mapcount[page];
  for (let k = 0, nr = folio_nr_pages(w, folio); nr > 1 && k < nr; k++) maps = Math.max(maps, w.mem.mapcount[folio + k]);
  const count = maps + (swapcache ? (w.swap.slots.get(w.mem.index[folio])?.count ?? 0) : 0);
  if (count === 1 && swapcache && !folio_test(w, folio, PG_writeback)) {
    delete_from_swap_cache(w, folio);
    folio_mark_dirty(w, folio);
  }
  return count <= 1;
}

/**
 * Whether a write fault may reuse an anonymous page in place, by era (eras.ts): before v5.9 when
 * it is mapped (or swapped) once, whatever other references exist (reuse_swap_page(): "COW can
 * break either way"); v5.9-5.18 only as the sole reference, so even a pinned page is copied away
 * from its pin; since v5.19 also whenever it is PageAnonExclusive.
 */
function can_reuse_anon(w: World, mm: Mm, page: number, folio: number): boolean {
  if (w.config.cow_reuse === "mapcount") return reuse_swap_page(w, page, folio);
  if (PageAnonExclusive(w, page)) return true;
  return wp_can_reuse_anon_folio(w, mm, folio);
}

/** do_wp_page(): a write (or unshare) fault on a present PTE that does not allow it. */
function do_wp_page(w: World, mm: Mm, vma: Vma, addr: number, pte: Pte, write: boolean): void {
  const page = pte.pfn;
  if (vma.vm_flags & VM_SHARED) {
    // wp_page_shared(): ->page_mkwrite tells the file system; the folio becomes dirty.
    if (!write) return;
    folio_mark_dirty(w, page_folio(w, page));
    set_pte(mm, addr, { pfn: page, write: true, dirty: true });
    return;
  }
  const folio = page_folio(w, page);
  if (page !== ZERO_PFN && folio_test(w, folio, PG_anon)) {
    if (!can_reuse_anon(w, mm, page, folio)) {
      wp_page_copy(w, mm, vma, addr, page, write);
      return;
    }
    w.mem.flags[page] |= PG_anon_exclusive;
    if (write) set_pte(mm, addr, { pfn: page, write: mkwrite(vma, true), dirty: true });
    return;
  }
  // The zero page or a page-cache page in a private mapping: break COW into an anonymous copy.
  wp_page_copy(w, mm, vma, addr, page, write);
}

/**
 * do_fault() for a file VMA without a PTE: read, COW (private write) or shared write fault; 0, or
 * VM_FAULT_SIGBUS for a page at or past the end of the file (filemap_fault() in mm/filemap.c and,
 * through its -EINVAL, shmem_get_folio_gfp() in mm/shmem.c: nothing is cached or mapped).
 */
function do_fault(w: World, mm: Mm, vma: Vma, addr: number, write: boolean): number {
  const inode = w.inodes_for_read[vma.file];
  const index = linear_page_index(vma, addr);
  if (index >= Math.ceil(inode.i_size / PAGE_SIZE)) return VM_FAULT_SIGBUS;
  const folio = filemap_get_folio(w, w.inodes[vma.file], index);
  const shared = (vma.vm_flags & VM_SHARED) !== 0;
  if (write && !shared) {
    // do_cow_fault(): the private mapping gets an anonymous copy straight away.
    const copy = new_anon_page(w, vma);
    w.data.write(copy).set(w.data_for_read.read(folio));
    set_pte(mm, addr, { pfn: copy, write: mkwrite(vma, true), dirty: true });
    return 0;
  }
  page_add_rmap(w, folio);
  if (write) {
    // do_shared_fault(): ->page_mkwrite, then a writable, dirty PTE and a dirty folio.
    folio_mark_dirty(w, folio);
    set_pte(mm, addr, { pfn: folio, write: true, dirty: true });
    return 0;
  }
  // do_read_fault(): shared writable mappings that need no dirty tracking map writable at once.
  const writable = shared && (vma.vm_flags & VM_WRITE) !== 0 && !mapping_can_writeback(inode);
  set_pte(mm, addr, { pfn: folio, write: writable, dirty: false });
  return 0;
}

/**
 * do_anonymous_page() for a write fault where alloc_anon_folio() picks an mTHP order (the THP
 * setting "always" for that size; mm/memory.c): one large folio for the naturally aligned range
 * around addr, mapped by one PTE per page with set_ptes(), each PTE holding its own folio
 * reference (folio_ref_add(folio, nr_pages - 1)) and its page's mapcount, every page
 * AnonExclusive (folio_add_new_anon_rmap(RMAP_EXCLUSIVE)). Falls back to an order-0 fault, as
 * alloc_anon_folio() does, when the range leaves the VMA or a PTE in it is already populated.
 * 0, VM_FAULT_SIGSEGV when no VMA covers addr, or what the order-0 fault returned.
 */
export function do_anonymous_folio(w: World, mm: Mm, addr: number, order: number): number {
  const vma = find_vma(mm, addr);
  if (!vma) return VM_FAULT_SIGSEGV;
  const nr = 1 << order;
  const start = addr - (addr % (nr * PAGE_SIZE));
  let suitable = order > 0 && vma_is_anonymous(vma) && start >= vma.vm_start && start + nr * PAGE_SIZE <= vma.vm_end;
  // pte_range_none(): no PTE at all in the range, present or swap.
  for (let k = 0; suitable && k < nr; k++) suitable = !follow_pte(mm, start + k * PAGE_SIZE) && !mm.swap.has(vpn(start + k * PAGE_SIZE));
  if (!suitable) return handle_mm_fault(w, mm, addr, FAULT_FLAG_WRITE);
  const folio = alloc_pages(w.mem, order, PG_anon | PG_anon_exclusive | PG_lru);
  w.mem.refcount[folio] = nr;
  const rw = mkwrite(vma, true); // writable and dirty only in a VM_WRITE mapping, as at order 0
  for (let k = 0; k < nr; k++) {
    w.mem.flags[folio + k] |= PG_anon_exclusive;
    w.mem.mapcount[folio + k] = 1;
    set_pte(mm, start + k * PAGE_SIZE, { pfn: folio + k, write: rw, dirty: rw });
  }
  vma.anon_vma = true;
  return 0;
}

/**
 * do_swap_page(): bring a swapped-out page back, from the swap cache or from the device. It is
 * mapped exclusive (and writable in a VM_WRITE mapping, on a read fault only since v6.11) when
 * the swap PTE said exclusive or the folio has no other reference; otherwise R/O and shared, for
 * do_wp_page() to sort out.
 */
function do_swap_page(w: World, mm: Mm, vma: Vma, addr: number, entry: SwapPte, write: boolean): void {
  let folio = w.swap.cache.get(entry.slot);
  if (folio === undefined) {
    folio = alloc_pages(w.mem, 0, PG_anon | PG_lru);
    const bytes = w.swap.slots.get(entry.slot)!.bytes;
    if (bytes) w.data.write(folio).set(bytes);
    w.swap.cache.set(entry.slot, folio);
    w.mem.flags[folio] |= PG_swapcache;
    w.mem.index[folio] = entry.slot;
    w.mem.refcount[folio] += 1; // the swap cache's reference; the allocation's becomes the mapping's
  } else {
    w.mem.refcount[folio] += 1; // the mapping's
  }
  mm.swap.delete(vpn(addr));
  if (!w.config.anon_exclusive) return swap_in_by_mapcount(w, mm, vma, addr, entry, folio, write);
  let exclusive = entry.exclusive;
  swap_free(w, entry.slot);
  // should_try_to_free_swap(): a write fault with no other references frees the slot now.
  if (write && folio_test(w, folio, PG_swapcache) && folio_ref_count(w, folio) === 2) folio_free_swap(w, folio);
  w.mem.mapcount[folio] += 1;
  if (exclusive || folio_ref_count(w, folio) === 1) {
    exclusive = true;
    w.mem.flags[folio] |= PG_anon_exclusive;
  }
  // An exclusive page is mapped writable on a read fault too since c18160dba5ff (v6.11); before,
  // only a write fault made it so, and a later write took the do_wp_page() reuse path.
  const writable = exclusive && mkwrite(vma, write || w.config.swapin_exclusive_writable);
  set_pte(mm, addr, { pfn: folio, write: writable, dirty: write && exclusive });
  if (write && !exclusive) do_wp_page(w, mm, vma, addr, follow_pte(mm, addr)!, true);
}

/**
 * do_swap_page() before v5.19 (no exclusive bit in swap PTEs): the page is mapped read-only unless
 * a write fault finds, through reuse_swap_page(), that this swap PTE and no other mapping uses it;
 * counted before swap_free() drops this PTE's use of the slot. A write it does not allow goes on
 * to do_wp_page(). (v5.18 already decided on the refcount, as 5.19 does; the era folds it in.)
 */
function swap_in_by_mapcount(w: World, mm: Mm, vma: Vma, addr: number, entry: SwapPte, folio: number, write: boolean): void {
  const reuse = write && reuse_swap_page(w, folio, folio);
  if (reuse) w.mem.flags[folio] |= PG_anon_exclusive;
  w.mem.mapcount[folio] += 1;
  set_pte(mm, addr, { pfn: folio, write: mkwrite(vma, reuse), dirty: reuse });
  swap_free(w, entry.slot);
  if (write && !reuse) do_wp_page(w, mm, vma, addr, follow_pte(mm, addr)!, true);
}

/**
 * handle_mm_fault(): VM_FAULT_SIGSEGV when no VMA covers addr; VM_FAULT_SIGBUS for a file page
 * past the end of the file; VM_FAULT_WRITE when a write fault went through do_wp_page() or
 * do_swap_page(), which break COW (kernels before v6.0 reported it, and GUP's FOLL_COW followed
 * it); else 0.
 */
export function handle_mm_fault(w: World, mm: Mm, addr: number, flags: number): number {
  const vma = find_vma(mm, addr);
  if (!vma) return VM_FAULT_SIGSEGV;
  const write = (flags & FAULT_FLAG_WRITE) !== 0;
  const pte = follow_pte(mm, addr);
  const swp = mm.swap.get(vpn(addr));
  if (!pte && swp) {
    do_swap_page(w, mm, vma, addr, swp, write);
    return write ? VM_FAULT_WRITE : 0;
  }
  if (!pte) {
    if (!vma_is_anonymous(vma)) return do_fault(w, mm, vma, addr, write);
    if (write) {
      // do_anonymous_page(): writable and dirty only in a VM_WRITE mapping; a FOLL_FORCE write
      // into another maps the page clean and read-only.
      const rw = mkwrite(vma, true);
      set_pte(mm, addr, { pfn: new_anon_page(w, vma), write: rw, dirty: rw });
    } else set_pte(mm, addr, { pfn: ZERO_PFN, write: false, dirty: false }); // a read maps the zero page
    return 0;
  }
  if (pte.write) {
    // handle_pte_fault(): nothing to break or unshare; a write marks the PTE dirty.
    if (write && !pte.dirty) set_pte(mm, addr, { ...pte, dirty: true });
    return 0;
  }
  if (!write && !(flags & FAULT_FLAG_UNSHARE)) return 0;
  do_wp_page(w, mm, vma, addr, pte, write);
  return write ? VM_FAULT_WRITE : 0;
}
