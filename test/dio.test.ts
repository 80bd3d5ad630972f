// fs/iomap/direct-io.c on the simulated block device: async and sync DIO reads and writes, the
// completion order (the last bio's pages released, then ki_complete; deferred re-dirtying),
// page-cache coherence around DIO writes, the netfs unbuffered read, and H1 (an O_DIRECT read
// in flight across fork) under the current pinning rules and under the FOLL_GET rules before 6.5.
import { describe, expect, it } from "vitest";
import type { bio, World } from "../src/kernel/index.js";
import {
  __bio_add_page, __iomap_dio_rw, aio_write, alloc_pages, BIO_CLONED, BIO_PAGE_PINNED, bio_alloc, bio_flagged, bio_put,
  blk_dev_complete, blk_dev_fail, call_write_iter, create_file, fallocate, blk_dev_run, blk_dev_run_all, blk_dev_transfer, boot, clone_world, config_for, EINVAL, EIO,
  EIOCBQUEUED, file_read_iter, flush_work, folio_end_writeback, folio_mark_dirty, folio_start_writeback, folio_test,
  fork_mm, GUP_PIN_COUNTING_BIAS, init_async_kiocb, init_sync_kiocb, iomap_dio_rw, iomap_dio_wait, iov_iter_bvec,
  iov_iter_get_pages2, iov_iter_ubuf, ki_complete, netfs_server_reply,
  netfs_unbuffered_read_iter, PAGE_SIZE, page_folio, PG_dirty, PG_writeback, put_page, READ,
  register_bi_end_io, REQ_OP_READ, run_work, submit_bio, tmpfile, WRITE, xa_load,
} from "../src/kernel/index.js";
import { counts, disk_bytes, ext4_file, map_shared_written, pattern, pfn_at, quiescent, spawn, uread, uwrite } from "./helpers/proc.js";

const HALF = PAGE_SIZE / 2;

/**
 * The pre-6.5 block DIO read, built by hand: FOLL_GET references from iov_iter_get_pages2(),
 * a bio without BIO_PAGE_PINNED, and an end_io that dirties and put_page()s each page.
 */
register_bi_end_io("test_legacy_dio_end_io", (w: World, bio: bio) => {
  for (let i = 0; i < bio.bi_vcnt; i++) {
    const page = bio.bi_io_vec[i].bv_page;
    folio_mark_dirty(w, page_folio(w, page)); // set_page_dirty_lock()
    put_page(w, page);
  }
  ki_complete(w, w.block.kiocbs[bio.bi_private], bio.bi_status ? -EIO : bio.bi_iter.bi_size);
  bio_put(w, bio);
});

function legacy_dio_read(w: World, ino: number, pos: number, buf: number, len: number): number {
  const iocb = init_async_kiocb(w, ino, pos);
  const iter = iov_iter_ubuf(w, READ, buf, len);
  const pages = [-1];
  const r = iov_iter_get_pages2(w, iter, pages, len, 1);
  expect(r.ret).toBe(len);
  const bio = bio_alloc(w, ino, 1, REQ_OP_READ);
  bio.bi_iter.bi_sector = pos >> 9;
  bio.bi_private = iocb.id;
  bio.bi_end_io = "test_legacy_dio_end_io";
  __bio_add_page(w, bio, pages[0], len, r.offset0!);
  submit_bio(w, bio);
  return iocb.id;
}

/** Run a world until the block layer is idle: the device, then any queued work. */
function settle(w: World): void {
  blk_dev_run_all(w);
  flush_work(w);
}

