// lib/iov_iter.c: iov_iter_extract_pages(). User-backed iterators (UBUF, IOVEC) have their pages
// pinned with FOLL_PIN (FOLL_WRITE when the iterator is ITER_DEST); every kernel type hands out
// bare page pointers with no reference and no pin, leaving their lifetime to the iterator's
// creator. The iterator is advanced by what is returned.
import { BUG, WARN } from "../../include/bug.js";
import { EFAULT, EIO, ENOMEM } from "../../include/errno.js";
import { FOLL_NOFAULT, FOLL_PCI_P2PDMA, FOLL_WRITE } from "../../include/foll.js";
import { MAX_RW_COUNT, PAGE_SIZE } from "../../include/page.js";
import { pin_user_pages_fast } from "../../mm/gup.js";
import { virt_to_page } from "../../mm/kaddr.js";
import { is_vmalloc_or_module_addr, vmalloc_to_page } from "../../mm/vmalloc.js";
import type { World } from "../../world.js";
import { bvec_iter_advance_single, bvec_iter_bvec } from "../bvec.js";
import type { bvec_iter } from "../bvec.js";
import { folioq_folio, folioq_folio_size, folioq_nr_slots } from "../folio_queue.js";
import { xa_is_value, xas_walk_contiguous } from "../xarray.js";
import { iov_iter_advance } from "./advance.js";
import type { PagesResult } from "./get_pages.js";
import { user_segment_pages, want_pages_array } from "./get_pages.js";
import type { iov_iter } from "./iov_iter.js";
import { ITER_ALLOW_P2PDMA, ITER_BVEC, ITER_FOLIOQ, ITER_KVEC, ITER_XARRAY, user_backed_iter } from "./iov_iter.js";

function extract_folioq_pages(w: World, i: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number): PagesResult {
  let folioq = i.folioq!;
  let slot = i.folioq_slot;
  let extracted = 0;
  let nr = 0;
  if (slot >= folioq_nr_slots(folioq)) {
    folioq = folioq.next!;
    slot = 0;
    if (i.iov_offset !== 0 && WARN(w, "iov_iter_extract_folioq_pages", "iov_offset != 0 past the end of a queue segment"))
      return { ret: -EIO, pages: pages0, offset0: undefined };
  }
  const offset0 = i.iov_offset % PAGE_SIZE;
  const want = want_pages_array(w, pages0, maxsize, offset0, maxpages);
  if (!want.count) return { ret: -ENOMEM, pages: want.pages, offset0 };
  const p = want.pages;
  for (;;) {
    const folio = folioq_folio(folioq, slot);
    const offset = i.iov_offset;
    const fsize = folioq_folio_size(folioq, slot);
    if (offset < fsize) {
      const part = Math.min(PAGE_SIZE - (offset % PAGE_SIZE), maxsize - extracted, fsize - offset);
      i.count -= part;
      i.iov_offset += part;
      extracted += part;
      p[nr++] = folio + Math.floor(offset / PAGE_SIZE);
    }
    if (nr >= want.count || extracted >= maxsize) break;
    if (i.iov_offset >= fsize) {
      i.iov_offset = 0;
      slot++;
      if (slot === folioq_nr_slots(folioq) && folioq.next) {
        folioq = folioq.next;
        slot = 0;
      }
    }
  }
  i.folioq = folioq;
  i.folioq_slot = slot;
  return { ret: extracted, pages: p, offset0 };
}

function extract_xarray_pages(w: World, i: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number): PagesResult {
  const pos = i.xarray_start + i.iov_offset;
  const offset = pos % PAGE_SIZE;
  const { count, pages } = want_pages_array(w, pages0, maxsize, offset, maxpages);
  if (!count) return { ret: -ENOMEM, pages, offset0: offset };
  let nr = 0;
  for (const [entry, index] of xas_walk_contiguous(i.xarray!, Math.floor(pos / PAGE_SIZE))) {
    if (xa_is_value(entry)) {
      BUG(w, "iov_iter_extract_xarray_pages", "value entry taken for a folio pointer");
      break;
    }
    pages[nr++] = entry.folio + (index % (1 << entry.order));
    if (nr === count) break;
  }
  // [obs] nr * PAGE_SIZE - offset is computed in size_t: with no page found and a non-zero
  // offset it wraps, and the full maxsize is reported with zero pages listed.
  const avail = nr * PAGE_SIZE - offset;
  maxsize = avail < 0 ? maxsize : Math.min(avail, maxsize);
  iov_iter_advance(i, maxsize);
  return { ret: maxsize, pages, offset0: offset };
}

