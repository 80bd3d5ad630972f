// block/bio.c, include/linux/bio.h, include/linux/blk_types.h: struct bio, filling it from an
// iov_iter (user pages pinned, BVEC iterators used in place), releasing and re-dirtying its pages
// at completion, and bio_endio(). Follows mainline after the Jan 2026 iov_iter_extract_bvecs()
// series (hch), before the 2026 fix of bio_iov_iter_align_down()'s pin accounting.
import { BUG, WARN_ON_ONCE } from "../include/bug.js";
import { EFAULT, EIO } from "../include/errno.js";
import { DIV_ROUND_UP, PAGE_SIZE, UINT_MAX } from "../include/page.js";
import type { bio_vec, bvec_iter } from "../lib/bvec.js";
import { bvec_set_page } from "../lib/bvec.js";
import { iov_iter_advance, iov_iter_revert } from "../lib/iov_iter/advance.js";
import { iov_iter_extract_bvecs } from "../lib/iov_iter/extract_bvecs.js";
import { iov_iter_npages } from "../lib/iov_iter/inspect.js";
import type { iov_iter } from "../lib/iov_iter/iov_iter.js";
import { iov_iter_get_pages2 } from "../lib/iov_iter/get_pages.js";
import { iov_iter_extract_will_pin, iov_iter_is_bvec, user_backed_iter } from "../lib/iov_iter/iov_iter.js";
import { folio_mark_dirty, folio_page_idx, folio_size, folio_test, page_folio, put_page } from "../mm/folio.js";
import { unpin_user_folio, unpin_user_page } from "../mm/gup.js";
import { PG_dirty } from "../mm/mem_map.js";
import type { World } from "../world.js";
import { queue_work, register_work_fn } from "./blk_state.js";

export const SECTOR_SHIFT = 9;
export const BIO_MAX_VECS = 256;
/** block/bio.c: bios from a bio_set carry this many inline vecs. */
export const BIO_INLINE_VECS = 4;
export const BIO_MAX_SIZE = UINT_MAX;

// enum req_op
export const REQ_OP_READ = 0;
export const REQ_OP_WRITE = 1;
export const REQ_OP_MASK = 0xff;

// bi_flags bit numbers (blk_types.h enum order)
export const BIO_PAGE_PINNED = 0;
export const BIO_CLONED = 1;
/** The pages hold references (put_page at release): the 2023 pinning series' interim flag; with dio_get_refs (eras.ts). */
export const BIO_PAGE_REFFED = 2;

// blk_status_t
export const BLK_STS_OK = 0;
export const BLK_STS_IOERR = 10;

export interface bio_bvec_iter extends bvec_iter {
  /** Device address in 512-byte sectors. */
  bi_sector: number;
}

export interface bio {
  id: number;
  /** The simulated block device: the inode whose disk bytes the sectors address, or -1. */
  bi_bdev: number;
  bi_opf: number;
  /** Bit set of BIO_* bit numbers. */
  bi_flags: number;
  bi_status: number;
  bi_iter: bio_bvec_iter;
  /** The vector; a BIO_CLONED bio built on a BVEC iterator shares the caller's bvecs. */
  bi_io_vec: bio_vec[];
  bi_vcnt: number;
  bi_max_vecs: number;
  /** bi_end_io by name (see register_bi_end_io); null for none. */
  bi_end_io: string | null;
  /** bi_private: the owner's id (the iomap_dio), or -1. */
  bi_private: number;
  __bi_cnt: number;
}

export const bio_op = (bio: bio): number => bio.bi_opf & REQ_OP_MASK;
export const op_is_write = (op: number): boolean => (op & 1) !== 0;
export const bio_flagged = (bio: bio, bit: number): boolean => (bio.bi_flags & (1 << bit)) !== 0;
export function bio_set_flag(bio: bio, bit: number): void {
  bio.bi_flags |= 1 << bit;
}
export function bio_clear_flag(bio: bio, bit: number): void {
  bio.bi_flags &= ~(1 << bit);
}

