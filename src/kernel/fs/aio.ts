// fs/aio.c aio_read() and aio_write() (io_submit(2) of IOCB_CMD_PREAD/PWRITE) on an O_DIRECT
// file: the file system's ->read_iter/->write_iter, then aio_rw_done(): unless the request was
// queued (-EIOCBQUEUED, completion comes later), its result is reported through ->ki_complete now.
import { EIOCBQUEUED } from "../include/errno.js";
import type { iov_iter } from "../lib/iov_iter/iov_iter.js";
import type { World } from "../world.js";
import type { kiocb } from "./kiocb.js";
import { ki_complete } from "./kiocb.js";
import { call_read_iter, call_write_iter } from "./read_write.js";

/** aio_rw_done(): report a result that will not come through a completion. */
function aio_rw_done(w: World, iocb: kiocb, ret: number): void {
  if (ret !== -EIOCBQUEUED) ki_complete(w, iocb, ret);
}

/** aio_read(): an async O_DIRECT read into iter; -EIOCBQUEUED or the result already reported. */
export function aio_read(w: World, iocb: kiocb, iter: iov_iter): number {
  const ret = call_read_iter(w, iocb, iter);
  aio_rw_done(w, iocb, ret);
  return ret;
}

/** aio_write(): an async O_DIRECT write from iter; -EIOCBQUEUED or the result already reported. */
export function aio_write(w: World, iocb: kiocb, iter: iov_iter): number {
  const ret = call_write_iter(w, iocb, iter);
  aio_rw_done(w, iocb, ret);
  return ret;
}
