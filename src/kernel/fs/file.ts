// The file system calls the simulation needs: creating files (memfd_create on tmpfs, a tmpfile
// on a block file system), fallocate, and buffered pread/pwrite through the page cache.
import { PAGE_SIZE } from "../include/page.js";
import type { iov_iter } from "../lib/iov_iter/iov_iter.js";
import { filemap_get_folio, filemap_read, generic_perform_write } from "../mm/filemap.js";
import type { World } from "../world.js";
import type { FsKind } from "./inode.js";
import { new_inode } from "./inode.js";

/** memfd_create(): a tmpfs (shmem) file. */
export const memfd_create = (w: World): number => new_inode(w.inodes, "tmpfs");

/** tmpfile() on a block file system with dirty tracking and writeback (ext4-like). */
export const tmpfile = (w: World, stable_writes = false): number => new_inode(w.inodes, "ext4", stable_writes);

export const create_file = (w: World, fs: FsKind, stable_writes = false): number => new_inode(w.inodes, fs, stable_writes);

/** fallocate(fd, 0, 0, len): the file grows to len; tmpfs allocates its (zeroed) pages now. */
export function fallocate(w: World, ino: number, len: number): number {
  const inode = w.inodes[ino];
  if (len > inode.i_size) inode.i_size = len;
  if (inode.fs === "tmpfs") for (let index = 0; index * PAGE_SIZE < len; index++) filemap_get_folio(w, inode, index);
  return 0;
}

/** pwrite(fd, buf, count, pos) with the data already described by an ITER_SOURCE iterator. */
export const file_write_iter = (w: World, ino: number, from: iov_iter, pos: number): number =>
  generic_perform_write(w, w.inodes[ino], pos, from);

/** pread(fd, buf, count, pos) into an ITER_DEST iterator. */
export const file_read_iter = (w: World, ino: number, to: iov_iter, pos: number): number =>
  filemap_read(w, w.inodes[ino], pos, to);
