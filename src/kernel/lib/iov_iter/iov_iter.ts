// include/linux/uio.h: struct iov_iter and its type and direction predicates.
import type { bio_vec } from "../bvec.js";
import type { folio_queue } from "../folio_queue.js";
import type { xarray } from "../xarray.js";

/** enum iter_type (current mainline order). */
export const ITER_UBUF = 0;
export const ITER_IOVEC = 1;
export const ITER_BVEC = 2;
export const ITER_KVEC = 3;
export const ITER_FOLIOQ = 4;
export const ITER_XARRAY = 5;
export const ITER_DISCARD = 6;
export const ITER_TYPE_NAMES = ["ITER_UBUF", "ITER_IOVEC", "ITER_BVEC", "ITER_KVEC", "ITER_FOLIOQ", "ITER_XARRAY", "ITER_DISCARD"];

export const READ = 0;
export const WRITE = 1;
/** The iterator is the destination of the data (read(2)); == READ. */
export const ITER_DEST = READ;
/** The iterator is the source of the data (write(2)); == WRITE. */
export const ITER_SOURCE = WRITE;

/** iov_iter_extraction_t flags */
export const ITER_ALLOW_P2PDMA = 0x01;

/** struct iovec and struct kvec (identical layouts): a user or kernel virtual address range. */
export interface iovec {
  iov_base: number;
  iov_len: number;
}
export type kvec = iovec;

/**
 * struct iov_iter. The kernel's segment pointer (__iov, kvec, bvec) is an array plus the index
 * `seg` of the current element, so `i->bvec++` is `i.seg++`.
 */
export interface iov_iter {
  iter_type: number;
  nofault: boolean;
  data_source: boolean;
  iov_offset: number;
  count: number;
  /** ITER_IOVEC / ITER_KVEC segments. */
  __iov: readonly iovec[];
  /** ITER_BVEC segments. */
  bvec: readonly bio_vec[];
  seg: number;
  nr_segs: number;
  /** ITER_UBUF base address. */
  ubuf: number;
  folioq: folio_queue | null;
  folioq_slot: number;
  xarray: xarray | null;
  /** File position of byte 0 of an ITER_XARRAY. */
  xarray_start: number;
}

/** struct iov_iter_state */
export interface iov_iter_state {
  iov_offset: number;
  count: number;
  nr_segs: number;
}

export const iter_is_ubuf = (i: iov_iter): boolean => i.iter_type === ITER_UBUF;
export const iter_is_iovec = (i: iov_iter): boolean => i.iter_type === ITER_IOVEC;
export const iov_iter_is_kvec = (i: iov_iter): boolean => i.iter_type === ITER_KVEC;
export const iov_iter_is_bvec = (i: iov_iter): boolean => i.iter_type === ITER_BVEC;
export const iov_iter_is_folioq = (i: iov_iter): boolean => i.iter_type === ITER_FOLIOQ;
export const iov_iter_is_xarray = (i: iov_iter): boolean => i.iter_type === ITER_XARRAY;
export const iov_iter_is_discard = (i: iov_iter): boolean => i.iter_type === ITER_DISCARD;
export const user_backed_iter = (i: iov_iter): boolean => iter_is_ubuf(i) || iter_is_iovec(i);
export const iov_iter_type = (i: iov_iter): number => i.iter_type;
export const iov_iter_rw = (i: iov_iter): number => (i.data_source ? WRITE : READ);
export const iov_iter_count = (i: iov_iter): number => i.count;

/** iter_iov(): the current iovec; for ITER_UBUF the single {ubuf, count} overlay. */
export function iter_iov(i: iov_iter, k = 0): iovec {
  return iter_is_ubuf(i) ? { iov_base: i.ubuf, iov_len: i.count } : i.__iov[i.seg + k];
}

/** The current bvec, bvec[k] relative to it. */
export const cur_bvec = (i: iov_iter, k = 0): bio_vec => i.bvec[i.seg + k];

/** iov_iter_extract_will_pin(): only user-backed iterators' pages are pinned by extraction. */
export const iov_iter_extract_will_pin = (i: iov_iter): boolean => user_backed_iter(i);

/** A zeroed struct iov_iter of the given type; constructors fill in the rest. */
export function blank_iter(iter_type: number, data_source: boolean, count: number): iov_iter {
  return {
    iter_type, nofault: false, data_source, iov_offset: 0, count,
    __iov: [], bvec: [], seg: 0, nr_segs: 0, ubuf: 0,
    folioq: null, folioq_slot: 0, xarray: null, xarray_start: 0,
  };
}
