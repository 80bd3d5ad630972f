// mm/vmalloc.c: vmap areas (virtually contiguous kernel mappings of arbitrary pages) and
// vmalloc/vfree on top of them. KernelVm also carries the slab caches (mm/slab.ts).
import { BUG } from "../include/bug.js";
import { DIV_ROUND_UP, PAGE_SIZE, VMALLOC_END, VMALLOC_START } from "../include/page.js";
import type { World } from "../world.js";
import { put_page } from "./folio.js";
import { alloc_pages } from "./mem_map.js";
import type { Slab } from "./slab.js";

export interface VmArea {
  readonly addr: number;
  readonly pages: readonly number[];
  /** VM_MAP_PUT_PAGES: vfree()/vunmap() drops the area's reference on each page. */
  readonly put_pages: boolean;
}

export interface KernelVm {
  areas: VmArea[];
  next_vaddr: number;
  slabs: Slab[];
}

export const empty_kernel_vm = (): KernelVm => ({ areas: [], next_vaddr: VMALLOC_START, slabs: [] });

export const clone_kernel_vm = (v: KernelVm): KernelVm => ({
  areas: v.areas.slice(),
  next_vaddr: v.next_vaddr,
  slabs: v.slabs.map((s) => ({ ...s, used: s.used.slice() })),
});

export const is_vmalloc_or_module_addr = (addr: number): boolean =>
  addr >= VMALLOC_START && addr <= VMALLOC_END;

function find_area(w: World, addr: number): VmArea | undefined {
  return w.kvm.areas.find((a) => a.addr <= addr && addr < a.addr + a.pages.length * PAGE_SIZE);
}

/** vmalloc_to_page(): -1 when nothing is mapped there. */
export function vmalloc_to_page(w: World, addr: number): number {
  const area = find_area(w, addr);
  return area ? area.pages[Math.floor((addr - area.addr) / PAGE_SIZE)] : -1;
}

/** vmap(): map pages virtually contiguously; takes no references. One guard page follows. */
export function vmap(w: World, pages: readonly number[], put_pages = false): number {
  const addr = w.kvm.next_vaddr;
  w.kvm.areas.push({ addr, pages: pages.slice(), put_pages });
  w.kvm.next_vaddr += (pages.length + 1) * PAGE_SIZE;
  return addr;
}

/** vunmap()/vfree(): remove the mapping; with VM_MAP_PUT_PAGES drop each page's reference. */
export function vfree(w: World, addr: number): void {
  const i = w.kvm.areas.findIndex((a) => a.addr === addr);
  if (i < 0) {
    BUG(w, "vfree", `no vmap area starts at ${addr.toString(16)}`);
    return;
  }
  const [area] = w.kvm.areas.splice(i, 1);
  if (area.put_pages) for (const page of area.pages) put_page(w, page);
}

/** vmalloc(): order-0 pages, mapped contiguously, freed by vfree(). */
export function vmalloc(w: World, size: number): number {
  const pages = Array.from({ length: DIV_ROUND_UP(size, PAGE_SIZE) }, () => alloc_pages(w.mem, 0));
  return vmap(w, pages, true);
}
