// lib/iov_iter.c: moving an iterator's position (advance, revert), restoring its count
// (iov_iter_restore) and duplicating it (dup_iter); include/linux/uio.h: capping it
// (iov_iter_truncate, iov_iter_reexpand) and saving it (iov_iter_save_state).
import { BUG, WARN, WARN_ON_ONCE } from "../../include/bug.js";
import { MAX_RW_COUNT } from "../../include/page.js";
import type { World } from "../../world.js";
import { folioq_folio_size, folioq_nr_slots } from "../folio_queue.js";
import type { iov_iter, iov_iter_state } from "./iov_iter.js";
import {
  iov_iter_is_bvec, iov_iter_is_discard, iov_iter_is_folioq, iov_iter_is_kvec, iov_iter_is_xarray,
  iter_is_iovec, iter_is_ubuf, ITER_BVEC, ITER_FOLIOQ, ITER_IOVEC, ITER_KVEC,
} from "./iov_iter.js";

/** iov_iter_iovec_advance / iov_iter_bvec_advance: walk whole segments (identical logic). */
function vec_advance(i: iov_iter, size: number, seg_len: (k: number) => number): void {
  if (!i.count) return;
  i.count -= size;
  size += i.iov_offset;
  let p = i.seg;
  const end = i.seg + i.nr_segs;
  for (; p < end; p++) {
    if (size < seg_len(p)) break;
    size -= seg_len(p);
  }
  i.iov_offset = size;
  i.nr_segs -= p - i.seg;
  i.seg = p;
}

function folioq_advance(i: iov_iter, size: number): void {
  let folioq = i.folioq!;
  let slot = i.folioq_slot;
  if (!i.count) return;
  i.count -= size;
  if (slot >= folioq_nr_slots(folioq)) {
    folioq = folioq.next!;
    slot = 0;
  }
  size += i.iov_offset;
  do {
    const fsize = folioq_folio_size(folioq, slot);
    if (size < fsize) break;
    size -= fsize;
    slot++;
    if (slot >= folioq_nr_slots(folioq) && folioq.next) {
      folioq = folioq.next;
      slot = 0;
    }
  } while (size);
  i.iov_offset = size;
  i.folioq_slot = slot;
  i.folioq = folioq;
}

export function iov_iter_advance(i: iov_iter, size: number): void {
  if (i.count < size) size = i.count;
  if (iter_is_ubuf(i) || iov_iter_is_xarray(i)) {
    i.iov_offset += size;
    i.count -= size;
  } else if (iter_is_iovec(i) || iov_iter_is_kvec(i)) {
    vec_advance(i, size, (k) => i.__iov[k].iov_len);
  } else if (iov_iter_is_bvec(i)) {
    vec_advance(i, size, (k) => i.bvec[k].bv_len);
  } else if (iov_iter_is_folioq(i)) {
    folioq_advance(i, size);
  } else if (iov_iter_is_discard(i)) {
    i.count -= size;
  }
}

function folioq_revert(w: World, i: iov_iter, unroll: number): void {
  let folioq = i.folioq!;
  let slot = i.folioq_slot;
  for (;;) {
    if (slot === 0) {
      if (!folioq.prev) return BUG(w, "iov_iter_revert", "revert walked off the front of the folio queue");
      folioq = folioq.prev;
      slot = folioq_nr_slots(folioq);
    }
    slot--;
    const fsize = folioq_folio_size(folioq, slot);
    if (unroll <= fsize) {
      i.iov_offset = fsize - unroll;
      break;
    }
    unroll -= fsize;
  }
  i.folioq_slot = slot;
  i.folioq = folioq;
}

/**
 * iov_iter_revert(): step back over bytes already consumed. Past the start of a UBUF or XARRAY
 * range the kernel BUG()s; for the array-backed types the kernel would walk off the front of
 * the segment array (undefined behaviour), which the simulation reports as a BUG too.
 */
