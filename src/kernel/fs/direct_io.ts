// fs/direct-io.c: the legacy buffer_head direct I/O (__blockdev_direct_IO) that file systems
// without iomap still use (FAT, hfsplus, udf, ...). It walks the request one user page at a time,
// asks the file system's get_block() for disk blocks, and batches contiguous page sections into
// bios. Since v6.5 the pages come from iov_iter_extract_pages() and every bio that holds one
// takes an extra pin (folio_add_pin()); before, iov_iter_get_pages2() references and
// get_page()/put_page() (KernelConfig.dio_get_refs). When extraction fails part way through a
// write whose blocks are already mapped, ZERO_PAGE(0) stands in for the missing user page so no
// stale disk data is left behind; since v6.5 it goes in without a pin, because pinning and
// unpinning the zero page do nothing (c8070b787519).
import { BUG } from "../include/bug.js";
import { EFAULT, EINVAL, EIO, EIOCBQUEUED, ENOTBLK } from "../include/errno.js";
import { INT_MAX, PAGE_SIZE } from "../include/page.js";
import type { bio } from "../block/bio.js";
import {
  bio_add_page, bio_alloc, bio_check_pages_dirty, bio_put, bio_release_pages, bio_set_flag, bio_set_pages_dirty,
  BIO_MAX_VECS, BIO_PAGE_PINNED, BIO_PAGE_REFFED, register_bi_end_io, REQ_OP_READ, REQ_OP_WRITE, submit_bio,
} from "../block/bio.js";
import { blk_dev_run_owned } from "../block/blk_dev.js";
import { queue_work, register_work_fn } from "../block/blk_state.js";
import { iov_iter_extract_pages } from "../lib/iov_iter/extract.js";
import { iov_iter_get_pages2 } from "../lib/iov_iter/get_pages.js";
import { iov_iter_alignment, iov_iter_npages } from "../lib/iov_iter/inspect.js";
import type { iov_iter } from "../lib/iov_iter/iov_iter.js";
import { iov_iter_extract_will_pin, iov_iter_rw, READ, user_backed_iter, WRITE } from "../lib/iov_iter/iov_iter.js";
import { get_page, page_folio, put_page } from "../mm/folio.js";
import { folio_add_pin, unpin_user_page, unpin_user_pages } from "../mm/gup.js";
import { ZERO_PFN } from "../mm/mem_map.js";
import { filemap_write_and_wait_range, kiocb_invalidate_post_direct_write } from "../mm/filemap_dio.js";
import type { World } from "../world.js";
import type { Inode } from "./inode.js";
import { inode_blkbits } from "./inode.js";
import type { kiocb } from "./kiocb.js";
import { is_sync_kiocb, ki_complete } from "./kiocb.js";

/** How many user pages one extraction may take. */
const DIO_PAGES = 64;
// __blockdev_direct_IO() flags (include/linux/fs.h)
export const DIO_LOCKING = 0x01;
export const DIO_SKIP_HOLES = 0x02;
// dio_complete() flags
const DIO_COMPLETE_ASYNC = 0x01;
const DIO_COMPLETE_INVALIDATE = 0x02;
/** bdev_logical_block_size() of the simulated device. */
const BDEV_LOGICAL_BLOCK_SIZE_BITS = 9;

/** struct buffer_head as get_block() fills it in (map_bh): BH_Mapped, BH_New, BH_Boundary. */
export interface buffer_head {
  mapped: boolean;
  new: boolean;
  boundary: boolean;
  b_size: number;
  /** First disk block, in units of the file system's block size. */
  b_blocknr: number;
}

/** get_block_t: map `iblock` (and up to b_size bytes after it) of the file; 0 or -errno. */
export type get_block_t = (w: World, inode: Inode, iblock: number, bh: buffer_head, create: boolean) => number;

/** struct dio: the state completion needs; it outlives the submitter for async I/O. */
export interface dio {
  id: number;
  flags: number;
  opf: number;
  ino: number;
  /** i_size when submitted. */
  i_size: number;
  /**
   * The pages hold pins (v6.5+, user-backed iterator). Before v6.5 (dio_get_refs) every page, the
   * zero page too, holds a get_page() reference instead.
   */
  is_pinned: boolean;
  /** The first extraction error. */
  page_errors: number;
  is_async: boolean;
  defer_completion: boolean;
  should_dirty: boolean;
  io_error: number;
  /** The submitter's reference plus one per bio in flight. */
  refcount: number;
  /** Completed bios a synchronous submitter has yet to process (dio_bio_end_io()). */
  bio_list: number[];
  iocb: number;
  /** Bytes submitted (or zero-filled for holes). */
  result: number;
}

