// The state the iterator-layer check explores: a world, one iterator over memory set up in it,
// and the ledger of page lists extracted and not yet released.
import type { iov_iter, World } from "../kernel/index.js";
import {
  folio_has_pincount, folio_test_slab, folioq_folio_size, GUP_PIN_COUNTING_BIAS, ITER_BVEC, ITER_DISCARD, ITER_FOLIOQ,
  ITER_IOVEC, ITER_KVEC, ITER_UBUF, ITER_XARRAY, page_folio, ZERO_PFN,
} from "../kernel/index.js";

/**
 * How a page list is held, which fixes how it is released: "pin", one FOLL_PIN pin per page
 * (unpin_user_page); "ref", one reference per page (FOLL_GET, get_page or folio_get; put_page);
 * "none", bare page pointers from a kernel iterator (nothing to release).
 */
export type HeldHow = "pin" | "ref" | "none";

/** Pages handed out by one extraction or page-getter call, and how they are held. */
export interface Held {
  pages: readonly number[];
  how: HeldHow;
}

export interface IterState {
  /** Which scenario this state belongs to, e.g. "ITER_BVEC/ITER_DEST". */
  scenario: string;
  w: World;
  iter: iov_iter;
  /** The iterator's length when built (UBUF and XARRAY do not record it themselves). */
  total: number;
  held: readonly Held[];
  /** Kernel buffer that copies read from or write to. */
  scratch: number;
  /** Every folio the scenario's memory uses, with its refcount and pincount when built. */
  baseline: ReadonlyMap<number, { refcount: number; pincount: number }>;
}

/** Bytes left in the iterator's segments from its position; null if the position is outside them. */
export function iter_remaining(s: IterState): number | null {
  const i = s.iter;
  switch (i.iter_type) {
    case ITER_UBUF:
    case ITER_XARRAY:
      return i.iov_offset <= s.total ? s.total - i.iov_offset : null;
    case ITER_IOVEC:
    case ITER_KVEC:
    case ITER_BVEC: {
      const lens = i.iter_type === ITER_BVEC ? i.bvec.map((b) => b.bv_len) : i.__iov.map((v) => v.iov_len);
      if (i.seg < 0 || i.seg + i.nr_segs !== lens.length) return null;
      if (i.seg < lens.length ? i.iov_offset > lens[i.seg] : i.iov_offset !== 0) return null;
      return lens.slice(i.seg).reduce((a, b) => a + b, 0) - i.iov_offset;
    }
    case ITER_FOLIOQ: {
      let left = -i.iov_offset;
      for (let q = i.folioq, slot = i.folioq_slot; q; q = q.next, slot = 0)
        for (; slot < q.folios.length; slot++) left += folioq_folio_size(q, slot);
      return left >= 0 ? left : null;
    }
    case ITER_DISCARD:
      return i.count;
    default:
      return null;
  }
}

/**
 * What each folio's counts must be, given the baseline and the pins and references the ledger
 * holds: a pin adds 1 and a pincount on a large folio, GUP_PIN_COUNTING_BIAS on a small one
 * (mm/gup.c try_grab_folio); a reference adds 1 to the page's own folio, except on a slab folio,
 * whose count get_page() and folio_get() leave alone (include/linux/mm.h, since b9c0e49abfca).
 */
export function expected_counts(s: IterState): ReadonlyMap<number, Readonly<{ refcount: number; pincount: number }>> {
  if (!s.held.some((h) => h.how !== "none" && h.pages.length > 0)) return s.baseline; // the common case: nothing held
  // The baseline's entries are shared, never changed: a held folio's entry is replaced.
  const want = new Map(s.baseline);
  for (const h of s.held) {
    if (h.how === "none") continue;
    for (const page of h.pages) {
      // The zero page is outside the ledger: its count is not the scenario's (and pins on it
      // record nothing since v6.5). The scenarios populate their buffers, so GUP never returns it.
      if (page === ZERO_PFN) continue;
      const folio = page_folio(s.w, page);
      const c = want.get(folio);
      let refcount = c ? c.refcount : s.w.mem.refcount[folio];
      let pincount = c ? c.pincount : s.w.mem.pincount[folio];
      if (h.how === "ref") {
        if (!folio_test_slab(s.w, folio)) refcount += 1;
      } else if (folio_has_pincount(s.w, folio)) {
        refcount += 1;
        pincount += 1;
      } else {
        refcount += GUP_PIN_COUNTING_BIAS;
      }
      want.set(folio, { refcount, pincount });
    }
  }
  return want;
}