export function iov_iter_revert(w: World, i: iov_iter, unroll: number): void {
  if (!unroll) return;
  if (unroll > MAX_RW_COUNT) {
    WARN(w, "iov_iter_revert", "unroll > MAX_RW_COUNT");
    return;
  }
  i.count += unroll;
  if (iov_iter_is_discard(i)) return;
  if (unroll <= i.iov_offset) {
    i.iov_offset -= unroll;
    return;
  }
  unroll -= i.iov_offset;
  if (iov_iter_is_xarray(i) || iter_is_ubuf(i)) {
    BUG(w, "iov_iter_revert", "revert beyond the start of an ITER_UBUF/ITER_XARRAY range");
    return;
  }
  if (iov_iter_is_folioq(i)) {
    i.iov_offset = 0;
    folioq_revert(w, i, unroll);
    return;
  }
  const seg_len = (k: number): number => (iov_iter_is_bvec(i) ? i.bvec[k].bv_len : i.__iov[k].iov_len);
  for (let p = i.seg - 1; ; p--) {
    if (p < 0) {
      BUG(w, "iov_iter_revert", "revert walked off the front of the segment array");
      return;
    }
    const n = seg_len(p);
    i.nr_segs++;
    if (unroll <= n) {
      i.seg = p;
      i.iov_offset = n - unroll;
      return;
    }
    unroll -= n;
  }
}

/** iov_iter_truncate(): the count becomes at most limit. */
export function iov_iter_truncate(i: iov_iter, limit: number): void {
  if (i.count > limit) i.count = limit;
}

/** iov_iter_reexpand(): undo a truncate (the caller must not grow past what it cut). */
export function iov_iter_reexpand(i: iov_iter, count: number): void {
  i.count = count;
}

export function iov_iter_save_state(i: iov_iter): iov_iter_state {
  return { iov_offset: i.iov_offset, count: i.count, nr_segs: iov_iter_is_xarray(i) ? i.xarray_start : i.nr_segs };
}

/**
 * iov_iter_restore(): meant for BVEC, IOVEC, UBUF and KVEC. The kernel's guard is written so that
 * KVEC trips the WARN_ON_ONCE but is still restored; other types warn and are left alone.
 */
export function iov_iter_restore(w: World, i: iov_iter, state: iov_iter_state): void {
  const supported = iov_iter_is_bvec(i) || iter_is_iovec(i) || iter_is_ubuf(i);
  if (!supported) WARN_ON_ONCE(w, "iov_iter_restore", "not a BVEC, IOVEC or UBUF iterator");
  if (!supported && !iov_iter_is_kvec(i)) return;
  i.iov_offset = state.iov_offset;
  i.count = state.count;
  if (iter_is_ubuf(i)) return;
  i.seg -= state.nr_segs - i.nr_segs;
  i.nr_segs = state.nr_segs;
}

/** iov_iter_single_seg_count(): bytes left in the current segment. */
export function iov_iter_single_seg_count(i: iov_iter): number {
  if (i.nr_segs > 1) {
    if (i.iter_type === ITER_IOVEC || i.iter_type === ITER_KVEC) return Math.min(i.count, i.__iov[i.seg].iov_len - i.iov_offset);
    if (i.iter_type === ITER_BVEC) return Math.min(i.count, i.bvec[i.seg].bv_len - i.iov_offset);
  }
  if (i.iter_type === ITER_FOLIOQ) return !i.count ? 0 : Math.min(folioq_folio_size(i.folioq!, i.folioq_slot), i.count);
  return i.count;
}

/**
 * dup_iter(): a struct copy; BVEC, KVEC and IOVEC also get their own copy of the remaining
 * segment array, which is returned (the kernel returns the kmemdup()ed array). Takes no page
 * references.
 */
export function dup_iter(old: iov_iter): { iter: iov_iter; dup: readonly unknown[] | null } {
  const iter = { ...old };
  if (old.iter_type === ITER_BVEC) {
    iter.bvec = old.bvec.slice(old.seg, old.seg + old.nr_segs).map((b) => ({ ...b }));
    iter.seg = 0;
    return { iter, dup: iter.bvec };
  }
  if (old.iter_type === ITER_KVEC || old.iter_type === ITER_IOVEC) {
    iter.__iov = old.__iov.slice(old.seg, old.seg + old.nr_segs).map((v) => ({ ...v }));
    iter.seg = 0;
    return { iter, dup: iter.__iov };
  }
  return { iter, dup: null };
}