describe("H1: an O_DIRECT read in flight across fork", () => {
  /** P reads disk bytes 0..2047 into the first half of its anon page X asynchronously, then forks and writes the second half. */
  function scenario(w: World, legacy: boolean) {
    const p = spawn(w, 1, 0xaa);
    const ino = ext4_file(w, 1);
    const X = pfn_at(p.mm, p.buf);
    const base = counts(w);
    let iocb: number;
    if (legacy) {
      iocb = legacy_dio_read(w, ino, 0, p.buf, HALF);
      expect(w.mem.refcount[X]).toBe(base.get(X)![0] + 1); // a FOLL_GET reference
    } else {
      const k = init_async_kiocb(w, ino, 0);
      iocb = k.id;
      expect(iomap_dio_rw(w, k, iov_iter_ubuf(w, READ, p.buf, HALF))).toBe(-EIOCBQUEUED);
      expect(w.mem.refcount[X]).toBe(base.get(X)![0] + GUP_PIN_COUNTING_BIAS); // a FOLL_PIN pin
    }
    expect(w.block.in_flight).toHaveLength(1);
    const c = fork_mm(w, p.id);
    const child = w.mms[c];
    uwrite(w, p.mm, p.buf + HALF, new Uint8Array(HALF).fill(0xbb)); // another thread of P
    // The device moves the data, then completes.
    expect(blk_dev_run(w, w.block.in_flight[0])).toBe(true);
    return { p, ino, X, base, iocb, child };
  }

  it("current rules: the pin makes fork copy X for the child, so P gets both the device bytes and its own write", () => {
    const w = boot();
    const { p, ino, X, base, iocb, child } = scenario(w, false);
    expect(pfn_at(p.mm, p.buf)).toBe(X); // P kept the page the pin refers to
    expect(pfn_at(child, p.buf)).not.toBe(X);
    const mine = uread(w, p.mm, p.buf, PAGE_SIZE);
    expect(mine.subarray(0, HALF)).toEqual(disk_bytes(w, ino, 0, HALF));
    expect(mine.subarray(HALF)).toEqual(new Uint8Array(HALF).fill(0xbb));
    expect(uread(w, child, p.buf, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE).fill(0xaa));
    expect(w.block.completions).toEqual([{ iocb, res: HALF }]);
    expect(w.block.kiocbs[iocb].ki_pos).toBe(HALF);
    // Every count is back: X as before, the child's copy mapped once and referenced once.
    const after = counts(w);
    expect(after.get(X)).toEqual(base.get(X));
    const copy = pfn_at(child, p.buf);
    expect(after.get(copy)).toEqual([1, 0, 1]);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(1);
    expect(quiescent(w)).toEqual([]);
  });

  it("FOLL_GET rules (before 6.5): fork shares X, P's write COWs away from it, and the device bytes land in the child", () => {
    const w = boot();
    const { p, ino, X, base, iocb, child } = scenario(w, true);
    expect(pfn_at(child, p.buf)).toBe(X); // the child kept the page the DMA went to
    expect(pfn_at(p.mm, p.buf)).not.toBe(X);
    const mine = uread(w, p.mm, p.buf, PAGE_SIZE);
    expect(mine.subarray(0, HALF)).toEqual(new Uint8Array(HALF).fill(0xaa)); // P never gets its data
    expect(mine.subarray(HALF)).toEqual(new Uint8Array(HALF).fill(0xbb));
    const theirs = uread(w, child, p.buf, PAGE_SIZE);
    expect(theirs.subarray(0, HALF)).toEqual(disk_bytes(w, ino, 0, HALF)); // ... the child does
    expect(w.block.completions).toEqual([{ iocb, res: HALF }]); // and the read "succeeded"
    const after = counts(w);
    expect(after.get(X)).toEqual(base.get(X));
    expect(after.get(pfn_at(p.mm, p.buf))).toEqual([1, 0, 1]);
    expect(quiescent(w)).toEqual([]);
  });
});

