// fs/ext4/file.c ext4_dio_write_iter() and ext4_dio_write_checks(): an O_DIRECT write on ext4
// goes to iomap_dio_rw(), made to wait for its own completion (IOMAP_DIO_FORCE_WAIT, even for
// io_submit) when it extends the file or, before 310ee0902b8d (v6.5), when it is not aligned to
// the file system block; since then an unaligned overwrite of written blocks runs concurrently
// under the shared inode lock. The inode is taken to be S_NOSEC (no setuid bits to clear).
import type { iov_iter } from "../../lib/iov_iter/iov_iter.js";
import { iov_iter_alignment } from "../../lib/iov_iter/inspect.js";
import type { World } from "../../world.js";
import type { Inode } from "../inode.js";
import { FS_BLOCK_SIZE, IOMAP_DIO_FORCE_WAIT, iomap_dio_rw } from "../iomap/direct_io.js";
import type { kiocb } from "../kiocb.js";

/** ext4_unaligned_io(): the position or a segment's start or length off a block boundary. */
const ext4_unaligned_io = (pos: number, from: iov_iter): boolean => ((pos | iov_iter_alignment(from)) & (FS_BLOCK_SIZE - 1)) !== 0;

/** ext4_extending_io(): the write ends past i_size. */
const ext4_extending_io = (inode: Inode, pos: number, len: number): boolean => pos + len > inode.i_size;

/** ext4_overwrite_io(): every block of the range is allocated and written (the simulated disk has no unwritten extents). */
function ext4_overwrite_io(inode: Inode, pos: number, len: number): boolean {
  for (let b = Math.floor(pos / FS_BLOCK_SIZE); b * FS_BLOCK_SIZE < pos + len; b++) if (!inode.disk.has(b)) return false;
  return true;
}

/** The dio_flags ext4 passes for this write. */
function ext4_dio_write_flags(w: World, inode: Inode, pos: number, from: iov_iter): number {
  const extend = ext4_extending_io(inode, pos, from.count);
  const unaligned = ext4_unaligned_io(pos, from);
  // Before v6.5 an unaligned write always took the exclusive lock and waited; since, only when
  // the exclusive lock is needed anyway (extending, or blocks to allocate).
  const exclusive = w.config.ext4_unaligned_overwrite_async ? extend || !ext4_overwrite_io(inode, pos, from.count) : unaligned || extend;
  return exclusive && (unaligned || extend) ? IOMAP_DIO_FORCE_WAIT : 0;
}

export function ext4_dio_write_iter(w: World, iocb: kiocb, from: iov_iter): number {
  const inode = w.inodes[iocb.ki_filp];
  return iomap_dio_rw(w, iocb, from, undefined, ext4_dio_write_flags(w, inode, iocb.ki_pos, from));
}
