// The pinned page-cache hazard (kernel-semantics §7.2, W2): process P maps an ext4 file B
// MAP_SHARED and O_DIRECT-reads file A into B's page while the flusher writes B back and reclaim
// looks at it; at the end everything dirty is synced. Writeback cleans the page without looking
// at the pin; the device's bytes reach B's disk only because the DIO read re-dirties the page
// when it releases it (bio_check_pages_dirty()'s deferred bio_dirty_fn).
import type { World } from "../../kernel/index.js";
import {
  filemap_get_folio, folio_end_writeback, folio_start_writeback, folio_test, init_async_kiocb, iomap_dio_rw,
  iov_iter_ubuf, MAP_SHARED, mm_alloc, mmap_file, PAGE_SIZE, PG_dirty, PG_writeback, PROT_READ, PROT_WRITE, READ,
  shrink_folio, user_access,
} from "../../kernel/index.js";
import { disk_file } from "../fixtures.js";
import type { Scenario, Vars } from "../scenario.js";

const HALF = PAGE_SIZE / 2;

const b_folio = (w: World, v: Vars): number => filemap_get_folio(w, w.inodes[v.B], 0, false);

/** Nothing else to wait for: the read has completed and no writeback is half done. */
const settled = (w: World, v: Vars): boolean =>
  w.block.completions.some((c) => c.iocb === v.dio_iocb) && !w.block.work.length &&
  !w.block.in_flight.length && !w.block.transferred.length &&
  (b_folio(w, v) < 0 || !folio_test(w, b_folio(w, v), PG_writeback));

export const dio_read_vs_writeback: Scenario = {
  id: "dio-read-vs-writeback",
  title: "O_DIRECT read into a MAP_SHARED ext4 page while writeback and reclaim run, then sync",
  setup(w) {
    const P = mm_alloc(w);
    w.current = P;
    const A = disk_file(w, 1);
    const B = disk_file(w, 1, 0xcc);
    const m = mmap_file(w, w.mms[P], B, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
    user_access(w, w.mms[P], m, new Uint8Array(1), false); // fault B's page in (read-only: ext4 tracks writes)
    return { P, A, B, m, wb_src_ino: A, wb_dst_ino: B, wb_len: HALF };
  },
  threads: [
    {
      name: "P",
      steps: [{
        name: "pread(A, O_DIRECT) into B's mapped page [0..2048) async",
        run(w, v) {
          w.current = v.P;
          const iocb = init_async_kiocb(w, v.A, 0);
          v.dio_iocb = iocb.id;
          iomap_dio_rw(w, iocb, iov_iter_ubuf(w, READ, v.m, HALF));
        },
      }],
    },
    {
      name: "flusher",
      steps: [
        { name: "writeback of B's page starts", run: (w, v) => void folio_start_writeback(w, b_folio(w, v)), ready: (w, v) => b_folio(w, v) >= 0 },
        { name: "writeback of B's page ends", run: (w, v) => folio_end_writeback(w, b_folio(w, v)), ready: (w, v) => b_folio(w, v) >= 0 && folio_test(w, b_folio(w, v), PG_writeback) },
      ],
    },
    { name: "kswapd", steps: [{ name: "reclaim B's page", run: (w, v) => void shrink_folio(w, b_folio(w, v)), ready: (w, v) => b_folio(w, v) >= 0 }] },
    {
      name: "sync",
      steps: [{
        name: "sync(): write back what is dirty, then drop the clean page",
        ready: settled,
        run(w, v) {
          const f = b_folio(w, v);
          if (f >= 0 && folio_test(w, f, PG_dirty) && folio_start_writeback(w, f)) folio_end_writeback(w, f);
          if (f >= 0) shrink_folio(w, f);
          v.synced = 1;
        },
      }],
    },
  ],
};