describe("iomap_dio_rw reads", () => {
  it("sync read: the submitter sleeps through the device; result, ki_pos, no ->ki_complete, nothing pinned after", () => {
    const w = boot();
    const p = spawn(w, 3);
    const ino = ext4_file(w, 3);
    const base = counts(w);
    const iocb = init_sync_kiocb(w, ino, 512);
    const iter = iov_iter_ubuf(w, READ, p.buf + 100, 2 * PAGE_SIZE);
    expect(iomap_dio_rw(w, iocb, iter)).toBe(2 * PAGE_SIZE);
    expect(iter.count).toBe(0);
    expect(iocb.ki_pos).toBe(512 + 2 * PAGE_SIZE);
    expect(uread(w, p.mm, p.buf + 100, 2 * PAGE_SIZE)).toEqual(disk_bytes(w, ino, 512, 2 * PAGE_SIZE));
    expect(w.block.completions).toEqual([]);
    expect(counts(w)).toEqual(base);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(3);
    expect(quiescent(w)).toEqual([]);
  });

  it("sync read step by step: iomap_dio_wait() sleeps until the last bio completes", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1);
    const iocb = init_sync_kiocb(w, ino, 0);
    const r = __iomap_dio_rw(w, iocb, iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE));
    expect(r.dio).not.toBeNull();
    expect(iomap_dio_wait(w, r.dio!)).toBeNull();
    blk_dev_transfer(w, w.block.in_flight[0]);
    expect(iomap_dio_wait(w, r.dio!)).toBeNull(); // data moved, completion not yet signalled
    blk_dev_complete(w, w.block.transferred[0]);
    expect(iomap_dio_wait(w, r.dio!)).toBe(PAGE_SIZE);
    expect(quiescent(w)).toEqual([]);
  });

  it("the bios: one per run of pages, BIO_PAGE_PINNED, pages dirtied before submission", () => {
    const w = boot();
    const p = spawn(w, 2);
    const ino = ext4_file(w, 2);
    const pages = [pfn_at(p.mm, p.buf), pfn_at(p.mm, p.buf + PAGE_SIZE)];
    for (const pg of pages) expect(folio_test(w, pg, PG_dirty)).toBe(false);
    expect(iomap_dio_rw(w, init_async_kiocb(w, ino, 0), iov_iter_ubuf(w, READ, p.buf, 2 * PAGE_SIZE))).toBe(-EIOCBQUEUED);
    expect(w.block.in_flight).toHaveLength(1);
    const b = w.block.bios[w.block.in_flight[0]]!;
    expect(bio_flagged(b, BIO_PAGE_PINNED)).toBe(true);
    expect(b.bi_iter).toMatchObject({ bi_sector: 0, bi_size: 2 * PAGE_SIZE });
    expect(b.bi_end_io).toBe("iomap_dio_bio_end_io");
    for (const pg of pages) expect(folio_test(w, pg, PG_dirty)).toBe(true);
    settle(w);
    expect(quiescent(w)).toEqual([]);
  });

  it("async completion is inline: ->ki_complete runs in the device's completion step, after the pages are released", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1);
    const iocb = init_async_kiocb(w, ino, 0);
    expect(iomap_dio_rw(w, iocb, iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE))).toBe(-EIOCBQUEUED);
    const id = w.block.in_flight[0];
    blk_dev_transfer(w, id);
    expect(w.block.completions).toEqual([]);
    expect(uread(w, p.mm, p.buf, PAGE_SIZE)).toEqual(disk_bytes(w, ino, 0, PAGE_SIZE)); // DMA done, not yet signalled
    // The page's refcount at the moment ->ki_complete is reported: already released (45cec0de6c89).
    const page = pfn_at(p.mm, p.buf);
    const base = counts(w).get(page)![0] - GUP_PIN_COUNTING_BIAS;
    const at_complete: number[] = [];
    const push = w.block.completions.push.bind(w.block.completions);
    w.block.completions.push = (...c) => (at_complete.push(w.mem.refcount[page]), push(...c));
    blk_dev_complete(w, id);
    Reflect.deleteProperty(w.block.completions, "push");
    expect(at_complete).toEqual([base]);
    expect(w.block.completions).toEqual([{ iocb: iocb.id, res: PAGE_SIZE }]);
    expect(w.block.work).toEqual([]);
    expect(quiescent(w)).toEqual([]);
  });

  it("a buffer folio cleaned during the read: ->ki_complete is reported while its pin is still held", () => {
    const w = boot();
    const p = spawn(w, 1);
    const src = ext4_file(w, 1);
    const dst = tmpfile(w);
    const { addr, folio } = map_shared_written(w, p, dst, 0x11);
    const base = counts(w);
    const iocb = init_async_kiocb(w, src, 0);
    expect(iomap_dio_rw(w, iocb, iov_iter_ubuf(w, READ, addr, PAGE_SIZE))).toBe(-EIOCBQUEUED);
    folio_start_writeback(w, folio); // writeback of the buffer file cleans the folio mid-read
    folio_end_writeback(w, folio);
    blk_dev_run(w, w.block.in_flight[0]);
    expect(w.block.completions).toEqual([{ iocb: iocb.id, res: PAGE_SIZE }]);
    expect(w.mem.refcount[folio]).toBe(base.get(folio)![0] + GUP_PIN_COUNTING_BIAS); // still pinned
    expect(folio_test(w, folio, PG_dirty)).toBe(false);
    expect(w.block.work).toEqual([{ fn: "bio_dirty_fn", arg: 0 }]);
    run_work(w);
    expect(folio_test(w, folio, PG_dirty)).toBe(true); // the DMA'd data will reach dst's disk
    expect(counts(w)).toEqual(base);
    expect(uread(w, p.mm, addr, PAGE_SIZE)).toEqual(disk_bytes(w, src, 0, PAGE_SIZE));
    expect(quiescent(w)).toEqual([]);
  });

  it("a device error is reported through ->ki_complete and the pages are still released", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1);
    const base = counts(w);
    const iocb = init_async_kiocb(w, ino, 0);
    iomap_dio_rw(w, iocb, iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE));
    blk_dev_fail(w, w.block.in_flight[0]);
    expect(w.block.completions).toEqual([{ iocb: iocb.id, res: -EIO }]);
    expect(iocb.ki_pos).toBe(0);
    expect(uread(w, p.mm, p.buf, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE).fill(0xaa));
    expect(counts(w)).toEqual(base);
    expect(quiescent(w)).toEqual([]);
  });

  it("misaligned for the device's logical block size: -EINVAL with nothing left pinned", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1);
    const base = counts(w);
    const iter = iov_iter_ubuf(w, READ, p.buf, HALF);
    expect(iomap_dio_rw(w, init_sync_kiocb(w, ino, 0), iter, 4096)).toBe(-EINVAL);
    expect(iter.count).toBe(HALF);
    expect(iomap_dio_rw(w, init_async_kiocb(w, ino, 0), iter, 4096)).toBe(-EINVAL); // no bio: completes at once
    expect(w.block.completions).toEqual([]);
    expect(iomap_dio_rw(w, init_sync_kiocb(w, ino, 0), iter, 512)).toBe(HALF);
    expect(counts(w)).toEqual(base);
    expect(quiescent(w)).toEqual([]);
  });

  it("a read across EOF reports up to i_size and hands the rest of the iterator back", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1, 3000);
    const iter = iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE);
    expect(iomap_dio_rw(w, init_sync_kiocb(w, ino, 0), iter)).toBe(3000);
    expect(iter.count).toBe(PAGE_SIZE - 3000);
    expect(iomap_dio_rw(w, init_sync_kiocb(w, ino, 3000), iov_iter_ubuf(w, READ, p.buf, 512))).toBe(0);
    expect(quiescent(w)).toEqual([]);
  });

  it("a hole is zero-filled by the CPU with no bio; mapped blocks still come from the device", () => {
    const w = boot();
    const p = spawn(w, 3);
    const ino = ext4_file(w, 1, 3 * PAGE_SIZE); // blocks 1 and 2 never written
    const iocb = init_async_kiocb(w, ino, 0);
    expect(iomap_dio_rw(w, iocb, iov_iter_ubuf(w, READ, p.buf, 3 * PAGE_SIZE))).toBe(-EIOCBQUEUED);
    expect(w.block.in_flight).toHaveLength(1);
    expect(w.block.bios[w.block.in_flight[0]]!.bi_iter.bi_size).toBe(PAGE_SIZE);
    expect(uread(w, p.mm, p.buf + PAGE_SIZE, 2 * PAGE_SIZE)).toEqual(new Uint8Array(2 * PAGE_SIZE)); // zeroed already
    settle(w);
    expect(w.block.completions).toEqual([{ iocb: iocb.id, res: 3 * PAGE_SIZE }]);
    expect(uread(w, p.mm, p.buf, PAGE_SIZE)).toEqual(disk_bytes(w, ino, 0, PAGE_SIZE));
    expect(quiescent(w)).toEqual([]);
  });

  it("dirty page cache is written back before the read, so the read sees it", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1);
    map_shared_written(w, p, ino, 0x77);
    expect(iomap_dio_rw(w, init_sync_kiocb(w, ino, 0), iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE))).toBe(PAGE_SIZE);
    expect(uread(w, p.mm, p.buf, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE).fill(0x77));
    expect(quiescent(w)).toEqual([]);
  });

  it("BVEC buffer: kernel pages used in place, no pins, no dirtying", () => {
    const w = boot();
    const ino = ext4_file(w, 2);
    const a = alloc_pages(w.mem, 0);
    const b = alloc_pages(w.mem, 0);
    const base = counts(w);
    const bv = [{ bv_page: a, bv_offset: 0, bv_len: PAGE_SIZE }, { bv_page: b, bv_offset: 0, bv_len: PAGE_SIZE }];
    const iocb = init_async_kiocb(w, ino, 0);
    expect(iomap_dio_rw(w, iocb, iov_iter_bvec(w, READ, bv, 2, 2 * PAGE_SIZE))).toBe(-EIOCBQUEUED);
    const bio = w.block.bios[w.block.in_flight[0]]!;
    expect(bio_flagged(bio, BIO_CLONED)).toBe(true);
    expect(bio_flagged(bio, BIO_PAGE_PINNED)).toBe(false);
    expect(counts(w)).toEqual(base);
    settle(w);
    expect(w.data.read(a)).toEqual(disk_bytes(w, ino, 0, PAGE_SIZE));
    expect(w.data.read(b)).toEqual(disk_bytes(w, ino, PAGE_SIZE, PAGE_SIZE));
    expect(folio_test(w, a, PG_dirty)).toBe(false);
    expect(w.block.completions).toEqual([{ iocb: iocb.id, res: 2 * PAGE_SIZE }]);
    expect(w.vmstat.nr_foll_pin_acquired).toBe(0);
    expect(quiescent(w)).toEqual([]);
  });

  it("a world clone carries the in-flight read; the two complete independently", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1);
    iomap_dio_rw(w, init_async_kiocb(w, ino, 0), iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE));
    const c = clone_world(w);
    settle(c);
    expect(c.block.completions).toHaveLength(1);
    expect(w.block.completions).toHaveLength(0);
    expect(w.block.in_flight).toHaveLength(1);
    expect(uread(w, p.mm, p.buf, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE).fill(0xaa));
    expect(uread(c, c.mms[p.id], p.buf, PAGE_SIZE)).toEqual(disk_bytes(c, ino, 0, PAGE_SIZE));
    expect(quiescent(c)).toEqual([]);
    settle(w);
    expect(quiescent(w)).toEqual([]);
  });
});

