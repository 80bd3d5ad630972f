// arch/x86/include/asm/page.h and mm/vmalloc.c: turning kernel virtual addresses into pages
// (virt_to_page for the direct map, vmalloc_to_page for vmap areas).
import { PAGE_OFFSET, PAGE_SIZE, VMALLOC_START } from "../include/page.js";
import type { World } from "../world.js";
import { is_vmalloc_or_module_addr, vmalloc_to_page } from "./vmalloc.js";

export const virt_to_page = (addr: number): number => Math.floor((addr - PAGE_OFFSET) / PAGE_SIZE);

/** The frame behind a kernel address, or -1 when nothing is mapped there. */
export function kaddr_to_page(w: World, addr: number): number {
  if (is_vmalloc_or_module_addr(addr)) return vmalloc_to_page(w, addr);
  if (addr >= PAGE_OFFSET && addr < VMALLOC_START) {
    const pfn = virt_to_page(addr);
    const m = w.mem_for_read;
    return pfn < m.nr_frames && m.head[pfn] >= 0 ? pfn : -1;
  }
  return -1;
}
