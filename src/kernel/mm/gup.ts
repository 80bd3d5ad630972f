// mm/gup.c: taking and dropping FOLL_GET references and FOLL_PIN pins on user pages. The *_fast
// entry points walk the page tables locklessly first (gup_fast()) and leave the pages that need a
// fault (a write, or FAULT_FLAG_UNSHARE for R/O pins of shared anon pages) to the slow path.
import { BUG, WARN, WARN_ON_ONCE } from "../include/bug.js";
import { EFAULT, EINTR, EINVAL, ENOMEM, EOVERFLOW } from "../include/errno.js";
import {
  FOLL_ANON, FOLL_FAST_ONLY, FOLL_FORCE, FOLL_GET, FOLL_HONOR_NUMA_FAULT, FOLL_LONGTERM, FOLL_NOFAULT,
  FOLL_PCI_P2PDMA, FOLL_PIN, FOLL_WRITE, INTERNAL_GUP_FLAGS,
} from "../include/foll.js";
import { GUP_PIN_COUNTING_BIAS, page_align_down, PAGE_SIZE, TASK_SIZE_MAX } from "../include/page.js";
import type { World } from "../world.js";
import { current_mm } from "../world.js";
import {
  folio_has_pincount, folio_mark_dirty, folio_put_refs, folio_ref_add, folio_test, is_zero_folio, page_folio,
  PageAnonExclusive,
} from "./folio.js";
import { PG_anon, PG_dirty, ZERO_PFN } from "./mem_map.js";
import { FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, follow_pte, handle_mm_fault, VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV, VM_FAULT_WRITE } from "./memory.js";
import { mapping_can_writeback } from "../fs/inode.js";
import type { Mm, Pte, Vma } from "./mm_types.js";
import {
  find_vma, is_cow_mapping, MMF_HAS_PINNED, mm_flag, mm_set_flag, VM_IO, VM_MAYREAD, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE,
  vma_is_anonymous,
} from "./mm_types.js";

/** try_grab_folio(): add refs FOLL_GET references or FOLL_PIN pins to a folio already held. */
export function try_grab_folio(w: World, folio: number, refs: number, flags: number): number {
  if (w.mem.refcount[folio] <= 0) {
    WARN_ON_ONCE(w, "try_grab_folio", "refcount <= 0");
    return -ENOMEM;
  }
  if (flags & FOLL_GET) {
    folio_ref_add(w, folio, refs);
  } else if (flags & FOLL_PIN) {
    // c8070b787519 (v6.5): pinning the zero page records nothing.
    if (is_zero_folio(folio) && w.config.zero_page_pin_noop) return 0;
    if (folio_has_pincount(w, folio)) {
      folio_ref_add(w, folio, refs);
      w.mem.pincount[folio] += refs;
    } else {
      folio_ref_add(w, folio, refs * GUP_PIN_COUNTING_BIAS);
    }
    w.vmstat.nr_foll_pin_acquired += refs;
  }
  return 0;
}

/** gup_put_folio(): drop refs references or pins taken with the same flags. */
export function gup_put_folio(w: World, folio: number, refs: number, flags: number): void {
  if (folio < 0) {
    BUG(w, "gup_put_folio", "release of a page that is not allocated (use after free)");
    return;
  }
  if (flags & FOLL_PIN) {
    if (is_zero_folio(folio) && w.config.zero_page_pin_noop) return;
    w.vmstat.nr_foll_pin_released += refs;
    if (folio_has_pincount(w, folio)) {
      w.mem.pincount[folio] -= refs;
      if (w.mem.pincount[folio] < 0) BUG(w, "gup_put_folio", "VM_BUG_ON_FOLIO: pincount underflow");
    } else {
      refs *= GUP_PIN_COUNTING_BIAS;
    }
  }
  folio_put_refs(w, folio, refs, flags & FOLL_PIN ? "unpin_user_page" : "put_page");
}

/** unpin_user_page(): release one FOLL_PIN pin. */
export function unpin_user_page(w: World, page: number): void {
  gup_put_folio(w, page_folio(w, page), 1, FOLL_PIN);
}