/** struct dio_submit: the submission path's state. */
interface dio_submit {
  bio: bio | null;
  blkbits: number;
  blkfactor: number;
  start_zero_done: boolean;
  pages_in_io: number;
  block_in_file: number;
  blocks_available: number;
  reap_counter: number;
  final_block_in_request: number;
  boundary: boolean;
  get_block: get_block_t;
  logical_offset_in_bio: number;
  final_block_in_bio: number;
  next_block_for_io: number;
  cur_page: number;
  cur_page_offset: number;
  cur_page_len: number;
  cur_page_block: number;
  cur_page_fs_offset: number;
  iter: iov_iter;
  /** The page queue dio_refill_pages() fills (dio->pages in the kernel). */
  pages: number[];
  head: number;
  tail: number;
  from: number;
  to: number;
}

const dio_op = (dio: dio): number => dio.opf;
const dio_inode = (w: World, dio: dio): Inode => w.inodes[dio.ino];
const dio_pages_present = (sdio: dio_submit): number => sdio.tail - sdio.head;

/** dio_refill_pages(): take the next run of user pages; on a write's fault with blocks mapped, ZERO_PAGE(0). */
function dio_refill_pages(w: World, dio: dio, sdio: dio_submit): number {
  sdio.pages = new Array<number>(DIO_PAGES).fill(-1);
  const r = w.config.dio_get_refs
    ? iov_iter_get_pages2(w, sdio.iter, sdio.pages, Number.MAX_SAFE_INTEGER, DIO_PAGES)
    : iov_iter_extract_pages(w, sdio.iter, sdio.pages, Number.MAX_SAFE_INTEGER, DIO_PAGES, 0);
  let ret = r.ret;
  sdio.from = r.offset0 ?? 0;
  if (ret < 0 && sdio.blocks_available && dio_op(dio) === REQ_OP_WRITE) {
    // A fault with mapped blocks left: write zeros there rather than leave stale data.
    if (dio.page_errors === 0) dio.page_errors = ret;
    if (w.config.dio_get_refs) get_page(w, ZERO_PFN); // before v6.5: a reference like every other page
    // Since v6.5 no pin: pinning the zero page would have recorded nothing anyway.
    sdio.pages[0] = ZERO_PFN;
    sdio.head = 0;
    sdio.tail = 1;
    sdio.from = 0;
    sdio.to = PAGE_SIZE;
    return 0;
  }
  if (ret >= 0) {
    ret += sdio.from;
    sdio.head = 0;
    sdio.tail = Math.ceil(ret / PAGE_SIZE);
    sdio.to = ((ret - 1) & (PAGE_SIZE - 1)) + 1;
    return 0;
  }
  return ret;
}

/** dio_get_page(): the next queued page, refilling the queue when it is empty; -errno on failure. */
function dio_get_page(w: World, dio: dio, sdio: dio_submit): number {
  if (dio_pages_present(sdio) === 0) {
    const ret = dio_refill_pages(w, dio, sdio);
    if (ret) return ret;
    if (dio_pages_present(sdio) === 0) {
      BUG(w, "dio_get_page", "dio_pages_present(sdio) == 0");
      return -EIO;
    }
  }
  return sdio.pages[sdio.head];
}

/** dio_pin_page(): one more pin (v6.5+) or reference (before) for another holder of the page. */
function dio_pin_page(w: World, dio: dio, page: number): void {
  if (w.config.dio_get_refs) get_page(w, page);
  else if (dio.is_pinned) folio_add_pin(w, page_folio(w, page));
}

/** dio_unpin_page(): drop one pin (v6.5+) or reference (before). */
function dio_unpin_page(w: World, dio: dio, page: number): void {
  if (w.config.dio_get_refs) put_page(w, page);
  else if (dio.is_pinned) unpin_user_page(w, page);
}

