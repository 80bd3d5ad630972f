import type { IterState } from "../src/check/iter_state.js";
import { expected_counts } from "../src/check/iter_state.js";
import type { Property } from "./property.js";

export const pin_ledger: Property<IterState> = {
  id: "release-matches-acquire",
  statement: "Every folio's refcount and pincount equal their baseline plus exactly the pins and references still held from extraction; kernel-iterator pages gain nothing from iov_iter_extract_pages or extract_iter_to_sg.",
  rule: "E1/E2/P2: one pin per extracted user page, dropped once with unpin; one reference per page from iov_iter_get_pages2, on the page's own folio, dropped once with put_page; kernel types are neither pinned nor referenced by extraction",
  source: "lib/iov_iter.c (iov_iter_extract_pages, iov_iter_get_pages2), lib/scatterlist.c (extract_iter_to_sg), mm/gup.c",
  check(s) {
    for (const [folio, want] of expected_counts(s)) {
      const ref = s.w.mem.refcount[folio];
      const pin = s.w.mem.pincount[folio];
      if (ref !== want.refcount || pin !== want.pincount)
        return `folio ${folio}: refcount ${ref}, pincount ${pin}; the ledger of held pins and references says ${want.refcount}, ${want.pincount}`;
    }
    return null;
  },
  guarded: (s) => s.held.some((h) => h.how !== "none" && h.pages.length > 0),
};
