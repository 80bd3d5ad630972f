// include/linux/fs.h (struct kiocb, init_sync_kiocb, is_sync_kiocb) and fs/aio.c (aio_complete_rw):
// the I/O control block a read_iter/write_iter call carries. An async kiocb's ->ki_complete is
// aio's, which posts the result where io_getevents() would reap it: w.block.completions.
import type { World } from "../world.js";

export const IOCB_NOWAIT = 1 << 3; // include/linux/fs.h (RWF_NOWAIT)

export interface kiocb {
  id: number;
  /** ki_filp: the open file, by inode number. */
  ki_filp: number;
  ki_pos: number;
  ki_flags: number;
  /** ->ki_complete by name; null for a synchronous kiocb. */
  ki_complete: "aio_complete_rw" | null;
}

/** One ->ki_complete(iocb, res) call. */
export interface ki_completion {
  iocb: number;
  res: number;
}

function kiocb_new(w: World, ino: number, pos: number, ki_complete: kiocb["ki_complete"]): kiocb {
  const iocb: kiocb = { id: w.block.kiocbs.length, ki_filp: ino, ki_pos: pos, ki_flags: 0, ki_complete };
  w.block.kiocbs.push(iocb);
  return iocb;
}

/** init_sync_kiocb(): read(2)/pread(2) style; the caller waits for the result. */
export const init_sync_kiocb = (w: World, ino: number, pos: number): kiocb => kiocb_new(w, ino, pos, null);

/** io_submit(2)'s aio_prep_rw(): completion is reported through aio_complete_rw. */
export const init_async_kiocb = (w: World, ino: number, pos: number): kiocb => kiocb_new(w, ino, pos, "aio_complete_rw");

export const is_sync_kiocb = (iocb: kiocb): boolean => !iocb.ki_complete;

/** iocb->ki_complete(iocb, res) */
export function ki_complete(w: World, iocb: kiocb, res: number): void {
  w.block.completions.push({ iocb: iocb.id, res });
}
