import type { ScenarioProperty } from "../src/check/scenario.js";
import { iterator_consistency } from "./iterator_consistency.js";
import { no_cow_while_pinned } from "./no_cow_while_pinned.js";
import { no_free_while_pinned } from "./no_free_while_pinned.js";
import { no_kernel_warning } from "./no_kernel_warning.js";
import { no_leak } from "./no_leak.js";
import { pin_ledger } from "./pin_ledger.js";

export const iter_properties = [no_kernel_warning, iterator_consistency, pin_ledger];

export const scenario_properties: readonly ScenarioProperty[] = [
  { ...no_kernel_warning, check: (s) => no_kernel_warning.check(s), guarded: () => true },
  no_free_while_pinned,
  no_cow_while_pinned,
  no_leak,
];
