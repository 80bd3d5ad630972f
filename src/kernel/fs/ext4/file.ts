// fs/ext4/file.c ext4_dio_write_iter() and ext4_dio_write_checks(): an O_DIRECT write on ext4
// goes to iomap_dio_rw(), made to wait for its own completion (IOMAP_DIO_FORCE_WAIT, even for
// io_submit) when it extends the file or, before 310ee0902b8d (v6.5), when it is not aligned to
// the file system block; since then an unaligned overwrite of written blocks runs concurrently
// under the shared inode lock. What the direct write cannot do is written buffered. The inode is
// taken to be S_NOSEC (no setuid bits to clear).
import type { iov_iter } from "../../lib/iov_iter/iov_iter.js";
import { iov_iter_alignment } from "../../lib/iov_iter/inspect.js";
import type { World } from "../../world.js";
import type { Inode } from "../inode.js";
import { ext4_iomap_begin, FS_BLOCK_SIZE, IOMAP_DIO_FORCE_WAIT, IOMAP_MAPPED, iomap_dio_rw } from "../iomap/direct_io.js";
import type { kiocb } from "../kiocb.js";
import { direct_write_fallback } from "../libfs.js";
import { ENOTBLK } from "../../include/errno.js";

/** ext4_unaligned_io(): the position or a segment's start or length off a block boundary. */
const ext4_unaligned_io = (pos: number, from: iov_iter): boolean => ((pos | iov_iter_alignment(from)) & (FS_BLOCK_SIZE - 1)) !== 0;

/** ext4_extending_io(): the write ends past i_size. */
const ext4_extending_io = (inode: Readonly<Inode>, pos: number, len: number): boolean => pos + len > inode.i_size;

/** ext4_overwrite_io(): the range lies in one mapped extent (the simulated disk has no unwritten ones). */
function ext4_overwrite_io(inode: Readonly<Inode>, pos: number, len: number): boolean {
  const map = ext4_iomap_begin(inode, pos, len, false);
  return map.type === IOMAP_MAPPED && map.offset + map.length >= pos + len;
}

/**
 * The dio_flags ext4 passes for this write. An extending write waits; so does an unaligned one,
 * except (since v6.5) an overwrite of written blocks, which keeps the shared inode lock.
 */
function ext4_dio_write_flags(w: World, inode: Readonly<Inode>, pos: number, from: iov_iter): number {
  if (ext4_extending_io(inode, pos, from.count)) return IOMAP_DIO_FORCE_WAIT;
  if (!ext4_unaligned_io(pos, from)) return 0;
  return w.config.ext4_unaligned_overwrite_async && ext4_overwrite_io(inode, pos, from.count) ? 0 : IOMAP_DIO_FORCE_WAIT;
}

/**
 * ext4_dio_write_iter(): iomap_dio_rw(), whose -ENOTBLK (the page cache over the range could not
 * be invalidated) means "write it buffered": what the direct write left goes through the page
 * cache and is flushed and dropped from it (ext4_buffered_write_iter(), then as direct_write_fallback()).
 */
export function ext4_dio_write_iter(w: World, iocb: kiocb, from: iov_iter): number {
  const inode = w.inodes_for_read[iocb.ki_filp];
  let ret = iomap_dio_rw(w, iocb, from, undefined, ext4_dio_write_flags(w, inode, iocb.ki_pos, from));
  if (ret === -ENOTBLK) ret = 0;
  if (ret < 0 || !from.count) return ret;
  return direct_write_fallback(w, iocb, from, ret);
}
