// fs/afs/dir.c as it was from ~5.14 to ~6.13: afs_read_dir() reads a whole directory from the
// fileserver into the directory inode's own page cache through an ITER_DEST ITER_XARRAY, and the
// FetchData reply is copied into that iterator when it arrives (fs/afs/fsclient.c
// afs_deliver_fs_fetch_data -> afs_extract_data -> rxrpc_kernel_recv_data). An afs inode's
// `disk` is the fileserver's copy of the directory.
//
// ITER_XARRAY takes no references and finds each folio by index at copy time (iterate_xarray),
// so whoever builds one must keep every covered folio in the page cache and unchanged until the
// I/O is over, i.e. locked: invalidate_inode_pages2() and truncation wait for the folio lock.
// afs took references but unlocked the folios before sending the RPC (the H7 switch,
// KernelConfig.xarray_unlocked_folios); afs moved to a private folio_queue buffer in ~6.14
// ("afs: Use netfslib for directories").
import { queue_work, register_work_fn } from "../../block/blk_state.js";
import { EIO } from "../../include/errno.js";
import { PAGE_SIZE } from "../../include/page.js";
import { copy_to_iter } from "../../lib/iov_iter/copy.js";
import { iov_iter_xarray } from "../../lib/iov_iter/init.js";
import { ITER_DEST } from "../../lib/iov_iter/iov_iter.js";
import { kwrite } from "../../lib/string.js";
import { __filemap_get_folio, FGP_CREAT, FGP_LOCK, filemap_get_folios, folio_test_locked, folio_unlock } from "../../mm/filemap.js";
import { folio_put } from "../../mm/folio.js";
import { kfree, kmalloc } from "../../mm/slab.js";
import type { World } from "../../world.js";

/** The part of struct afs_read a directory read uses: the folios it holds references on. */
export interface afs_read {
  ino: number;
  nr_pages: number;
  /** The folio found or created at each index from 0 on, one reference each. */
  folios: number[];
}

/** The work item standing for the reply's delivery (afs_process_async_call / rxrpc's I/O thread). */
const AFS_DELIVER_WORK = "afs_deliver_fetch_data";

/**
 * afs_read_dir() up to afs_fetch_data() sending the FetchData RPC: get or create (FGP_LOCK |
 * FGP_CREAT) the folio at every index of the directory, each with a reference for the request;
 * afs then folio_unlock()ed the folios it had created (switch on); a correct creator keeps them
 * locked until the reply is in. The reply's delivery is queued as work. -EIO for a directory
 * smaller than one 2048-byte block, or a folio someone else holds locked (the kernel would sleep).
 */
export function afs_read_dir(w: World, ino: number): afs_read | number {
  const inode = w.inodes[ino];
  if (inode.i_size < 2048) return -EIO; // afs_bad(dvnode, afs_file_error_dir_small)
  const req: afs_read = { ino, nr_pages: Math.ceil(inode.i_size / PAGE_SIZE), folios: [] };
  for (let i = 0; i < req.nr_pages; i++) {
    const folio = __filemap_get_folio(w, inode, i, FGP_LOCK | FGP_CREAT);
    if (folio < 0) {
      afs_read_dir_done(w, { ...req, nr_pages: req.folios.length }); // unlock and put those taken
      return -EIO;
    }
    if (w.config.xarray_unlocked_folios) folio_unlock(w, folio); // the H7 step: refs only
    req.folios.push(folio);
  }
  // iov_iter_xarray(&req->def_iter, ITER_DEST, &mapping->i_pages, 0, i_size) is rebuilt by the
  // delivery from the inode: the iterator is a descriptor, the page cache is the state.
  queue_work(w, AFS_DELIVER_WORK, ino);
  return req;
}

/**
 * The FetchData reply's data arriving: the fileserver's bytes of the whole directory, in one
 * socket buffer, copied into the request's ITER_XARRAY (rxrpc_kernel_recv_data ->
 * skb_copy_datagram_iter -> copy_to_iter). Returns the bytes copied; fewer than i_size when a
 * covered index has no folio any more (iterate_xarray skips holes: the rest goes to the next
 * cached folio or nowhere).
 */
export function afs_deliver_fetch_data(w: World, ino: number): number {
  const inode = w.inodes[ino];
  const len = inode.i_size;
  const iter = iov_iter_xarray(w, ITER_DEST, inode.i_pages, 0, len)!;
  const skb = kmalloc(w, len);
  for (let k = 0; k * PAGE_SIZE < len; k++) {
    const n = Math.min(PAGE_SIZE, len - k * PAGE_SIZE);
    kwrite(w, skb + k * PAGE_SIZE, (inode.disk.get(k) ?? new Uint8Array(PAGE_SIZE)).subarray(0, n));
  }
  const copied = copy_to_iter(w, skb, len, iter);
  kfree(w, skb);
  return copied;
}

register_work_fn(AFS_DELIVER_WORK, (w, ino) => void afs_deliver_fetch_data(w, ino));

/** Whether the reply to the directory read of inode ino is still to be delivered. */
export const afs_fetch_data_pending = (w: World, ino: number): boolean =>
  w.block.work.some((x) => x.fn === AFS_DELIVER_WORK && x.arg === ino);

/**
 * The end of afs_read_dir() once afs_fetch_data() returned: unlock the folios still locked (a
 * correct creator's unlock), then afs_put_read().
 */
export function afs_read_dir_done(w: World, req: afs_read): void {
  for (const folio of req.folios) if (folio_test_locked(w, folio)) folio_unlock(w, folio);
  afs_put_read(w, req);
}

/**
 * afs_put_read() -> afs_dir_read_cleanup(): drop the request's references. afs found its folios
 * again by index, walking i_pages over 0..nr_pages-1 (switch on): a folio invalidated meanwhile
 * keeps afs's reference for good and a folio put in its place loses one it never gave [obs]. A
 * correct creator drops the references it took, on the folios it took them on.
 */
function afs_put_read(w: World, req: afs_read): void {
  const folios = w.config.xarray_unlocked_folios ? filemap_get_folios(w.inodes[req.ino], 0, req.nr_pages - 1) : req.folios;
  for (const folio of folios) folio_put(w, folio);
}