/** blk_status_to_errno() for the statuses the simulation produces. */
export const blk_status_to_errno = (status: number): number => (status === BLK_STS_OK ? 0 : -EIO);

/** bvec_alloc()'s slab sizes: a bio gets at least what it asked for, rounded up. */
function bio_vecs_rounded(nr_vecs: number): number {
  if (nr_vecs === 0) return 0;
  if (nr_vecs <= BIO_INLINE_VECS) return BIO_INLINE_VECS;
  for (const n of [16, 64, 128]) if (nr_vecs <= n) return n;
  return BIO_MAX_VECS;
}

/** bio_alloc(bdev, nr_vecs, opf, GFP_KERNEL): never fails (mempool-backed). */
export function bio_alloc(w: World, bdev: number, nr_vecs: number, opf: number): bio {
  if (nr_vecs > BIO_MAX_VECS) BUG(w, "bio_alloc", "nr_vecs > BIO_MAX_VECS");
  const bio: bio = {
    id: w.block.bios.length,
    bi_bdev: bdev,
    bi_opf: opf,
    bi_flags: 0,
    bi_status: BLK_STS_OK,
    bi_iter: { bi_sector: 0, bi_size: 0, bi_idx: 0, bi_bvec_done: 0 },
    bi_io_vec: [],
    bi_vcnt: 0,
    bi_max_vecs: bio_vecs_rounded(Math.min(nr_vecs, BIO_MAX_VECS)),
    bi_end_io: null,
    bi_private: -1,
    __bi_cnt: 1,
  };
  w.block.bios.push(bio);
  return bio;
}

/** bio_put(): the last put frees the bio (its pages are the owner's business). */
export function bio_put(w: World, bio: bio): void {
  if (w.block.bios[bio.id] !== bio || bio.__bi_cnt <= 0) {
    BUG(w, "bio_put", `put of bio ${bio.id} that is already freed`);
    return;
  }
  if (--bio.__bi_cnt === 0) w.block.bios[bio.id] = null;
}

/** bio_full(): no vec left, or len more bytes would overflow bi_size. */
export const bio_full = (bio: bio, len: number): boolean =>
  bio.bi_vcnt >= bio.bi_max_vecs || bio.bi_iter.bi_size > BIO_MAX_SIZE - len;

/** bio_iov_vecs_to_alloc(): a BVEC iterator's vecs are reused, so none are needed. */
export const bio_iov_vecs_to_alloc = (iter: iov_iter, max_segs: number): number =>
  iov_iter_is_bvec(iter) ? 0 : iov_iter_npages(iter, max_segs);

/** __bio_add_page(): append a vec the caller knows fits. */
export function __bio_add_page(w: World, bio: bio, page: number, len: number, off: number): void {
  if (bio_flagged(bio, BIO_CLONED)) WARN_ON_ONCE(w, "__bio_add_page", "bio is BIO_CLONED");
  if (bio_full(bio, len)) WARN_ON_ONCE(w, "__bio_add_page", "bio_full()");
  bio.bi_io_vec[bio.bi_vcnt] = bvec_set_page(page, len, off);
  bio.bi_iter.bi_size += len;
  bio.bi_vcnt++;
}

export interface folio_iter {
  folio: number;
  /** Byte offset of the segment within the folio. */
  offset: number;
  length: number;
}

/** bio_for_each_folio_all(): every folio segment of bi_io_vec[0..bi_vcnt), ignoring bi_iter. */
export function* bio_for_each_folio_all(w: World, bio: bio): Generator<folio_iter> {
  for (let i = 0; i < bio.bi_vcnt; i++) {
    const bv = bio.bi_io_vec[i];
    // bio_first_folio(): the offset counts from the folio's head page.
    let folio = page_folio(w, bv.bv_page);
    let offset = bv.bv_offset + PAGE_SIZE * folio_page_idx(folio, bv.bv_page);
    let seg_count = bv.bv_len;
    let length = Math.min(folio_size(w, folio) - offset, seg_count);
    for (;;) {
      const next = folio + (folio_size(w, folio) / PAGE_SIZE); // folio_next(), taken before the body runs
      yield { folio, offset, length };
      seg_count -= length;
      if (!seg_count) break;
      folio = next;
      offset = 0;
      length = Math.min(folio_size(w, folio), seg_count);
    }
  }
}

