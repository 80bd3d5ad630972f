// The iterator machine's driver: three pages of each kind of memory an iterator can describe
// (a process's populated anonymous buffer, kernel pages for a bio_vec array, a vmalloc buffer),
// one iterator built over one of them, stepped and extracted one page at a time.
import type { iov_iter } from "../../kernel/index.js";
import {
  boot, follow_pte, ITER_DEST, iov_iter_advance, iov_iter_bvec, iov_iter_extract_pages, iov_iter_extract_will_pin,
  iov_iter_get_pages2, iov_iter_kvec, iov_iter_revert, iov_iter_ubuf, kwrite, mmap_anon, PAGE_SIZE,
  alloc_pages, PROT_READ, PROT_WRITE, put_page, unpin_user_pages, user_access, vmalloc, vmalloc_to_page,
} from "../../kernel/index.js";
import type { IterObject } from "../../../models/iterator.js";
import { ITER_PAGES, iter_object, iterator_machine, iterator_state, unbuilt_iter } from "../../../models/iterator.js";
import type { Driver } from "../driver.js";
import { run_new_process } from "../fixtures.js";

export interface IterHandle {
  it: IterObject;
  /** How the caller took the pages it holds (what it knows from the call it made). */
  took: "pin" | "ref" | "bare";
  ubuf: number;
  user_pages: number[];
  bvec_pages: number[];
  kbuf: number;
  kvec_pages: number[];
}

const LEN = ITER_PAGES * PAGE_SIZE;

const iter_of = (h: IterHandle): iov_iter => h.it.iter!;

export const iterator_driver: Driver<IterHandle> = {
  name: "iterator",
  machine: iterator_machine,
  setup() {
    const w = boot();
    const mm = run_new_process(w);
    const ubuf = mmap_anon(w, mm, LEN, PROT_READ | PROT_WRITE);
    user_access(w, mm, ubuf, new Uint8Array(LEN).fill(0x5a), true); // populated: extraction pins these pages
    const user_pages = Array.from({ length: ITER_PAGES }, (_, k) => follow_pte(mm, ubuf + k * PAGE_SIZE)!.pfn);
    const bvec_pages = Array.from({ length: ITER_PAGES }, () => alloc_pages(w.mem, 0));
    const kbuf = vmalloc(w, LEN);
    kwrite(w, kbuf, new Uint8Array(LEN).fill(0xa5));
    const kvec_pages = Array.from({ length: ITER_PAGES }, (_, k) => vmalloc_to_page(w, kbuf + k * PAGE_SIZE));
    return { w, h: { it: unbuilt_iter(), took: "bare", ubuf, user_pages, bvec_pages, kbuf, kvec_pages } };
  },
  step(w, h, event) {
    switch (event) {
      case "BUILD_UBUF":
        h.it = iter_object(w, iov_iter_ubuf(w, ITER_DEST, h.ubuf, LEN), h.user_pages);
        break;
      case "BUILD_BVEC": {
        const bvec = h.bvec_pages.map((bv_page) => ({ bv_page, bv_offset: 0, bv_len: PAGE_SIZE }));
        h.it = iter_object(w, iov_iter_bvec(w, ITER_DEST, bvec, bvec.length, LEN), h.bvec_pages);
        break;
      }
      case "BUILD_KVEC":
        h.it = iter_object(w, iov_iter_kvec(w, ITER_DEST, [{ iov_base: h.kbuf, iov_len: LEN }], 1, LEN), h.kvec_pages);
        break;
      case "ADVANCE": iov_iter_advance(iter_of(h), PAGE_SIZE); break;
      case "REVERT": iov_iter_revert(w, iter_of(h), PAGE_SIZE); break;
      case "EXTRACT": {
        const pin = iov_iter_extract_will_pin(iter_of(h));
        const r = iov_iter_extract_pages(w, iter_of(h), null, PAGE_SIZE, 1, 0);
        if (r.ret > 0) {
          h.it.pages = r.pages!.slice(0, 1);
          h.took = pin ? "pin" : "bare";
        }
        break;
      }
      case "GET_PAGES": {
        const pages = [-1];
        if (iov_iter_get_pages2(w, iter_of(h), pages, PAGE_SIZE, 1).ret > 0) {
          h.it.pages = pages;
          h.took = "ref";
        }
        break;
      }
      case "RELEASE": {
        const pages = h.it.pages ?? [];
        if (h.took === "pin") unpin_user_pages(w, pages, pages.length);
        else if (h.took === "ref") for (const p of pages) put_page(w, p);
        h.it.pages = [];
        break;
      }
      default: throw new Error(`iterator driver: no kernel call for ${event}`);
    }
  },
  observe: (w, h) => iterator_state(w, h.it),
};
