// lib/iov_iter.c and include/linux/uio.h: moving bytes between kernel memory and an iterator.
// Since a41dad905e5a (2022) copying *into* an ITER_SOURCE iterator, or *out of* an ITER_DEST
// one, WARNs once and moves nothing. iov_iter_zero() has no direction check.
import { WARN, WARN_ON_ONCE } from "../../include/bug.js";
import { INT_MAX, PAGE_SIZE } from "../../include/page.js";
import { folio_size, page_folio } from "../../mm/folio.js";
import { page_address } from "../../mm/mem_map.js";
import { access_ok, clear_user, copy_from_user, copy_to_user } from "../../mm/uaccess.js";
import type { World } from "../../world.js";
import { memcpy, memset } from "../string.js";
import { iov_iter_revert } from "./advance.js";
import type { iov_iter } from "./iov_iter.js";
import { iterate_and_advance } from "./iterate.js";

/** include/linux/thread_info.h check_copy_size(): the hardened-usercopy size check. */
function check_copy_size(w: World, fn: string, bytes: number): boolean {
  return !(bytes > INT_MAX && WARN_ON_ONCE(w, fn, "check_copy_size: bytes > INT_MAX"));
}

export function _copy_to_iter(w: World, addr: number, bytes: number, i: iov_iter): number {
  if (i.data_source && WARN_ON_ONCE(w, "_copy_to_iter", "i->data_source (copy into an ITER_SOURCE iterator)")) return 0;
  return iterate_and_advance(
    w, i, bytes,
    (to, progress, len) => (access_ok(to, len) ? copy_to_user(w, to, addr + progress, len) : len),
    (to, progress, len) => (memcpy(w, to, addr + progress, len) ? 0 : len),
  );
}

export function _copy_from_iter(w: World, addr: number, bytes: number, i: iov_iter): number {
  if (!i.data_source && WARN_ON_ONCE(w, "_copy_from_iter", "!i->data_source (copy out of an ITER_DEST iterator)")) return 0;
  return __copy_from_iter(w, addr, bytes, i);
}

function __copy_from_iter(w: World, addr: number, bytes: number, i: iov_iter): number {
  return iterate_and_advance(
    w, i, bytes,
    (from, progress, len) => (access_ok(from, len) ? copy_from_user(w, addr + progress, from, len) : len),
    (from, progress, len) => (memcpy(w, addr + progress, from, len) ? 0 : len),
  );
}

export const copy_to_iter = (w: World, addr: number, bytes: number, i: iov_iter): number =>
  check_copy_size(w, "copy_to_iter", bytes) ? _copy_to_iter(w, addr, bytes, i) : 0;

export const copy_from_iter = (w: World, addr: number, bytes: number, i: iov_iter): number =>
  check_copy_size(w, "copy_from_iter", bytes) ? _copy_from_iter(w, addr, bytes, i) : 0;

/** copy_from_iter_full(): all or nothing; a short copy is reverted. */
export function copy_from_iter_full(w: World, addr: number, bytes: number, i: iov_iter): boolean {
  const copied = copy_from_iter(w, addr, bytes, i);
  if (copied === bytes) return true;
  iov_iter_revert(w, i, copied);
  return false;
}

/** iov_iter_zero(): zero-fill; no direction check. */
export function iov_iter_zero(w: World, bytes: number, i: iov_iter): number {
  return iterate_and_advance(
    w, i, bytes,
    (to, _p, len) => clear_user(w, to, len),
    (to, _p, len) => (memset(w, to, 0, len) ? 0 : len),
  );
}

/** page_copy_sane(): offset+n must lie inside the (compound) page. */
function page_copy_sane(w: World, page: number, offset: number, n: number): boolean {
  let v = n + offset;
  if (n <= v && v <= PAGE_SIZE) return true;
  const head = page_folio(w, page);
  v += (page - head) * PAGE_SIZE;
  if (n > v || v > folio_size(w, head)) return !WARN(w, "page_copy_sane", "n > v || v > page_size(head)");
  return true;
}

/** The loop shared by copy_page_to_iter and copy_page_from_iter: one subpage at a time. */
function copy_page_loop(page: number, offset: number, bytes: number, move: (kaddr: number, n: number) => number): number {
  let res = 0;
  page += Math.floor(offset / PAGE_SIZE);
  offset %= PAGE_SIZE;
  for (;;) {
    const n = move(page_address(page) + offset, Math.min(bytes, PAGE_SIZE - offset));
    res += n;
    bytes -= n;
    if (!bytes || !n) break;
    offset += n;
    if (offset === PAGE_SIZE) {
      page++;
      offset = 0;
    }
  }
  return res;
}

export function copy_page_to_iter(w: World, page: number, offset: number, bytes: number, i: iov_iter): number {
  if (!page_copy_sane(w, page, offset, bytes)) return 0;
  if (i.data_source && WARN_ON_ONCE(w, "copy_page_to_iter", "i->data_source")) return 0;
  return copy_page_loop(page, offset, bytes, (kaddr, n) => _copy_to_iter(w, kaddr, n, i));
}

export function copy_page_from_iter(w: World, page: number, offset: number, bytes: number, i: iov_iter): number {
  if (!page_copy_sane(w, page, offset, bytes)) return 0;
  return copy_page_loop(page, offset, bytes, (kaddr, n) => _copy_from_iter(w, kaddr, n, i));
}

/** copy_page_from_iter_atomic(): one copy over the (directly mapped) compound page. */
export function copy_page_from_iter_atomic(w: World, page: number, offset: number, bytes: number, i: iov_iter): number {
  if (!page_copy_sane(w, page, offset, bytes)) return 0;
  if (!i.data_source && WARN_ON_ONCE(w, "copy_page_from_iter_atomic", "!i->data_source")) return 0;
  return __copy_from_iter(w, page_address(page) + offset, bytes, i);
}
