// lib/scatterlist.c: extract_iter_to_sg() (netfs_extract_iter_to_sg in fs/netfs/iterator.c until
// f5f82cd18732). User iterators are pinned page by page through iov_iter_extract_pages() and
// any failure unpins what this call added; kernel iterators are described without pins.
import { WARN, WARN_ON_ONCE } from "../include/bug.js";
import { EIO } from "../include/errno.js";
import { DIV_ROUND_UP, PAGE_SIZE } from "../include/page.js";
import { put_page } from "../mm/folio.js";
import { unpin_user_page } from "../mm/gup.js";
import { virt_to_page } from "../mm/kaddr.js";
import { is_vmalloc_or_module_addr, vmalloc_to_page } from "../mm/vmalloc.js";
import type { World } from "../world.js";
import { folioq_folio, folioq_folio_size, folioq_nr_slots } from "./folio_queue.js";
import { iov_iter_advance } from "./iov_iter/advance.js";
import { iov_iter_extract_pages } from "./iov_iter/extract.js";
import type { iov_iter } from "./iov_iter/iov_iter.js";
import { ITER_BVEC, ITER_FOLIOQ, ITER_IOVEC, ITER_KVEC, ITER_UBUF, ITER_XARRAY } from "./iov_iter/iov_iter.js";
import { xa_is_value, xas_for_each } from "./xarray.js";

export interface scatterlist {
  page: number;
  offset: number;
  length: number;
}

export interface sg_table {
  sgl: scatterlist[];
  nents: number;
  orig_nents: number;
}

function sg_add(sgtable: sg_table, page: number, length: number, offset: number): void {
  sgtable.sgl[sgtable.nents++] = { page, offset, length };
}

function extract_user_to_sg(w: World, iter: iov_iter, maxsize: number, sgtable: sg_table, sg_max: number, xflags: number): number {
  let ret = 0;
  do {
    const r = iov_iter_extract_pages(w, iter, null, maxsize, sg_max, xflags);
    if (r.ret <= 0) {
      // H4 switch: before "crypto, cifs: Fix error handling in extract_iter_to_sg()" (Jul 2023)
      // these pinned pages were released with put_page(), dropping one reference of each pin.
      const release = w.config.sg_error_put_page ? put_page : unpin_user_page;
      while (sgtable.nents > sgtable.orig_nents) release(w, sgtable.sgl[--sgtable.nents].page);
      return r.ret;
    }
    let len = r.ret;
    let off = r.offset0!;
    maxsize -= len;
    ret += len;
    let npages = DIV_ROUND_UP(off + len, PAGE_SIZE);
    sg_max -= npages;
    for (let k = 0; npages > 0; npages--, k++) {
      const seg = Math.min(PAGE_SIZE - off, len);
      sg_add(sgtable, r.pages![k], seg, off);
      len -= seg;
      off = 0;
    }
  } while (maxsize > 0 && sg_max > 0);
  return ret;
}

function extract_bvec_to_sg(w: World, iter: iov_iter, maxsize: number, sgtable: sg_table, sg_max: number): number {
  let start = iter.iov_offset;
  let ret = 0;
  for (let i = 0; i < iter.nr_segs; i++) {
    const bv = iter.bvec[iter.seg + i];
    if (start >= bv.bv_len) {
      start -= bv.bv_len;
      continue;
    }
    const len = Math.min(maxsize, bv.bv_len - start);
    sg_add(sgtable, bv.bv_page, len, bv.bv_offset + start);
    sg_max--;
    ret += len;
    maxsize -= len;
    if (maxsize <= 0 || sg_max === 0) break;
    start = 0;
  }
  if (ret > 0) iov_iter_advance(iter, ret);
  return ret;
}