describe("iomap_dio_rw writes", () => {
  it("async write: pages released at bio completion, ->ki_complete from the work item, stale cache dropped", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1);
    const data = pattern(PAGE_SIZE, 0x90);
    uwrite(w, p.mm, p.buf, data);
    const base = counts(w);
    const iocb = init_async_kiocb(w, ino, 0);
    expect(iomap_dio_rw(w, iocb, iov_iter_ubuf(w, WRITE, p.buf, PAGE_SIZE))).toBe(-EIOCBQUEUED);
    const bio = w.block.bios[w.block.in_flight[0]]!;
    expect(bio_flagged(bio, BIO_PAGE_PINNED)).toBe(true);
    // A buffered reader caches the old disk contents while the write is in flight.
    const old = disk_bytes(w, ino, 0, PAGE_SIZE);
    const cached = (): boolean => xa_load(w.inodes[ino].i_pages, 0) !== undefined;
    expect(read_buffered(w, ino)).toEqual(old);
    expect(cached()).toBe(true);

    blk_dev_run(w, bio.id);
    expect(disk_bytes(w, ino, 0, PAGE_SIZE)).toEqual(data);
    expect(w.block.completions).toEqual([]); // queued, not inline
    expect(w.block.work).toEqual([{ fn: "iomap_dio_complete_work", arg: 0 }]);
    expect(w.mem.refcount[pfn_at(p.mm, p.buf)]).toBe(base.get(pfn_at(p.mm, p.buf))![0]); // already unpinned

    expect(run_work(w)).toBe(true);
    expect(w.block.completions).toEqual([{ iocb: iocb.id, res: PAGE_SIZE }]);
    expect(cached()).toBe(false); // kiocb_invalidate_post_direct_write()
    expect(read_buffered(w, ino)).toEqual(data);
    expect(quiescent(w)).toEqual([]);
  });

  it("sync write extending a new file with 512-byte blocks: the block's tail is zeroed from iomap's unpinned zero folio", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = tmpfile(w);
    const data = pattern(512, 0x40);
    uwrite(w, p.mm, p.buf, data);
    const iocb = init_sync_kiocb(w, ino, 0);
    const r = __iomap_dio_rw(w, iocb, iov_iter_ubuf(w, WRITE, p.buf, 512), 512);
    expect(w.block.in_flight).toHaveLength(2);
    const [data_bio, zero_bio] = w.block.in_flight.map((id) => w.block.bios[id]!);
    expect(bio_flagged(data_bio, BIO_PAGE_PINNED)).toBe(true);
    expect(bio_flagged(zero_bio, BIO_PAGE_PINNED)).toBe(false);
    expect(zero_bio.bi_io_vec[0]).toEqual({ bv_page: w.block.iomap_zero_page, bv_offset: 0, bv_len: PAGE_SIZE - 512 });
    expect(zero_bio.bi_iter.bi_sector).toBe(1);
    blk_dev_run_all(w);
    expect(iomap_dio_wait(w, r.dio!)).toBe(512);
    expect(w.inodes[ino].i_size).toBe(512);
    expect(disk_bytes(w, ino, 0, PAGE_SIZE)).toEqual(Uint8Array.from([...data, ...new Uint8Array(PAGE_SIZE - 512)]));
    expect(quiescent(w)).toEqual([]);
  });

  it("a dirty, mapped cached folio is written back, unmapped and dropped before the write", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1);
    const { addr, folio } = map_shared_written(w, p, ino, 0x66);
    // Writeback is flushed first, then the folio is unmapped and dropped; the write goes ahead.
    expect(iomap_dio_rw(w, init_sync_kiocb(w, ino, 0), iov_iter_ubuf(w, WRITE, p.buf, PAGE_SIZE))).toBe(PAGE_SIZE);
    expect(w.mem.head[folio]).toBe(-1); // freed with the page cache's last reference
    expect(p.mm.ptes.has(addr / PAGE_SIZE)).toBe(false);
    expect(disk_bytes(w, ino, 0, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE).fill(0xaa));
    expect(uread(w, p.mm, addr, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE).fill(0xaa)); // faults the new data in
    expect(quiescent(w)).toEqual([]);
  });
});

