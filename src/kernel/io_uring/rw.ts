// io_uring/rw.c io_read() for IORING_OP_READ_FIXED on an O_DIRECT file: the request's buffer is
// a slice of a registered fixed buffer (io_import_fixed(): an ITER_BVEC over its pinned pages),
// handed to ->read_iter; a result other than -EIOCBQUEUED completes the request at once
// (kiocb_done()). The device then DMAs straight into the pinned pages; nothing dirties them.
import { EFAULT, EIOCBQUEUED } from "../include/errno.js";
import { ITER_DEST } from "../lib/iov_iter/iov_iter.js";
import type { kiocb } from "../fs/kiocb.js";
import { ki_complete } from "../fs/kiocb.js";
import { call_read_iter } from "../fs/read_write.js";
import type { World } from "../world.js";
import type { io_mapped_ubuf } from "./rsrc.js";
import { io_import_fixed } from "./rsrc.js";

/**
 * io_read() of a READ_FIXED request for [buf_addr, buf_addr + len) of imu (null: no buffer is
 * registered at the request's index, which io_prep_rw_fixed() fails with -EFAULT);
 * -EIOCBQUEUED or the result already posted.
 */
export function io_read_fixed(w: World, iocb: kiocb, imu: io_mapped_ubuf | null, buf_addr: number, len: number): number {
  const iter = imu ? io_import_fixed(w, ITER_DEST, imu, buf_addr, len) : -EFAULT;
  const ret = typeof iter === "number" ? iter : call_read_iter(w, iocb, iter);
  if (ret !== -EIOCBQUEUED) ki_complete(w, iocb, ret); // kiocb_done() -> io_rw_done()
  return ret;
}