/**
 * __bio_release_pages(): per folio segment, optionally dirty it, then drop the pins of every
 * page it spans (H5 c, bio_release_by_length: one per PAGE_SIZE of its length instead).
 */
export function __bio_release_pages(w: World, bio: bio, mark_dirty: boolean): void {
  for (const fi of bio_for_each_folio_all(w, bio)) {
    if (mark_dirty) folio_mark_dirty(w, fi.folio); // under folio_lock()
    const nr_pages = w.config.bio_release_by_length
      ? DIV_ROUND_UP(fi.length, PAGE_SIZE)
      : Math.floor((fi.offset + fi.length - 1) / PAGE_SIZE) - Math.floor(fi.offset / PAGE_SIZE) + 1;
    unpin_user_folio(w, fi.folio, nr_pages);
  }
}

/** bio_release_pages(): only pinned (or, before v6.5, referenced) pages are the bio's to release. */
export function bio_release_pages(w: World, bio: bio, mark_dirty: boolean): void {
  if (bio_flagged(bio, BIO_PAGE_PINNED)) __bio_release_pages(w, bio, mark_dirty);
  if (!bio_flagged(bio, BIO_PAGE_REFFED)) return;
  // The BIO_PAGE_REFFED release: set_page_dirty_lock() then put_page() on each page, one
  // single-page segment at a time (bio_for_each_segment_all()), so a vec that bio_add_page() grew
  // over physically contiguous pages releases each of them.
  for (let i = 0; i < bio.bi_vcnt; i++) {
    const bv = bio.bi_io_vec[i];
    const first = bv.bv_page + Math.floor(bv.bv_offset / PAGE_SIZE);
    const last = bv.bv_page + Math.floor((bv.bv_offset + bv.bv_len - 1) / PAGE_SIZE);
    for (let page = first; page <= last; page++) {
      if (mark_dirty) folio_mark_dirty(w, page_folio(w, page));
      put_page(w, page);
    }
  }
}

/**
 * bio_iov_iter_get_pages() before v6.5: per iov_iter_get_pages2() call (FOLL_GET references,
 * FOLL_WRITE for reads), trim the bytes to whole logical blocks (v6.0-6.3; earlier kernels
 * refused misaligned I/O before this point) and give the trimmed pages back (put_page); a page
 * that continues the last vec physically is merged into it, and one the vec already holds gives
 * its extra reference back too (bio_iov_add_page()'s same_page). The bio is BIO_PAGE_REFFED.
 */
function bio_iov_iter_get_pages_legacy(w: World, bio: bio, iter: iov_iter, len_align_mask: number): number {
  bio_set_flag(bio, BIO_PAGE_REFFED);
  let ret = 0;
  do {
    const pages = new Array<number>(bio.bi_max_vecs - bio.bi_vcnt).fill(-1);
    const r = iov_iter_get_pages2(w, iter, pages, BIO_MAX_SIZE - bio.bi_iter.bi_size, pages.length);
    if (r.ret <= 0) {
      ret = r.ret || -EFAULT;
      break;
    }
    const nr_pages = DIV_ROUND_UP(r.offset0! + r.ret, PAGE_SIZE);
    const trim = r.ret & len_align_mask;
    iov_iter_revert(w, iter, trim);
    let left = r.ret - trim;
    if (!left) ret = -EFAULT;
    let i = 0;
    for (let off = r.offset0!; left > 0; i++, off = 0) {
      const len = Math.min(left, PAGE_SIZE - off);
      const merged = bio_try_merge_page(bio, pages[i], len, off);
      if (merged === 2) put_page(w, pages[i]);
      else if (!merged) __bio_add_page(w, bio, pages[i], len, off);
      left -= len;
    }
    for (; i < nr_pages; i++) put_page(w, pages[i]);
  } while (!ret && iter.count && !bio_full(bio, 0));
  return bio.bi_vcnt ? 0 : ret;
}