function extract_kvec_to_sg(w: World, iter: iov_iter, maxsize: number, sgtable: sg_table, sg_max: number): number {
  let start = iter.iov_offset;
  let ret = 0;
  for (let i = 0; i < iter.nr_segs; i++) {
    const kv = iter.__iov[iter.seg + i];
    if (start >= kv.iov_len) {
      start -= kv.iov_len;
      continue;
    }
    let kaddr = kv.iov_base + start;
    let off = kaddr % PAGE_SIZE;
    let len = Math.min(maxsize, kv.iov_len - start);
    kaddr -= off;
    maxsize -= len;
    ret += len;
    do {
      const seg = Math.min(len, PAGE_SIZE - off);
      const page = is_vmalloc_or_module_addr(kaddr) ? vmalloc_to_page(w, kaddr) : virt_to_page(kaddr);
      // 07b7d66e65d9 (2026, "lib/scatterlist: fix length calculations in extract_kvec_to_sg"):
      // each entry covers only this page's part (before it, the rest of the whole segment).
      sg_add(sgtable, page, seg, off);
      sg_max--;
      len -= seg;
      kaddr += PAGE_SIZE;
      off = 0;
    } while (len > 0 && sg_max > 0);
    // Same commit: bytes of the segment left undescribed when sg_max ran out are not counted.
    ret -= len;
    if (maxsize <= 0 || sg_max === 0) break;
    start = 0;
  }
  if (ret > 0) iov_iter_advance(iter, ret);
  return ret;
}

function extract_folioq_to_sg(w: World, iter: iov_iter, maxsize: number, sgtable: sg_table, sg_max: number): number {
  let folioq = iter.folioq!;
  let slot = iter.folioq_slot;
  let ret = 0;
  let offset = iter.iov_offset;
  if (slot >= folioq_nr_slots(folioq)) {
    if (!folioq.next && WARN_ON_ONCE(w, "extract_folioq_to_sg", "!folioq->next")) return 0;
    folioq = folioq.next!;
    slot = 0;
  }
  do {
    const folio = folioq_folio(folioq, slot);
    const fsize = folioq_folio_size(folioq, slot);
    if (offset < fsize) {
      const part = Math.min(maxsize - ret, fsize - offset);
      sg_add(sgtable, folio, part, offset);
      sg_max--;
      offset += part;
      ret += part;
    }
    if (offset >= fsize) {
      offset = 0;
      slot++;
      if (slot >= folioq_nr_slots(folioq)) {
        if (!folioq.next) {
          if (ret < iter.count) WARN_ON_ONCE(w, "extract_folioq_to_sg", "ret < iter->count at the end of the queue");
          break;
        }
        folioq = folioq.next;
        slot = 0;
      }
    }
  } while (sg_max > 0 && ret < maxsize);
  iter.folioq = folioq;
  iter.folioq_slot = slot;
  iter.iov_offset = offset;
  iter.count -= ret;
  return ret;
}

function extract_xarray_to_sg(w: World, iter: iov_iter, maxsize: number, sgtable: sg_table, sg_max: number): number {
  const start = iter.xarray_start + iter.iov_offset;
  let ret = 0;
  for (const [entry] of xas_for_each(iter.xarray!, Math.floor(start / PAGE_SIZE))) {
    if (xa_is_value(entry)) {
      WARN(w, "extract_xarray_to_sg", "xa_is_value(folio)");
      break;
    }
    const offset = start % (PAGE_SIZE << entry.order);
    const len = Math.min(maxsize, (PAGE_SIZE << entry.order) - offset);
    sg_add(sgtable, entry.folio, len, offset);
    sg_max--;
    maxsize -= len;
    ret += len;
    if (maxsize <= 0 || sg_max === 0) break;
  }
  if (ret > 0) iov_iter_advance(iter, ret);
  return ret;
}

/**
 * extract_iter_to_sg(): append up to sg_max entries after sgtable.nents and return the bytes
 * added; no end mark is placed and orig_nents is left alone.
 */
export function extract_iter_to_sg(
  w: World, iter: iov_iter, maxsize: number, sgtable: sg_table, sg_max: number, extraction_flags: number,
): number {
  // 07b7d66e65d9 also returns at once when there is no room for any entry.
  if (maxsize === 0 || sg_max === 0) return 0;
  switch (iter.iter_type) {
    case ITER_UBUF: case ITER_IOVEC: return extract_user_to_sg(w, iter, maxsize, sgtable, sg_max, extraction_flags);
    case ITER_BVEC: return extract_bvec_to_sg(w, iter, maxsize, sgtable, sg_max);
    case ITER_KVEC: return extract_kvec_to_sg(w, iter, maxsize, sgtable, sg_max);
    case ITER_FOLIOQ: return extract_folioq_to_sg(w, iter, maxsize, sgtable, sg_max);
    case ITER_XARRAY: return extract_xarray_to_sg(w, iter, maxsize, sgtable, sg_max);
    default:
      WARN_ON_ONCE(w, "extract_iter_to_sg", "unsupported iterator type");
      return -EIO;
  }
}