describe("O_DIRECT writes over a folio dirtied again during writeback", () => {
  /** A mapped folio of a one-page file under writeback, then written again by the CPU with 0x22. */
  function redirtied(fs: "ext4" | "vfat") {
    const w = boot();
    const p = spawn(w, 1);
    const ino = fs === "ext4" ? ext4_file(w, 1) : create_file(w, "vfat");
    if (fs === "vfat") fallocate(w, ino, PAGE_SIZE);
    const { addr, folio } = map_shared_written(w, p, ino, 0x11);
    expect(folio_start_writeback(w, folio)).toBe(true);
    uwrite(w, p.mm, addr, new Uint8Array(PAGE_SIZE).fill(0x22)); // faults, re-dirties
    expect(folio_test(w, folio, PG_dirty) && folio_test(w, folio, PG_writeback)).toBe(true);
    return { w, p, ino, folio };
  }

  it("the flush waits out the writeback, writes the folio again and drops it: the write goes ahead directly", () => {
    for (const fs of ["ext4", "vfat"] as const) {
      const { w, p, ino, folio } = redirtied(fs);
      // Half a page, so the flushed second half stays on disk to be seen.
      expect(call_write_iter(w, init_sync_kiocb(w, ino, 0), iov_iter_ubuf(w, WRITE, p.buf, HALF)), fs).toBe(HALF);
      expect(w.vmstat.nr_foll_pin_acquired, fs).toBeGreaterThan(0); // the source was pinned: direct, not the buffered fallback
      expect(disk_bytes(w, ino, 0, PAGE_SIZE), fs).toEqual(Uint8Array.from([...new Uint8Array(HALF).fill(0xaa), ...new Uint8Array(HALF).fill(0x22)]));
      expect(w.mem.head[folio], fs).toBe(-1); // clean after the flush, so invalidation freed it
      expect(w.inodes[ino].i_pages.slots.size, fs).toBe(0);
      expect(quiescent(w), fs).toEqual([]);
    }
  });

  it("iomap_dio_rw itself no longer finds the folio dirty (it answered -ENOTBLK when the flush left it so)", () => {
    const { w, p, ino } = redirtied("ext4");
    expect(iomap_dio_rw(w, init_sync_kiocb(w, ino, 0), iov_iter_ubuf(w, WRITE, p.buf, PAGE_SIZE))).toBe(PAGE_SIZE);
  });
});

