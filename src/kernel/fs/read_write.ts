// fs/read_write.c and include/linux/fs.h: calling a file's ->read_iter/->write_iter, and
// __kernel_read(), a kernel caller reading into its own buffer through an ITER_KVEC.
import { EINVAL } from "../include/errno.js";
import { MAX_RW_COUNT } from "../include/page.js";
import { iov_iter_kvec } from "../lib/iov_iter/init.js";
import type { iov_iter } from "../lib/iov_iter/iov_iter.js";
import { ITER_DEST, ITER_SOURCE } from "../lib/iov_iter/iov_iter.js";
import type { World } from "../world.js";
import { ext4_dio_write_iter } from "./ext4/file.js";
import { fat_file_read_iter, fat_file_write_iter } from "./fat/inode.js";
import { iomap_dio_rw } from "./iomap/direct_io.js";
import type { kiocb } from "./kiocb.js";
import type { pipe_inode_info } from "./pipe.js";
import { pipe_read } from "./pipe.js";

/** call_read_iter() of an O_DIRECT file: ext4_file_read_iter() -> ext4_dio_read_iter() -> iomap_dio_rw(), or vfat's generic_file_read_iter(). */
export function call_read_iter(w: World, iocb: kiocb, iter: iov_iter): number {
  switch (w.inodes_for_read[iocb.ki_filp].fs) {
    case "ext4": return iomap_dio_rw(w, iocb, iter);
    case "vfat": return fat_file_read_iter(w, iocb, iter);
    default: return -EINVAL; // no O_DIRECT simulated for this file system
  }
}

/** call_write_iter() of an O_DIRECT file: ext4_file_write_iter() -> ext4_dio_write_iter(), or vfat's generic_file_write_iter(). */
export function call_write_iter(w: World, iocb: kiocb, iter: iov_iter): number {
  switch (w.inodes_for_read[iocb.ki_filp].fs) {
    case "ext4": return ext4_dio_write_iter(w, iocb, iter);
    case "vfat": return fat_file_write_iter(w, iocb, iter);
    default: return -EINVAL;
  }
}

/**
 * __kernel_read(file, buf, count, pos) where the file is a pipe (->read_iter is pipe_read()):
 * the kernel buffer becomes an ITER_DEST kvec. Under the H3 switch (dest_iter_as_source) the
 * caller passes WRITE instead, as the call sites Al Viro's 2022 audit fixed did, and since
 * a41dad905e5a the copy into that "source" iterator warns and moves nothing, so pipe_read() fails with -EFAULT.
 */
export function __kernel_read(w: World, pipe: pipe_inode_info, buf: number, count: number): number {
  const len = Math.min(count, MAX_RW_COUNT);
  const iter = iov_iter_kvec(w, w.config.dest_iter_as_source ? ITER_SOURCE : ITER_DEST, [{ iov_base: buf, iov_len: len }], 1, len);
  return pipe_read(w, pipe, iter);
}
