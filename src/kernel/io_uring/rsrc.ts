// io_uring/rsrc.c: registered ("fixed") buffers. Registration takes a long-term writable pin on
// every page (FOLL_WRITE | FOLL_LONGTERM), so fork copies them for the child and the pins stay
// coherent with the registering process; fixed reads and writes use an ITER_BVEC over them.
import { EFAULT, EINVAL, EOPNOTSUPP } from "../include/errno.js";
import { FOLL_LONGTERM, FOLL_WRITE } from "../include/foll.js";
import { PAGE_SIZE } from "../include/page.js";
import type { bio_vec } from "../lib/bvec.js";
import { iov_iter_advance } from "../lib/iov_iter/advance.js";
import { iov_iter_bvec } from "../lib/iov_iter/init.js";
import type { iov_iter } from "../lib/iov_iter/iov_iter.js";
import { pin_user_pages_fast, unpin_user_pages } from "../mm/gup.js";
import { find_vma } from "../mm/mm_types.js";
import type { World } from "../world.js";
import { current_mm } from "../world.js";

export interface io_mapped_ubuf {
  ubuf: number;
  len: number;
  bvec: bio_vec[];
  /** The pinned pages, released by io_buffer_unmap(). */
  pages: number[];
}

/**
 * io_pin_pages()'s "don't support file backed memory" loop (before v6.5): every page of the range
 * must lie in VMAs of one file (-EINVAL otherwise), and file-backed memory must be shmem (tmpfs
 * here; hugetlbfs is not simulated), else -EOPNOTSUPP. 0 when the range may be registered.
 */
function io_pin_pages_file_check(w: World, start: number, nr: number): number {
  const mm = current_mm(w)!;
  const file = find_vma(mm, start)?.file ?? -1;
  for (let k = 0; k < nr; k++) {
    const vma = find_vma(mm, start + k * PAGE_SIZE);
    if (!vma || vma.file !== file) return -EINVAL;
    if (vma.file < 0) continue;
    if (w.inodes[vma.file].fs !== "tmpfs") return -EOPNOTSUPP;
  }
  return 0;
}

/** io_sqe_buffer_register(): pin the range and describe it as one bvec per page. */
export function io_sqe_buffer_register(w: World, ubuf: number, len: number): io_mapped_ubuf | number {
  const off = ubuf % PAGE_SIZE;
  const nr = Math.ceil((off + len) / PAGE_SIZE);
  const pages = new Array<number>(nr).fill(-1);
  const got = pin_user_pages_fast(w, ubuf - off, nr, FOLL_WRITE | FOLL_LONGTERM, pages);
  if (got !== nr) {
    if (got > 0) unpin_user_pages(w, pages, got);
    return got < 0 ? got : -EFAULT;
  }
  const refused = w.config.io_uring_file_buffers_refused ? io_pin_pages_file_check(w, ubuf - off, nr) : 0;
  if (refused) {
    unpin_user_pages(w, pages, got);
    return refused;
  }
  const bvec: bio_vec[] = [];
  let left = len;
  pages.forEach((page, k) => {
    const start = k === 0 ? off : 0;
    const n = Math.min(left, PAGE_SIZE - start);
    bvec.push({ bv_page: page, bv_offset: start, bv_len: n });
    left -= n;
  });
  return { ubuf, len, bvec, pages };
}

/** io_buffer_unmap(): unregistering drops the pins. */
export function io_buffer_unmap(w: World, imu: io_mapped_ubuf): void {
  unpin_user_pages(w, imu.pages, imu.pages.length);
}

/** io_import_fixed(): an ITER_BVEC over [buf_addr, buf_addr + len) of the registered buffer. */
export function io_import_fixed(w: World, ddir: number, imu: io_mapped_ubuf, buf_addr: number, len: number): iov_iter | number {
  if (buf_addr < imu.ubuf || buf_addr + len > imu.ubuf + imu.len) return -EFAULT;
  const iter = iov_iter_bvec(w, ddir, imu.bvec, imu.bvec.length, buf_addr - imu.ubuf + len);
  iov_iter_advance(iter, buf_addr - imu.ubuf);
  return iter;
}