/** dio_complete(): the result, page-cache invalidation after a write, ->ki_complete for async; frees the dio. */
function dio_complete(w: World, dio: dio, ret: number, flags: number): number {
  const iocb = w.block.kiocbs[dio.iocb];
  const offset = iocb.ki_pos;
  let transferred = 0;
  if (ret === -EIOCBQUEUED) ret = 0;
  if (dio.result) {
    transferred = dio.result;
    if (dio_op(dio) === REQ_OP_READ && offset + transferred > dio.i_size) transferred = dio.i_size - offset;
    if (ret === -EFAULT && transferred) ret = 0; // ignore EFAULT if some I/O has been done
  }
  if (ret === 0) ret = dio.page_errors;
  if (ret === 0) ret = dio.io_error;
  if (ret === 0) ret = transferred;
  // dio->end_io: NULL for blockdev_direct_IO() callers.
  if (flags & DIO_COMPLETE_INVALIDATE && ret > 0 && dio_op(dio) === REQ_OP_WRITE) kiocb_invalidate_post_direct_write(w, iocb, ret);
  // inode_dio_end(): i_dio_count is not modelled.
  if (flags & DIO_COMPLETE_ASYNC) {
    iocb.ki_pos += transferred;
    ki_complete(w, iocb, ret); // generic_write_sync() has nothing to do without O_SYNC
  }
  w.block.blockdev_dios[dio.id] = null; // kmem_cache_free()
  return ret;
}

/** dio_aio_complete_work(): deferred completion in process context. */
register_work_fn("dio_aio_complete_work", (w, id) => {
  const dio = w.block.blockdev_dios[id];
  if (dio) dio_complete(w, dio, 0, DIO_COMPLETE_ASYNC | DIO_COMPLETE_INVALIDATE);
});

/** dio_bio_complete(): note an error, then release the bio's pages (re-checking dirtiness for async reads). */
function dio_bio_complete(w: World, dio: dio, bio: bio): number {
  const err = bio.bi_status;
  const should_dirty = dio_op(dio) === REQ_OP_READ && dio.should_dirty;
  if (err) dio.io_error = -EIO;
  if (dio.is_async && should_dirty) {
    bio_check_pages_dirty(w, bio); // takes ownership of the bio
  } else {
    bio_release_pages(w, bio, should_dirty);
    bio_put(w, bio);
  }
  return err;
}

/** dio_bio_end_aio(): an async request's bio is done; the last one completes the request. */
function dio_bio_end_aio(w: World, bio: bio): void {
  const dio = w.block.blockdev_dios[bio.bi_private]!;
  dio_bio_complete(w, dio, bio);
  const remaining = --dio.refcount;
  if (remaining === 0) {
    // Defer when asked to, or for a write whose file has cached pages to invalidate.
    const defer = dio.result !== 0 && (dio.defer_completion || (dio_op(dio) === REQ_OP_WRITE && dio_inode(w, dio).i_pages.slots.size > 0));
    if (defer) queue_work(w, "dio_aio_complete_work", dio.id);
    else dio_complete(w, dio, 0, DIO_COMPLETE_ASYNC);
  }
}
register_bi_end_io("dio_bio_end_aio", dio_bio_end_aio);

/** dio_bio_end_io(): a synchronous request's bio is done; the submitter processes it. */
function dio_bio_end_io(w: World, bio: bio): void {
  const dio = w.block.blockdev_dios[bio.bi_private]!;
  dio.bio_list.unshift(bio.id);
  --dio.refcount;
}
register_bi_end_io("dio_bio_end_io", dio_bio_end_io);

/** dio_bio_alloc(): a new bio for the request at first_sector. */
function dio_bio_alloc(w: World, dio: dio, sdio: dio_submit, first_sector: number, nr_vecs: number): void {
  const bio = bio_alloc(w, dio.ino, nr_vecs, dio.opf);
  bio.bi_iter.bi_sector = first_sector;
  bio.bi_end_io = dio.is_async ? "dio_bio_end_aio" : "dio_bio_end_io";
  if (w.config.dio_get_refs) bio_set_flag(bio, BIO_PAGE_REFFED); // the interim of the 2023 series: "for now require references for all pages"
  else if (dio.is_pinned) bio_set_flag(bio, BIO_PAGE_PINNED);
  sdio.bio = bio;
  sdio.logical_offset_in_bio = sdio.cur_page_fs_offset;
}

