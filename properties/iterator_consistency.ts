import type { IterState } from "../src/check/iter_state.js";
import { iter_remaining } from "../src/check/iter_state.js";
import type { Property } from "./property.js";

export const iterator_consistency: Property<IterState> = {
  id: "iterator-consistency",
  statement: "An iterator's count never exceeds the bytes left in its segments from its position, and its position stays inside them.",
  rule: "I4: advance/revert keep (segment, nr_segs, iov_offset, count) consistent",
  source: "lib/iov_iter.c",
  check(s) {
    const r = iter_remaining(s);
    if (r === null) return `iterator position is outside its segments (seg ${s.iter.seg}, nr_segs ${s.iter.nr_segs}, iov_offset ${s.iter.iov_offset})`;
    return s.iter.count <= r ? null : `count ${s.iter.count} exceeds the ${r} bytes left in the segments`;
  },
  guarded: (s) => s.iter.count < s.total,
};
