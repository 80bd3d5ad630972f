// Part (c): distinct states per second and bytes per visited state on the default check
// configuration (`npm run check`: every target, depth 5, the default catalog bounds), through
// the very function the command runs; where a warm run's time goes; the same with every world part copied at each clone (the
// clones before copy-on-access); and the same targets under the reference engine (string keys
// in a Map, one object per state: the explorer before issue 7), for comparison.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { default_catalog_bounds } from "../src/check/catalog.js";
import { explore_reference } from "../src/check/explore_reference.js";
import type { Model } from "../src/check/explore.js";
import { explore } from "../src/check/explore.js";
import { check_targets, DEFAULT_DEPTH, exhaustive_check, guard_counting_model, no_guarded, run_total, target_depth } from "../src/check/exhaustive.js";
import { config_for, World } from "../src/kernel/index.js";

export interface CheckMeasure {
  states: number;
  transitions: number;
  seconds: number;
  states_per_second: number;
  bytes_per_state: number;
}

/** Seconds a warm run spends in each of the model's functions, and in the explorer around them. */
export interface TimeSplit {
  step: number;
  /** Model.check_step: the catalog's machine monitors, the iterator model's extraction rule. */
  step_rules: number;
  encoding: number;
  properties: number;
  actions: number;
  compaction: number;
  explorer: number;
}

export interface DefaultCheck {
  /** The first run in this process (as `npm run check` runs), then the fastest of three warm ones. */
  cold: CheckMeasure;
  warm: CheckMeasure;
  split: TimeSplit;
  /** A warm run whose clones copy every part of the world at once, as they did before copy-on-access. */
  eager: CheckMeasure;
  /** The reference engine on the same targets; its bytes are measured on the heap (after a GC). */
  reference: CheckMeasure;
  targets: { id: string; states: number; transitions: number }[];
}

function measure(): CheckMeasure & { targets: DefaultCheck["targets"] } {
  const r = exhaustive_check(config_for()!, DEFAULT_DEPTH, default_catalog_bounds);
  if (r.story) throw new Error(`the default check found a violation: ${r.story.violation?.property}`);
  const states = run_total(r.runs, "states");
  const transitions = run_total(r.runs, "transitions");
  return {
    states, transitions, seconds: r.seconds, states_per_second: states / r.seconds, bytes_per_state: r.bytes / states,
    targets: r.runs.map((x) => ({ id: x.id, states: x.states, transitions: x.transitions })),
  };
}

/** run() with clones that take every part of their world at once (reaching for a part copies it). */
function with_eager_clones<T>(run: () => T): T {
  const clone = World.prototype.clone;
  World.prototype.clone = function (this: World) {
    const c = clone.call(this);
    void [c.mem, c.data, c.kvm, c.mms, c.inodes, c.pipes, c.vmstat, c.swap, c.block, c.events];
    return c;
  };
  try {
    return run();
  } finally {
    World.prototype.clone = clone;
  }
}

/** model with each function's time added to split (the clock's own cost lands in the parts). */
function timed<S, A>(m: Model<S, A>, split: TimeSplit): Model<S, A> {
  const clock = <F extends (...args: never[]) => unknown>(f: F, part: keyof TimeSplit): F =>
    ((...args: Parameters<F>) => {
      const t0 = performance.now();
      const r = f(...args);
      split[part] += performance.now() - t0;
      return r;
    }) as F;
  return {
    ...m,
    actions: clock(m.actions, "actions"),
    step: clock(m.step, "step"),
    check: clock(m.check, "properties"),
    ...(m.check_step && { check_step: clock(m.check_step, "step_rules") }),
    ...(m.encode && { encode: clock(m.encode, "encoding") }),
    ...(m.retain && { retain: clock(m.retain, "compaction") }),
  };
}