describe("iomap_dio_rw and the page cache before v5.9 (iomap_dio_invalidates_writes_only off)", () => {
  it("a read flushes and also unmaps and drops the cached range; since v5.9 it only flushes", () => {
    for (const era of ["pre-pin", "5.9-5.18"]) {
      const w = boot(config_for(undefined, era));
      const p = spawn(w, 1);
      const ino = ext4_file(w, 1);
      const { addr, folio } = map_shared_written(w, p, ino, 0x66);
      expect(iomap_dio_rw(w, init_sync_kiocb(w, ino, 0), iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE)), era).toBe(PAGE_SIZE);
      expect(uread(w, p.mm, p.buf, PAGE_SIZE), era).toEqual(new Uint8Array(PAGE_SIZE).fill(0x66)); // flushed first
      const dropped = era === "pre-pin";
      expect(p.mm.ptes.has(addr / PAGE_SIZE), era).toBe(!dropped);
      expect(xa_load(w.inodes[ino].i_pages, 0) !== undefined, era).toBe(!dropped);
      expect(w.mem.head[folio] === -1, era).toBe(dropped);
      expect(quiescent(w), era).toEqual([]);
    }
  });
});

describe("vfat: a write past the initialised size falls back to a buffered write (direct_write_fallback)", () => {
  it("is written back before the call returns, and the folio it cached is dropped", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = create_file(w, "vfat");
    fallocate(w, ino, PAGE_SIZE);
    const data = pattern(PAGE_SIZE, 0x50);
    uwrite(w, p.mm, p.buf, data);
    expect(call_write_iter(w, init_sync_kiocb(w, ino, PAGE_SIZE), iov_iter_ubuf(w, WRITE, p.buf, PAGE_SIZE))).toBe(PAGE_SIZE);
    expect(w.inodes[ino].i_size).toBe(2 * PAGE_SIZE);
    expect(disk_bytes(w, ino, PAGE_SIZE, PAGE_SIZE)).toEqual(data);
    expect(w.inodes[ino].i_pages.slots.size).toBe(0); // invalidate_mapping_pages()
    expect(quiescent(w)).toEqual([]);
  });
});

