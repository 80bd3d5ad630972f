// fs/iomap/direct-io.c: iomap_dio_rw() for an ext4-like file on the simulated block device. The
// submitter builds one bio per run of pages (pinning user pages), the device completes them in
// later steps, and the last completion finishes the request: inline for reads (->ki_complete
// runs right after that bio's pages are released, or while they stay pinned for a deferred
// re-dirty), through a work item for async writes, or by waking a synchronous submitter that
// then completes it itself.
import { WARN_ON_ONCE } from "../../include/bug.js";
import { EAGAIN, EFAULT, EINVAL, EIO, EIOCBQUEUED, ENOTBLK } from "../../include/errno.js";
import { PAGE_SIZE } from "../../include/page.js";
import type { bio } from "../../block/bio.js";
import {
  __bio_add_page, bio_alloc, bio_check_pages_dirty, bio_iov_iter_get_pages, bio_iov_vecs_to_alloc, bio_put,
  bio_release_pages, bio_set_pages_dirty, blk_status_to_errno, BIO_MAX_VECS, register_bi_end_io, REQ_OP_READ,
  REQ_OP_WRITE, SECTOR_SHIFT, submit_bio,
} from "../../block/bio.js";
import { blk_dev_run_owned } from "../../block/blk_dev.js";
import { queue_work, register_work_fn } from "../../block/blk_state.js";
import { iov_iter_reexpand, iov_iter_revert, iov_iter_truncate } from "../../lib/iov_iter/advance.js";
import { iov_iter_zero } from "../../lib/iov_iter/copy.js";
import type { iov_iter } from "../../lib/iov_iter/iov_iter.js";
import { iov_iter_rw, READ, user_backed_iter } from "../../lib/iov_iter/iov_iter.js";
import { alloc_pages } from "../../mm/mem_map.js";
import type { World } from "../../world.js";
import type { Inode } from "../inode.js";
import { kiocb_invalidate_pages, kiocb_invalidate_post_direct_write, kiocb_write_and_wait } from "../../mm/filemap_dio.js";
import type { kiocb } from "../kiocb.js";
import { is_sync_kiocb, ki_complete } from "../kiocb.js";

// iomap_dio_rw() dio_flags (include/linux/iomap.h)
export const IOMAP_DIO_FORCE_WAIT = 1 << 0;
export const IOMAP_DIO_PARTIAL = 1 << 2;
// dio->flags: public bits (include/linux/iomap.h) and private ones (fs/iomap/direct-io.c)
export const IOMAP_DIO_NO_INVALIDATE = 1 << 25;
export const IOMAP_DIO_CALLER_COMP = 1 << 26;
export const IOMAP_DIO_INLINE_COMP = 1 << 27;
export const IOMAP_DIO_WRITE_THROUGH = 1 << 28;
export const IOMAP_DIO_NEED_SYNC = 1 << 29;
export const IOMAP_DIO_WRITE = 1 << 30;
export const IOMAP_DIO_DIRTY = 1 << 31;

/** iomap types and flags (include/linux/iomap.h) the simulated file system hands out. */
export const IOMAP_HOLE = 0;
export const IOMAP_MAPPED = 2;
export const IOMAP_F_NEW = 1 << 0;

/** i_blocksize() of the simulated ext4: one page. */
export const FS_BLOCK_SIZE = PAGE_SIZE;
/** iomap_dio_zero(): at most 64 KiB of zeros per call. */
const IOMAP_ZERO_PAGE_SIZE = 64 * 1024;
const IOMAP_ZERO_PAGE_ORDER = 4;

export interface iomap_dio {
  id: number;
  iocb: number;
  /** The file (the bios' device). */
  ino: number;
  i_size: number;
  size: number;
  ref: number;
  flags: number;
  error: number;
  done_before: number;
  wait_for_completion: boolean;
  /** dio->submit.waiter != NULL: a synchronous submitter still sleeps on this dio. */
  waiter: boolean;
  /** bdev_logical_block_size() of the device: the alignment bios are cut to. */
  lbs: number;
}

export interface iomap {
  offset: number;
  length: number;
  type: number;
  flags: number;
}

