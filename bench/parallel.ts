// Part (e): `pincheck check --workers N` against the serial check in the same process, on the
// default configuration and on the catalog at depth 6 (where the states outnumber the cost of
// starting the workers). Both runs must report the same states and transitions. Best of two
// alternating rounds each; the workers' start-up (a check of depth 0) is measured apart.
import { availableParallelism } from "node:os";
import { default_catalog_bounds } from "../src/check/catalog.js";
import type { CheckRun } from "../src/check/exhaustive.js";
import { DEFAULT_DEPTH, exhaustive_check, run_total } from "../src/check/exhaustive.js";
import { parallel_check } from "../src/check/parallel.js";
import { config_for } from "../src/kernel/index.js";

export interface ParallelRow {
  run: string;
  workers: number;
  states: number;
  transitions: number;
  serial_seconds: number;
  parallel_seconds: number;
  /** Serial time over parallel time: above 1, the workers won. */
  speedup: number;
}

export interface ParallelBench {
  workers: number;
  /** Starting the workers (each loads and compiles the sources) and ending them: a check of depth 0. */
  startup_seconds: number;
  rows: ParallelRow[];
}

export async function parallel_bench(log: (line: string) => void): Promise<ParallelBench> {
  const workers = Math.max(2, availableParallelism());
  const config = config_for()!;
  const startup_seconds = (await parallel_check(config, 0, default_catalog_bounds, workers, undefined, "catalog")).seconds;
  log(`  ${workers} workers; start-up ${startup_seconds.toFixed(2)} s`);
  const rows: ParallelRow[] = [];
  for (const [name, depth, only] of [["default check", DEFAULT_DEPTH, undefined], ["catalog, depth 6", 6, "catalog"]] as const) {
    let serial: CheckRun | undefined, parallel: CheckRun | undefined;
    for (let round = 0; round < 2; round++) {
      const s = exhaustive_check(config, depth, default_catalog_bounds, undefined, only);
      const p = await parallel_check(config, depth, default_catalog_bounds, workers, undefined, only);
      if (!serial || s.seconds < serial.seconds) serial = s;
      if (!parallel || p.seconds < parallel.seconds) parallel = p;
    }
    const states = run_total(serial!.runs, "states");
    const transitions = run_total(serial!.runs, "transitions");
    if (run_total(parallel!.runs, "states") !== states || run_total(parallel!.runs, "transitions") !== transitions)
      throw new Error(`${name}: the parallel check disagrees with the serial one`);
    const row = { run: name, workers, states, transitions, serial_seconds: serial!.seconds, parallel_seconds: parallel!.seconds, speedup: serial!.seconds / parallel!.seconds };
    log(`  ${name}: ${states} states, serial ${row.serial_seconds.toFixed(2)} s, ${workers} workers ${row.parallel_seconds.toFixed(2)} s (${row.speedup.toFixed(2)}x)`);
    rows.push(row);
  }
  return { workers, startup_seconds, rows };
}
