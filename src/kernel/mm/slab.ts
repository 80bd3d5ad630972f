// mm/slub.c, simplified: kmalloc() packs objects of one power-of-two size class into slab pages
// (PG_slab set, so get_page/put_page leave them alone); requests over KMALLOC_MAX_CACHE_SIZE
// get whole pages from the page allocator (kmalloc_large), which are ordinary refcounted folios.
import { BUG } from "../include/bug.js";
import { PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";
import { folio_put, page_folio } from "./folio.js";
import { alloc_pages, free_frames, page_address, PG_slab } from "./mem_map.js";
import { virt_to_page } from "./kaddr.js";

export const KMALLOC_MIN_SIZE = 8;
export const KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE;

export interface Slab {
  /** Head frame of the slab folio. */
  folio: number;
  objsize: number;
  /** 1 per object in use. */
  used: Uint8Array;
}

const size_class = (size: number): number => Math.max(KMALLOC_MIN_SIZE, 2 ** Math.ceil(Math.log2(size)));

export function kmalloc(w: World, size: number): number {
  if (size > KMALLOC_MAX_CACHE_SIZE) {
    const order = Math.ceil(Math.log2(Math.ceil(size / PAGE_SIZE)));
    return page_address(alloc_pages(w.mem, order));
  }
  const objsize = size_class(size);
  let slab = w.kvm.slabs.find((s) => s.objsize === objsize && s.used.includes(0));
  if (!slab) {
    const order = objsize > PAGE_SIZE ? 1 : 0;
    const folio = alloc_pages(w.mem, order, PG_slab);
    slab = { folio, objsize, used: new Uint8Array(((1 << order) * PAGE_SIZE) / objsize) };
    w.kvm.slabs.push(slab);
  }
  const idx = slab.used.indexOf(0);
  slab.used[idx] = 1;
  return page_address(slab.folio) + idx * objsize;
}

export function kfree(w: World, addr: number): void {
  const folio = page_folio(w, virt_to_page(addr));
  const slab = w.kvm.slabs.find((s) => s.folio === folio);
  if (!slab) {
    if (folio < 0) BUG(w, "kfree", `double free or invalid pointer ${addr.toString(16)}`);
    else folio_put(w, folio);
    return;
  }
  const idx = (addr - page_address(folio)) / slab.objsize;
  if (!Number.isInteger(idx) || !slab.used[idx]) {
    BUG(w, "kfree", `double free or invalid pointer ${addr.toString(16)}`);
    return;
  }
  slab.used[idx] = 0;
  if (!slab.used.includes(1)) {
    w.kvm.slabs.splice(w.kvm.slabs.indexOf(slab), 1);
    free_frames(w, folio);
  }
}