/** dio_bio_submit(): each bio in flight holds a dio reference; async reads dirty their pages first. */
function dio_bio_submit(w: World, dio: dio, sdio: dio_submit): void {
  const bio = sdio.bio!;
  bio.bi_private = dio.id;
  dio.refcount++;
  if (dio.is_async && dio_op(dio) === REQ_OP_READ && dio.should_dirty) bio_set_pages_dirty(w, bio);
  submit_bio(w, bio);
  sdio.bio = null;
  sdio.boundary = false;
  sdio.logical_offset_in_bio = 0;
}

/** dio_cleanup(): release the queued pages nobody used. */
function dio_cleanup(w: World, dio: dio, sdio: dio_submit): void {
  if (w.config.dio_get_refs) while (sdio.head < sdio.tail) put_page(w, sdio.pages[sdio.head++]);
  else if (dio.is_pinned) unpin_user_pages(w, sdio.pages.slice(sdio.head), sdio.tail - sdio.head);
  sdio.head = sdio.tail;
}

/**
 * dio_await_one(): the next completed bio, or -1 once none is in flight. The submitter sleeps
 * here; in the simulation the device completes the request's own bios, oldest first. An async
 * request waits here too when it cannot be queued (a fault part-way, a short write): its bios end
 * in dio_bio_end_aio(), which releases their pages itself and leaves nothing on the list.
 */
function dio_await_one(w: World, dio: dio): number {
  while (dio.refcount > 1 && !dio.bio_list.length)
    blk_dev_run_owned(w, dio.is_async ? "dio_bio_end_aio" : "dio_bio_end_io", dio.id);
  return dio.bio_list.length ? dio.bio_list.shift()! : -1;
}

/** dio_await_completion(): wait for every bio of the request, processing those it hands back. */
function dio_await_completion(w: World, dio: dio): void {
  for (let id = dio_await_one(w, dio); id >= 0; id = dio_await_one(w, dio)) dio_bio_complete(w, dio, w.block.bios[id]!);
}

/** dio_bio_reap(): every 64 bios, process those already completed. */
function dio_bio_reap(w: World, dio: dio, sdio: dio_submit): number {
  let ret = 0;
  if (sdio.reap_counter++ >= 64) {
    while (dio.bio_list.length) {
      const ret2 = dio_bio_complete(w, dio, w.block.bios[dio.bio_list.shift()!]!) ? -EIO : 0;
      if (ret === 0) ret = ret2;
    }
    sdio.reap_counter = 0;
  }
  return ret;
}

/** get_more_blocks(): ask the file system to map blocks from block_in_file on. */
function get_more_blocks(w: World, dio: dio, sdio: dio_submit, map_bh: buffer_head): number {
  let ret = dio.page_errors; // after an extraction fault the mapped blocks are used up, then it is returned
  if (ret === 0) {
    if (sdio.block_in_file >= sdio.final_block_in_request) BUG(w, "get_more_blocks", "block_in_file >= final_block_in_request");
    const i_blkbits = sdio.blkbits + sdio.blkfactor;
    const fs_startblk = sdio.block_in_file >> sdio.blkfactor;
    const fs_endblk = (sdio.final_block_in_request - 1) >> sdio.blkfactor;
    const fs_count = fs_endblk - fs_startblk + 1;
    Object.assign(map_bh, { mapped: false, new: false, boundary: false, b_size: fs_count << i_blkbits });
    // Inside i_size, DIO_SKIP_HOLES forbids allocating: only overwrites.
    let create = dio_op(dio) === REQ_OP_WRITE;
    if (dio.flags & DIO_SKIP_HOLES) {
      const i_size = dio_inode(w, dio).i_size;
      if (i_size && fs_startblk <= (i_size - 1) >> i_blkbits) create = false;
    }
    ret = sdio.get_block(w, dio_inode(w, dio), fs_startblk, map_bh, create);
  }
  return ret;
}

