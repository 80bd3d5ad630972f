// fs/netfs/direct_read.c (netfs_unbuffered_read_iter_locked), fs/netfs/read_collect.c
// (netfs_rreq_assess_dio) and fs/netfs/objects.c (netfs_clear_buffer): an unbuffered (O_DIRECT)
// read on a network file system such as cifs. A user buffer is turned into a BVEC over pinned
// pages up front, because the caller's iterator is gone by the time an async reply arrives; the
// "server" fills those pages in a later step, and a collection worker completes the request,
// then unpins every bv_page if the extraction pinned.
import { BUG } from "../../include/bug.js";
import { EOPNOTSUPP } from "../../include/errno.js";
import { PAGE_SIZE } from "../../include/page.js";
import { disk_read } from "../../block/blk_dev.js";
import { queue_work, register_work_fn } from "../../block/blk_state.js";
import type { bio_vec } from "../../lib/bvec.js";
import { iov_iter_advance } from "../../lib/iov_iter/advance.js";
import type { iov_iter } from "../../lib/iov_iter/iov_iter.js";
import { iov_iter_extract_will_pin, iov_iter_is_bvec, user_backed_iter } from "../../lib/iov_iter/iov_iter.js";
import { folio_mark_dirty, page_folio } from "../../mm/folio.js";
import { unpin_user_page } from "../../mm/gup.js";
import type { World } from "../../world.js";
import { EIOCBQUEUED } from "../../include/errno.js";
import { kiocb_write_and_wait } from "../../mm/filemap_dio.js";
import type { kiocb } from "../kiocb.js";
import { is_sync_kiocb, ki_complete } from "../kiocb.js";
import { netfs_extract_user_iter } from "./iterator.js";

export interface netfs_io_request {
  id: number;
  ino: number;
  start: number;
  len: number;
  /** direct_bv: the pages the reply lands in (the extracted BVEC, or the caller's own bvecs). */
  bvec: bio_vec[];
  /** Byte offset into bvec[0] where the buffer starts (a caller's BVEC may start part way). */
  bvec_skip: number;
  /** direct_bv_unpin: the extraction pinned, so freeing the request unpins every bv_page. */
  direct_bv_unpin: boolean;
  /** Whether direct_bv is the request's own (extracted) array that netfs_clear_buffer() walks. */
  owns_bv: boolean;
  /** The async kiocb to complete, or -1 for a synchronous read. */
  iocb: number;
  transferred: number;
  error: number;
  /** Where the request is: waiting for the server's reply, or the reply is in and awaits collection. */
  state: "in_flight" | "replied";
}

/** Walk the request's buffer as single-page pieces: [page, offset, len]. */
function* buffer_pieces(rreq: netfs_io_request, len: number): Generator<[number, number, number]> {
  let skip = rreq.bvec_skip;
  for (const bv of rreq.bvec) {
    if (!len) return;
    if (skip >= bv.bv_len) {
      skip -= bv.bv_len;
      continue;
    }
    let off = bv.bv_offset + skip;
    let n = Math.min(bv.bv_len - skip, len);
    skip = 0;
    len -= n;
    while (n) {
      const piece = Math.min(n, PAGE_SIZE - (off % PAGE_SIZE));
      yield [bv.bv_page + Math.floor(off / PAGE_SIZE), off % PAGE_SIZE, piece];
      off += piece;
      n -= piece;
    }
  }
}

/**
 * The server's reply to the request's one read: the file's bytes (up to EOF) land in the buffer
 * pages, by frame as a NIC's DMA would; then the collector is queued. False if not in flight.
 */
export function netfs_server_reply(w: World, id: number): boolean {
  const rreq = w.block.netfs[id];
  if (!rreq || rreq.state !== "in_flight") return false;
  netfs_receive(w, rreq);
  queue_work(w, "netfs_read_collection_worker", id);
  return true;
}