const kiocb_of = (w: World, dio: iomap_dio): kiocb => w.block.kiocbs[dio.iocb];

/**
 * The simulated ext4's ->iomap_begin: a block is mapped when the disk holds it; anything else is
 * a hole to a read and a new allocation (IOMAP_F_NEW, to be zeroed around the data) to a write.
 * Sector addresses equal file offsets. Extents are maximal runs of one kind, cut at pos + length.
 */
export function ext4_iomap_begin(inode: Readonly<Inode>, pos: number, length: number, write: boolean): iomap {
  const block = (p: number): number => Math.floor(p / FS_BLOCK_SIZE);
  const on_disk = (p: number): boolean => inode.disk.has(block(p));
  const mapped = on_disk(pos);
  const start = block(pos) * FS_BLOCK_SIZE;
  let end = start + FS_BLOCK_SIZE;
  while (end < pos + length && on_disk(end) === mapped) end += FS_BLOCK_SIZE;
  const type = mapped || write ? IOMAP_MAPPED : IOMAP_HOLE;
  return { offset: start, length: end - start, type, flags: !mapped && write ? IOMAP_F_NEW : 0 };
}

/** iomap_dio_set_error(): the first error sticks. */
function iomap_dio_set_error(dio: iomap_dio, ret: number): void {
  if (!dio.error) dio.error = ret;
}

/** The simulated ext4's ->end_io for writes (ext4_dio_write_end_io): extend i_size over what was written. */
function ext4_dio_write_end_io(w: World, iocb: kiocb, size: number, error: number): number {
  if (!error && size && iocb.ki_pos + size > w.inodes_for_read[iocb.ki_filp].i_size) w.inodes[iocb.ki_filp].i_size = iocb.ki_pos + size;
  return error;
}

/** iomap_dio_complete(): the result, page-cache invalidation after writes, ki_pos; frees the dio. */
export function iomap_dio_complete(w: World, dio: iomap_dio): number {
  const iocb = kiocb_of(w, dio);
  const offset = iocb.ki_pos;
  let ret = dio.error;
  if (dio.flags & IOMAP_DIO_WRITE) ret = ext4_dio_write_end_io(w, iocb, dio.size, ret);
  if (!ret) {
    ret = dio.size;
    // A short read: only report data up to i_size as sampled at submission.
    if (offset + ret > dio.i_size && !(dio.flags & IOMAP_DIO_WRITE)) ret = dio.i_size - offset;
  }
  if (!dio.error && dio.size && (dio.flags & IOMAP_DIO_WRITE) && !(dio.flags & IOMAP_DIO_NO_INVALIDATE))
    kiocb_invalidate_post_direct_write(w, iocb, dio.size);
  if (ret > 0) {
    iocb.ki_pos += ret;
    ret += dio.done_before;
  }
  w.block.dios[dio.id] = null; // kfree(dio)
  return ret;
}

/** iomap_dio_complete_work(): complete and report through ->ki_complete. */
function iomap_dio_complete_work(w: World, dio: iomap_dio): void {
  const iocb = kiocb_of(w, dio);
  ki_complete(w, iocb, iomap_dio_complete(w, dio));
}
register_work_fn("iomap_dio_complete_work", (w, id) => {
  const dio = w.block.dios[id];
  if (dio) iomap_dio_complete_work(w, dio);
});

/** iomap_dio_done(): the last reference went, from an I/O completion. */
function iomap_dio_done(w: World, dio: iomap_dio): void {
  if (dio.wait_for_completion) {
    dio.waiter = false; // blk_wake_io_task(): the submitter completes it
  } else if (dio.flags & IOMAP_DIO_INLINE_COMP) {
    iomap_dio_complete_work(w, dio);
  } else {
    // IOMAP_DIO_CALLER_COMP needs IOCB_DIO_CALLER_COMP, which no simulated issuer sets.
    queue_work(w, "iomap_dio_complete_work", dio.id); // sb->s_dio_done_wq
  }
}

