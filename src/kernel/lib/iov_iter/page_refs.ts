// The caller's side of the legacy page getters, as pre-6.3 async I/O paths used them (the pattern
// of fs/cifs/misc.c setup_aio_ctx_iter() and cifs_aio_ctx_release(), fs/ceph/file.c
// __iter_get_bvecs()): turn the iterator's next pages into a list that holds one reference per
// page, and later drop each with put_page(). The H6 switch adds the step kernel-semantics §10
// warns about: a KVEC, which iov_iter_get_pages2() refuses, is converted anyway (which caller
// did so is unconfirmed there; cifs itself is recalled to have passed KVECs through by copying
// the iterator).
import { EFAULT } from "../../include/errno.js";
import { DIV_ROUND_UP, PAGE_SIZE } from "../../include/page.js";
import { get_page, put_page } from "../../mm/folio.js";
import type { World } from "../../world.js";
import { iov_iter_extract_pages } from "./extract.js";
import type { PagesResult } from "./get_pages.js";
import { iov_iter_get_pages2 } from "./get_pages.js";
import type { iov_iter } from "./iov_iter.js";
import { iov_iter_is_kvec } from "./iov_iter.js";

/**
 * Pages with a reference each for async I/O (fs/cifs/misc.c setup_aio_ctx_iter(), pre-6.3 shape).
 * Under kvec_refs a KVEC is looked up page by page as lib/iov_iter.c
 * iov_iter_extract_kvec_pages() does (vmalloc_to_page or virt_to_page) and each page gets
 * get_page(): a vmalloc'd page is held (not its mapping), a kmalloc'd object not at all, since the
 * slab frees it on kfree() whatever the count (mm/slub.c); the current get_page() WARNs there.
 */
export function get_page_refs(w: World, i: iov_iter, pages: number[], maxsize: number, maxpages: number): PagesResult {
  const r = iov_iter_get_pages2(w, i, pages, maxsize, maxpages);
  if (r.ret !== -EFAULT || !iov_iter_is_kvec(i) || !w.config.kvec_refs) return r;
  const x = iov_iter_extract_pages(w, i, pages, maxsize, maxpages, 0);
  if (x.ret > 0) for (const p of x.pages!.slice(0, DIV_ROUND_UP(x.offset0! + x.ret, PAGE_SIZE))) get_page(w, p);
  return x;
}

/** Drop the references get_page_refs() took, one put_page() per page (fs/cifs/misc.c cifs_aio_ctx_release()). */
export function put_page_refs(w: World, pages: readonly number[]): void {
  for (const p of pages) put_page(w, p);
}