/** Multi-bvec walk: single-page pieces, continued across bvecs only while virtually contiguous. */
function extract_bvec_pages(w: World, i: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number): PagesResult {
  let skip = i.iov_offset;
  let size = 0;
  let k = 0;
  let offset0: number | undefined;
  if (i.nr_segs === 0) return { ret: 0, pages: pages0, offset0 };
  if (i.iov_offset === i.bvec[i.seg].bv_len) {
    i.iov_offset = 0;
    i.nr_segs--;
    i.seg++;
    skip = 0;
  }
  const bi: bvec_iter = { bi_idx: 0, bi_size: maxsize, bi_bvec_done: skip };
  // [obs] the array is sized from the offset into the bvec (skip), not the offset into the page,
  // and a count of 0 is not checked: the first page is stored anyway.
  const want = want_pages_array(w, pages0, maxsize, skip, maxpages);
  const cur = i.bvec.slice(i.seg);
  while (bi.bi_size && bi.bi_idx < i.nr_segs) {
    const bv = bvec_iter_bvec(cur, bi);
    // Only the first page may start at an offset; a later one ends this call.
    if (k) {
      if (bv.bv_offset) break;
    } else {
      offset0 = bv.bv_offset;
    }
    want.pages[k++] = bv.bv_page;
    size += bv.bv_len;
    if (k >= want.count) break;
    // A piece that does not end on a page boundary would leave a hole.
    if (bv.bv_offset + bv.bv_len !== PAGE_SIZE) break;
    bvec_iter_advance_single(cur, bi, bv.bv_len);
  }
  iov_iter_advance(i, size);
  return { ret: size, pages: want.pages, offset0 };
}

function extract_kvec_pages(w: World, i: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number): PagesResult {
  let skip = i.iov_offset;
  let size: number;
  for (;;) {
    if (i.nr_segs === 0) return { ret: 0, pages: pages0, offset0: undefined };
    size = Math.min(maxsize, i.__iov[i.seg].iov_len - skip);
    if (size) break;
    i.iov_offset = 0;
    i.nr_segs--;
    i.seg++;
    skip = 0;
  }
  let kaddr = i.__iov[i.seg].iov_base + skip;
  const offset = kaddr % PAGE_SIZE;
  const want = want_pages_array(w, pages0, size, offset, maxpages);
  if (!want.count) return { ret: -ENOMEM, pages: want.pages, offset0: offset };
  kaddr -= offset;
  for (let k = 0; k < want.count; k++, kaddr += PAGE_SIZE)
    want.pages[k] = is_vmalloc_or_module_addr(kaddr) ? vmalloc_to_page(w, kaddr) : virt_to_page(kaddr);
  size = Math.min(size, want.count * PAGE_SIZE - offset);
  iov_iter_advance(i, size);
  return { ret: size, pages: want.pages, offset0: offset };
}

function extract_user_pages(w: World, i: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number, xflags: number): PagesResult {
  let gup_flags = 0;
  if (!i.data_source) gup_flags |= FOLL_WRITE; // ITER_DEST: the device will write the pages
  if (xflags & ITER_ALLOW_P2PDMA) gup_flags |= FOLL_PCI_P2PDMA;
  if (i.nofault) gup_flags |= FOLL_NOFAULT;
  return user_segment_pages(w, i, pages0, maxsize, maxpages, gup_flags, pin_user_pages_fast);
}

/**
 * iov_iter_extract_pages(i, pages, maxsize, maxpages, extraction_flags) -> bytes, page list and
 * offset0. A null `pages` asks for an array to be allocated; the caller owns it even on failure.
 */
export function iov_iter_extract_pages(
  w: World, i: iov_iter, pages: number[] | null, maxsize: number, maxpages: number, extraction_flags: number,
): PagesResult {
  maxsize = Math.min(maxsize, i.count, MAX_RW_COUNT);
  if (!maxsize) return { ret: 0, pages, offset0: undefined };
  if (user_backed_iter(i)) return extract_user_pages(w, i, pages, maxsize, maxpages, extraction_flags);
  switch (i.iter_type) {
    case ITER_KVEC: return extract_kvec_pages(w, i, pages, maxsize, maxpages);
    case ITER_BVEC: return extract_bvec_pages(w, i, pages, maxsize, maxpages);
    case ITER_FOLIOQ: return extract_folioq_pages(w, i, pages, maxsize, maxpages);
    case ITER_XARRAY: return extract_xarray_pages(w, i, pages, maxsize, maxpages);
    default: return { ret: -EFAULT, pages, offset0: undefined };
  }
}