/** A warm default check with every model function timed: where the time per state goes. */
function measure_split(): TimeSplit {
  const split: TimeSplit = { step: 0, step_rules: 0, encoding: 0, properties: 0, actions: 0, compaction: 0, explorer: 0 };
  const targets = check_targets(config_for()!, default_catalog_bounds); // built before the clock starts, as exhaustive_check does
  const guarded = no_guarded(targets);
  const t0 = performance.now();
  for (const t of targets)
    explore(timed(guard_counting_model(t, guarded), split), target_depth(t, DEFAULT_DEPTH));
  const total = performance.now() - t0;
  split.explorer = total - Object.values(split).reduce((a, b) => a + b, 0);
  for (const k of Object.keys(split) as (keyof TimeSplit)[]) split[k] /= 1000;
  return split;
}

/** What `pincheck check` does per target (counting guarded situations in check()), on the reference engine. */
function measure_reference(): CheckMeasure {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const targets = check_targets(config_for()!, default_catalog_bounds);
  const guarded = no_guarded(targets);
  let states = 0, transitions = 0, bytes = 0, seconds = 0;
  for (const t of targets) {
    const model = guard_counting_model(t, guarded);
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    let measuring = 0;
    const t0 = performance.now();
    // On return the visited set is still alive and the expanded states are not: its heap is the Map and the nodes.
    const r = explore_reference(model, target_depth(t, DEFAULT_DEPTH), undefined, () => {
      const m0 = performance.now();
      gc();
      bytes += Math.max(0, process.memoryUsage().heapUsed - heap0);
      measuring += performance.now() - m0;
    });
    seconds += (performance.now() - t0 - measuring) / 1000;
    states += r.states;
    transitions += r.transitions;
  }
  return { states, transitions, seconds, states_per_second: states / seconds, bytes_per_state: bytes / states };
}

export function default_check_bench(log: (line: string) => void): DefaultCheck {
  const { targets, ...cold } = measure();
  log(`  cold: ${cold.states} states in ${cold.seconds.toFixed(2)} s (${cold.states_per_second.toFixed(0)} states/s), ${cold.bytes_per_state.toFixed(1)} bytes/state`);
  const warm = best_of_3();
  log(`  warm (best of 3): ${warm.states} states in ${warm.seconds.toFixed(2)} s (${warm.states_per_second.toFixed(0)} states/s)`);
  const split = measure_split();
  log(`  where the time goes: ${split_text(split)}`);
  const eager = with_eager_clones(best_of_3); // as the warm row, so the two compare
  log(`  every part copied per clone: ${eager.states} states in ${eager.seconds.toFixed(2)} s (${eager.states_per_second.toFixed(0)} states/s)`);
  const reference = measure_reference();
  log(`  reference engine: ${reference.states} states in ${reference.seconds.toFixed(2)} s (${reference.states_per_second.toFixed(0)} states/s), ${reference.bytes_per_state.toFixed(0)} bytes/state on the heap`);
  if (reference.states !== warm.states || reference.transitions !== warm.transitions)
    throw new Error(`engines disagree on the default check: ${warm.states}/${warm.transitions} vs reference ${reference.states}/${reference.transitions}`);
  if (eager.states !== warm.states || eager.transitions !== warm.transitions)
    throw new Error(`eager clones change the default check: ${warm.states}/${warm.transitions} vs ${eager.states}/${eager.transitions}`);
  return { cold, warm, split, eager, reference, targets };
}

/** The fastest of three runs (on shared cores one run's time moves with the neighbours' load). */
function best_of_3(): CheckMeasure {
  const { targets: _, ...fastest } = [measure(), measure(), measure()].reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return fastest;
}

/** The split as shares of its total, largest first. */
export function split_text(split: TimeSplit): string {
  const total = Object.values(split).reduce((a, b) => a + b, 0);
  return (Object.entries(split) as [keyof TimeSplit, number][])
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${SPLIT_NAMES[k]} ${((100 * v) / total).toFixed(0)}%`)
    .join(", ");
}
const SPLIT_NAMES: Record<keyof TimeSplit, string> = {
  step: "kernel step (clone and simulated kernel)",
  step_rules: "step rules (machine monitors, extraction-matches-advance)",
  encoding: "state encoding",
  properties: "properties",
  actions: "enabled actions",
  compaction: "frontier compaction",
  explorer: "explorer (hashing, table, queue)",
};
