// H1 (kernel-semantics §10): process P reads a file with O_DIRECT into the first half of an
// anonymous page X while another of its threads forks and a third writes the second half of X.
// Under the current rules the read pins X, fork copies it for the child, and P gets the data;
// with block DIO on FOLL_GET references (before v6.4) fork shares X, P's write moves P to a
// copy, and the device's bytes land in the child.
import {
  fork_mm, init_async_kiocb, iomap_dio_rw, iov_iter_ubuf, mm_alloc, mmap_anon, PAGE_SIZE, PROT_READ, PROT_WRITE, READ,
  user_access,
} from "../../kernel/index.js";
import { disk_file } from "../fixtures.js";
import type { Scenario } from "../scenario.js";

const HALF = PAGE_SIZE / 2;

export const dio_read_vs_fork: Scenario = {
  id: "dio-read-vs-fork",
  title: "O_DIRECT read into half of an anonymous page while another thread forks and a third writes the other half",
  setup(w) {
    const P = mm_alloc(w);
    w.current = P;
    const buf = mmap_anon(w, w.mms[P], PAGE_SIZE, PROT_READ | PROT_WRITE);
    user_access(w, w.mms[P], buf, new Uint8Array(PAGE_SIZE).fill(0xaa), true);
    const ino = disk_file(w, 1);
    return { P, buf, ino, dio_mm: P, dio_buf: buf, dio_len: HALF, dio_ino: ino, dio_pos: 0 };
  },
  threads: [
    {
      name: "P.t1",
      steps: [{
        name: "pread(O_DIRECT, X[0..2048)) async",
        run(w, v) {
          w.current = v.P;
          const iocb = init_async_kiocb(w, v.ino, 0);
          v.dio_iocb = iocb.id;
          iomap_dio_rw(w, iocb, iov_iter_ubuf(w, READ, v.buf, HALF));
        },
      }],
    },
    { name: "P.t2", steps: [{ name: "fork()", run: (w, v) => void (v.C = fork_mm(w, v.P)) }] },
    {
      name: "P.t3",
      steps: [{ name: "write X[2048..4096)", run: (w, v) => void user_access(w, w.mms[v.P], v.buf + HALF, new Uint8Array(HALF).fill(0xbb), true) }],
    },
  ],
};
