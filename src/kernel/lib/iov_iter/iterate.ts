// include/linux/iov_iter.h: iterate_and_advance() and its per-type walkers. User segments are
// handed to `ustep` as user addresses; kernel memory is handed to `step` a page at a time as a
// kernel (direct-map) address. Steps return the number of bytes they did NOT process; the
// iterator advances by exactly what was processed.
import { WARN } from "../../include/bug.js";
import { PAGE_SIZE } from "../../include/page.js";
import { page_address } from "../../mm/mem_map.js";
import type { World } from "../../world.js";
import { folioq_folio, folioq_folio_size, folioq_nr_slots } from "../folio_queue.js";
import { xa_is_value, xas_for_each } from "../xarray.js";
import type { iov_iter } from "./iov_iter.js";
import { ITER_BVEC, ITER_FOLIOQ, ITER_IOVEC, ITER_KVEC, ITER_UBUF, ITER_XARRAY } from "./iov_iter.js";

export type iov_ustep_f = (iter_base: number, progress: number, len: number) => number;
export type iov_step_f = (iter_base: number, progress: number, len: number) => number;

function iterate_ubuf(i: iov_iter, len: number, ustep: iov_ustep_f): number {
  const progress = len - ustep(i.ubuf + i.iov_offset, 0, len);
  i.iov_offset += progress;
  i.count -= progress;
  return progress;
}

/** ITER_IOVEC and ITER_KVEC: whole segment pieces; stop inside a segment on a short step. */
function iterate_vec(i: iov_iter, len: number, step: iov_step_f): number {
  let p = i.seg;
  let progress = 0;
  let skip = i.iov_offset;
  do {
    const seg = i.__iov[p];
    const part = Math.min(len, seg.iov_len - skip);
    if (part) {
      const consumed = part - step(seg.iov_base + skip, progress, part);
      progress += consumed;
      skip += consumed;
      len -= consumed;
      if (skip < seg.iov_len) break;
    }
    p++;
    skip = 0;
  } while (len);
  i.nr_segs -= p - i.seg;
  i.seg = p;
  i.iov_offset = skip;
  i.count -= progress;
  return progress;
}

function iterate_bvec(i: iov_iter, len: number, step: iov_step_f): number {
  let p = i.seg;
  let progress = 0;
  let skip = i.iov_offset;
  do {
    const bv = i.bvec[p];
    const offset = bv.bv_offset + skip;
    const kaddr = page_address(bv.bv_page + Math.floor(offset / PAGE_SIZE));
    const part = Math.min(len, bv.bv_len - skip, PAGE_SIZE - (offset % PAGE_SIZE));
    const remain = step(kaddr + (offset % PAGE_SIZE), progress, part);
    const consumed = part - remain;
    len -= consumed;
    progress += consumed;
    skip += consumed;
    if (skip >= bv.bv_len) {
      skip = 0;
      p++;
    }
    if (remain) break;
  } while (len);
  i.nr_segs -= p - i.seg;
  i.seg = p;
  i.iov_offset = skip;
  i.count -= progress;
  return progress;
}

function iterate_folioq(i: iov_iter, len: number, step: iov_step_f): number {
  let folioq = i.folioq!;
  let slot = i.folioq_slot;
  let progress = 0;
  let skip = i.iov_offset;
  if (slot === folioq_nr_slots(folioq)) {
    // The iterator may have been extended.
    folioq = folioq.next!;
    slot = 0;
  }
  do {
    const folio = folioq_folio(folioq, slot);
    let remain = 0;
    if (folio < 0) break;
    const fsize = folioq_folio_size(folioq, slot);
    if (skip < fsize) {
      const part = Math.min(len, PAGE_SIZE - (skip % PAGE_SIZE));
      remain = step(page_address(folio) + skip, progress, part);
      const consumed = part - remain;
      len -= consumed;
      progress += consumed;
      skip += consumed;
    }
    if (skip >= fsize) {
      skip = 0;
      slot++;
      if (slot === folioq_nr_slots(folioq) && folioq.next) {
        folioq = folioq.next;
        slot = 0;
      }
    }
    if (remain) break;
  } while (len);
  i.folioq_slot = slot;
  i.folioq = folioq;
  i.iov_offset = skip;
  i.count -= progress;
  return progress;
}

/** ITER_XARRAY: walks present entries under RCU, takes no references, skips holes. */
function iterate_xarray(w: World, i: iov_iter, len: number, step: iov_step_f): number {
  let progress = 0;
  const start = i.xarray_start + i.iov_offset;
  out: for (const [entry] of xas_for_each(i.xarray!, Math.floor(start / PAGE_SIZE))) {
    if (xa_is_value(entry)) {
      WARN(w, "iterate_xarray", "xa_is_value(folio)");
      break;
    }
    const fsize = PAGE_SIZE << entry.order;
    let offset = (start + progress) % fsize;
    let flen = Math.min(fsize - offset, len);
    while (flen) {
      const part = Math.min(flen, PAGE_SIZE - (offset % PAGE_SIZE));
      const remain = step(page_address(entry.folio) + offset, progress, part);
      const consumed = part - remain;
      progress += consumed;
      len -= consumed;
      if (remain || len === 0) break out;
      flen -= consumed;
      offset += consumed;
    }
  }
  i.iov_offset += progress;
  i.count -= progress;
  return progress;
}

/** iterate_and_advance2(): len is clamped to the count; ITER_DISCARD just consumes it. */
export function iterate_and_advance(w: World, i: iov_iter, len: number, ustep: iov_ustep_f, step: iov_step_f): number {
  if (i.count < len) len = i.count;
  if (!len) return 0;
  switch (i.iter_type) {
    case ITER_UBUF: return iterate_ubuf(i, len, ustep);
    case ITER_IOVEC: return iterate_vec(i, len, ustep);
    case ITER_BVEC: return iterate_bvec(i, len, step);
    case ITER_KVEC: return iterate_vec(i, len, step);
    case ITER_FOLIOQ: return iterate_folioq(i, len, step);
    case ITER_XARRAY: return iterate_xarray(w, i, len, step);
    default:
      i.count -= len;
      return len;
  }
}
