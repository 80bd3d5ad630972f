// lib/iov_iter.c and include/linux/uio.h: the iov_iter constructors. iov_iter_init, _ubuf, _kvec
// and _bvec WARN on a direction other than READ/WRITE and go on; _xarray and _folio_queue BUG
// on any bit but bit 0; iov_iter_discard BUGs unless the direction is READ.
import { BUG, WARN } from "../../include/bug.js";
import type { World } from "../../world.js";
import type { bio_vec } from "../bvec.js";
import type { folio_queue } from "../folio_queue.js";
import type { xarray } from "../xarray.js";
import type { iov_iter, iovec, kvec } from "./iov_iter.js";
import {
  blank_iter, ITER_BVEC, ITER_DISCARD, ITER_FOLIOQ, ITER_IOVEC, ITER_KVEC, ITER_UBUF, ITER_XARRAY, READ, WRITE,
} from "./iov_iter.js";

function check_direction(w: World, fn: string, direction: number): void {
  if (direction & ~(READ | WRITE)) WARN(w, fn, "direction & ~(READ | WRITE)");
}

export function iov_iter_init(w: World, direction: number, iov: readonly iovec[], nr_segs: number, count: number): iov_iter {
  check_direction(w, "iov_iter_init", direction);
  return { ...blank_iter(ITER_IOVEC, direction !== 0, count), __iov: iov, nr_segs };
}

export function iov_iter_ubuf(w: World, direction: number, buf: number, count: number): iov_iter {
  check_direction(w, "iov_iter_ubuf", direction);
  return { ...blank_iter(ITER_UBUF, direction !== 0, count), ubuf: buf, nr_segs: 1 };
}

export function iov_iter_kvec(w: World, direction: number, kv: readonly kvec[], nr_segs: number, count: number): iov_iter {
  check_direction(w, "iov_iter_kvec", direction);
  return { ...blank_iter(ITER_KVEC, direction !== 0, count), __iov: kv, nr_segs };
}

export function iov_iter_bvec(w: World, direction: number, bvec: readonly bio_vec[], nr_segs: number, count: number): iov_iter {
  check_direction(w, "iov_iter_bvec", direction);
  return { ...blank_iter(ITER_BVEC, direction !== 0, count), bvec, nr_segs };
}

/** Returns null after the BUG() for a bad direction. */
export function iov_iter_folio_queue(
  w: World, direction: number, folioq: folio_queue, first_slot: number, offset: number, count: number,
): iov_iter | null {
  if (direction & ~1) return BUG(w, "iov_iter_folio_queue", "direction & ~1"), null;
  return { ...blank_iter(ITER_FOLIOQ, direction !== 0, count), folioq, folioq_slot: first_slot, iov_offset: offset };
}

/** Returns null after the BUG() for a bad direction. */
export function iov_iter_xarray(w: World, direction: number, xa: xarray, start: number, count: number): iov_iter | null {
  if (direction & ~1) return BUG(w, "iov_iter_xarray", "direction & ~1"), null;
  return { ...blank_iter(ITER_XARRAY, direction !== 0, count), xarray: xa, xarray_start: start };
}

/** Returns null after the BUG() for a direction other than READ. */
export function iov_iter_discard(w: World, direction: number, count: number): iov_iter | null {
  if (direction !== READ) return BUG(w, "iov_iter_discard", "direction != READ"), null;
  return blank_iter(ITER_DISCARD, false, count);
}