/** unpin_user_pages(): consecutive pages of one folio are released as one batch. */
export function unpin_user_pages(w: World, pages: readonly number[], npages: number): void {
  if (npages < 0) {
    WARN(w, "unpin_user_pages", "npages is an error value");
    return;
  }
  for (let i = 0; i < npages; ) {
    if (pages[i] < 0) { i++; continue; } // NULL entries are skipped
    const folio = page_folio(w, pages[i]);
    let n = 1;
    while (i + n < npages && pages[i + n] >= 0 && page_folio(w, pages[i + n]) === folio) n++;
    gup_put_folio(w, folio, n, FOLL_PIN);
    i += n;
  }
}

/** unpin_user_pages_dirty_lock(): with make_dirty, dirty each folio (under its lock) first. */
export function unpin_user_pages_dirty_lock(w: World, pages: readonly number[], npages: number, make_dirty: boolean): void {
  if (make_dirty) {
    for (let i = 0; i < npages; i++) {
      if (pages[i] < 0) continue;
      const folio = page_folio(w, pages[i]);
      if (!folio_test(w, folio, PG_dirty) && !is_zero_folio(folio)) folio_mark_dirty(w, folio);
    }
  }
  unpin_user_pages(w, pages, npages);
}

/** A combination is_valid_gup_args() rejects: WARN_ON_ONCE, then -1. */
function refuse_gup_args(w: World, fn: string, what: string): number {
  WARN_ON_ONCE(w, fn, what);
  return -1;
}

/**
 * is_valid_gup_args(): the caller's flags plus to_set, or -1 for the combinations every exported
 * entry point rejects.
 */
function is_valid_gup_args(w: World, fn: string, pages: number[] | null, gup_flags: number, to_set: number): number {
  if (gup_flags & INTERNAL_GUP_FLAGS) return refuse_gup_args(w, fn, "internal FOLL_* flag passed in");
  const flags = gup_flags | to_set;
  if ((flags & FOLL_GET) && (flags & FOLL_PIN)) return refuse_gup_args(w, fn, "FOLL_GET and FOLL_PIN together");
  if ((flags & FOLL_LONGTERM) && !(flags & FOLL_PIN)) return refuse_gup_args(w, fn, "FOLL_LONGTERM without FOLL_PIN");
  if ((flags & (FOLL_GET | FOLL_PIN)) && !pages) return refuse_gup_args(w, fn, "FOLL_GET/FOLL_PIN without a pages array");
  // A long-term pin would keep a P2PDMA page's pgmap from being hot-unplugged.
  if ((flags & FOLL_LONGTERM) && (flags & FOLL_PCI_P2PDMA)) return refuse_gup_args(w, fn, "FOLL_LONGTERM with FOLL_PCI_P2PDMA");
  return flags;
}

/**
 * gup_must_unshare() (mm/internal.h): a R/O pin of an anonymous page needs an exclusive page;
 * a R/O FOLL_LONGTERM pin of anything else (the zero page, page cache) in a COW mapping needs
 * an anonymous copy (84209e87c696, v6.2).
 */
function must_unshare(w: World, vma: Vma, flags: number, page: number): boolean {
  if ((flags & (FOLL_PIN | FOLL_WRITE)) !== FOLL_PIN || !w.config.anon_exclusive) return false;
  if (!folio_test(w, page_folio(w, page), PG_anon)) return (flags & FOLL_LONGTERM) !== 0 && is_cow_mapping(vma.vm_flags);
  return !PageAnonExclusive(w, page);
}

/** vma_needs_dirty_tracking(): a shared mapping of a file whose writes the fs must see. */
const vma_needs_dirty_tracking = (w: World, vma: Vma): boolean =>
  (vma.vm_flags & VM_SHARED) !== 0 && vma.file >= 0 && mapping_can_writeback(w.inodes_for_read[vma.file]);