describe("ext4_dio_write_iter: when io_submit() waits for the write (IOMAP_DIO_FORCE_WAIT)", () => {
  /**
   * An io_submit() write of len bytes at pos from P's buffer into an ext4 file of `pages` written
   * blocks (but the `holes`) and i_size; what it returned and whether anything was left in flight.
   */
  function submit(era: string, pos: number, len: number, file: { pages?: number; i_size?: number; holes?: number[] } = {}) {
    const w = boot(config_for(undefined, era));
    const p = spawn(w, 2);
    const ino = ext4_file(w, file.pages ?? 1, file.i_size);
    for (const b of file.holes ?? []) w.inodes[ino].disk.delete(b); // a block still to be allocated
    const base = counts(w);
    const iocb = init_async_kiocb(w, ino, pos);
    const ret = aio_write(w, iocb, iov_iter_ubuf(w, WRITE, p.buf + pos, len));
    const page = pfn_at(p.mm, p.buf);
    return { w, ino, ret, in_flight: w.block.in_flight.length, pinned: w.mem.refcount[page] !== base.get(page)![0], done: w.block.completions.some((c) => c.iocb === iocb.id) };
  }

  it("before v6.5 an unaligned write returns done, its pages already released; an aligned overwrite is queued", () => {
    for (const era of ["5.9-5.18", "6.0-6.4"]) {
      const r = submit(era, HALF, HALF);
      expect(r, era).toMatchObject({ ret: HALF, in_flight: 0, pinned: false, done: true });
      // Aligned in position but not in length: iov_iter_alignment() makes it unaligned too.
      expect(submit(era, 0, HALF), era).toMatchObject({ ret: HALF, in_flight: 0, done: true });
      settle(r.w);
      expect(quiescent(r.w), era).toEqual([]);
      expect(submit(era, 0, PAGE_SIZE), era).toMatchObject({ ret: -EIOCBQUEUED, in_flight: 1, pinned: true, done: false });
    }
  });

  it("since v6.5 (310ee0902b8d) an unaligned overwrite of written blocks is queued; one that allocates or extends still waits", () => {
    const waited = { ret: HALF, in_flight: 0, pinned: false, done: true };
    expect(submit("current", HALF, HALF)).toMatchObject({ ret: -EIOCBQUEUED, in_flight: 1, pinned: true, done: false });
    expect(submit("current", HALF, HALF, { holes: [0] })).toMatchObject(waited);
    // Across two blocks, the second a hole: not an overwrite, though it starts on a written block.
    const straddle = PAGE_SIZE - HALF / 2;
    expect(submit("current", straddle, HALF, { pages: 2, holes: [1] })).toMatchObject(waited);
    // Both blocks written, but the write ends past i_size: it waits for extending alone.
    const ext = submit("current", straddle, HALF, { pages: 2, i_size: PAGE_SIZE });
    expect(ext).toMatchObject(waited);
    expect(ext.w.inodes[ext.ino].i_size).toBe(PAGE_SIZE + HALF / 2);
    settle(ext.w);
    expect(quiescent(ext.w)).toEqual([]);
  });
});

