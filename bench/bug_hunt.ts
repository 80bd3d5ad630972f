// Part (d): time to the first counterexample for every historical bug switch, as `pincheck
// check --bug ID` finds it (every target in turn until one breaks; the time includes the
// targets explored before it) and as `pincheck fuzz --bug ID` does (every target, the default
// budgets shared in rounds; time to the first failing run, and with fast-check's shrinking).
import { default_catalog_bounds } from "../src/check/catalog.js";
import { explore } from "../src/check/explore.js";
import {
  DEFAULT_RUNS, DEFAULT_SEED, DEFAULT_STEPS, default_fuzz_bounds, fuzz_in_rounds, fuzz_target_ids, fuzz_targets,
} from "../src/check/fuzz.js";
import { check_targets, DEFAULT_DEPTH, exhaustive_check, run_total, target_depth } from "../src/check/exhaustive.js";
import { BUGS, config_for } from "../src/kernel/index.js";
import { best_of, once } from "./timing.js";

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
  const { seconds, result: r } = best_of(3, () => exhaustive_check(config, DEFAULT_DEPTH, default_catalog_bounds));
  const states = run_total(r.runs, "states");
  if (!r.story) return { found: false, target: null, property: null, steps: null, states, seconds, target_seconds: null };
  const [t] = check_targets(config, default_catalog_bounds, r.story.target);
  const alone = once(() => explore(t.model, target_depth(t, DEFAULT_DEPTH)));
  return {
    found: true, target: r.story.target, property: r.story.violation!.property, steps: r.story.steps.length, states, seconds,
    target_seconds: alone.seconds,
  };
}

function random(bug: string): BugHunt["random"] {
  const config = config_for(bug)!;
  const t0 = performance.now();
  let failed_at = 0;
  // What `pincheck fuzz --bug ID` runs without --target: every target, budgets shared in rounds.
  const make = fuzz_targets(config, default_fuzz_bounds);
  const all = fuzz_in_rounds(fuzz_target_ids(), (id) => make(id)!,
    { runs: DEFAULT_RUNS, steps: DEFAULT_STEPS, seed: DEFAULT_SEED, on_run: () => (failed_at = performance.now()) });
  const r = all.report;
  const runs = all.done.reduce((n, d) => n + d.runs, 0);
  if (r.violation)
    return {
      found: true, target: all.id, property: r.violation.property, runs, steps: r.actions.length,
      seconds_to_failure: (failed_at - t0) / 1000, seconds_with_shrinking: (performance.now() - t0) / 1000,
    };
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
