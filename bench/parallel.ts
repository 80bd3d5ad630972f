// Part (e): `pincheck check --workers N` against the serial check, each run as the command a
// user types (cli_check: a fresh process, for the main thread as for the workers), on the
// default configuration and on the catalog at depth 6. Each reports its own exploration time
// (--json "seconds", which includes starting the workers); both must report the same states
// and transitions. Best of two alternating rounds.
import { availableParallelism } from "node:os";
import type { CliCheck } from "./cli_check.js";
import { cli_check as check } from "./cli_check.js";

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
  /** The best serial run of each row, by its arguments (part (f) reuses them). */
  serial: Record<string, CliCheck>;
  /** Starting the workers (each loads and compiles the sources) and ending them: a check of depth 0. */
  startup_seconds: number;
  rows: ParallelRow[];
}

export function parallel_bench(log: (line: string) => void): ParallelBench {
  const workers = Math.max(2, availableParallelism());
  const w = ["--workers", String(workers)];
  const startup_seconds = check(["--depth", "0", "--target", "catalog", ...w]).seconds;
  log(`  ${workers} workers; start-up ${startup_seconds.toFixed(2)} s`);
  const rows: ParallelRow[] = [];
  const serial_runs: Record<string, CliCheck> = {};
  for (const [name, args] of [["default check", []], ["catalog, depth 6", ["--target", "catalog", "--depth", "6"]]] as const) {
    const runs = [0, 1].map(() => [check([...args]), check([...args, ...w])]);
    const [serial, parallel] = [0, 1].map((k) => runs.map((r) => r[k]).reduce((a, b) => (b.seconds < a.seconds ? b : a)));
    serial_runs[args.join(" ")] = serial;
    if (parallel.states !== serial.states || parallel.transitions !== serial.transitions)
      throw new Error(`${name}: the parallel check disagrees with the serial one`);
    const row = {
      run: name, workers, states: serial.states, transitions: serial.transitions,
      serial_seconds: serial.seconds, parallel_seconds: parallel.seconds, speedup: serial.seconds / parallel.seconds,
    };
    log(`  ${name}: ${row.states} states, serial ${row.serial_seconds.toFixed(2)} s, ${workers} workers ${row.parallel_seconds.toFixed(2)} s (${row.speedup.toFixed(2)}x)`);
    rows.push(row);
  }
  return { workers, serial: serial_runs, startup_seconds, rows };
}
