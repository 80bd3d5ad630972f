// include/linux/fs.h (struct inode, struct address_space) and the simulated storage under a file.
// Two kinds of file system matter for pinning: tmpfs/shmem (memfd, no writeback, no dirty
// tracking) and a block file system like ext4 (dirty-tracked through ->page_mkwrite and
// written back to a disk that holds bytes). A third, afs, stands for a network file system's
// directory: its `disk` is the fileserver's copy, read into the page cache by an RPC
// (fs/afs/dir.c), never mapped or written back here. A fourth, vfat, is a block file system whose
// O_DIRECT goes through the legacy fs/direct-io.c (fs/fat/inode.c fat_direct_IO).
import type { xarray } from "../lib/xarray.js";
import { xa_init } from "../lib/xarray.js";

export type FsKind = "tmpfs" | "ext4" | "afs" | "vfat";

export interface Inode {
  ino: number;
  fs: FsKind;
  i_size: number;
  /** The page cache: file page index -> folio. */
  i_pages: xarray;
  /** Bytes on disk per page index; buffers are never modified, only replaced. */
  disk: Map<number, Uint8Array>;
  /** AS_STABLE_WRITES: CPU writers wait for writeback before modifying a folio. */
  stable_writes: boolean;
}

export const clone_inode = (i: Inode): Inode => ({
  ...i,
  i_pages: { slots: new Map(i.i_pages.slots) },
  disk: new Map(i.disk),
});

/** A new, empty file; returns its inode number (its index in w.inodes). */
export function new_inode(inodes: Inode[], fs: FsKind, stable_writes = false): number {
  const ino = inodes.length;
  inodes.push({ ino, fs, i_size: 0, i_pages: xa_init(), disk: new Map(), stable_writes });
  return ino;
}

/**
 * mapping_can_writeback() (include/linux/backing-dev.h): only the block file systems' backing
 * devices write back; shmem/tmpfs keeps its pages (reclaim moves them to swap) and an afs
 * directory is never written from the client. A shared mapping of a file that writes back needs
 * dirty tracking (vma_needs_dirty_tracking()).
 */
export const mapping_can_writeback = (i: Inode): boolean => i.fs === "ext4" || i.fs === "vfat";

/** inode->i_blkbits: vfat's blocks are its 512-byte sectors; the other file systems use 4 KiB blocks. */
export const inode_blkbits = (i: Inode): number => (i.fs === "vfat" ? 9 : 12);
