// drivers/block/brd.c (brd_submit_bio) and block/blk-mq.c (blk_mq_end_request -> bio_endio),
// split into the steps a real device takes: submit_bio() queues the bio, a DMA step moves its
// bytes between the pages it names and the disk, and a completion step runs bio_endio(). Each
// bio's device is an inode: sector s addresses byte s * 512 of that file's disk image.
import { BUG } from "../include/bug.js";
import { PAGE_SIZE } from "../include/page.js";
import type { Inode } from "../fs/inode.js";
import { bvec_iter_advance_single, bvec_iter_bvec } from "../lib/bvec.js";
import type { bvec_iter } from "../lib/bvec.js";
import type { World } from "../world.js";
import type { bio } from "./bio.js";
import { bio_endio, bio_op, BLK_STS_IOERR, BLK_STS_OK, op_is_write, SECTOR_SHIFT } from "./bio.js";

/** Bytes [pos, pos + len) of the disk image; pages never written read as zeros. */
export function disk_read(inode: Readonly<Inode>, pos: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let done = 0; done < len; ) {
    const off = (pos + done) % PAGE_SIZE;
    const n = Math.min(len - done, PAGE_SIZE - off);
    const page = inode.disk.get(Math.floor((pos + done) / PAGE_SIZE));
    if (page) out.set(page.subarray(off, off + n), done);
    done += n;
  }
  return out;
}

/** Store bytes at pos; a disk page buffer is replaced, never modified (clones share them). */
export function disk_write(inode: Inode, pos: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    const index = Math.floor((pos + done) / PAGE_SIZE);
    const off = (pos + done) % PAGE_SIZE;
    const n = Math.min(bytes.length - done, PAGE_SIZE - off);
    const page = inode.disk.get(index)?.slice() ?? new Uint8Array(PAGE_SIZE);
    page.set(bytes.subarray(done, done + n), off);
    inode.disk.set(index, page);
    done += n;
  }
}

/** Someone bio_put() the last reference of a bio the device still owned: it leaves the queue. */
function freed_in_flight(w: World, fn: string, id: number): false {
  BUG(w, fn, `bio ${id} was freed while the device still owned it`);
  return false;
}

function take(list: number[], id: number): boolean {
  const k = list.indexOf(id);
  if (k < 0) return false;
  list.splice(k, 1);
  return true;
}

/**
 * The DMA step for in-flight bio `id`: a READ stores disk bytes into its pages, a WRITE sends
 * its pages' current bytes to disk. The pages are reached by frame number, as a device reaches
 * physical memory: whoever maps them now sees (or supplied) the data. False if not in flight.
 */
export function blk_dev_transfer(w: World, id: number): boolean {
  if (!take(w.block.in_flight, id)) return false;
  const bio = w.block.bios[id];
  if (!bio) return freed_in_flight(w, "blk_dev_transfer", id);
  const write = op_is_write(bio_op(bio));
  const inode = write ? w.inodes[bio.bi_bdev] : w.inodes_for_read[bio.bi_bdev]; // a read only reads the disk
  const it: bvec_iter = { bi_idx: bio.bi_iter.bi_idx, bi_size: bio.bi_iter.bi_size, bi_bvec_done: bio.bi_iter.bi_bvec_done };
  let pos = bio.bi_iter.bi_sector << SECTOR_SHIFT;
  while (it.bi_size) {
    const bv = bvec_iter_bvec(bio.bi_io_vec, it);
    if (w.mem_for_read.head[bv.bv_page] < 0) {
      BUG(w, "blk_dev_transfer", `DMA ${write ? "from" : "into"} page ${bv.bv_page}, which is free (use after free)`);
    } else if (write) {
      disk_write(inode, pos, w.data_for_read.read(bv.bv_page).subarray(bv.bv_offset, bv.bv_offset + bv.bv_len));
    } else {
      w.data.write(bv.bv_page).set(disk_read(inode, pos, bv.bv_len), bv.bv_offset);
    }
    pos += bv.bv_len;
    bvec_iter_advance_single(bio.bi_io_vec, it, bv.bv_len);
  }
  w.block.transferred.push(id);
  return true;
}

/** bio_endio() with status for bio `id`, taken off the device's list; false if it is not there. */
function blk_dev_end_bio(w: World, list: number[], id: number, status: number, fn: string): boolean {
  if (!take(list, id)) return false;
  const bio = w.block.bios[id];
  if (!bio) return freed_in_flight(w, fn, id);
  bio.bi_status = status;
  bio_endio(w, bio);
  return true;
}

/** The completion interrupt for a transferred bio: bio_endio(). False if none is pending. */
export function blk_dev_complete(w: World, id: number): boolean {
  return blk_dev_end_bio(w, w.block.transferred, id, BLK_STS_OK, "blk_dev_complete");
}

/** The device fails an in-flight bio without moving data: bio_endio() with BLK_STS_IOERR. */
export function blk_dev_fail(w: World, id: number): boolean {
  return blk_dev_end_bio(w, w.block.in_flight, id, BLK_STS_IOERR, "blk_dev_fail");
}

/** Transfer and complete bio `id`. */
export function blk_dev_run(w: World, id: number): boolean {
  return blk_dev_transfer(w, id) && blk_dev_complete(w, id);
}

/** Run the device until nothing is in flight, oldest first. */
export function blk_dev_run_all(w: World): void {
  while (w.block.in_flight.length) blk_dev_run(w, w.block.in_flight[0]);
  while (w.block.transferred.length) blk_dev_complete(w, w.block.transferred[0]);
}

/**
 * One device step for a submitter asleep on its own bios (those with this bi_end_io and
 * bi_private): complete the oldest one already transferred, else transfer and complete the oldest
 * one in flight; other I/O is left alone. A DIO (bi_private: its id) waiting with no bio at the
 * device would sleep for ever: the simulation stops there.
 */
export function blk_dev_run_owned(w: World, bi_end_io: string, bi_private: number): void {
  const mine = (id: number): boolean => {
    const bio = w.block.bios[id];
    return bio?.bi_private === bi_private && bio.bi_end_io === bi_end_io;
  };
  const moved = w.block.transferred.find(mine);
  const queued = moved === undefined ? w.block.in_flight.find(mine) : undefined;
  if (moved !== undefined) blk_dev_complete(w, moved);
  else if (queued !== undefined) blk_dev_run(w, queued);
  else throw new Error(`dio ${bi_private} waits with no bio of its own at the device`);
}
