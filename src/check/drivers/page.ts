// The page machine's driver: one private anonymous page of one process, and forked children.
// Each event runs as the mm that maps the page (the first one, in w.mms order) would run it.
import type { World } from "../../kernel/index.js";
import {
  boot, FOLL_LONGTERM, FOLL_WRITE, follow_pte, fork_mm, get_user_pages_fast, madvise_dontneed, mmap_anon,
  PAGE_SIZE, pin_user_pages_fast, PROT_READ, PROT_WRITE, put_page, shrink_folio, unpin_user_page, user_access,
} from "../../kernel/index.js";
import type { PageId } from "../../../models/page.js";
import { page_id, page_machine, page_state } from "../../../models/page.js";
import type { Driver } from "../driver.js";
import { run_new_process } from "../fixtures.js";

export interface PageHandle {
  id: PageId;
  addr: number;
}

/** The frame alloc_pages(order 0) will hand out next. */
function next_free_frame(w: World): number {
  let pfn = 1;
  while (pfn < w.mem.nr_frames && w.mem.head[pfn] >= 0) pfn++;
  return pfn;
}

/** The first mm whose page table maps the page, or -1. */
export function mapper(w: World, h: PageHandle): number {
  return w.mms_for_read.findIndex((mm) => mm.ptes.get(h.id.vpn)?.pfn === h.id.pfn);
}

const touch = (w: World, mm: number, addr: number): void => {
  user_access(w, w.mm(mm)!, addr, Uint8Array.of(mm + 1), true);
};

/** Run a GUP call as the mapping mm's task. */
function as_mapper(w: World, h: PageHandle, call: (pages: number[]) => void): void {
  w.current = mapper(w, h);
  call([-1]);
}

export const page_driver: Driver<PageHandle> = {
  name: "page",
  machine: page_machine,
  setup() {
    const w = boot();
    const addr = mmap_anon(w, run_new_process(w), PAGE_SIZE, PROT_READ | PROT_WRITE);
    return { w, h: { id: page_id(w, next_free_frame(w), addr), addr } };
  },
  step(w, h, event) {
    const pfn = h.id.pfn;
    switch (event) {
      case "FAULT_WRITE": touch(w, 0, h.addr); break;
      case "PIN": as_mapper(w, h, (pages) => pin_user_pages_fast(w, h.addr, 1, FOLL_WRITE | FOLL_LONGTERM, pages)); break;
      case "UNPIN": unpin_user_page(w, pfn); break;
      case "GET": as_mapper(w, h, (pages) => get_user_pages_fast(w, h.addr, 1, 0, pages)); break;
      case "PUT": put_page(w, pfn); break;
      case "FORK": fork_mm(w, mapper(w, h)); break;
      case "WRITE_FAULT_COW": touch(w, mapper(w, h), h.addr); break;
      case "UNMAP": madvise_dontneed(w, w.mm(mapper(w, h))!, h.addr, PAGE_SIZE); break;
      case "RECLAIM": shrink_folio(w, pfn); break;
      case "SWAP_IN": {
        // The owner of the swap PTE writes: do_swap_page() brings the page back, maybe in a new folio.
        const owner = w.mms_for_read.findIndex((mm) => mm.swap.has(h.id.vpn));
        touch(w, owner, h.addr);
        h.id = page_id(w, follow_pte(w.mm(owner)!, h.addr)!.pfn, h.addr);
        break;
      }
      default: throw new Error(`page driver: no kernel call for ${event}`);
    }
  },
  observe: (w, h) => page_state(w, h.id),
};
