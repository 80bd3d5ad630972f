// `npm run bench`: pincheck's explorer against xstate/graph and SPIN on the page micro-model,
// the default check's throughput and memory, and the time to every historical bug's first
// counterexample, all in one run (the machines are shared: only ratios measured together
// mean something). Prints a table and writes bench/results.json with raw numbers and, per
// target of issue 7, the measured value, its ratio to the target and whether it is met; the
// check on worker threads against the serial one; and checks beyond the default bounds.
//   --quick   xstate/graph up to 3 pages and SPIN up to 5 (the 20,000-state comparison is skipped)
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BugHunt } from "./bug_hunt.js";
import { bug_hunt } from "./bug_hunt.js";
import type { DefaultCheck } from "./default_check.js";
import { default_check_bench, split_text } from "./default_check.js";
import { spin_setup, spin_version } from "./spin.js";
import { table, times } from "./table.js";
import type { Goal } from "./goals.js";
import { goals } from "./goals.js";
import type { LargerRow } from "./larger_bounds.js";
import { larger_bounds } from "./larger_bounds.js";
import type { ParallelBench } from "./parallel.js";
import { parallel_bench } from "./parallel.js";
import type { SpinRow } from "./vs_spin.js";
import { vs_spin } from "./vs_spin.js";
import type { XstateRow } from "./vs_xstate.js";
import { vs_xstate } from "./vs_xstate.js";

const quick = process.argv.includes("--quick");
const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (s: number) => (s < 1 ? `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms` : `${s.toFixed(2)} s`);

// The kernel-simulation parts run first: after the micro-model's multi-million-state runs the
// heap is large enough that garbage collection would weigh on their times.
log("(c) the default check configuration");
const check: DefaultCheck = default_check_bench(log);

log("(d) time to the first counterexample, per historical bug switch");
const bugs: BugHunt[] = bug_hunt(log);

log("(e) the check on worker threads against the serial check");
const parallel: ParallelBench = parallel_bench(log);

log("(f) checks beyond the default bounds");
const larger: LargerRow[] = larger_bounds(log, parallel.serial);

log("(a) pincheck vs xstate/graph on the page micro-model");
const xstate: XstateRow[] = vs_xstate(quick ? 3 : 4, log);

log("(b) pincheck vs SPIN on the page micro-model");
const spin_skip = spin_setup(log);
const spin: SpinRow[] | null = spin_skip ? null : vs_spin(quick ? 5 : 6, log);
if (spin_skip) log(`  SKIPPED: ${spin_skip}`);

const results: Goal[] = goals(xstate, spin, check, bugs);

const out: string[] = [];
out.push("(a) page micro-model: pincheck vs xstate/graph (getAdjacencyMap and getShortestPaths on the xstate twin)");
out.push(table(["pages", "states", "transitions", "xstate pairs", "pincheck", "getAdjacencyMap", "ratio", "getShortestPaths", "ratio", "engine over xstate transition()"],
  xstate.map((r) => [r.pages, r.states, r.transitions, r.adjacency_entries, ms(r.pincheck_seconds), ms(r.adjacency_seconds), times(r.adjacency_ratio), ms(r.shortest_seconds), times(r.shortest_ratio), r.engine_over_xstate_seconds === null ? "-" : ms(r.engine_over_xstate_seconds)])));
out.push("");
out.push(`(b) page micro-model: pincheck vs SPIN (${spin ? `${spin_version()}; gcc -O2 -DSAFETY -DNOREDUCE, ./pan wall time` : `skipped: ${spin_skip}`})`);
if (spin)
  out.push(table(["pages", "states", "transitions", "pincheck", "bytes/state", "SPIN", "SPIN (pan)", "pincheck/SPIN"],
    spin.map((r) => [r.pages, r.states, r.transitions, ms(r.pincheck_seconds), r.pincheck_bytes_per_state.toFixed(1), ms(r.spin.seconds), `${r.spin.pan_seconds} s`, times(r.ratio)])));
out.push("");
out.push("(c) default check configuration (npm run check)");
out.push(table(["engine", "states", "transitions", "time", "states/s", "bytes/state"], [
  ["fingerprint, first run", check.cold.states, check.cold.transitions, ms(check.cold.seconds), check.cold.states_per_second.toFixed(0), check.cold.bytes_per_state.toFixed(1)],
  ["fingerprint, warm (best of 3)", check.warm.states, check.warm.transitions, ms(check.warm.seconds), check.warm.states_per_second.toFixed(0), check.warm.bytes_per_state.toFixed(1)],
  ["  every part copied per clone", check.eager.states, check.eager.transitions, ms(check.eager.seconds), check.eager.states_per_second.toFixed(0), check.eager.bytes_per_state.toFixed(1)],
  ["reference (string keys)", check.reference.states, check.reference.transitions, ms(check.reference.seconds), check.reference.states_per_second.toFixed(0), `${check.reference.bytes_per_state.toFixed(0)} (heap)`],
]));
out.push(`where a warm run's time goes: ${split_text(check.split)}`);
out.push("");
out.push("(d) time to the first counterexample (check: all targets in order until one breaks, best of 3; fuzz: default budget, seed 42)");
out.push(table(["bug switch", "check finds", "steps", "states", "check time", "that target alone", "fuzz finds", "fuzz runs", "to failing run", "with shrinking"],
  bugs.map((b) => [b.bug, b.exhaustive.found ? `${b.exhaustive.property} (${b.exhaustive.target})` : "nothing", b.exhaustive.steps ?? "-", b.exhaustive.states, ms(b.exhaustive.seconds), b.exhaustive.target_seconds === null ? "-" : ms(b.exhaustive.target_seconds),
    b.random.found ? `${b.random.property} (${b.random.target})` : "nothing", b.random.runs, ms(b.random.seconds_to_failure), ms(b.random.seconds_with_shrinking)])));
out.push("");
out.push(`(e) the check on ${parallel.workers} worker threads (--workers ${parallel.workers}) against the serial check; worker start-up ${ms(parallel.startup_seconds)}, included below`);
out.push(table(["run", "states", "transitions", "serial", "workers", "speedup"],
  parallel.rows.map((r) => [r.run, r.states, r.transitions, ms(r.serial_seconds), ms(r.parallel_seconds), times(r.speedup)])));
out.push("");
out.push("(f) checks beyond the default bounds (pincheck check --json, a fresh process each)");
out.push(table(["run", "arguments", "states", "transitions", "time", "states/s", "frontier peak", "peak RSS"],
  larger.map((r) => [r.run, r.args.join(" "), r.states, r.transitions, ms(r.seconds), r.states_per_second.toFixed(0), r.frontier_peak, `${r.peak_rss_mb} MB`])));
out.push("");
out.push("targets of issue 7 (ratios measured in this run)");
out.push(table(["target", "goal", "measured", "measured/goal", "met"],
  results.map((g) => [g.id, g.goal, g.measured === null ? "not measured" : g.display, g.ratio === null ? "-" : g.ratio.toFixed(3), g.met === null ? "-" : g.met ? "met" : "NOT met"])));
console.log(out.join("\n"));

const file = join(dirname(fileURLToPath(import.meta.url)), "results.json");
writeFileSync(file, JSON.stringify({
  generated: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, load_average: loadavg().map((l) => Number(l.toFixed(2))) },
  quick,
  targets: results,
  xstate,
  spin: spin ?? { skipped: spin_skip },
  default_check: check,
  parallel,
  larger,
  bugs,
}, null, 2) + "\n");
log(`wrote ${file}`);
