// lib/iov_iter.c: questions about the remaining range (pages spanned, alignment, segment size).
import { WARN } from "../../include/bug.js";
import { DIV_ROUND_UP, hits_mask, or53, PAGE_SIZE } from "../../include/page.js";
import type { World } from "../../world.js";
import type { iov_iter } from "./iov_iter.js";
import { ITER_BVEC, ITER_FOLIOQ, ITER_IOVEC, ITER_KVEC, ITER_UBUF, ITER_XARRAY } from "./iov_iter.js";

interface Piece {
  /** Start address (iovec/kvec) or offset into bv_page (bvec). */
  addr: number;
  /** What is left of the segment from the current position. */
  seglen: number;
  /** seglen clamped to the bytes still counted. */
  len: number;
}

/**
 * The remaining range, one piece per segment. Like the kernel's do/while loops, the current
 * segment is always visited, even when the count is already 0.
 */
function remaining_segments(i: iov_iter): Piece[] {
  const out: Piece[] = [];
  const end = i.iter_type === ITER_BVEC ? i.bvec.length : i.__iov.length;
  let size = i.count;
  let skip = i.iov_offset;
  let p = i.seg;
  do {
    if (p >= end) break;
    const [addr, full] =
      i.iter_type === ITER_BVEC ? [i.bvec[p].bv_offset + skip, i.bvec[p].bv_len] : [i.__iov[p].iov_base + skip, i.__iov[p].iov_len];
    const seglen = full - skip;
    const len = Math.min(seglen, size);
    out.push({ addr, seglen, len });
    size -= len;
    p++;
    skip = 0;
  } while (size);
  return out;
}

/** iov_iter_npages(): pages spanned by the remaining range, capped at maxpages. */
export function iov_iter_npages(i: iov_iter, maxpages: number): number {
  if (!i.count) return 0;
  const span = (offs: number): number => Math.min(DIV_ROUND_UP(offs + i.count, PAGE_SIZE), maxpages);
  switch (i.iter_type) {
    case ITER_UBUF: return span((i.ubuf + i.iov_offset) % PAGE_SIZE);
    case ITER_FOLIOQ: return span(i.iov_offset % PAGE_SIZE);
    case ITER_XARRAY: return span((i.xarray_start + i.iov_offset) % PAGE_SIZE);
    case ITER_IOVEC: case ITER_KVEC: case ITER_BVEC: {
      let npages = 0;
      for (const { addr, len } of remaining_segments(i)) {
        // iov_npages() skips empty segments; bvec_npages() has no such check, so an empty bvec
        // that starts inside a page counts as one page.
        if (!len && i.iter_type !== ITER_BVEC) continue;
        npages += DIV_ROUND_UP((addr % PAGE_SIZE) + len, PAGE_SIZE);
        if (npages > maxpages) return maxpages;
      }
      return npages;
    }
    default: return 0;
  }
}

/** iov_iter_alignment(): OR of every remaining segment's start and length. */
export function iov_iter_alignment(i: iov_iter): number {
  switch (i.iter_type) {
    case ITER_UBUF: return i.count ? or53(i.ubuf + i.iov_offset, i.count) : 0;
    case ITER_FOLIOQ: return or53(i.iov_offset, i.count);
    case ITER_XARRAY: return or53(i.xarray_start + i.iov_offset, i.count);
    case ITER_IOVEC: case ITER_KVEC: case ITER_BVEC: {
      let res = 0;
      for (const { addr, seglen, len } of remaining_segments(i)) {
        // iovec/kvec skip empty segments; bvec ORs in every offset.
        if (seglen || i.iter_type === ITER_BVEC) res = or53(or53(res, addr), len);
      }
      return res;
    }
    default: return 0;
  }
}

/** iov_iter_gap_alignment(): OR of (segment start | previous segment end) at inner boundaries. */
export function iov_iter_gap_alignment(w: World, i: iov_iter): number {
  if (i.iter_type === ITER_UBUF) return 0;
  if (i.iter_type !== ITER_IOVEC) {
    WARN(w, "iov_iter_gap_alignment", "!iter_is_iovec(i)");
    return 0xffffffff;
  }
  let res = 0;
  let v = 0;
  let size = i.count;
  for (let k = 0; k < i.nr_segs; k++) {
    const iov = i.__iov[i.seg + k];
    if (!iov.iov_len) continue;
    if (v) res = or53(res, or53(iov.iov_base, v));
    v = iov.iov_base + iov.iov_len;
    if (size <= iov.iov_len) break;
    size -= iov.iov_len;
  }
  return res;
}

/** iov_iter_is_aligned(): false if any remaining segment's address or length hits the masks. */
export function iov_iter_is_aligned(i: iov_iter, addr_mask: number, len_mask: number): boolean {
  switch (i.iter_type) {
    case ITER_UBUF: return !hits_mask(i.count, len_mask) && !hits_mask(i.ubuf + i.iov_offset, addr_mask);
    case ITER_XARRAY: return !hits_mask(i.count, len_mask) && !hits_mask(i.xarray_start + i.iov_offset, addr_mask);
    case ITER_FOLIOQ: return !hits_mask(i.count, len_mask) && !hits_mask(i.iov_offset, addr_mask);
    case ITER_IOVEC: case ITER_KVEC:
      return remaining_segments(i).every(({ addr, len }) => !hits_mask(len, len_mask) && !hits_mask(addr, addr_mask));
    case ITER_BVEC: {
      // iov_iter_aligned_bvec() as last fixed before iov_iter_is_aligned() was removed (2025):
      // 334d7c4fb60c ("iov_iter: use iov_offset for length calculation in
      // iov_iter_aligned_bvec") measures the first bvec from the current position again.
      let size = i.count;
      let skip = i.iov_offset;
      let p = i.seg;
      do {
        const bv = i.bvec[p++];
        if (!bv) break;
        const len = Math.min(bv.bv_len - skip, size);
        if (hits_mask(len, len_mask) || hits_mask(bv.bv_offset + skip, addr_mask)) return false;
        size -= len;
        skip = 0;
      } while (size);
      return true;
    }
    default: return true;
  }
}