/** dio_new_bio(): reap if due, then a bio sized for the pages still to come. */
function dio_new_bio(w: World, dio: dio, sdio: dio_submit, start_sector: number): number {
  const ret = dio_bio_reap(w, dio, sdio);
  if (ret) return ret;
  const sector = start_sector << (sdio.blkbits - 9);
  const nr_pages = Math.min(sdio.pages_in_io, BIO_MAX_VECS); // bio_max_segs()
  if (nr_pages <= 0) BUG(w, "dio_new_bio", "nr_pages <= 0");
  dio_bio_alloc(w, dio, sdio, sector, nr_pages);
  sdio.boundary = false;
  return 0;
}

/** dio_bio_add_page(): put the current page section into the bio; 1 if it did not fit. */
function dio_bio_add_page(w: World, dio: dio, sdio: dio_submit): number {
  const ret = bio_add_page(w, sdio.bio!, sdio.cur_page, sdio.cur_page_len, sdio.cur_page_offset);
  if (ret !== sdio.cur_page_len) return 1;
  if (sdio.cur_page_len + sdio.cur_page_offset === PAGE_SIZE) sdio.pages_in_io--;
  dio_pin_page(w, dio, sdio.cur_page); // the bio's own pin, dropped when the bio's pages are released
  sdio.final_block_in_bio = sdio.cur_page_block + (sdio.cur_page_len >> sdio.blkbits);
  return 0;
}

/** dio_send_cur_page(): add the current section to the bio, starting a new bio where it does not continue the last. */
function dio_send_cur_page(w: World, dio: dio, sdio: dio_submit): number {
  let ret = 0;
  if (sdio.bio) {
    const bio_next_offset = sdio.logical_offset_in_bio + sdio.bio.bi_iter.bi_size;
    if (sdio.final_block_in_bio !== sdio.cur_page_block || sdio.cur_page_fs_offset !== bio_next_offset) dio_bio_submit(w, dio, sdio);
  }
  if (!sdio.bio) {
    ret = dio_new_bio(w, dio, sdio, sdio.cur_page_block);
    if (ret) return ret;
  }
  if (dio_bio_add_page(w, dio, sdio) !== 0) {
    dio_bio_submit(w, dio, sdio);
    ret = dio_new_bio(w, dio, sdio, sdio.cur_page_block);
    if (ret === 0 && dio_bio_add_page(w, dio, sdio) !== 0) BUG(w, "dio_send_cur_page", "dio_bio_add_page() failed on a new bio");
  }
  return ret;
}

/** submit_page_section(): grow the current section if this one continues it, else send it and start anew. */
function submit_page_section(w: World, dio: dio, sdio: dio_submit, page: number, offset: number, len: number, blocknr: number): number {
  let ret = 0;
  const boundary = sdio.boundary;
  if (sdio.cur_page === page && sdio.cur_page_offset + sdio.cur_page_len === offset &&
      sdio.cur_page_block + (sdio.cur_page_len >> sdio.blkbits) === blocknr) {
    sdio.cur_page_len += len;
  } else {
    if (sdio.cur_page >= 0) {
      ret = dio_send_cur_page(w, dio, sdio);
      dio_unpin_page(w, dio, sdio.cur_page);
      sdio.cur_page = -1;
      if (ret) return ret;
    }
    dio_pin_page(w, dio, page); // it is in the dio
    sdio.cur_page = page;
    sdio.cur_page_offset = offset;
    sdio.cur_page_len = len;
    sdio.cur_page_block = blocknr;
    sdio.cur_page_fs_offset = sdio.block_in_file << sdio.blkbits;
  }
  if (boundary) {
    ret = dio_send_cur_page(w, dio, sdio);
    if (sdio.bio) dio_bio_submit(w, dio, sdio);
    dio_unpin_page(w, dio, sdio.cur_page);
    sdio.cur_page = -1;
  }
  return ret;
}

/** dio_zero_block(): zero the rest of a newly allocated fs block a sub-block write covers only in part. */
function dio_zero_block(w: World, dio: dio, sdio: dio_submit, end: boolean, map_bh: buffer_head): void {
  sdio.start_zero_done = true;
  if (!sdio.blkfactor || !map_bh.new) return;
  const per_fs_block = 1 << sdio.blkfactor;
  let this_chunk_blocks = sdio.block_in_file & (per_fs_block - 1);
  if (!this_chunk_blocks) return;
  if (end) this_chunk_blocks = per_fs_block - this_chunk_blocks;
  if (submit_page_section(w, dio, sdio, ZERO_PFN, 0, this_chunk_blocks << sdio.blkbits, sdio.next_block_for_io)) return;
  sdio.next_block_for_io += this_chunk_blocks;
}