/** check_vma_flags(): may GUP touch this VMA at all with these flags? 0 or -errno. */
function check_vma_flags(w: World, vma: Vma, flags: number): number {
  if (vma.vm_flags & (VM_IO | VM_PFNMAP)) return -EFAULT;
  if ((flags & FOLL_ANON) && !vma_is_anonymous(vma)) return -EFAULT;
  if (flags & FOLL_WRITE) {
    // writable_file_mapping_allowed() (8ac268436e6d, v6.5): no writable long-term pins of
    // dirty-tracked file pages.
    if ((flags & FOLL_LONGTERM) && w.config.longterm_file_write_refused && vma_needs_dirty_tracking(w, vma)) return -EFAULT;
    if (!(vma.vm_flags & VM_WRITE) && (!(flags & FOLL_FORCE) || !is_cow_mapping(vma.vm_flags))) return -EFAULT;
  } else if (!(vma.vm_flags & VM_READ) && (!(flags & FOLL_FORCE) || !(vma.vm_flags & VM_MAYREAD))) {
    return -EFAULT;
  }
  return 0;
}

/**
 * FOLL_COW (include/linux/mm.h, 0x4000, internal; removed in v6.0 by 5535be309971, which needs
 * the v5.19 PageAnonExclusive: both go with the anon_exclusive switch, 5.19 being in no era): set by
 * faultin_page() after a write fault broke COW in a mapping without VM_WRITE.
 */
const FOLL_COW = 1 << 14;

/**
 * can_follow_write_pte(): a writable PTE, or with FOLL_FORCE in a private mapping without
 * VM_WRITE, a PTE of an exclusive anonymous page (what the forced COW fault produced; since
 * 5535be309971, v6.0, the PTE need not be dirty). Before v6.0: a writable PTE, or with
 * FOLL_FORCE a dirty PTE once FOLL_COW is set.
 */
function can_follow_write_pte(w: World, vma: Vma, flags: number, pte: Pte): boolean {
  if (pte.write) return true;
  if (!w.config.anon_exclusive) return (flags & FOLL_FORCE) !== 0 && (flags & FOLL_COW) !== 0 && pte.dirty;
  if (!(flags & FOLL_FORCE) || !is_cow_mapping(vma.vm_flags) || (vma.vm_flags & VM_WRITE)) return false;
  const anon = pte.pfn !== ZERO_PFN && folio_test(w, page_folio(w, pte.pfn), PG_anon);
  return anon && PageAnonExclusive(w, pte.pfn);
}

/** Resolve one user page for GUP, faulting as needed; the page or a negative errno. */
function follow_user_page(w: World, mm: Mm, addr: number, flags: number): number {
  const vma = find_vma(mm, addr);
  if (!vma) return -EFAULT;
  const err = check_vma_flags(w, vma, flags);
  if (err) return err;
  for (let tries = 0; tries < 3; tries++) {
    const pte = follow_pte(mm, addr);
    let fault = 0;
    if (!pte || ((flags & FOLL_WRITE) && !can_follow_write_pte(w, vma, flags, pte))) fault = flags & FOLL_WRITE ? FAULT_FLAG_WRITE : 0;
    else if (must_unshare(w, vma, flags, pte.pfn)) fault = FAULT_FLAG_UNSHARE;
    else return pte.pfn;
    if (flags & FOLL_NOFAULT) return -EFAULT;
    const ret = handle_mm_fault(w, mm, addr, fault);
    if (ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)) return -EFAULT; // vm_fault_to_errno()
    // faultin_page() before v6.0: a COW broken in a mapping without VM_WRITE lets the retry follow the dirty PTE.
    if (!w.config.anon_exclusive && (ret & VM_FAULT_WRITE) && !(vma.vm_flags & VM_WRITE)) flags |= FOLL_COW;
  }
  // The kernel retries until the PTE can be followed or a fatal signal ends the task; no fault
  // here needs more than two rounds, so a third that still fails is a livelock, not an errno.
  BUG(w, "__get_user_pages", "livelock: the fault never makes the page followable (the kernel retries until the task is killed)");
  return -EINTR;
}

/**
 * __get_user_pages(): walk nr_pages from start, storing them from pages[at] on; pages obtained
 * (possibly fewer), or -errno if none.
 */
