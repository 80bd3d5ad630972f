// include/linux/mm_types.h: mm_struct, vm_area_struct and the PTE bits the simulation keeps
// (include/linux/mm.h for VM_* flags, include/linux/sched/coredump.h for MMF_* bits).
import { PAGE_SIZE } from "../include/page.js";
import type { SwapPte } from "./swapfile.js";

export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_MAYREAD = 0x10;
export const VM_MAYWRITE = 0x20;
export const VM_IO = 0x4000;
export const VM_PFNMAP = 0x400;

/** MMF_HAS_PINNED: set the first time FOLL_PIN runs on this mm, never cleared. */
export const MMF_HAS_PINNED = 27;

export interface Vma {
  vm_start: number;
  vm_end: number;
  vm_flags: number;
  /** vma->vm_file: the mapped inode, or -1 for anonymous memory. */
  file: number;
  /** vma->vm_pgoff: file page index of vm_start. */
  vm_pgoff: number;
  /** vma->anon_vma != NULL: an anonymous page was installed here (fork must copy the PTEs). */
  anon_vma: boolean;
  /** VM_DONTCOPY (MADV_DONTFORK): fork leaves this range out of the child. */
  dontcopy: boolean;
}

/** include/linux/mm.h is_cow_mapping(): private and may be written. */
export const is_cow_mapping = (vm_flags: number): boolean => (vm_flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;

export const vma_is_anonymous = (vma: Vma): boolean => vma.file < 0;

/** The file page index that addr maps in a file VMA. */
export const linear_page_index = (vma: Vma, addr: number): number =>
  vma.vm_pgoff + Math.floor((addr - vma.vm_start) / PAGE_SIZE);

/** A present PTE. Entries are replaced, never mutated, so clones may share them. */
export interface Pte {
  readonly pfn: number;
  readonly write: boolean;
  readonly dirty: boolean;
}

export interface Mm {
  id: number;
  vmas: Vma[];
  /** Page table: virtual page number -> present PTE. */
  ptes: Map<number, Pte>;
  /** Page table: virtual page number -> swap PTE (non-present, naming a swap slot). */
  swap: Map<number, SwapPte>;
  /** mm->flags bits (MMF_*). */
  flags: number;
  /** Where the next mmap without a hint goes. */
  mmap_base: number;
  /** The mm of the task this one was forked from (task->real_parent's), or -1. */
  parent: number;
}

export function clone_mm(mm: Mm): Mm {
  return { ...mm, vmas: mm.vmas.map((v) => ({ ...v })), ptes: new Map(mm.ptes), swap: new Map(mm.swap) };
}

export const mm_flag = (mm: Mm, bit: number): boolean => ((mm.flags >>> bit) & 1) === 1;
export function mm_set_flag(mm: Mm, bit: number): void {
  mm.flags = (mm.flags | (1 << bit)) >>> 0;
}

/** find_vma(), restricted to VMAs that contain addr. */
export function find_vma(mm: Mm, addr: number): Vma | undefined {
  return mm.vmas.find((v) => v.vm_start <= addr && addr < v.vm_end);
}
