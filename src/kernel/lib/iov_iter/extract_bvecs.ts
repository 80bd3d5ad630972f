// lib/iov_iter.c: iov_iter_extract_bvecs() (factored out of block/bio.c in Jan 2026). It extracts
// pages like iov_iter_extract_pages() and coalesces runs of physically consecutive pages of one
// folio into single bvecs; pages extracted but not added are given back (iterator reverted,
// pins dropped). A merged bvec still holds one pin per page it spans.
import { EFAULT } from "../../include/errno.js";
import { DIV_ROUND_UP, PAGE_SIZE } from "../../include/page.js";
import { folio_page_idx, folio_size, page_folio } from "../../mm/folio.js";
import { unpin_user_page } from "../../mm/gup.js";
import type { World } from "../../world.js";
import type { bio_vec } from "../bvec.js";
import { bvec_set_page } from "../bvec.js";
import { iov_iter_revert } from "./advance.js";
import { iov_iter_extract_pages } from "./extract.js";
import type { iov_iter } from "./iov_iter.js";
import { iov_iter_extract_will_pin } from "./iov_iter.js";

/** get_contig_folio_len(): bytes of pages[at..] that are consecutive within pages[at]'s folio. */
function get_contig_folio_len(w: World, pages: readonly number[], at: number, left: number, offset: number): { len: number; num_pages: number } {
  const folio = page_folio(w, pages[at]);
  let contig_sz = Math.min(PAGE_SIZE - offset, left);
  const folio_offset = PAGE_SIZE * folio_page_idx(folio, pages[at]) + offset;
  const len = Math.min(folio_size(w, folio) - folio_offset, left);
  // A single page in the middle of a large folio may have been COWed: check each page.
  left -= contig_sz;
  const max_pages = DIV_ROUND_UP(offset + len, PAGE_SIZE);
  let i = 1;
  for (; i < max_pages; i++) {
    const next = Math.min(PAGE_SIZE, left);
    if (page_folio(w, pages[at + i]) !== folio || pages[at + i] !== pages[at + i - 1] + 1) break;
    contig_sz += next;
    left -= next;
  }
  return { len: contig_sz, num_pages: i };
}

/**
 * iov_iter_extract_bvecs(iter, bv, max_size, nr_vecs, max_vecs, extraction_flags): fills
 * bv[nr_vecs..max_vecs); returns the bytes added (or -errno) and the new nr_vecs.
 */
export function iov_iter_extract_bvecs(
  w: World, iter: iov_iter, bv: bio_vec[], max_size: number, nr_vecs: number, max_vecs: number, extraction_flags: number,
): { ret: number; nr_vecs: number } {
  const entries_left = max_vecs - nr_vecs;
  const res = iov_iter_extract_pages(w, iter, null, max_size, entries_left, extraction_flags);
  const size = res.ret;
  if (size <= 0) return { ret: size ? size : -EFAULT, nr_vecs };
  const pages = res.pages!;
  let offset = res.offset0!;
  const nr_pages = DIV_ROUND_UP(offset + size, PAGE_SIZE);
  let i = 0;
  let left = size;
  // zone_device_pages_have_same_pgmap() always holds: the simulation has no ZONE_DEVICE pages.
  while (left > 0) {
    const { len, num_pages } = get_contig_folio_len(w, pages, i, left, offset);
    bv[nr_vecs++] = bvec_set_page(pages[i], len, offset);
    i += num_pages;
    offset = 0;
    left -= len;
  }
  iov_iter_revert(w, iter, left);
  if (iov_iter_extract_will_pin(iter)) while (i < nr_pages) unpin_user_page(w, pages[i++]);
  return { ret: size - left, nr_vecs };
}