/**
 * iomap_dio_bio_end_io(): note the first error, release this bio's pages (re-checking their
 * dirtiness for reads into user memory, plainly otherwise), then drop the bio's dio reference,
 * finishing the dio if it was the last. That order is 45cec0de6c89's ("iomap: free the bio
 * before completing the dio", 2026); before, the dio was completed first.
 */
export function iomap_dio_bio_end_io(w: World, bio: bio): void {
  const dio = w.block.dios[bio.bi_private]!;
  const should_dirty = (dio.flags & IOMAP_DIO_DIRTY) !== 0;
  if (bio.bi_status) iomap_dio_set_error(dio, blk_status_to_errno(bio.bi_status));
  if (should_dirty) {
    bio_check_pages_dirty(w, bio);
  } else {
    bio_release_pages(w, bio, false);
    bio_put(w, bio);
  }
  if (--dio.ref === 0) iomap_dio_done(w, dio);
}
register_bi_end_io("iomap_dio_bio_end_io", iomap_dio_bio_end_io);

/** iomap_dio_submit_bio(): each bio in flight holds a dio reference. */
function iomap_dio_submit_bio(w: World, dio: iomap_dio, bio: bio): void {
  dio.ref++;
  submit_bio(w, bio);
}

/** iomap_dio_zero(): write len zero bytes at pos from iomap's zero folio, which is not pinned. */
function iomap_dio_zero(w: World, dio: iomap_dio, pos: number, len: number): number {
  if (!len) return 0;
  if (len > IOMAP_ZERO_PAGE_SIZE) {
    WARN_ON_ONCE(w, "iomap_dio_zero", "len > IOMAP_ZERO_PAGE_SIZE");
    return -EINVAL;
  }
  if (w.block.iomap_zero_page < 0) w.block.iomap_zero_page = alloc_pages(w.mem, IOMAP_ZERO_PAGE_ORDER); // iomap_dio_init()
  const bio = bio_alloc(w, dio.ino, 1, REQ_OP_WRITE);
  bio.bi_iter.bi_sector = pos >> SECTOR_SHIFT;
  bio.bi_private = dio.id;
  bio.bi_end_io = "iomap_dio_bio_end_io";
  __bio_add_page(w, bio, w.block.iomap_zero_page, len, 0);
  iomap_dio_submit_bio(w, dio, bio);
  return 0;
}

/** What one iomap_dio_iter() step did: bytes advanced, and the iteration status (0 or -errno). */
interface IterStep {
  copied: number;
  status: number;
}

/** iomap_dio_bio_iter(): bios for one mapped extent, [pos, pos + length). */
function iomap_dio_bio_iter(w: World, dio: iomap_dio, iter: iov_iter, map: iomap, pos: number, length: number): IterStep {
  const inode = w.inodes_for_read[dio.ino];
  const alignment = dio.lbs;
  let bio_opf = REQ_OP_READ;
  let need_zeroout = false;
  let ret = 0;
  let copied = 0;
  if ((pos | length) & (alignment - 1)) return { copied: 0, status: -EINVAL };
  if (dio.flags & IOMAP_DIO_WRITE) {
    bio_opf = REQ_OP_WRITE;
    if (map.flags & IOMAP_F_NEW) need_zeroout = true;
    dio.flags &= ~IOMAP_DIO_WRITE_THROUGH; // no FUA without O_DSYNC
  }
  // Work on this extent only; the rest of the iterator comes back at the end.
  const orig_count = iter.count;
  iov_iter_truncate(iter, length);
  out: {
    if (!iter.count) break out;
    if (need_zeroout) {
      const pad = pos & (FS_BLOCK_SIZE - 1);
      ret = iomap_dio_zero(w, dio, pos - pad, pad);
      if (ret) break out;
    }
    let nr_pages = bio_iov_vecs_to_alloc(iter, BIO_MAX_VECS);
    do {
      if (dio.error) {
        iov_iter_revert(w, iter, copied);
        copied = ret = 0;
        break out;
      }
      const bio = bio_alloc(w, dio.ino, nr_pages, bio_opf);
      bio.bi_iter.bi_sector = pos >> SECTOR_SHIFT;
      bio.bi_private = dio.id;
      bio.bi_end_io = "iomap_dio_bio_end_io";
      ret = bio_iov_iter_get_pages(w, bio, iter, alignment - 1);
      if (ret) {
        // goto zero_tail: stop part way, but still zero the tail of the block below.
        bio_put(w, bio);
        break;
      }
      const n = bio.bi_iter.bi_size;
      if (!(dio.flags & IOMAP_DIO_WRITE) && dio.flags & IOMAP_DIO_DIRTY) bio_set_pages_dirty(w, bio);
      dio.size += n;
      copied += n;
      nr_pages = bio_iov_vecs_to_alloc(iter, BIO_MAX_VECS);
      iomap_dio_submit_bio(w, dio, bio);
      pos += n;
    } while (nr_pages);
    // Zero the rest of a sub-block write into a new block or past EOF, lest stale data show.
    if (need_zeroout || ((dio.flags & IOMAP_DIO_WRITE) && pos >= inode.i_size)) {
      const pad = pos & (FS_BLOCK_SIZE - 1);
      if (pad) ret = iomap_dio_zero(w, dio, pos, FS_BLOCK_SIZE - pad);
    }
  }
  iov_iter_reexpand(iter, orig_count - copied);
  // After some progress an error is not returned: iomap_iter() moves on and meets it again.
  return copied ? { copied, status: 0 } : { copied: 0, status: ret };
}

