// mm/filemap.c: the page cache (find or create a file's folio, reading it from disk; the folio
// lock), and the buffered read and write paths (filemap_read, generic_perform_write).
import type { Inode } from "../fs/inode.js";
import { PAGE_SIZE } from "../include/page.js";
import type { iov_iter } from "../lib/iov_iter/iov_iter.js";
import { copy_page_from_iter_atomic, copy_page_to_iter } from "../lib/iov_iter/copy.js";
import { xa_erase, xa_is_value, xa_load, xa_store, xas_for_each } from "../lib/xarray.js";
import type { World } from "../world.js";
import { BUG } from "../include/bug.js";
import { EAGAIN, ENOENT } from "../include/errno.js";
import { folio_get, folio_mark_dirty, folio_put, folio_test } from "./folio.js";
import { alloc_pages, PG_locked, PG_lru, PG_uptodate, PG_writeback } from "./mem_map.js";

/**
 * filemap_get_folio(), with FGP_CREAT when create: the folio caching page `index` of the file,
 * read from disk (zeros for tmpfs or a hole) when it was not cached; -1 if absent and !create.
 * The page cache holds one reference on each folio it caches; the caller takes its own.
 */
export function filemap_get_folio(w: World, inode: Inode, index: number, create = true): number {
  const e = xa_load(inode.i_pages, index);
  if (e && !xa_is_value(e)) return e.folio;
  if (!create) return -1;
  const folio = alloc_pages(w.mem, 0, PG_lru | PG_uptodate);
  const on_disk = inode.disk.get(index);
  if (on_disk) w.data.write(folio).set(on_disk);
  filemap_add_folio(w, inode, folio, index);
  return folio;
}

/** filemap_add_folio(): a new folio joins the page cache at index; its allocation reference becomes the cache's. */
function filemap_add_folio(w: World, inode: Inode, folio: number, index: number): void {
  w.mem.mapping[folio] = inode.ino;
  w.mem.index[folio] = index;
  xa_store(inode.i_pages, index, { folio, order: 0 });
}

/** filemap_remove_folio(): the folio leaves the page cache, which drops its reference (filemap_free_folio()). */
export function filemap_remove_folio(w: World, inode: Inode, folio: number): void {
  xa_erase(inode.i_pages, w.mem.index[folio]);
  w.mem.mapping[folio] = -1;
  folio_put(w, folio);
}

/** filemap_get_folios(): the cached folios whose index lies in [first, last], in index order. */
export function filemap_get_folios(inode: Inode, first: number, last: number): number[] {
  const out: number[] = [];
  for (const [e, index] of xas_for_each(inode.i_pages, first)) {
    if (index > last) break;
    if (!xa_is_value(e)) out.push(e.folio);
  }
  return out;
}

// include/linux/pagemap.h fgf_t flags of __filemap_get_folio() (the kernel's values).
export const FGP_LOCK = 1 << 1;
export const FGP_CREAT = 1 << 2;

/** folio_test_locked() (include/linux/page-flags.h): PG_locked, the folio lock. */
export const folio_test_locked = (w: World, folio: number): boolean => folio_test(w, folio, PG_locked);

/** folio_trylock() (include/linux/pagemap.h): take the folio lock if nobody holds it. */
export function folio_trylock(w: World, folio: number): boolean {
  if (folio_test_locked(w, folio)) return false;
  w.mem.flags[folio] |= PG_locked;
  return true;
}

/** folio_unlock() (mm/filemap.c): VM_BUG_ON_FOLIO(!folio_test_locked(folio)), then wake the waiters. */
export function folio_unlock(w: World, folio: number): void {
  if (!folio_test_locked(w, folio)) {
    BUG(w, "folio_unlock", "VM_BUG_ON_FOLIO: unlock of a folio that is not locked");
    return;
  }
  w.mem.flags[folio] &= ~PG_locked;
}

/**
 * __filemap_get_folio() (mm/filemap.c): the cached folio at index with a reference for the
 * caller, locked with FGP_LOCK; with FGP_CREAT an absent one is allocated, added to the page
 * cache and returned without reading anything (not uptodate: the caller fills it). -ENOENT if
 * absent without FGP_CREAT. FGP_LOCK on a folio someone else holds locked would sleep in
 * folio_lock(); the simulation cannot sleep and answers -EAGAIN, for the caller to retry once the
 * holder has unlocked it.
 */
export function __filemap_get_folio(w: World, inode: Inode, index: number, fgp_flags: number): number {
  const e = xa_load(inode.i_pages, index);
  let folio: number;
  if (e && !xa_is_value(e)) {
    folio = e.folio;
    if ((fgp_flags & FGP_LOCK) && folio_test_locked(w, folio)) return -EAGAIN;
    folio_get(w, folio);
  } else {
    if (!(fgp_flags & FGP_CREAT)) return -ENOENT;
    folio = alloc_pages(w.mem, 0, PG_lru); // filemap_alloc_folio(): the page cache's reference
    filemap_add_folio(w, inode, folio, index);
    folio_get(w, folio); // the caller's reference
  }
  if (fgp_flags & FGP_LOCK) w.mem.flags[folio] |= PG_locked;
  return folio;
}

/** folio_wait_stable(): with stable writes, a CPU writer must wait while the folio is under writeback. */
export const folio_must_wait_stable = (w: World, inode: Inode, folio: number): boolean =>
  inode.stable_writes && folio_test(w, folio, PG_writeback);

/**
 * generic_perform_write(): copy from the iterator into the page cache, dirtying each folio.
 * Returns the bytes written; it stops early (short write) at a folio it would have to wait on
 * for stable writes, where the kernel would sleep.
 */
export function generic_perform_write(w: World, inode: Inode, pos: number, i: iov_iter): number {
  let written = 0;
  while (i.count) {
    const index = Math.floor(pos / PAGE_SIZE);
    const offset = pos % PAGE_SIZE;
    const folio = filemap_get_folio(w, inode, index);
    if (folio_must_wait_stable(w, inode, folio)) break;
    const n = copy_page_from_iter_atomic(w, folio, offset, Math.min(PAGE_SIZE - offset, i.count), i);
    if (!n) break;
    folio_mark_dirty(w, folio);
    pos += n;
    written += n;
    if (pos > inode.i_size) inode.i_size = pos;
  }
  return written;
}

/** filemap_read(): copy from the page cache up to i_size into the iterator. */
export function filemap_read(w: World, inode: Inode, pos: number, i: iov_iter): number {
  let done = 0;
  while (i.count && pos < inode.i_size) {
    const folio = filemap_get_folio(w, inode, Math.floor(pos / PAGE_SIZE));
    const offset = pos % PAGE_SIZE;
    const n = copy_page_to_iter(w, folio, offset, Math.min(PAGE_SIZE - offset, i.count, inode.i_size - pos), i);
    if (!n) break;
    pos += n;
    done += n;
  }
  return done;
}
