// fs/pipe.c and fs/splice.c (vmsplice_to_pipe, iter_to_pipe): a pipe holds page references.
// vmsplice() takes FOLL_GET references on the user's pages through iov_iter_get_pages2(), so
// the pipe keeps reading whatever those pages hold until a reader consumes them.
import { EFAULT } from "../include/errno.js";
import { PAGE_SIZE } from "../include/page.js";
import { put_page } from "../mm/folio.js";
import { copy_page_to_iter } from "../lib/iov_iter/copy.js";
import { iov_iter_get_pages2 } from "../lib/iov_iter/get_pages.js";
import { iov_iter_init } from "../lib/iov_iter/init.js";
import type { iov_iter, iovec } from "../lib/iov_iter/iov_iter.js";
import { ITER_SOURCE } from "../lib/iov_iter/iov_iter.js";
import type { World } from "../world.js";

/** PIPE_DEF_BUFFERS */
export const PIPE_DEF_BUFFERS = 16;

export interface pipe_buffer {
  page: number;
  offset: number;
  len: number;
}

export interface pipe_inode_info {
  bufs: pipe_buffer[];
  max_usage: number;
}

export const pipe_create = (): pipe_inode_info => ({ bufs: [], max_usage: PIPE_DEF_BUFFERS });

export const clone_pipe = (p: pipe_inode_info): pipe_inode_info => ({ ...p, bufs: p.bufs.map((b) => ({ ...b })) });

/** iter_to_pipe(): one buffer per page piece, each holding the reference get_pages2 took. */
function iter_to_pipe(w: World, from: iov_iter, pipe: pipe_inode_info): number {
  let total = 0;
  while (from.count && pipe.bufs.length < pipe.max_usage) {
    const pages = new Array<number>(pipe.max_usage - pipe.bufs.length).fill(-1);
    const r = iov_iter_get_pages2(w, from, pages, from.count, pages.length);
    if (r.ret <= 0) return total || r.ret;
    let left = r.ret;
    let start = r.offset0!;
    for (let k = 0; left > 0; k++) {
      const n = Math.min(left, PAGE_SIZE - start);
      pipe.bufs.push({ page: pages[k], offset: start, len: n });
      left -= n;
      total += n;
      start = 0;
    }
  }
  return total;
}

/** vmsplice(pipe, iov, nr_segs, 0) of user memory into a pipe (the iovecs already copied in). */
export function vmsplice_to_pipe(w: World, pipe: pipe_inode_info, iov: readonly iovec[]): number {
  const count = iov.reduce((s, v) => s + v.iov_len, 0);
  return iter_to_pipe(w, iov_iter_init(w, ITER_SOURCE, iov, iov.length, count), pipe);
}

/**
 * pipe_read(): copy out of the buffers in order; a consumed buffer drops its page reference. A
 * short copy consumes nothing of its buffer and ends the read: -EFAULT if nothing was read yet.
 */
export function pipe_read(w: World, pipe: pipe_inode_info, to: iov_iter): number {
  let done = 0;
  while (to.count && pipe.bufs.length) {
    const buf = pipe.bufs[0];
    const chars = Math.min(buf.len, to.count);
    if (copy_page_to_iter(w, buf.page, buf.offset, chars, to) < chars) return done || -EFAULT;
    buf.offset += chars;
    buf.len -= chars;
    done += chars;
    if (!buf.len) {
      pipe.bufs.shift();
      put_page(w, buf.page);
    }
  }
  return done;
}

/** free_pipe_info(): closing both ends releases every buffer's reference. */
export function pipe_release(w: World, pipe: pipe_inode_info): void {
  for (const buf of pipe.bufs.splice(0)) put_page(w, buf.page);
}
