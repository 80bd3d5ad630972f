import type { WorldProperty } from "./world_property.js";

export const no_cow_while_pinned: WorldProperty = {
  id: "no-cow-while-pinned",
  statement: "A page under DMA stays with the process that pinned it: once a DIO read completes, that process reads the bytes the device wrote, and a registered fixed buffer stays mapped by its owner.",
  rule: "F1/P4: a pinned exclusive anon page is copied for the child at fork, never shared; the pinner keeps the page its pins refer to",
  source: "mm/memory.c (copy_present_pte), mm/gup.c, lib/iov_iter.c (iov_iter_extract_pages)",
  guarded: (v) => v.reads.some((r) => r.ok !== null),
  check(v) {
    const bad = v.reads.find((r) => r.ok === false);
    return bad ? `${bad.what}: ${bad.detail ?? "the pinner's memory differs"}; its page was COW-shared away from the pin` : null;
  },
};
