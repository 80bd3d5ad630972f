// fs/netfs/iterator.c: netfs_extract_user_iter() turns (part of) a user iterator into an
// ITER_BVEC over pinned pages, one bvec per page, so the original iterator can go away. The
// caller unpins every bv_page at the end of the I/O if iov_iter_extract_will_pin(orig).
// Error handling as in mainline since 0aad5704c6b4 ("netfs: fix error handling in
// netfs_extract_user_iter()"), 0ef37eef83fa ("netfs: Fix overrun check ...") and 7e3d8db899d5
// ("netfs: Fix potential uninitialised var ..."), 2026: a failed (or empty) extraction ends the
// loop; the call fails, unpinning what it had pinned, only for -ENOMEM or when no page was
// extracted at all, and otherwise returns the short result.
import { WARN, WARN_ON_ONCE } from "../../include/bug.js";
import { EIO, ENOMEM } from "../../include/errno.js";
import { DIV_ROUND_UP, INT_MAX, PAGE_SIZE } from "../../include/page.js";
import { unpin_user_page } from "../../mm/gup.js";
import type { World } from "../../world.js";
import type { bio_vec } from "../../lib/bvec.js";
import { iov_iter_extract_pages } from "../../lib/iov_iter/extract.js";
import { iov_iter_bvec } from "../../lib/iov_iter/init.js";
import { iov_iter_npages } from "../../lib/iov_iter/inspect.js";
import type { iov_iter } from "../../lib/iov_iter/iov_iter.js";
import { iter_is_iovec, iter_is_ubuf, READ, WRITE } from "../../lib/iov_iter/iov_iter.js";

/** Returns the number of bvecs (or -errno), the new ITER_BVEC and its bvec array. */
export function netfs_extract_user_iter(
  w: World, orig: iov_iter, orig_len: number, extraction_flags: number,
): { ret: number; iter: iov_iter | null; bvec: bio_vec[] } {
  if (!iter_is_ubuf(orig) && !iter_is_iovec(orig)) {
    WARN_ON_ONCE(w, "netfs_extract_user_iter", "not a UBUF or IOVEC iterator");
    return { ret: -EIO, iter: null, bvec: [] };
  }
  const max_pages = iov_iter_npages(orig, INT_MAX);
  const bv: bio_vec[] = [];
  let count = orig_len;
  let npages = 0;
  let ret = 0;
  while (count && npages < max_pages) {
    const r = iov_iter_extract_pages(w, orig, null, count, max_pages - npages, extraction_flags);
    ret = r.ret;
    if (ret <= 0) {
      ret = ret || -EIO;
      break;
    }
    if (ret > count && WARN(w, "netfs_extract_user_iter", "extract_pages overrun (bytes)")) {
      ret = -EIO;
      break;
    }
    let offset = r.offset0 ?? 0;
    const cur_npages = DIV_ROUND_UP(offset + ret, PAGE_SIZE);
    if (cur_npages > max_pages - npages && WARN(w, "netfs_extract_user_iter", "extract_pages overrun (pages)")) {
      ret = -EIO;
      break;
    }
    count -= ret;
    ret += offset;
    for (let k = 0; k < cur_npages; k++) {
      const len = ret > PAGE_SIZE ? PAGE_SIZE : ret;
      bv[npages + k] = { bv_page: r.pages![k], bv_offset: offset, bv_len: len - offset };
      ret -= len;
      offset = 0;
    }
    npages += cur_npages;
  }
  if (ret < 0 && (ret === -ENOMEM || npages === 0)) {
    for (let k = 0; k < npages; k++) unpin_user_page(w, bv[k].bv_page);
    return { ret, iter: null, bvec: [] };
  }
  const iter = iov_iter_bvec(w, orig.data_source ? WRITE : READ, bv, npages, orig_len - count);
  return { ret: npages, iter, bvec: bv };
}
