// lib/iov_iter.c: building user iterators from system-call arguments (import_ubuf for a plain
// buffer, import_iovec for a struct iovec array that lives in user memory).
import { EFAULT, EINVAL } from "../../include/errno.js";
import { MAX_RW_COUNT, UIO_MAXIOV } from "../../include/page.js";
import { access_ok, user_access } from "../../mm/uaccess.js";
import type { World } from "../../world.js";
import { current_mm } from "../../world.js";
import { iov_iter_init, iov_iter_ubuf } from "./init.js";
import type { iov_iter, iovec } from "./iov_iter.js";

/** sizeof(struct iovec) on 64-bit: iov_base and iov_len, 8 bytes each, little-endian. */
export const IOVEC_SIZE = 16;

/** import_ubuf(): the length is capped at MAX_RW_COUNT; -EFAULT if the range is not user memory. */
export function import_ubuf(w: World, rw: number, buf: number, len: number): { ret: number; iter: iov_iter | null } {
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  if (!access_ok(buf, len)) return { ret: -EFAULT, iter: null };
  return { ret: 0, iter: iov_iter_ubuf(w, rw, buf, len) };
}

/**
 * copy_iovec_from_user(): entry by entry, each length checked before the next entry is read, so
 * a length negative as ssize_t is -EINVAL even when a later entry is unreadable (-EFAULT).
 */
function copy_iovec_from_user(w: World, uvec: number, nr_segs: number): iovec[] | number {
  const mm = current_mm(w);
  if (!mm || !access_ok(uvec, nr_segs * IOVEC_SIZE)) return -EFAULT;
  const raw = new Uint8Array(IOVEC_SIZE);
  const view = new DataView(raw.buffer);
  const iov: iovec[] = [];
  for (let k = 0; k < nr_segs; k++) {
    if (user_access(w, mm, uvec + k * IOVEC_SIZE, raw, false)) return -EFAULT;
    const len = view.getBigInt64(8, true);
    if (len < 0n) return -EINVAL;
    iov.push({
      iov_base: Number(view.getBigUint64(0, true)),
      iov_len: len > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(len),
    });
  }
  return iov;
}

export interface ImportedIovec {
  /** Bytes imported, or -errno. */
  ret: number;
  iter: iov_iter | null;
  /** *iovp on return: the array allocated when nr_segs > fast_segs, else null. */
  iovp: iovec[] | null;
}

/**
 * import_iovec(): one segment becomes an ITER_UBUF; more than UIO_MAXIOV is -EINVAL; a segment
 * failing access_ok() is -EFAULT; the total is capped at MAX_RW_COUNT by shortening segments.
 */
export function import_iovec(w: World, type: number, uvec: number, nr_segs: number, fast_segs: number): ImportedIovec {
  const fail = (ret: number): ImportedIovec => ({ ret, iter: null, iovp: null });
  if (nr_segs === 1) {
    const iov = copy_iovec_from_user(w, uvec, 1);
    if (typeof iov === "number") return fail(iov);
    const { ret, iter } = import_ubuf(w, type, iov[0].iov_base, iov[0].iov_len);
    return ret ? fail(ret) : { ret: iter!.count, iter, iovp: null };
  }
  if (nr_segs > UIO_MAXIOV) return fail(-EINVAL);
  const iov = nr_segs === 0 ? [] : copy_iovec_from_user(w, uvec, nr_segs);
  if (typeof iov === "number") return fail(iov);
  let total_len = 0;
  for (const seg of iov) {
    if (!access_ok(seg.iov_base, seg.iov_len)) return fail(-EFAULT);
    if (seg.iov_len > MAX_RW_COUNT - total_len) seg.iov_len = MAX_RW_COUNT - total_len;
    total_len += seg.iov_len;
  }
  const iter = iov_iter_init(w, type, iov, nr_segs, total_len);
  return { ret: total_len, iter, iovp: nr_segs > fast_segs ? iov : null };
}

/** Lay out struct iovec entries in user memory at uaddr (what a program does before readv). */
export function put_user_iovecs(w: World, uaddr: number, iov: readonly { iov_base: number; iov_len: number | bigint }[]): number {
  const raw = new Uint8Array(iov.length * IOVEC_SIZE);
  const view = new DataView(raw.buffer);
  iov.forEach((seg, k) => {
    view.setBigUint64(k * IOVEC_SIZE, BigInt(seg.iov_base), true);
    view.setBigInt64(k * IOVEC_SIZE + 8, BigInt(seg.iov_len), true);
  });
  const mm = current_mm(w);
  return mm ? user_access(w, mm, uaddr, raw, true) : raw.length;
}