/** iomap_dio_hole_iter(): a read of a hole zero-fills the user buffer by CPU, no bio. */
function iomap_dio_hole_iter(w: World, dio: iomap_dio, iter: iov_iter, length: number): IterStep {
  const n = iov_iter_zero(w, length, iter);
  dio.size += n;
  return n ? { copied: n, status: 0 } : { copied: 0, status: -EFAULT };
}

function iomap_dio_iter(w: World, dio: iomap_dio, iter: iov_iter, map: iomap, pos: number, len: number): IterStep {
  const length = Math.min(len, map.offset + map.length - pos); // iomap_length()
  switch (map.type) {
    case IOMAP_HOLE:
      if (dio.flags & IOMAP_DIO_WRITE) {
        WARN_ON_ONCE(w, "iomap_dio_iter", "write to a hole mapping");
        return { copied: 0, status: -EIO };
      }
      return iomap_dio_hole_iter(w, dio, iter, length);
    case IOMAP_MAPPED:
      return iomap_dio_bio_iter(w, dio, iter, map, pos, length);
    default:
      WARN_ON_ONCE(w, "iomap_dio_iter", "unknown iomap type");
      return { copied: 0, status: -EIO };
  }
}

/** What __iomap_dio_rw() hands back: a dio to complete, or none with a return value. */
export interface DioSubmit {
  /** The dio for the caller to complete (after waiting, if dio.waiter); null otherwise. */
  dio: iomap_dio | null;
  /** With no dio: 0, -EIOCBQUEUED (async, completion will come via ->ki_complete) or -errno. */
  ret: number;
}

/**
 * __iomap_dio_rw(iocb, iter, ..., dio_flags, done_before), with the device's logical block size
 * lbs (512 or 4096). Submits the bios and returns. A synchronous caller whose bios are still in
 * flight gets the dio back with waiter set: in the kernel it sleeps until the last completion;
 * here it must let the device run and then call iomap_dio_wait().
 */
