import { direction } from "./direction.js";
import { iterator_consistency } from "./iterator_consistency.js";
import { no_cow_while_pinned } from "./no_cow_while_pinned.js";
import { no_free_while_pinned } from "./no_free_while_pinned.js";
import { no_invalidate_under_iterator } from "./no_invalidate_under_iterator.js";
import { no_kernel_warning } from "./no_kernel_warning.js";
import { no_leak } from "./no_leak.js";
import { no_writeback_while_pinned } from "./no_writeback_while_pinned.js";
import { pin_ledger } from "./pin_ledger.js";
import type { WorldProperty } from "./world_property.js";

/** Checked on the iterator-layer states. */
export const iter_properties = [no_kernel_warning, iterator_consistency, pin_ledger, direction];

/** Checked on every world state of a scenario or of the bounded catalog. */
export const world_properties: readonly WorldProperty[] = [
  no_kernel_warning, no_free_while_pinned, no_cow_while_pinned, no_writeback_while_pinned, no_leak,
  no_invalidate_under_iterator,
];
