import type { Held, IterState } from "../src/check/iter_state.js";
import { PG_anon_exclusive, user_backed_iter, ZERO_PFN } from "../src/kernel/index.js";
import type { Property } from "./property.js";

/**
 * Pages pinned (or, by iov_iter_get_pages2, referenced) from an ITER_DEST user iterator are about
 * to be written by a device: GUP must have taken them with FOLL_WRITE, which breaks COW, so each
 * is an exclusive anonymous page and never the shared zero page. (Copies against the direction
 * are caught as WARN_ON_ONCE events by no-kernel-warning.)
 */
const taken_by_gup = (s: IterState, h: Held): boolean =>
  h.how === "pin" || (h.how === "ref" && user_backed_iter(s.iter));

export const direction: Property<IterState> = {
  id: "direction",
  statement: "User pages extracted from an ITER_DEST iterator were taken for writing: exclusive anonymous pages, never the zero page.",
  rule: "I1/I2: ITER_DEST (READ) iterators are written by the kernel, so extraction uses FOLL_WRITE; copies go into DEST and out of SOURCE only",
  source: "lib/iov_iter.c (iov_iter_extract_user_pages, _copy_to_iter), include/linux/uio.h",
  guarded: (s) => !s.iter.data_source && s.held.some((h) => taken_by_gup(s, h) && h.pages.length > 0),
  check(s) {
    if (s.iter.data_source) return null;
    for (const h of s.held) {
      if (!taken_by_gup(s, h)) continue;
      for (const page of h.pages) {
        const taken = h.how === "pin" ? "pinned" : "referenced";
        if (page === ZERO_PFN) return `the shared zero page was ${taken} for a device to write into`;
        if (!(s.w.mem.flags[page] & PG_anon_exclusive)) return `page ${page} was ${taken} for writing while still shared copy-on-write`;
      }
    }
    return null;
  },
};
