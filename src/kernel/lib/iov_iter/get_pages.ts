// lib/iov_iter.c: iov_iter_get_pages2() and iov_iter_get_pages_alloc2(), the legacy "advancing"
// page getters. User pages come back with FOLL_GET references (never pins); BVEC, FOLIOQ and
// XARRAY pages with a folio reference each (none for slab pages); KVEC and DISCARD are -EFAULT.
import { BUG, WARN } from "../../include/bug.js";
import { EFAULT, EIO, ENOMEM } from "../../include/errno.js";
import { FOLL_NOFAULT, FOLL_WRITE } from "../../include/foll.js";
import { DIV_ROUND_UP, MAX_RW_COUNT, PAGE_SIZE } from "../../include/page.js";
import { folio_get, folio_test_slab, get_page, page_folio } from "../../mm/folio.js";
import { get_user_pages_fast } from "../../mm/gup.js";
import type { World } from "../../world.js";
import { folioq_folio, folioq_folio_size, folioq_nr_slots } from "../folio_queue.js";
import { xa_is_value, xas_walk_contiguous } from "../xarray.js";
import { iov_iter_advance } from "./advance.js";
import type { iov_iter } from "./iov_iter.js";
import {
  cur_bvec, iov_iter_is_bvec, iov_iter_is_folioq, iov_iter_is_xarray, iov_iter_rw, iter_is_ubuf,
  user_backed_iter, WRITE,
} from "./iov_iter.js";

/** What the page getters and extractors hand back in place of their out-parameters. */
export interface PagesResult {
  /** Bytes covered, or -errno. */
  ret: number;
  /** The page list (the caller's, or the one allocated for it; null if none was). */
  pages: number[] | null;
  /** Offset of the data in pages[0] (*start / *offset0); undefined where the kernel leaves it unset. */
  offset0: number | undefined;
}

/**
 * want_pages_array(): how many entries this call may fill, allocating the array when the caller
 * passed none. The simulation's allocations do not fail. A count of 0 (maxpages 0) WARNs; the
 * callers then return -ENOMEM.
 */
export function want_pages_array(w: World, pages: number[] | null, size: number, start: number, maxpages: number): { count: number; pages: number[] } {
  let count = DIV_ROUND_UP(size + start, PAGE_SIZE);
  if (count > maxpages) count = maxpages;
  if (!count) WARN(w, "want_pages_array", "!count (caller should have prevented that)");
  return { count, pages: pages ?? new Array<number>(count).fill(-1) };
}

/**
 * first_iovec_segment(): address of the first non-empty user segment, maxsize clipped to it.
 * null after the kernel's BUG() for an iterator whose count outlives its segments.
 */
function first_iovec_segment(w: World, i: iov_iter, maxsize: number): { addr: number; size: number } | null {
  if (iter_is_ubuf(i)) return { addr: i.ubuf + i.iov_offset, size: maxsize };
  for (let k = 0, skip = i.iov_offset; k < i.nr_segs; k++, skip = 0) {
    const iov = i.__iov[i.seg + k];
    const len = iov.iov_len - skip;
    if (!len) continue;
    return { addr: iov.iov_base + skip, size: Math.min(maxsize, len) };
  }
  BUG(w, "first_iovec_segment", "no non-empty segment left although count > 0");
  return null;
}

/**
 * The user-iterator half shared by iov_iter_get_pages2() (gup = get_user_pages_fast: FOLL_GET
 * references) and iov_iter_extract_user_pages() (gup = pin_user_pages_fast: FOLL_PIN pins): only
 * the first non-empty segment is used; the iterator advances by what GUP covered.
 */
export function user_segment_pages(
  w: World, i: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number, gup_flags: number,
  gup: (w: World, start: number, nr_pages: number, gup_flags: number, pages: number[] | null) => number,
): PagesResult {
  const seg = first_iovec_segment(w, i, maxsize);
  if (!seg) return { ret: -EFAULT, pages: pages0, offset0: undefined };
  const offset = seg.addr % PAGE_SIZE;
  const { count, pages } = want_pages_array(w, pages0, seg.size, offset, maxpages);
  if (!count) return { ret: -ENOMEM, pages, offset0: offset };
  const res = gup(w, seg.addr - offset, count, gup_flags, pages);
  if (res <= 0) return { ret: res, pages, offset0: offset };
  maxsize = Math.min(seg.size, res * PAGE_SIZE - offset);
  iov_iter_advance(i, maxsize);
  return { ret: maxsize, pages, offset0: offset };
}

function iter_folioq_get_pages(w: World, iter: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number): PagesResult {
  let folioq = iter.folioq!;
  let slot = iter.folioq_slot;
  let extracted = 0;
  let count = iter.count;
  let iov_offset = iter.iov_offset;
  if (slot >= folioq_nr_slots(folioq)) {
    folioq = folioq.next!;
    slot = 0;
    if (iov_offset !== 0 && WARN(w, "iter_folioq_get_pages", "iov_offset != 0 past the end of a queue segment"))
      return { ret: -EIO, pages: pages0, offset0: undefined };
  }
  const want = want_pages_array(w, pages0, maxsize, iov_offset % PAGE_SIZE, maxpages);
  if (!want.count) return { ret: -ENOMEM, pages: want.pages, offset0: undefined };
  maxpages = want.count;
  const pages = want.pages;
  const offset0 = iov_offset % PAGE_SIZE;
  let nr = 0;
  for (;;) {
    const folio = folioq_folio(folioq, slot);
    const offset = iov_offset;
    const fsize = folioq_folio_size(folioq, slot);
    if (offset < fsize) {
      const part = Math.min(PAGE_SIZE - (offset % PAGE_SIZE), maxsize - extracted, fsize - offset);
      count -= part;
      iov_offset += part;
      extracted += part;
      pages[nr] = folio + Math.floor(offset / PAGE_SIZE);
      get_page(w, pages[nr++]);
      maxpages--;
    }
    if (maxpages === 0 || extracted >= maxsize) break;
    if (iov_offset >= fsize) {
      iov_offset = 0;
      slot++;
      if (slot === folioq_nr_slots(folioq) && folioq.next) {
        folioq = folioq.next;
        slot = 0;
      }
    }
  }
  iter.count = count;
  iter.iov_offset = iov_offset;
  iter.folioq = folioq;
  iter.folioq_slot = slot;
  return { ret: extracted, pages, offset0 };
}

