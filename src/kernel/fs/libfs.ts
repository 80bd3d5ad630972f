// fs/libfs.c direct_write_fallback(): what an O_DIRECT write could not do directly is written
// through the page cache, then flushed and dropped from it, so the write still reaches the disk
// before the call returns and a later direct read sees it (open-coded in
// __generic_file_write_iter() before v6.6, and in ext4_dio_write_iter()).
import { generic_perform_write } from "../mm/filemap.js";
import { filemap_write_and_wait_range } from "../mm/filemap_dio.js";
import { invalidate_mapping_pages } from "../mm/truncate.js";
import { PAGE_SIZE } from "../include/page.js";
import type { iov_iter } from "../lib/iov_iter/iov_iter.js";
import type { World } from "../world.js";
import type { kiocb } from "./kiocb.js";

/** The buffered write of the rest of `from` after direct_written bytes went directly; the total. */
export function direct_write_fallback(w: World, iocb: kiocb, from: iov_iter, direct_written: number): number {
  const inode = w.inodes[iocb.ki_filp];
  const pos = iocb.ki_pos;
  const buffered = generic_perform_write(w, inode, pos, from);
  if (buffered <= 0) return direct_written || buffered;
  const end = pos + buffered - 1;
  filemap_write_and_wait_range(w, inode, pos, end); // cannot fail here: the simulated disk has no errors
  invalidate_mapping_pages(w, inode, Math.floor(pos / PAGE_SIZE), Math.floor(end / PAGE_SIZE));
  iocb.ki_pos = pos + buffered;
  return direct_written + buffered;
}
