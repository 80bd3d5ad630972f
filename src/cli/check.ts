// `pincheck check`: exhaustive breadth-first exploration of every target (the scenario files,
// the iterator layer, the catalog) under the current kernel or a bug switch.
import { bounds_text, default_catalog_bounds } from "../check/catalog.js";
import { all_targets } from "../check/targets.js";
import { setting_text, story_itf, story_text } from "../check/trace.js";
import type { MachineCoverageCount } from "../check/exhaustive.js";
import { DEFAULT_DEPTH, exhaustive_check, run_total } from "../check/exhaustive.js";
import { parallel_check } from "../check/parallel.js";
import { bug_ids, config_for, era_ids } from "../kernel/index.js";
import { int_flag, note_not_written, parse_flags, UsageError, write_output } from "./args.js";
import { bounds_flag_specs, bounds_flags, bounds_help, kernel_flag_specs, kernel_flags } from "./kernel_flags.js";
import { clear_progress, progress_reporter } from "./progress.js";

export const check_help = `usage: pincheck check [--depth N] [--processes N] [--pages N] [--in-flight N] [--fixed N]
                      [--era ERA] [--bug ID] [--target ID] [--workers N] [--json] [--trace-out FILE]

Explores, breadth first and exhaustively, checking every property after every step, cheapest
target first:
  - every scenario (scenarios/*.json): all interleavings of its threads with the device and
    the workqueue;
  - iov_iter: every sequence of up to N iterator operations (advance, revert, copy in the
    iterator's direction, iov_iter_extract_pages, iov_iter_get_pages2 with references,
    extract_iter_to_sg, release) from each iterator type in both directions, and from a user
    buffer with an unmapped page;
  - catalog: every sequence of up to N operations of processes on their anonymous buffers
    (write, fork, exit, async O_DIRECT read and write, io_uring fixed buffer register and
    unregister, vmsplice and pipe drain, reclaim) interleaved with the device
    and the workqueue, within the bounds below.
The first violation is reported with a shortest trace.

  --depth N          steps per path in iov_iter and the catalog, 0..12 (default ${DEFAULT_DEPTH});
                     scenarios, being finite, always run to the end
${bounds_help(default_catalog_bounds)}
  --era ERA          kernel era to simulate: ${era_ids().join(", ")} (default current)
  --bug ID           simulate a historical bug on top of the era: ${bug_ids().join(", ")}
  --target ID        explore only this target: a scenario id, iov_iter or catalog (default: all)
  --workers N        worker threads sharing each target's frontier, 1..64 (default 1); the
                     result is the serial one: same states, counts and counterexample
  --json             one JSON object on stdout, no progress
  --trace-out FILE   write the counterexample as ITF JSON (replay it with pincheck replay FILE)
Exit status: 0 no violation, 1 violation found, 2 bad input.`;

/** A monitored machine's coverage line, as check and fuzz print it. */
export const machine_coverage_line = (m: MachineCoverageCount): string =>
  `  model ${m.machine} (monitored every step): ${m.states}/${m.states_defined} states, ${m.edges}/${m.edges_defined} transitions reached`;

export async function run_check(argv: string[]): Promise<number> {
  const flags = parse_flags(argv, {
    depth: { type: "string", allowed: "an integer from 0 to 12" },
    ...kernel_flag_specs(),
    json: { type: "boolean" },
    "trace-out": { type: "string", allowed: "a file path", output: "file" },
    target: { type: "string", allowed: "a scenario id, iov_iter or catalog" },
    workers: { type: "string", allowed: "an integer from 1 to 64" },
    ...bounds_flag_specs,
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(check_help);
    return 0;
  }
  const depth = int_flag(flags.depth, "depth", 0, 12, DEFAULT_DEPTH);
  const workers = int_flag(flags.workers, "workers", 1, 64, 1);
  const { era, bug, config } = kernel_flags(flags);
  const setting = setting_text(era, bug);
  const json = flags.json === true;
  const progress = progress_reporter(json);

  const trace_out = flags["trace-out"] as string | undefined;
  const only = flags.target as string | undefined;
  // Every target's id, in the order check explores them (this reads scenarios/, so not for --help).
  const target_ids = all_targets(config_for()!).map((t) => t.id);
  if (only !== undefined && !target_ids.includes(only)) throw new UsageError(`--target must be one of ${target_ids.join(", ")}, got '${only}'`);
  const bounds = bounds_flags(flags, default_catalog_bounds, only);
  const { runs, guarded, story, seconds, machines } = workers > 1
    ? await parallel_check(config, depth, bounds, workers, progress, only)
    : exhaustive_check(config, depth, bounds, progress, only);
  clear_progress(progress !== undefined);

  const vacuous = story ? [] : [...guarded].filter(([, n]) => n === 0).map(([id]) => id);
  if (json) {
    console.log(JSON.stringify({
      result: story ? "violation" : "ok",
      property: story?.violation?.property ?? null,
      message: story?.violation?.message ?? null,
      era,
      bug: bug ?? null,
      states: run_total(runs, "states"),
      transitions: run_total(runs, "transitions"),
      depth: Math.max(...runs.map((r) => r.depth)),
      max_depth: depth,
      bounds,
      seconds: Number(seconds.toFixed(3)),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      targets: runs,
      coverage: { guarded_states: Object.fromEntries(guarded), vacuous, machines },
      ...(story ? { trace: { target: story.target, initial: story.initial, steps: story.steps } } : {}),
    }));
  } else if (!story) {
    const explored = only === undefined
      ? `paths of ${depth} steps; catalog of ${bounds_text(bounds)}; every scenario interleaving`
      : only === "catalog" ? `paths of ${depth} steps; catalog of ${bounds_text(bounds)}` : only === "iov_iter" ? `paths of ${depth} steps` : "every interleaving";
    console.log(`pincheck check: no violation (${setting}; ${explored})`);
    for (const r of runs) console.log(`  ${r.id}: ${r.states} states, ${r.transitions} transitions, depth ${r.depth}`);
    console.log(`  total ${run_total(runs, "states")} states in ${seconds.toFixed(2)} s`);
    console.log(`  properties (states where each one's situation arose): ${[...guarded].map(([id, n]) => `${id} ${n}`).join(", ")}`);
    if (vacuous.length) console.log(`  vacuous (never exercised): ${vacuous.join(", ")}`);
    for (const m of machines) console.log(machine_coverage_line(m));
  } else {
    console.log(`pincheck check: ${story.violation!.property} violated (${setting})`);
    console.log(story_text(story));
  }
  // Written after the report, so that a path that cannot be written still leaves the counterexample on screen.
  if (story && trace_out) write_output("trace-out", trace_out, JSON.stringify(story_itf(story, bug ?? null, era, bounds), null, 2) + "\n");
  if (!story && trace_out) note_not_written("trace-out", trace_out);
  return story ? 1 : 0;
}