function __get_user_pages(w: World, mm: Mm, start: number, nr_pages: number, flags: number, pages: number[], at = 0): number {
  if (!nr_pages) return 0; // __get_user_pages_locked(): before the mm is marked as having pins
  if (flags & FOLL_PIN && !mm_flag(mm, MMF_HAS_PINNED)) mm_set_flag(mm, MMF_HAS_PINNED); // mm is this world's own already
  let got = 0;
  let err = 0;
  for (; got < nr_pages; got++) {
    const page = follow_user_page(w, mm, start + got * PAGE_SIZE, flags);
    if (page < 0) { err = page; break; }
    const r = try_grab_folio(w, page_folio(w, page), 1, flags);
    if (r) { err = r; break; }
    pages[at + got] = page;
  }
  return got === 0 && err ? err : got;
}

/** mm_set_has_pinned_flag(): the bit is tested first, so an mm already marked is not written (nor copied). */
function mm_set_has_pinned_flag(w: World, mm: number): void {
  if (!mm_flag(w.mms_for_read[mm], MMF_HAS_PINNED)) mm_set_flag(w.mm(mm)!, MMF_HAS_PINNED);
}

/** The only flags GUP-fast (and so its slow-path fallback) accepts. */
const GUP_FAST_FLAGS =
  FOLL_WRITE | FOLL_LONGTERM | FOLL_FORCE | FOLL_PIN | FOLL_GET | FOLL_FAST_ONLY | FOLL_NOFAULT | FOLL_PCI_P2PDMA |
  FOLL_HONOR_NUMA_FAULT;

/**
 * gup_fast() (gup_fast_pte_range()): the lockless walk of current->mm's page tables, without the
 * mmap lock and without faulting. It takes pages from start while the PTE is present and allows
 * the access as it stands, and stops at the first that does not: none or swapped out, the zero
 * page (pte_special), read-only for FOLL_WRITE, a folio it cannot get (folio_try_get() fails
 * quietly), one that must be unshared, a FOLL_LONGTERM pin of a page-cache page (the slow path
 * decides those). The kernel's walk reads no VMA; the simulated PTEs carry no protection of their
 * own, so it asks the VMA what the slow path would (check_vma_flags()). No fork runs in the middle
 * of a step, so write_protect_seq never sends it back. It reads the page tables without copying
 * them: a pin whose pages are all present changes no address space.
 */
function gup_fast(w: World, mm: Readonly<Mm>, start: number, nr_pages: number, flags: number, pages: number[]): number {
  let got = 0;
  let vma: Vma | undefined;
  for (; got < nr_pages; got++) {
    const addr = start + got * PAGE_SIZE;
    const pte = follow_pte(mm, addr);
    if (!pte || pte.pfn === ZERO_PFN || ((flags & FOLL_WRITE) && !pte.write)) break;
    if (!vma || addr >= vma.vm_end) {
      vma = find_vma(mm, addr); // pages go up: a VMA is looked up and checked once
      if (!vma || check_vma_flags(w, vma, flags)) break;
    }
    const folio = page_folio(w, pte.pfn);
    if (w.mem.refcount[folio] <= 0) break; // folio_try_get() fails quietly; the slow path WARNs
    if ((flags & FOLL_LONGTERM) && !folio_test(w, folio, PG_anon)) break;
    if (must_unshare(w, vma, flags, pte.pfn)) break;
    try_grab_folio(w, folio, 1, flags);
    pages[got] = pte.pfn;
  }
  return got;
}

/** gup_fast_fallback(): the range checks, GUP-fast, then the slow path for the pages it left. */
function get_user_pages_fast_common(w: World, start: number, nr_pages: number, flags: number, pages: number[]): number {
  if (flags & ~GUP_FAST_FLAGS) {
    WARN_ON_ONCE(w, "gup_fast_fallback", "FOLL_* flag GUP-fast does not handle");
    return -EINVAL;
  }
  const mm = w.mms_for_read[w.current];
  if (!mm) return -EFAULT;
  if (flags & FOLL_PIN) mm_set_has_pinned_flag(w, w.current);
  // start = untagged_addr(start) & PAGE_MASK; len = nr_pages << PAGE_SHIFT in unsigned long, so a
  // negative int nr_pages is a length just short of 2^64.
  start = page_align_down(start);
  const len = nr_pages * PAGE_SIZE;
  if (nr_pages < 0) return start + len >= 0 ? -EOVERFLOW : -EFAULT; // check_add_overflow / end > TASK_SIZE_MAX
  if (start + len > TASK_SIZE_MAX) return -EFAULT;
  const fast = gup_fast(w, mm, start, nr_pages, flags, pages);
  if (fast === nr_pages) return fast;
  const slow = __get_user_pages(w, current_mm(w)!, start + fast * PAGE_SIZE, nr_pages - fast, flags, pages, fast);
  // The caller must release the pages GUP-fast took, so an error now still reports them.
  return slow < 0 ? fast || slow : fast + slow;
}

