import type { World } from "../src/kernel/index.js";
import type { Property } from "./property.js";

export const no_kernel_warning: Property<{ w: World }> = {
  id: "no-kernel-warning",
  statement: "Legal use of the iterator API never trips a WARN or BUG.",
  rule: "the WARN_ON_ONCE/BUG sites of lib/iov_iter.c fire only on misuse (wrong direction, revert past the start)",
  source: "lib/iov_iter.c",
  check: (s) => (s.w.events.length ? `${s.w.events[0].kind} in ${s.w.events[0].fn}: ${s.w.events[0].what}` : null),
  guarded: () => true,
};
