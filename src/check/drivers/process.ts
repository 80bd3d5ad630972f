// The process machine's driver: one process with two populated anonymous pages, the first of
// which it pins (pin_user_pages_fast, FOLL_LONGTERM), forking children that share the rest.
import {
  boot, exit_mmap, FOLL_LONGTERM, FOLL_WRITE, fork_mm, mmap_anon, PAGE_SIZE, pin_user_pages_fast,
  PROT_READ, PROT_WRITE, unpin_user_page, user_access,
} from "../../kernel/index.js";
import type { ProcId } from "../../../models/process.js";
import { process_machine, process_state } from "../../../models/process.js";
import type { Driver } from "../driver.js";
import { run_new_process } from "../fixtures.js";

export interface ProcHandle extends ProcId {
  addr: number;
  /** Pages pinned and not yet unpinned, and live children, most recent last. */
  pinned: number[];
  children: number[];
}

export const process_driver: Driver<ProcHandle> = {
  name: "process",
  machine: process_machine,
  setup() {
    const w = boot();
    return { w, h: { mm: w.mms.length, addr: 0, pinned: [], children: [] } };
  },
  step(w, h, event) {
    switch (event) {
      case "CREATE": {
        const mm = run_new_process(w);
        h.addr = mmap_anon(w, mm, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
        user_access(w, mm, h.addr, new Uint8Array(2 * PAGE_SIZE).fill(0x77), true);
        break;
      }
      case "PIN": {
        w.current = h.mm;
        const pages = [-1];
        if (pin_user_pages_fast(w, h.addr, 1, FOLL_WRITE | FOLL_LONGTERM, pages) === 1) h.pinned.push(pages[0]);
        break;
      }
      case "UNPIN": unpin_user_page(w, h.pinned.pop()!); break;
      case "FORK": h.children.push(fork_mm(w, h.mm)); break;
      case "CHILD_EXIT": exit_mmap(w, w.mm(h.children.pop()!)!); break;
      case "EXIT": exit_mmap(w, w.mm(h.mm)!); break;
      default: throw new Error(`process driver: no kernel call for ${event}`);
    }
  },
  observe: (w, h) => process_state(w, h),
};