/** pin_user_pages_fast(): FOLL_PIN pins; -EINVAL for invalid arguments. */
export function pin_user_pages_fast(w: World, start: number, nr_pages: number, gup_flags: number, pages: number[] | null): number {
  const flags = is_valid_gup_args(w, "pin_user_pages_fast", pages, gup_flags, FOLL_PIN);
  return flags < 0 ? -EINVAL : get_user_pages_fast_common(w, start, nr_pages, flags, pages!);
}

/** get_user_pages_fast(): FOLL_GET references, invisible to folio_maybe_dma_pinned(). */
export function get_user_pages_fast(w: World, start: number, nr_pages: number, gup_flags: number, pages: number[] | null): number {
  const flags = is_valid_gup_args(w, "get_user_pages_fast", pages, gup_flags, FOLL_GET);
  return flags < 0 ? -EINVAL : get_user_pages_fast_common(w, start, nr_pages, flags, pages!);
}

/**
 * pin_user_pages(): the slow path on current->mm (FOLL_LONGTERM, FOLL_FORCE allowed). Invalid
 * arguments give 0 pages, not -EINVAL (unlike pin_user_pages_fast()).
 */
export function pin_user_pages(w: World, start: number, nr_pages: number, gup_flags: number, pages: number[] | null): number {
  const flags = is_valid_gup_args(w, "pin_user_pages", pages, gup_flags, FOLL_PIN);
  const mm = current_mm(w);
  if (flags < 0) return 0;
  return mm ? __get_user_pages(w, mm, page_align_down(start), nr_pages, flags, pages!) : -EFAULT;
}

/** unpin_user_folio(): drop npages pins of one folio in one go. */
export function unpin_user_folio(w: World, folio: number, npages: number): void {
  gup_put_folio(w, folio, npages, FOLL_PIN);
}

/**
 * folio_add_pin(): one more pin on a folio the caller already holds pinned (fs/direct-io.c puts
 * one extracted page into several bios this way). It came with the zero-page rule of
 * c8070b787519 (same series, v6.5) and always leaves the zero page alone, whatever
 * zero_page_pin_noop says of try_grab_folio() and gup_put_folio().
 * [obs] Unlike try_grab_folio() it does not count NR_FOLL_PIN_ACQUIRED, while the unpin that
 * drops it counts NR_FOLL_PIN_RELEASED; the simulation tallies these pins in vmstat.foll_pin_added
 * so that the ledger of pins taken and released still closes.
 */
export function folio_add_pin(w: World, folio: number): void {
  if (is_zero_folio(folio)) return;
  if (folio_has_pincount(w, folio)) {
    if (w.mem.pincount[folio] < 1) WARN_ON_ONCE(w, "folio_add_pin", "folio->_pincount < 1 (adding a pin to a folio nobody pinned)");
    folio_ref_add(w, folio, 1);
    w.mem.pincount[folio] += 1;
  } else {
    if (w.mem.refcount[folio] < GUP_PIN_COUNTING_BIAS)
      WARN_ON_ONCE(w, "folio_add_pin", `folio_ref_count ${w.mem.refcount[folio]} < GUP_PIN_COUNTING_BIAS (adding a pin to a folio nobody pinned)`);
    folio_ref_add(w, folio, GUP_PIN_COUNTING_BIAS);
  }
  w.vmstat.foll_pin_added = (w.vmstat.foll_pin_added ?? 0) + 1;
}
