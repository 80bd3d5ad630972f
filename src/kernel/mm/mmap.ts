// kernel/fork.c (mm_alloc) and mm/mmap.c (do_mmap, do_munmap) for private anonymous memory: the
// minimal address space the iterator layer needs.
import { BUG } from "../include/bug.js";
import { EINVAL } from "../include/errno.js";
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { folio_put, page_folio } from "./folio.js";
import { ZERO_PFN } from "./mem_map.js";
import type { Mm } from "./mm_types.js";
import { VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE } from "./mm_types.js";

export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;

/** mm_alloc(): a new, empty address space; returns its index in w.mms. */
export function mm_alloc(w: World): number {
  const id = w.mms.length;
  w.mms.push({ id, vmas: [], ptes: new Map(), flags: 0, mmap_base: 0x7f0000000000 });
  return id;
}

/** mmap(NULL, len, prot, MAP_PRIVATE|MAP_ANONYMOUS): the address, or -EINVAL. */
export function mmap_anon(w: World, mm: Mm, len: number, prot: number, addr?: number): number {
  if (len <= 0 || (addr !== undefined && addr % PAGE_SIZE)) return -EINVAL;
  const size = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  const start = addr ?? mm.mmap_base;
  if (addr === undefined) mm.mmap_base += size + PAGE_SIZE;
  const vm_flags =
    (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | VM_MAYREAD | VM_MAYWRITE;
  mm.vmas.push({ vm_start: start, vm_end: start + size, vm_flags, anon: true });
  return start;
}

/** munmap(): zap the PTEs (dropping each mapping's reference) and remove the VMA. */
export function munmap(w: World, mm: Mm, addr: number, len: number): number {
  const i = mm.vmas.findIndex((v) => v.vm_start === addr && v.vm_end - v.vm_start === Math.ceil(len / PAGE_SIZE) * PAGE_SIZE);
  if (i < 0) {
    BUG(w, "munmap", "the simulation only unmaps whole VMAs");
    return -EINVAL;
  }
  const [vma] = mm.vmas.splice(i, 1);
  for (let a = vma.vm_start; a < vma.vm_end; a += PAGE_SIZE) {
    const pte = mm.ptes.get(a / PAGE_SIZE);
    if (!pte) continue;
    mm.ptes.delete(a / PAGE_SIZE);
    if (pte.pfn === ZERO_PFN) continue;
    w.mem.mapcount[pte.pfn] -= 1;
    folio_put(w, page_folio(w, pte.pfn));
  }
  return 0;
}
