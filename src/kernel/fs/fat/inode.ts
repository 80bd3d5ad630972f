// fs/fat/inode.c and fs/fat/file.c: the part of vfat that O_DIRECT uses. Its ->direct_IO is
// fat_direct_IO() on the legacy fs/direct-io.c with fat_get_block(); its ->read_iter and
// ->write_iter are mm/filemap.c's generic_file_read_iter() and generic_file_write_iter(), whose
// O_DIRECT halves are here. The simulated volume has 512-byte sectors and 32 KiB clusters (64
// sectors, mkfs.fat's choice for FAT32 volumes of 32 GiB and more) and allocates each file
// contiguously, so a sector's number is its file offset / 512 on the file's device.
import { EBUSY, EIO, EIOCBQUEUED } from "../../include/errno.js";
import { iov_iter_revert } from "../../lib/iov_iter/advance.js";
import type { iov_iter } from "../../lib/iov_iter/iov_iter.js";
import { iov_iter_rw, WRITE } from "../../lib/iov_iter/iov_iter.js";
import { filemap_read } from "../../mm/filemap.js";
import { kiocb_invalidate_pages, kiocb_invalidate_post_direct_write, kiocb_write_and_wait } from "../../mm/filemap_dio.js";
import type { World } from "../../world.js";
import type { buffer_head } from "../direct_io.js";
import { __blockdev_direct_IO, DIO_LOCKING, DIO_SKIP_HOLES } from "../direct_io.js";
import type { Inode } from "../inode.js";
import { inode_blkbits } from "../inode.js";
import type { kiocb } from "../kiocb.js";
import { direct_write_fallback } from "../libfs.js";

/** The simulated volume's cluster size (sbi->cluster_size). */
const FAT_CLUSTER_SIZE = 32 * 1024;

/**
 * fat_get_block() -> __fat_get_block() -> fat_bmap(): map iblock and the sectors after it up to
 * the end of its cluster, of i_size, or of b_size. FAT has no holes inside i_size; a block past it
 * would need a new cluster (fat_add_cluster(), not simulated), which fat_direct_IO() never lets a
 * DIO write reach.
 */
export function fat_get_block(_w: World, inode: Inode, iblock: number, bh: buffer_head, create: boolean): number {
  const blkbits = inode_blkbits(inode);
  const last_block = Math.ceil(inode.i_size / (1 << blkbits));
  if (iblock < last_block) {
    const sec_per_clus = FAT_CLUSTER_SIZE >> blkbits;
    const mapped_blocks = Math.min(sec_per_clus - (iblock & (sec_per_clus - 1)), last_block - iblock);
    bh.mapped = true;
    bh.b_blocknr = iblock;
    bh.b_size = Math.min(mapped_blocks, bh.b_size >> blkbits) << blkbits;
    return 0;
  }
  return create ? -EIO : 0;
}

/**
 * fat_direct_IO(): a write that reaches past the initialised size (mmu_private, i_size here) goes
 * to buffered I/O (returns 0); otherwise blockdev_direct_IO() with fat_get_block().
 */
function fat_direct_IO(w: World, iocb: kiocb, iter: iov_iter): number {
  const inode = w.inodes[iocb.ki_filp];
  if (iov_iter_rw(iter) === WRITE && inode.i_size < iocb.ki_pos + iter.count) return 0;
  return __blockdev_direct_IO(w, iocb, inode, iter, fat_get_block, DIO_LOCKING | DIO_SKIP_HOLES);
}

/**
 * generic_file_read_iter() (mm/filemap.c) for an IOCB_DIRECT kiocb on vfat: flush the cached
 * range, ->direct_IO, and read what a short DIO left (below EOF) through the page cache.
 */
export function fat_file_read_iter(w: World, iocb: kiocb, iter: iov_iter): number {
  const inode = w.inodes[iocb.ki_filp];
  let count = iter.count;
  if (!count) return 0;
  let retval = kiocb_write_and_wait(w, iocb, count);
  if (retval < 0) return retval;
  retval = fat_direct_IO(w, iocb, iter);
  if (retval >= 0) {
    iocb.ki_pos += retval;
    count -= retval;
  }
  if (retval !== -EIOCBQUEUED) iov_iter_revert(w, iter, count - iter.count);
  if (retval < 0 || !count || iocb.ki_pos >= inode.i_size) return retval;
  const more = filemap_read(w, inode, iocb.ki_pos, iter);
  if (more > 0) iocb.ki_pos += more;
  return retval + Math.max(more, 0);
}

/**
 * generic_file_direct_write() (mm/filemap.c) on vfat: invalidate the cached range, ->direct_IO,
 * extend i_size. A cached folio that cannot be invalidated (dirty again) makes it write nothing
 * directly (0), for the caller to write it all buffered.
 */
function generic_file_direct_write(w: World, iocb: kiocb, from: iov_iter): number {
  const inode = w.inodes[iocb.ki_filp];
  let write_len = from.count;
  let written = kiocb_invalidate_pages(w, iocb, write_len);
  if (written) return written === -EBUSY ? 0 : written;
  written = fat_direct_IO(w, iocb, from);
  if (written > 0) {
    kiocb_invalidate_post_direct_write(w, iocb, written);
    const pos = iocb.ki_pos + written;
    write_len -= written;
    if (pos > inode.i_size) inode.i_size = pos;
    iocb.ki_pos = pos;
  }
  if (written !== -EIOCBQUEUED) iov_iter_revert(w, from, write_len - from.count);
  return written;
}

/**
 * generic_file_write_iter() (mm/filemap.c) for an IOCB_DIRECT kiocb on vfat: the direct write,
 * then direct_write_fallback() for what it left.
 */
export function fat_file_write_iter(w: World, iocb: kiocb, from: iov_iter): number {
  const written = generic_file_direct_write(w, iocb, from);
  if (written < 0 || !from.count) return written;
  return direct_write_fallback(w, iocb, from, written);
}
