import type { Scenario } from "../scenario.js";
import { dio_read_vs_fork } from "./dio_read_vs_fork.js";
import { dio_read_vs_writeback } from "./dio_read_vs_writeback.js";

export const scenarios: readonly Scenario[] = [dio_read_vs_fork, dio_read_vs_writeback];
