// Part (f): checks beyond the default bounds, as a user would widen them (cli_check: a fresh
// process each, or the same run part (e) already made): the time, the rate, the largest
// frontier held and the process's peak memory.
// Only the frontier holds states, and not at the depth bound, so the peak follows the largest
// level below the bound rather than the state count.
import type { CliCheck } from "./cli_check.js";
import { cli_check } from "./cli_check.js";

export interface LargerRow {
  run: string;
  args: string[];
  states: number;
  transitions: number;
  seconds: number;
  states_per_second: number;
  frontier_peak: number;
  peak_rss_mb: number;
}

export const LARGER_RUNS: readonly (readonly [string, string[]])[] = [
  ["catalog, depth 6", ["--target", "catalog", "--depth", "6"]],
  ["catalog, 2 pages, depth 5", ["--target", "catalog", "--pages", "2"]],
  ["iov_iter, depth 7", ["--target", "iov_iter", "--depth", "7"]],
];

/** Each run of LARGER_RUNS, taken from `known` (by its arguments) when an earlier part ran it. */
export function larger_bounds(log: (line: string) => void, known: Record<string, CliCheck> = {}): LargerRow[] {
  return LARGER_RUNS.map(([run, args]) => {
    const r: CliCheck = known[args.join(" ")] ?? cli_check(args);
    const row: LargerRow = {
      run, args, states: r.states, transitions: r.transitions, seconds: r.seconds, states_per_second: r.states / r.seconds,
      frontier_peak: Math.max(...r.targets.map((t) => t.frontier_peak)), peak_rss_mb: r.peak_rss_mb,
    };
    log(`  ${run}: ${row.states} states in ${row.seconds.toFixed(2)} s, frontier peak ${row.frontier_peak}, peak RSS ${row.peak_rss_mb} MB`);
    return row;
  });
}
