// kernel/fork.c (mm_alloc), mm/mmap.c (do_mmap, do_munmap, exit_mmap), mm/mprotect.c and
// mm/madvise.c (MADV_DONTFORK/DOFORK): building and tearing down address spaces.
import { EINVAL } from "../include/errno.js";
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { folio_test, page_folio, PageAnonExclusive } from "./folio.js";
import { PG_anon, ZERO_PFN } from "./mem_map.js";
import { follow_pte, set_pte, zap_pte } from "./memory.js";
import type { Mm, Vma } from "./mm_types.js";
import { VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_SHARED, VM_WRITE } from "./mm_types.js";

export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;

/** mm_alloc(): a new, empty address space; returns its index in w.mms. */
export function mm_alloc(w: World): number {
  const id = w.mms_for_read.length;
  w.add_mm({ id, vmas: [], ptes: new Map(), swap: new Map(), flags: 0, mmap_base: 0x7f0000000000, parent: -1 });
  return id;
}

const prot_to_vm = (prot: number): number => (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0);

const page_up = (len: number): number => Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;

function do_mmap(mm: Mm, len: number, vma: Omit<Vma, "vm_start" | "vm_end">, addr?: number): number {
  if (len <= 0 || (addr !== undefined && addr % PAGE_SIZE)) return -EINVAL;
  const size = page_up(len);
  const start = addr ?? mm.mmap_base;
  if (addr === undefined) mm.mmap_base += size + PAGE_SIZE; // leave a hole between mappings
  mm.vmas.push({ ...vma, vm_start: start, vm_end: start + size });
  mm.vmas.sort((a, b) => a.vm_start - b.vm_start);
  return start;
}

/** mmap(NULL, len, prot, MAP_PRIVATE|MAP_ANONYMOUS): the address, or -EINVAL. */
export function mmap_anon(w: World, mm: Mm, len: number, prot: number, addr?: number): number {
  const vm_flags = prot_to_vm(prot) | VM_MAYREAD | VM_MAYWRITE;
  return do_mmap(mm, len, { vm_flags, file: -1, vm_pgoff: 0, anon_vma: false, dontcopy: false }, addr);
}

/** mmap(NULL, len, prot, MAP_SHARED or MAP_PRIVATE, fd, pgoff * PAGE_SIZE). */
export function mmap_file(w: World, mm: Mm, ino: number, len: number, prot: number, flags: number, pgoff = 0): number {
  if (!w.inodes[ino] || !(flags & (MAP_SHARED | MAP_PRIVATE))) return -EINVAL;
  const vm_flags = prot_to_vm(prot) | VM_MAYREAD | VM_MAYWRITE | (flags & MAP_SHARED ? VM_SHARED : 0);
  return do_mmap(mm, len, { vm_flags, file: ino, vm_pgoff: pgoff, anon_vma: false, dontcopy: false });
}

/** Split VMAs so that [start, end) is covered by whole VMAs; returns them. */
function vmas_in(mm: Mm, start: number, end: number): Vma[] {
  for (const at of [start, end]) {
    const v = mm.vmas.find((x) => x.vm_start < at && at < x.vm_end);
    if (!v) continue;
    const tail: Vma = { ...v, vm_start: at, vm_pgoff: v.vm_pgoff + (at - v.vm_start) / PAGE_SIZE };
    v.vm_end = at;
    mm.vmas.push(tail);
  }
  mm.vmas.sort((a, b) => a.vm_start - b.vm_start);
  return mm.vmas.filter((v) => v.vm_start >= start && v.vm_end <= end);
}

/** munmap(): zap the range's PTEs (dropping each mapping's reference) and remove it. */
export function munmap(w: World, mm: Mm, addr: number, len: number): number {
  if (addr % PAGE_SIZE || len <= 0) return -EINVAL;
  const end = addr + page_up(len);
  for (const v of vmas_in(mm, addr, end)) {
    for (let a = v.vm_start; a < v.vm_end; a += PAGE_SIZE) zap_pte(w, mm, a);
    mm.vmas.splice(mm.vmas.indexOf(v), 1);
  }
  return 0;
}

/** exit_mmap(): the task exits and its whole address space goes. */
export function exit_mmap(w: World, mm: Mm): void {
  for (const v of [...mm.vmas]) munmap(w, mm, v.vm_start, v.vm_end - v.vm_start);
}

/**
 * mprotect(): change the range's protection. Removing write access write-protects every PTE;
 * adding it maps a PTE writable at once only where a write fault would reuse the page anyway
 * (can_change_pte_writable(): an exclusive anonymous page in a private mapping, or a dirty PTE
 * in a shared mapping).
 */
export function mprotect(w: World, mm: Mm, addr: number, len: number, prot: number): number {
  if (addr % PAGE_SIZE) return -EINVAL;
  const end = addr + page_up(len);
  for (const v of vmas_in(mm, addr, end)) {
    v.vm_flags = (v.vm_flags & ~(VM_READ | VM_WRITE)) | prot_to_vm(prot);
    for (let a = v.vm_start; a < v.vm_end; a += PAGE_SIZE) {
      const pte = follow_pte(mm, a);
      if (!pte) continue;
      let write = false;
      if (v.vm_flags & VM_WRITE) {
        // Mapping an exclusive anonymous page writable at once came with PageAnonExclusive
        // (64fe24a3e05e, v6.0); before, such a page took a write fault (and its reuse check).
        const anon_exclusive = pte.pfn !== ZERO_PFN && folio_test(w, page_folio(w, pte.pfn), PG_anon) && PageAnonExclusive(w, pte.pfn);
        write = pte.write || (v.vm_flags & VM_SHARED ? pte.dirty : anon_exclusive);
      }
      set_pte(mm, a, { ...pte, write });
    }
  }
  return 0;
}

/** madvise(MADV_DONTNEED) (mm/madvise.c madvise_dontneed_single_vma()): zap the range's PTEs; the VMAs stay. */
export function madvise_dontneed(w: World, mm: Mm, addr: number, len: number): number {
  if (addr % PAGE_SIZE) return -EINVAL;
  for (let a = addr; a < addr + page_up(len); a += PAGE_SIZE) zap_pte(w, mm, a);
  return 0;
}

/** madvise(MADV_DONTFORK / MADV_DOFORK). */
export function madvise_dontfork(mm: Mm, addr: number, len: number, dontfork: boolean): number {
  if (addr % PAGE_SIZE) return -EINVAL;
  for (const v of vmas_in(mm, addr, addr + page_up(len))) v.dontcopy = dontfork;
  return 0;
}