/** do_direct_IO(): walk the request page by page, mapping blocks and submitting sections. */
function do_direct_IO(w: World, dio: dio, sdio: dio_submit, map_bh: buffer_head): number {
  const blkbits = sdio.blkbits;
  while (sdio.block_in_file < sdio.final_block_in_request) {
    const page = dio_get_page(w, dio, sdio);
    if (page < 0) return page;
    let from = sdio.head ? 0 : sdio.from;
    const to = sdio.head === sdio.tail - 1 ? sdio.to : PAGE_SIZE;
    sdio.head++;
    while (from < to) {
      if (sdio.blocks_available === 0) {
        const ret = get_more_blocks(w, dio, sdio, map_bh);
        if (ret) {
          dio_unpin_page(w, dio, page);
          return ret;
        }
        if (map_bh.mapped) {
          sdio.blocks_available = map_bh.b_size >> blkbits;
          sdio.next_block_for_io = map_bh.b_blocknr << sdio.blkfactor;
          // clean_bdev_aliases() for new blocks: the simulated device has no buffer cache.
          if (sdio.blkfactor) {
            // Start part way into a fs block: skip (or, for a new block, zero) the part before.
            const dio_remainder = sdio.block_in_file & ((1 << sdio.blkfactor) - 1);
            if (!map_bh.new) sdio.next_block_for_io += dio_remainder;
            sdio.blocks_available -= dio_remainder;
          }
        }
      }
      if (!map_bh.mapped) {
        // A hole: a write falls back to buffered I/O; a read zero-fills up to EOF.
        if (dio_op(dio) === REQ_OP_WRITE) {
          dio_unpin_page(w, dio, page);
          return -ENOTBLK;
        }
        const i_size_aligned = Math.ceil(dio_inode(w, dio).i_size / (1 << blkbits)) * (1 << blkbits);
        if (sdio.block_in_file >= i_size_aligned >> blkbits) {
          dio_unpin_page(w, dio, page); // we hit EOF
          return 0;
        }
        w.data.write(page).fill(0, from, from + (1 << blkbits)); // zero_user()
        sdio.block_in_file++;
        from += 1 << blkbits;
        dio.result += 1 << blkbits;
      } else {
        if (sdio.blkfactor && !sdio.start_zero_done) dio_zero_block(w, dio, sdio, false, map_bh);
        // As many blocks as are mapped, fit in this page, and are left in the request.
        const this_chunk_blocks = Math.min(sdio.blocks_available, (to - from) >> blkbits, sdio.final_block_in_request - sdio.block_in_file);
        const this_chunk_bytes = this_chunk_blocks << blkbits;
        if (this_chunk_bytes === 0) BUG(w, "do_direct_IO", "this_chunk_bytes == 0");
        if (this_chunk_blocks === sdio.blocks_available) sdio.boundary = map_bh.boundary;
        const ret = submit_page_section(w, dio, sdio, page, from, this_chunk_bytes, sdio.next_block_for_io);
        if (ret) {
          dio_unpin_page(w, dio, page);
          return ret;
        }
        sdio.next_block_for_io += this_chunk_blocks;
        sdio.block_in_file += this_chunk_blocks;
        from += this_chunk_bytes;
        dio.result += this_chunk_bytes;
        sdio.blocks_available -= this_chunk_blocks;
      }
      if (sdio.block_in_file > sdio.final_block_in_request) BUG(w, "do_direct_IO", "block_in_file > final_block_in_request");
      if (sdio.block_in_file === sdio.final_block_in_request) break;
    }
    dio_unpin_page(w, dio, page); // drop the pin (or reference) extraction took
  }
  return 0;
}

/**
 * __blockdev_direct_IO(iocb, inode, bdev, iter, get_block, end_io = NULL, flags): O_DIRECT through
 * get_block(). A synchronous request runs to completion here (the device completes its bios);
 * an async one returns -EIOCBQUEUED once its bios are submitted, and its last bio completes it.
 */
