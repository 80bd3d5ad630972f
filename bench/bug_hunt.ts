// Part (d): time to the first counterexample for every historical bug switch, as `pincheck
// check --bug ID` finds it (every target in turn until one breaks; the time includes the
// targets explored before it) and as `pincheck fuzz --bug ID` does (each target in turn with the
// default budget; time to the first failing run, and with fast-check's shrinking), in fuzz's
// order: the scenarios, the iterator layer from each initial state, then the catalog.
import { default_catalog_bounds } from "../src/check/catalog.js";
import { explore } from "../src/check/explore.js";
import { DEFAULT_RUNS, DEFAULT_SEED, DEFAULT_STEPS, default_fuzz_bounds, fuzz } from "../src/check/fuzz.js";
import type { Target } from "../src/check/targets.js";
import { all_targets, catalog_target, iter_fuzz_targets, scenario_targets } from "../src/check/targets.js";
import { DEFAULT_DEPTH, exhaustive_check } from "../src/cli/check.js";
import { BUGS, config_for } from "../src/kernel/index.js";

export interface BugHunt {
  bug: string;
  breaks: string;
  exhaustive: {
    found: boolean;
    target: string | null;
    property: string | null;
    steps: number | null;
    /** States explored, all targets up to the one that broke. */
    states: number;
    seconds: number;
    /** The breaking target explored on its own. */
    target_seconds: number | null;
  };
  random: {
    found: boolean;
    target: string | null;
    property: string | null;
    runs: number;
    /** Until the first failing run was generated; and until the shrunk trace was ready. */
    seconds_to_failure: number;
    seconds_with_shrinking: number;
    steps: number | null;
  };
}

function exhaustive(bug: string): BugHunt["exhaustive"] {
  const config = config_for(bug)!;
  // The best of three runs: the shared machines' CPU steal comes in bursts of seconds, and a
  // check this short would otherwise measure the neighbours.
  let seconds = Infinity;
  let r!: ReturnType<typeof exhaustive_check>;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    r = exhaustive_check(config, DEFAULT_DEPTH, default_catalog_bounds);
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  const states = r.runs.reduce((n, x) => n + x.states, 0);
  if (!r.story) return { found: false, target: null, property: null, steps: null, states, seconds, target_seconds: null };
  const t = all_targets(config, default_catalog_bounds).find((x) => x.id === r.story!.target)!;
  const t1 = performance.now();
  explore(t.model, t.depth_bounded ? DEFAULT_DEPTH : 64);
  return {
    found: true, target: r.story.target, property: r.story.violation!.property, steps: r.story.steps.length, states, seconds,
    target_seconds: (performance.now() - t1) / 1000,
  };
}

function random(bug: string): BugHunt["random"] {
  const config = config_for(bug)!;
  const t0 = performance.now();
  let runs = 0;
  let failed_at = 0;
  // What `pincheck fuzz` runs without --target, by its ids (fuzz_target_ids's order).
  const targets: [string, Target][] = [
    ...scenario_targets(config).map((t): [string, Target] => [t.id, t]),
    ...iter_fuzz_targets(config).map((x): [string, Target] => [x.id, x.target]),
    ["catalog", catalog_target(config, default_fuzz_bounds)],
  ];
  for (const [id, t] of targets) {
    const r = fuzz(t, { runs: DEFAULT_RUNS, steps: DEFAULT_STEPS, seed: DEFAULT_SEED, on_run: () => (failed_at = performance.now()) });
    runs += r.runs;
    if (r.violation)
      return {
        found: true, target: id, property: r.violation.property, runs, steps: r.actions.length,
        seconds_to_failure: (failed_at - t0) / 1000, seconds_with_shrinking: (performance.now() - t0) / 1000,
      };
  }
  const seconds = (performance.now() - t0) / 1000;
  return { found: false, target: null, property: null, runs, steps: null, seconds_to_failure: seconds, seconds_with_shrinking: seconds };
}

export function bug_hunt(log: (line: string) => void): BugHunt[] {
  return BUGS.map((b) => {
    const e = exhaustive(b.id);
    const r = random(b.id);
    log(`  ${b.id}: check ${e.found ? `${e.property} in ${e.target} (${e.steps} steps)` : "nothing"} after ${e.seconds.toFixed(2)} s; fuzz ${r.found ? `${r.property} in ${r.target}` : "nothing"} after ${r.seconds_to_failure.toFixed(2)} s`);
    return { bug: b.id, breaks: b.breaks, exhaustive: e, random: r };
  });
}
