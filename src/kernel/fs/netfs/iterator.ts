// fs/netfs/iterator.c: netfs_extract_user_iter() turns (part of) a user iterator into an
// ITER_BVEC over pinned pages, one bvec per page, so the original iterator can go away. The
// caller unpins every bv_page at the end of the I/O if iov_iter_extract_will_pin(orig).
import { WARN_ON_ONCE } from "../../include/bug.js";
import { EIO } from "../../include/errno.js";
import { DIV_ROUND_UP, INT_MAX, PAGE_SIZE } from "../../include/page.js";
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
  while (count && npages < max_pages) {
    const r = iov_iter_extract_pages(w, orig, null, count, max_pages - npages, extraction_flags);
    // An error, an overlong result or a full array ends the loop; the call still succeeds.
    if (r.ret < 0 || r.ret > count) break;
    // Pinning never yields 0 bytes for a non-empty request; guard so a model bug cannot spin.
    if (r.ret === 0) break;
    count -= r.ret;
    let ret = r.ret + (r.offset0 ?? 0);
    let offset = r.offset0 ?? 0;
    const cur_npages = DIV_ROUND_UP(ret, PAGE_SIZE);
    if (npages + cur_npages > max_pages) break;
    for (let k = 0; k < cur_npages; k++) {
      const len = ret > PAGE_SIZE ? PAGE_SIZE : ret;
      bv[npages + k] = { bv_page: r.pages![k], bv_offset: offset, bv_len: len - offset };
      ret -= len;
      offset = 0;
    }
    npages += cur_npages;
  }
  const iter = iov_iter_bvec(w, orig.data_source ? WRITE : READ, bv, npages, orig_len - count);
  return { ret: npages, iter, bvec: bv };
}