/** bio_iov_bvec_set(): point the bio at the iterator's own bvecs; no references, no pins. */
export function bio_iov_bvec_set(w: World, bio: bio, iter: iov_iter): void {
  if (bio.bi_max_vecs) WARN_ON_ONCE(w, "bio_iov_bvec_set", "bio->bi_max_vecs");
  bio.bi_io_vec = iter.bvec.slice(iter.seg) as bio_vec[];
  bio.bi_iter.bi_idx = 0;
  bio.bi_iter.bi_bvec_done = iter.iov_offset;
  bio.bi_iter.bi_size = iter.count;
  bio_set_flag(bio, BIO_CLONED);
}

/**
 * bio_iov_iter_align_down(): trim bi_size to a multiple of len_align_mask + 1, giving the excess
 * back to the iterator and dropping trailing vecs.
 */
function bio_iov_iter_align_down(w: World, bio: bio, iter: iov_iter, len_align_mask: number): number {
  let nbytes = bio.bi_iter.bi_size & len_align_mask;
  if (!nbytes) return 0;
  iov_iter_revert(w, iter, nbytes);
  bio.bi_iter.bi_size -= nbytes;
  do {
    const bv = bio.bi_io_vec[bio.bi_vcnt - 1];
    if (nbytes < bv.bv_len) {
      // [obs] a multi-page bvec that shrinks keeps the pins of the pages it no longer spans, and
      // __bio_release_pages() counts only the pages it still spans: those pins leak.
      bv.bv_len -= nbytes;
      break;
    }
    // [obs] only bv_page is unpinned, though a multi-page bvec holds one pin per page it spans.
    if (bio_flagged(bio, BIO_PAGE_PINNED)) unpin_user_page(w, bv.bv_page);
    bio.bi_vcnt--;
    nbytes -= bv.bv_len;
  } while (nbytes);
  if (!bio.bi_vcnt) return -EFAULT;
  return 0;
}

/**
 * bio_iov_iter_get_pages(bio, iter, len_align_mask): add the iterator's pages to the bio. User
 * pages are pinned (BIO_PAGE_PINNED); a BVEC iterator's vector is used as it is (BIO_CLONED),
 * so its pages must outlive the I/O. An error comes back only if nothing could be added.
 */
export function bio_iov_iter_get_pages(w: World, bio: bio, iter: iov_iter, len_align_mask: number): number {
  if (bio_flagged(bio, BIO_CLONED)) {
    WARN_ON_ONCE(w, "bio_iov_iter_get_pages", "bio is BIO_CLONED");
    return -EIO;
  }
  if (iov_iter_is_bvec(iter)) {
    bio_iov_bvec_set(w, bio, iter);
    iov_iter_advance(iter, bio.bi_iter.bi_size);
    return 0;
  }
  if (w.config.dio_get_refs && user_backed_iter(iter)) return bio_iov_iter_get_pages_legacy(w, bio, iter, len_align_mask);
  if (iov_iter_extract_will_pin(iter)) bio_set_flag(bio, BIO_PAGE_PINNED);
  // The simulated device has no P2PDMA memory: no ITER_ALLOW_P2PDMA, no REQ_NOMERGE.
  do {
    const r = iov_iter_extract_bvecs(w, iter, bio.bi_io_vec, BIO_MAX_SIZE - bio.bi_iter.bi_size, bio.bi_vcnt, bio.bi_max_vecs, 0);
    bio.bi_vcnt = r.nr_vecs;
    if (r.ret <= 0) {
      if (!bio.bi_vcnt) return r.ret;
      break;
    }
    bio.bi_iter.bi_size += r.ret;
  } while (iter.count && !bio_full(bio, 0));
  return bio_iov_iter_align_down(w, bio, iter, len_align_mask);
}

/**
 * bio_set_pages_dirty(): dirty every folio before a DIO read is submitted, because completion may
 * run where folio_mark_dirty() is not allowed.
 */
export function bio_set_pages_dirty(w: World, bio: bio): void {
  for (const fi of bio_for_each_folio_all(w, bio)) folio_mark_dirty(w, fi.folio);
}