export function __iomap_dio_rw(w: World, iocb: kiocb, iter: iov_iter, lbs = 512, dio_flags = 0, done_before = 0): DioSubmit {
  const inode = w.inodes_for_read[iocb.ki_filp];
  let wait_for_completion = is_sync_kiocb(iocb) || (dio_flags & IOMAP_DIO_FORCE_WAIT) !== 0;
  const len = iter.count;
  if (!len) return { dio: null, ret: 0 };
  const dio: iomap_dio = {
    id: w.block.dios.length, iocb: iocb.id, ino: iocb.ki_filp, i_size: inode.i_size, size: 0, ref: 1, flags: 0,
    error: 0, done_before, wait_for_completion: false, waiter: true, lbs,
  };
  w.block.dios.push(dio);
  const free_dio = (ret: number): DioSubmit => {
    w.block.dios[dio.id] = null;
    return { dio: null, ret };
  };
  let ret = 0;
  // Since v5.9 only writes invalidate the cached range; before, reads did too (iomap_dio_invalidates_writes_only).
  const only_writes = w.config.iomap_dio_invalidates_writes_only;
  if (iov_iter_rw(iter) === READ) {
    dio.flags |= IOMAP_DIO_INLINE_COMP; // reads can always complete inline
    if (iocb.ki_pos >= dio.i_size) return free_dio(0);
    if (user_backed_iter(iter)) dio.flags |= IOMAP_DIO_DIRTY;
    if (only_writes) {
      ret = kiocb_write_and_wait(w, iocb, len);
      if (ret) return free_dio(ret);
    }
  } else {
    dio.flags |= IOMAP_DIO_WRITE;
  }
  if (!only_writes || dio.flags & IOMAP_DIO_WRITE) {
    ret = kiocb_invalidate_pages(w, iocb, len);
    if (ret === -EAGAIN) return free_dio(ret);
    // A range that stays cached: since v5.9 the write falls back to buffered I/O; before, the
    // kernel only warned (dio_warn_stale_pagecache()) and went ahead.
    if (ret && only_writes) return free_dio(-ENOTBLK);
  }
  // inode_dio_begin(): i_dio_count is not modelled (nothing here waits on it).
  let pos = iocb.ki_pos;
  let left = len;
  for (;;) {
    const map = ext4_iomap_begin(inode, pos, left, (dio.flags & IOMAP_DIO_WRITE) !== 0);
    const step = iomap_dio_iter(w, dio, iter, map, pos, left);
    pos += step.copied;
    left -= step.copied;
    // iomap_iter(): stop on an error, when done, or when a mapping made no progress.
    if (step.status < 0) {
      ret = step.status;
      break;
    }
    if (!left || !step.copied) {
      ret = 0;
      break;
    }
  }
  // Report reads only up to i_size: give back what was read past it.
  if (iov_iter_rw(iter) === READ && pos >= dio.i_size) iov_iter_revert(w, iter, pos - dio.i_size);
  if (ret === -EFAULT && dio.size && dio_flags & IOMAP_DIO_PARTIAL) {
    wait_for_completion = true;
    ret = 0;
  }
  if (ret < 0) iomap_dio_set_error(dio, ret);
  if (dio.flags & IOMAP_DIO_WRITE_THROUGH) dio.flags &= ~IOMAP_DIO_NEED_SYNC;
  // Drop the submission reference: whoever drops the last one completes the dio.
  dio.wait_for_completion = wait_for_completion;
  if (--dio.ref !== 0) {
    if (!wait_for_completion) return { dio: null, ret: -EIOCBQUEUED }; // the dio is no longer ours
    return { dio, ret: 0 }; // asleep until iomap_dio_done() clears the waiter
  }
  dio.waiter = false;
  return { dio, ret: 0 };
}

/**
 * The sleeping synchronous submitter: null while its dio still has bios in flight, else the
 * result of iomap_dio_complete().
 */
export function iomap_dio_wait(w: World, dio: iomap_dio): number | null {
  const cur = w.block.dios[dio.id];
  if (!cur) return null;
  return cur.waiter ? null : iomap_dio_complete(w, cur);
}

/**
 * iomap_dio_rw(): submit, and for a synchronous kiocb sleep until done. The sleep is the device
 * completing this dio's bios, oldest first (other in-flight I/O is left alone).
 */
export function iomap_dio_rw(w: World, iocb: kiocb, iter: iov_iter, lbs = 512, dio_flags = 0, done_before = 0): number {
  const r = __iomap_dio_rw(w, iocb, iter, lbs, dio_flags, done_before);
  if (!r.dio) return r.ret;
  const dio = r.dio;
  for (;;) {
    const res = iomap_dio_wait(w, dio);
    if (res !== null) return res;
    blk_dev_run_owned(w, "iomap_dio_bio_end_io", dio.id);
  }
}
