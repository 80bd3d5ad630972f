// One driver per machine in models/.
export * from "./page.js";
export * from "./iterator.js";
export * from "./completion.js";
export * from "./process.js";

import { completion_driver } from "./completion.js";
import { iterator_driver } from "./iterator.js";
import { page_driver } from "./page.js";
import { process_driver } from "./process.js";

export const drivers = [page_driver, iterator_driver, completion_driver, process_driver] as const;