/** iter_xarray_populate_pages(): one page per consecutive present index, a folio ref each. */
function iter_xarray_get_pages(w: World, i: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number): PagesResult {
  const pos = i.xarray_start + i.iov_offset;
  const offset = pos % PAGE_SIZE;
  const { count, pages } = want_pages_array(w, pages0, maxsize, offset, maxpages);
  if (!count) return { ret: -ENOMEM, pages, offset0: offset };
  let nr = 0;
  for (const [entry, index] of xas_walk_contiguous(i.xarray!, Math.floor(pos / PAGE_SIZE))) {
    if (nr === count) break;
    if (xa_is_value(entry)) {
      BUG(w, "iter_xarray_populate_pages", "value entry taken for a folio pointer");
      break;
    }
    pages[nr++] = entry.folio + (index % (1 << entry.order));
    folio_get(w, entry.folio);
  }
  if (nr === 0) return { ret: 0, pages, offset0: offset };
  maxsize = Math.min(nr * PAGE_SIZE - offset, maxsize);
  i.iov_offset += maxsize;
  i.count -= maxsize;
  return { ret: maxsize, pages, offset0: offset };
}

function __iov_iter_get_pages_alloc(w: World, i: iov_iter, pages0: number[] | null, maxsize: number, maxpages: number): PagesResult {
  if (maxsize > i.count) maxsize = i.count;
  if (!maxsize) return { ret: 0, pages: pages0, offset0: undefined };
  if (maxsize > MAX_RW_COUNT) maxsize = MAX_RW_COUNT;

  if (user_backed_iter(i)) {
    let gup_flags = 0;
    if (iov_iter_rw(i) !== WRITE) gup_flags |= FOLL_WRITE;
    if (i.nofault) gup_flags |= FOLL_NOFAULT;
    return user_segment_pages(w, i, pages0, maxsize, maxpages, gup_flags, get_user_pages_fast);
  }
  if (iov_iter_is_bvec(i)) {
    const bv = cur_bvec(i);
    const skip = i.iov_offset + bv.bv_offset;
    maxsize = Math.min(maxsize, bv.bv_len - i.iov_offset);
    const page = bv.bv_page + Math.floor(skip / PAGE_SIZE);
    const start = skip % PAGE_SIZE;
    const { count, pages } = want_pages_array(w, pages0, maxsize, start, maxpages);
    if (!count) return { ret: -ENOMEM, pages, offset0: start };
    for (let k = 0; k < count; k++) {
      pages[k] = page + k;
      // Since "lib/iov_iter: fix to increase non slab folio refcount" (2025): page k's own folio.
      // The bug switch (H5 d) restores b9c0e49abfca's loop, which looked up the first page's folio.
      const folio = page_folio(w, w.config.bvec_get_pages_first_folio ? page : page + k);
      if (!folio_test_slab(w, folio)) folio_get(w, folio);
    }
    maxsize = Math.min(maxsize, count * PAGE_SIZE - start);
    i.count -= maxsize;
    i.iov_offset += maxsize;
    if (i.iov_offset === bv.bv_len) {
      i.iov_offset = 0;
      i.seg++;
      i.nr_segs--;
    }
    return { ret: maxsize, pages, offset0: start };
  }
  if (iov_iter_is_folioq(i)) return iter_folioq_get_pages(w, i, pages0, maxsize, maxpages);
  if (iov_iter_is_xarray(i)) return iter_xarray_get_pages(w, i, pages0, maxsize, maxpages);
  return { ret: -EFAULT, pages: pages0, offset0: undefined };
}

/** iov_iter_get_pages2(): fill the caller's array (BUG if there is none); advances the iterator. */
export function iov_iter_get_pages2(w: World, i: iov_iter, pages: number[] | null, maxsize: number, maxpages: number): PagesResult {
  if (!maxpages) return { ret: 0, pages, offset0: undefined };
  if (!pages) {
    BUG(w, "iov_iter_get_pages2", "pages == NULL");
    return { ret: -EFAULT, pages, offset0: undefined };
  }
  return __iov_iter_get_pages_alloc(w, i, pages, maxsize, maxpages);
}

/** iov_iter_get_pages_alloc2(): allocates the array, and frees it again when the result is <= 0. */
export function iov_iter_get_pages_alloc2(w: World, i: iov_iter, maxsize: number): PagesResult {
  const res = __iov_iter_get_pages_alloc(w, i, null, maxsize, 0xffffffff);
  return res.ret <= 0 ? { ...res, pages: null } : res;
}
