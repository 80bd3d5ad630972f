import type { World } from "../src/kernel/index.js";
import type { Property } from "./property.js";

export const no_kernel_warning: Property<{ w: World }> = {
  id: "no-kernel-warning",
  statement: "Legal use of the simulated kernel never trips a WARN, a BUG or a DEBUG_VM assertion.",
  rule: "the WARN_ON_ONCE/BUG/VM_BUG_ON sites fire only on misuse: wrong direction, revert past the start, refcount or pincount underflow, DMA to a freed page",
  source: "lib/iov_iter.c, mm/gup.c, include/linux/mm.h",
  check: (s) => (s.w.events.length ? `${s.w.events[0].kind} in ${s.w.events[0].fn}: ${s.w.events[0].what}` : null),
  guarded: () => true,
};
