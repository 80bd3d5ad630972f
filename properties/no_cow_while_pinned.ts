import type { WorldProperty } from "./world_property.js";

export const no_cow_while_pinned: WorldProperty = {
  id: "no-cow-while-pinned",
  statement: "A page under DMA stays with the process that pinned it: once a DIO read completes, that process reads the bytes the device wrote, a registered fixed buffer stays mapped by its owner, and a GUP pin holder reads what the process reads at the pinned address. The same holds for GUP references: what a pipe reader drains from a vmspliced page is what the splicer's memory held there, never another process's later write.",
  rule: "F1/P4: a pinned exclusive anon page is copied for the child at fork, never shared; the pinner keeps the page its pins refer to; §6: a write fault reuses a possibly shared anon page only as its sole reference (09854ba94c6a), so a page under a GUP reference is copied, not written in place",
  source: "mm/memory.c (copy_present_pte, do_wp_page), mm/gup.c, lib/iov_iter.c (iov_iter_extract_pages), fs/splice.c (vmsplice_to_pipe)",
  guarded: (v) => v.reads.some((r) => r.ok !== null) || (v.spliced ?? []).some((r) => r.ok !== null),
  check(v) {
    const bad = v.reads.find((r) => r.ok === false);
    if (bad) return `${bad.what}: ${bad.detail ?? "the pinner's memory differs"}; its page was COW-shared away from the pin`;
    const leak = (v.spliced ?? []).find((r) => r.ok === false);
    return leak ? `${leak.what}: ${leak.detail}; the page under the pipe's GUP reference was written after the splicer's memory had moved off it` : null;
  },
};