export function __blockdev_direct_IO(w: World, iocb: kiocb, inode: Inode, iter: iov_iter, get_block: get_block_t, flags: number): number {
  const i_blkbits = inode_blkbits(inode);
  let blkbits = i_blkbits;
  let blocksize_mask = (1 << blkbits) - 1;
  const count = iter.count;
  const offset = iocb.ki_pos;
  const end = offset + count;
  const align = offset | iov_iter_alignment(iter);
  if (iov_iter_rw(iter) === READ && !count) return 0;
  const dio: dio = {
    id: w.block.blockdev_dios.length, flags, opf: iov_iter_rw(iter) === WRITE ? REQ_OP_WRITE : REQ_OP_READ, ino: inode.ino,
    i_size: inode.i_size, is_pinned: !w.config.dio_get_refs && iov_iter_extract_will_pin(iter), page_errors: 0, is_async: false,
    defer_completion: false, should_dirty: false, io_error: 0, refcount: 0, bio_list: [], iocb: iocb.id, result: 0,
  };
  w.block.blockdev_dios.push(dio);
  const fail_dio = (ret: number): number => {
    w.block.blockdev_dios[dio.id] = null;
    return ret;
  };
  if (iov_iter_rw(iter) === READ && offset >= dio.i_size) return fail_dio(0);
  if (align & blocksize_mask) {
    blkbits = BDEV_LOGICAL_BLOCK_SIZE_BITS;
    blocksize_mask = (1 << blkbits) - 1;
    if (align & blocksize_mask) return fail_dio(-EINVAL);
  }
  if (dio.flags & DIO_LOCKING && iov_iter_rw(iter) === READ) {
    const ret = filemap_write_and_wait_range(w, inode, offset, end - 1);
    if (ret) return fail_dio(ret);
  }
  // Extending writes are synchronous: i_size is updated only once the data is on disk.
  dio.is_async = !is_sync_kiocb(iocb) && !(iov_iter_rw(iter) === WRITE && end > inode.i_size);
  const sdio: dio_submit = {
    bio: null, blkbits, blkfactor: i_blkbits - blkbits, start_zero_done: false, pages_in_io: 0,
    block_in_file: offset >> blkbits, blocks_available: 0, reap_counter: 0, final_block_in_request: end >> blkbits,
    boundary: false, get_block, logical_offset_in_bio: 0, final_block_in_bio: -1, next_block_for_io: -1,
    cur_page: -1, cur_page_offset: 0, cur_page_len: 0, cur_page_block: 0, cur_page_fs_offset: 0, iter,
    pages: [], head: 0, tail: 0, from: 0, to: 0,
  };
  const map_bh: buffer_head = { mapped: false, new: false, boundary: false, b_size: 0, b_blocknr: 0 };
  dio.refcount = 1;
  dio.should_dirty = user_backed_iter(iter) && iov_iter_rw(iter) === READ;
  // A sub-block request may need two extra pages of zeroing around it.
  if (sdio.blkfactor) sdio.pages_in_io = 2;
  sdio.pages_in_io += iov_iter_npages(iter, INT_MAX);

  let retval = do_direct_IO(w, dio, sdio, map_bh);
  if (retval) dio_cleanup(w, dio, sdio);
  if (retval === -ENOTBLK) retval = 0; // the caller falls back to buffered I/O for the rest
  dio_zero_block(w, dio, sdio, true, map_bh);
  if (sdio.cur_page >= 0) {
    const ret2 = dio_send_cur_page(w, dio, sdio);
    if (retval === 0) retval = ret2;
    dio_unpin_page(w, dio, sdio.cur_page);
    sdio.cur_page = -1;
  }
  if (sdio.bio) dio_bio_submit(w, dio, sdio);
  dio_cleanup(w, dio, sdio);

  if (dio.is_async && retval === 0 && dio.result && (iov_iter_rw(iter) === READ || dio.result === count)) retval = -EIOCBQUEUED;
  else dio_await_completion(w, dio);
  if (--dio.refcount === 0) retval = dio_complete(w, dio, retval, DIO_COMPLETE_INVALIDATE); // drop_refcount()
  else if (retval !== -EIOCBQUEUED) BUG(w, "__blockdev_direct_IO", "retval != -EIOCBQUEUED with bios still in flight");
  return retval;
}