/**
 * bio_check_pages_dirty(): takes ownership of the bio. If every folio is still dirty, release
 * and put it now; if writeback cleaned one during the read, defer re-dirtying and unpinning to
 * bio_dirty_fn() in process context.
 */
export function bio_check_pages_dirty(w: World, bio: bio): void {
  // The bug switch (dma-no-redirty) releases as if every folio were still dirty.
  if (w.config.dma_redirty) {
    for (const fi of bio_for_each_folio_all(w, bio)) {
      if (folio_test(w, fi.folio, PG_dirty)) continue;
      w.block.bio_dirty_list.unshift(bio.id); // pushed on the front, as the kernel's list
      queue_work(w, "bio_dirty_fn");
      return;
    }
  }
  bio_release_pages(w, bio, false);
  bio_put(w, bio);
}

/** bio_dirty_fn(): the deferred half of bio_check_pages_dirty(), for every bio listed. */
export function bio_dirty_fn(w: World): void {
  const list = w.block.bio_dirty_list.splice(0);
  for (const id of list) {
    const bio = w.block.bios[id];
    if (!bio) {
      BUG(w, "bio_dirty_fn", `bio ${id} on bio_dirty_list was freed`);
      continue;
    }
    bio_release_pages(w, bio, true);
    bio_put(w, bio);
  }
}
register_work_fn("bio_dirty_fn", (w) => bio_dirty_fn(w));

// bi_end_io functions are code: their owners register them by name when loaded.
const end_io_fns = new Map<string, (w: World, bio: bio) => void>();

export function register_bi_end_io(name: string, fn: (w: World, bio: bio) => void): void {
  end_io_fns.set(name, fn);
}

/** bio_endio(): run the owner's completion (chaining is not modelled); it releases the pages. */
export function bio_endio(w: World, bio: bio): void {
  if (!bio.bi_end_io) return;
  const fn = end_io_fns.get(bio.bi_end_io);
  if (!fn) throw new Error(`no bi_end_io registered as ${bio.bi_end_io}`);
  fn(w, bio);
}

/** submit_bio(): hand the bio to the simulated device (blk_dev.ts moves its data later). */
export function submit_bio(w: World, bio: bio): void {
  if (w.block.bios[bio.id] !== bio) {
    BUG(w, "submit_bio", `submit of freed bio ${bio.id}`);
    return;
  }
  w.block.in_flight.push(bio.id);
}

/**
 * bvec_try_merge_page() (__bio_try_merge_page() before v6.4): grow the last vec by len bytes of
 * page at off when they continue it physically. 0 if not; 1 if merged; 2 if merged into the
 * page the vec ends in ("same_page": the vec already holds that page).
 */
function bio_try_merge_page(bio: bio, page: number, len: number, off: number): 0 | 1 | 2 {
  if (!bio.bi_vcnt) return 0;
  const bv = bio.bi_io_vec[bio.bi_vcnt - 1];
  const vec_end = bv.bv_page * PAGE_SIZE + bv.bv_offset + bv.bv_len;
  if (vec_end !== page * PAGE_SIZE + off) return 0;
  bv.bv_len += len;
  bio.bi_iter.bi_size += len;
  return Math.floor((vec_end - 1) / PAGE_SIZE) === page ? 2 : 1;
}

/**
 * bio_add_page() (block/bio.c): append len bytes of page at off, merging into the last vec when
 * they continue it physically (bvec_try_merge_page()); len, or 0 when the bio is full.
 */
export function bio_add_page(w: World, bio: bio, page: number, len: number, off: number): number {
  if (bio_flagged(bio, BIO_CLONED)) {
    WARN_ON_ONCE(w, "bio_add_page", "bio is BIO_CLONED");
    return 0;
  }
  if (bio.bi_iter.bi_size > BIO_MAX_SIZE - len) return 0;
  if (bio_try_merge_page(bio, page, len, off)) return len;
  if (bio.bi_vcnt >= bio.bi_max_vecs) return 0;
  __bio_add_page(w, bio, page, len, off);
  return len;
}
