// include/linux/bvec.h: bio_vec (a possibly multi-page run of one physical range) and the
// bvec_iter walk that hands it out one single-page piece at a time.
import { PAGE_SIZE } from "../include/page.js";

export interface bio_vec {
  bv_page: number;
  bv_len: number;
  bv_offset: number;
}

export const bvec_set_page = (bv_page: number, bv_len: number, bv_offset: number): bio_vec => ({ bv_page, bv_len, bv_offset });

export interface bvec_iter {
  bi_size: number;
  bi_idx: number;
  bi_bvec_done: number;
}

/** bvec_iter_bvec(): the single-page piece of bv[iter.bi_idx] at the iterator's position. */
export function bvec_iter_bvec(bv: readonly bio_vec[], iter: bvec_iter): bio_vec {
  const cur = bv[iter.bi_idx];
  const off = cur.bv_offset + iter.bi_bvec_done;
  return {
    bv_page: cur.bv_page + Math.floor(off / PAGE_SIZE),
    bv_offset: off % PAGE_SIZE,
    bv_len: Math.min(iter.bi_size, cur.bv_len - iter.bi_bvec_done, PAGE_SIZE - (off % PAGE_SIZE)),
  };
}

/** bvec_iter_advance_single(): step over len bytes that lie within the current bvec. */
export function bvec_iter_advance_single(bv: readonly bio_vec[], iter: bvec_iter, len: number): void {
  const done = iter.bi_bvec_done + len;
  if (done === bv[iter.bi_idx].bv_len) {
    iter.bi_bvec_done = 0;
    iter.bi_idx++;
  } else {
    iter.bi_bvec_done = done;
  }
  iter.bi_size -= len;
}