/** The reply's data lands: the file's bytes up to EOF go into the buffer pages. */
function netfs_receive(w: World, rreq: netfs_io_request): void {
  const inode = w.inodes[rreq.ino];
  const n = Math.max(0, Math.min(rreq.len, inode.i_size - rreq.start));
  let pos = rreq.start;
  for (const [page, off, len] of buffer_pieces(rreq, n)) {
    if (w.mem_for_read.head[page] < 0) BUG(w, "netfs_server_reply", `receive into page ${page}, which is free (use after free)`);
    else w.data.write(page).set(disk_read(inode, pos, len), off);
    pos += len;
  }
  rreq.transferred = n;
  rreq.state = "replied";
}

/** netfs_clear_buffer() / netfs_free_request(): drop the pins the extraction took. */
function netfs_free_request(w: World, rreq: netfs_io_request): void {
  if (rreq.owns_bv) for (const bv of rreq.bvec) if (bv.bv_page >= 0 && rreq.direct_bv_unpin) unpin_user_page(w, bv.bv_page);
  w.block.netfs[rreq.id] = null;
}

/**
 * netfs_rreq_assess_dio(): dirty the pages the reply wrote, advance ki_pos and call ->ki_complete
 * for an async read; then the last put frees the request. Returns the result.
 */
function netfs_read_collection(w: World, rreq: netfs_io_request): number {
  // set_page_dirty() on each direct_bv page; a caller's own BVEC is not direct_bv.
  if (rreq.owns_bv) for (const bv of rreq.bvec) if (bv.bv_page >= 0) folio_mark_dirty(w, page_folio(w, bv.bv_page));
  const res = rreq.error ? rreq.error : rreq.transferred;
  if (rreq.iocb >= 0) {
    const iocb = w.block.kiocbs[rreq.iocb];
    iocb.ki_pos += rreq.transferred;
    ki_complete(w, iocb, res);
  }
  netfs_free_request(w, rreq);
  return res;
}
register_work_fn("netfs_read_collection_worker", (w, id) => {
  const rreq = w.block.netfs[id];
  if (rreq) netfs_read_collection(w, rreq);
});

/**
 * netfs_unbuffered_read_iter_locked(): -EIOCBQUEUED for an async kiocb (the reply and the
 * collector come later), the bytes read for a synchronous one (the task sleeps through both).
 */
export function netfs_unbuffered_read_iter(w: World, iocb: kiocb, iter: iov_iter): number {
  const orig_count = iter.count;
  const sync = is_sync_kiocb(iocb);
  if (!orig_count) return 0;
  let ret = kiocb_write_and_wait(w, iocb, orig_count);
  if (ret < 0) return ret;
  const rreq: netfs_io_request = {
    id: w.block.netfs.length, ino: iocb.ki_filp, start: iocb.ki_pos, len: orig_count, bvec: [], bvec_skip: 0,
    direct_bv_unpin: false, owns_bv: false, iocb: sync ? -1 : iocb.id, transferred: 0, error: 0, state: "in_flight",
  };
  if (user_backed_iter(iter)) {
    // The caller's iterator is gone once an async read returns: extract what it names now.
    const x = netfs_extract_user_iter(w, iter, rreq.len, 0);
    if (x.ret < 0) return x.ret;
    rreq.bvec = x.bvec;
    rreq.owns_bv = true;
    rreq.direct_bv_unpin = iov_iter_extract_will_pin(iter);
    rreq.len = x.iter!.count;
  } else if (iov_iter_is_bvec(iter)) {
    // Kernel pages: used as they are, with no pins; the caller keeps them alive.
    rreq.bvec = iter.bvec.slice(iter.seg).map((b) => ({ ...b }));
    rreq.bvec_skip = iter.iov_offset;
    iov_iter_advance(iter, orig_count);
  } else {
    return -EOPNOTSUPP; // KVEC/FOLIOQ/XARRAY buffers are not modelled here
  }
  w.block.netfs.push(rreq);
  if (sync) {
    // The task sleeps through the reply and the collection; no collector work is left queued.
    netfs_receive(w, rreq);
    ret = netfs_read_collection(w, rreq);
    iocb.ki_pos += rreq.transferred;
  } else {
    ret = -EIOCBQUEUED;
  }
  // The caller's iterator stays advanced over the whole extraction (mainline dropped the revert).
  return ret;
}
