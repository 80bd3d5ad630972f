import { iterator_consistency } from "./iterator_consistency.js";
import { no_kernel_warning } from "./no_kernel_warning.js";
import { pin_ledger } from "./pin_ledger.js";

export const iter_properties = [no_kernel_warning, iterator_consistency, pin_ledger];
