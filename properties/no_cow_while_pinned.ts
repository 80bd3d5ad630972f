import { peek_disk, peek_user } from "../src/check/peek.js";
import type { ScenarioProperty } from "../src/check/scenario.js";

/**
 * The scenario names a DIO read by vars: dio_iocb, dio_mm, dio_buf, dio_len, dio_ino, dio_pos.
 * Once its completion is reported, the reader's own memory must hold what the device read.
 */
export const no_cow_while_pinned: ScenarioProperty = {
  id: "no-cow-while-pinned",
  statement: "A page under DMA stays with the process that asked for the I/O: once a DIO read completes, that process reads the bytes the device wrote.",
  rule: "F1/P4: a pinned exclusive anon page is copied for the child at fork, never shared; the pinner keeps the page its pins refer to",
  source: "mm/memory.c (copy_present_pte), mm/gup.c, lib/iov_iter.c (iov_iter_extract_pages)",
  guarded: (s) => s.vars.dio_iocb !== undefined && s.w.block.completions.some((c) => c.iocb === s.vars.dio_iocb),
  check(s) {
    const v = s.vars;
    if (v.dio_iocb === undefined) return null;
    const done = s.w.block.completions.find((c) => c.iocb === v.dio_iocb);
    if (!done || done.res <= 0) return null;
    const mine = peek_user(s.w, s.w.mms[v.dio_mm], v.dio_buf, v.dio_len);
    const disk = peek_disk(s.w, v.dio_ino, v.dio_pos, v.dio_len);
    if (!mine) return `the reader's buffer at 0x${v.dio_buf.toString(16)} is no longer mapped`;
    const at = mine.findIndex((b, i) => b !== disk[i]);
    return at < 0 ? null : `the DIO read completed, but the reader's byte ${at} is 0x${mine[at].toString(16)}, not the device's 0x${disk[at].toString(16)}: its page was COW-shared away from the DMA`;
  },
};
