// The completion machine's driver: an async O_DIRECT read or write of one block of an ext4-like
// file, through a buffer that is a shared mapping of another file (so writeback can clean the
// buffer's folio while the I/O is in flight). The device, the completion interrupt and the
// kworker are separate steps, as test/dio.test.ts drives them.
import type { iov_iter, World } from "../../kernel/index.js";
import {
  blk_dev_complete, blk_dev_fail, blk_dev_transfer, boot, fallocate, folio_end_writeback, folio_start_writeback, follow_pte,
  init_async_kiocb, iomap_dio_rw, iov_iter_ubuf, MAP_SHARED, mmap_file, PAGE_SIZE, PROT_READ, PROT_WRITE,
  READ, run_work, tmpfile, user_access, WRITE,
} from "../../kernel/index.js";
import type { DioId } from "../../../models/completion.js";
import { completion_machine, completion_state } from "../../../models/completion.js";
import type { Driver } from "../driver.js";
import { run_new_process } from "../fixtures.js";

export interface DioHandle extends DioId {
  /** The file the request reads or writes, and the user buffer's address. */
  ino: number;
  addr: number;
  iter: iov_iter | null;
}

function prepare(w: World, h: DioHandle, op: "read" | "write"): void {
  h.op = op;
  h.iocb = init_async_kiocb(w, h.ino, 0).id;
  h.iter = iov_iter_ubuf(w, op === "read" ? READ : WRITE, h.addr, PAGE_SIZE);
}

export const completion_driver: Driver<DioHandle> = {
  name: "completion",
  machine: completion_machine,
  setup() {
    const w = boot();
    const mm = run_new_process(w);
    const ino = tmpfile(w);
    w.inodes[ino].disk.set(0, new Uint8Array(PAGE_SIZE).fill(0x31));
    w.inodes[ino].i_size = PAGE_SIZE;
    const buffer_file = tmpfile(w);
    fallocate(w, buffer_file, PAGE_SIZE); // a page to map: touching a page past the end is SIGBUS
    const addr = mmap_file(w, mm, buffer_file, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
    user_access(w, mm, addr, new Uint8Array(PAGE_SIZE).fill(0x11), true); // a dirty page-cache folio
    const buffer = follow_pte(mm, addr)!.pfn;
    const h: DioHandle = { op: "none", iocb: -1, dio: -1, bio: -1, buffer, buffer_refs: w.mem.refcount[buffer], ino, addr, iter: null };
    return { w, h };
  },
  step(w, h, event) {
    switch (event) {
      case "PREP_READ": prepare(w, h, "read"); break;
      case "PREP_WRITE": prepare(w, h, "write"); break;
      case "SUBMIT":
        // The ids the block layer will hand out: one dio, one bio for one aligned block.
        h.dio = w.block.dios.length;
        h.bio = w.block.bios.length;
        iomap_dio_rw(w, w.block.kiocbs[h.iocb], h.iter!);
        break;
      case "CLEAN": if (folio_start_writeback(w, h.buffer)) folio_end_writeback(w, h.buffer); break;
      case "DEVICE_TRANSFER": blk_dev_transfer(w, h.bio); break;
      case "DEVICE_FAIL": blk_dev_fail(w, h.bio); break;
      case "END_IO": blk_dev_complete(w, h.bio); break;
      case "RUN_WORK": run_work(w); break;
      default: throw new Error(`completion driver: no kernel call for ${event}`);
    }
  },
  observe: (w, h) => completion_state(w, h),
};