describe("netfs unbuffered read", () => {
  it("async: pins taken at submission, data on the server's reply, ->ki_complete and unpinning in the collector", () => {
    const w = boot();
    const p = spawn(w, 2);
    const ino = ext4_file(w, 2);
    const pages = [pfn_at(p.mm, p.buf), pfn_at(p.mm, p.buf + PAGE_SIZE)];
    const base = counts(w);
    const iocb = init_async_kiocb(w, ino, 100);
    const iter = iov_iter_ubuf(w, READ, p.buf + 200, PAGE_SIZE);
    expect(netfs_unbuffered_read_iter(w, iocb, iter)).toBe(-EIOCBQUEUED);
    expect(iter.count).toBe(0);
    for (const pg of pages) expect(w.mem.refcount[pg]).toBe(base.get(pg)![0] + GUP_PIN_COUNTING_BIAS);
    expect(netfs_server_reply(w, 0)).toBe(true);
    expect(uread(w, p.mm, p.buf + 200, PAGE_SIZE)).toEqual(disk_bytes(w, ino, 100, PAGE_SIZE));
    expect(w.block.completions).toEqual([]);
    expect(run_work(w)).toBe(true);
    expect(w.block.completions).toEqual([{ iocb: iocb.id, res: PAGE_SIZE }]);
    expect(iocb.ki_pos).toBe(100 + PAGE_SIZE);
    for (const pg of pages) expect(folio_test(w, pg, PG_dirty)).toBe(true);
    expect(counts(w)).toEqual(base);
    expect(quiescent(w)).toEqual([]);
  });

  it("sync, across EOF: the short result, ki_pos advanced, nothing left pinned", () => {
    const w = boot();
    const p = spawn(w, 1);
    const ino = ext4_file(w, 1, 1000);
    const base = counts(w);
    const iocb = init_sync_kiocb(w, ino, 0);
    expect(netfs_unbuffered_read_iter(w, iocb, iov_iter_ubuf(w, READ, p.buf, PAGE_SIZE))).toBe(1000);
    expect(iocb.ki_pos).toBe(1000);
    expect(uread(w, p.mm, p.buf, 1000)).toEqual(disk_bytes(w, ino, 0, 1000));
    expect(uread(w, p.mm, p.buf + 1000, 10)).toEqual(new Uint8Array(10).fill(0xaa));
    expect(counts(w)).toEqual(base);
    expect(quiescent(w)).toEqual([]);
  });
});

/** A buffered pread of page 0 into a fresh kernel page. */
function read_buffered(w: World, ino: number): Uint8Array {
  const pg = alloc_pages(w.mem, 0);
  const n = file_read_iter(w, ino, iov_iter_bvec(w, READ, [{ bv_page: pg, bv_offset: 0, bv_len: PAGE_SIZE }], 1, PAGE_SIZE), 0);
  expect(n).toBe(PAGE_SIZE);
  const out = w.data.read(pg).slice();
  put_page(w, pg);
  return out;
}
