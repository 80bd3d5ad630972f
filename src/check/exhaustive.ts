// The exhaustive check: every target, cheapest first, explored breadth first until the first
// violation, which is replayed as a story. `pincheck check`, `pincheck report` and the bench
// run it.
import type { CatalogBounds } from "./catalog.js";
import type { ExploreResult, Model, Progress } from "./explore.js";
import { explore } from "./explore.js";
import type { Target } from "./targets.js";
import { all_targets } from "./targets.js";
import type { Story } from "./trace.js";
import { counterexample_story } from "./trace.js";
import type { KernelConfig } from "../kernel/index.js";

export const DEFAULT_DEPTH = 5;
const SCENARIO_STEP_LIMIT = 64;

export interface TargetRun {
  id: string;
  result: "ok" | "violation";
  states: number;
  transitions: number;
  depth: number;
  /** The most states queued at once for one level (explore's ExploreMemory.frontier_peak). */
  frontier_peak: number;
}

/** States or transitions summed over the targets run. */
export const run_total = (runs: readonly TargetRun[], k: "states" | "transitions"): number => runs.reduce((a, r) => a + r[k], 0);

/** The depth a target is explored to: --depth, or for a finite scenario a bound that only guards against a runaway file. */
export const target_depth = (t: Target, depth: number): number => (t.depth_bounded ? depth : SCENARIO_STEP_LIMIT);

/** The target's model, counting per property the states in which its guarded situation arose. */
export function guard_counting_model(t: Target, guarded: Map<string, number>): Model<unknown, unknown> {
  return {
    ...t.model,
    check(s: unknown) {
      for (const id of t.guarded(s)) guarded.set(id, (guarded.get(id) ?? 0) + 1);
      return t.model.check(s);
    },
  };
}

/** A monitored machine's coverage, counted as a target reports it. */
export type MachineCoverageCount = ReturnType<NonNullable<Target["machine_coverage"]>>[number];

export interface CheckRun {
  targets: Target[];
  runs: TargetRun[];
  /** Per property, the states in which its guarded situation arose. */
  guarded: Map<string, number>;
  /** The first violation, replayed step by step; null when there is none. */
  story: Story | null;
  seconds: number;
  /** Bytes of the explorer's visited sets and parent links, summed over the targets run. */
  bytes: number;
  /** How much of each monitored machine the targets run reached. */
  machines: MachineCoverageCount[];
}

/** The targets a check explores: all of them, cheapest first, or the one --target names. */
export const check_targets = (config: KernelConfig, bounds: CatalogBounds, only?: string): Target[] =>
  all_targets(config, bounds).filter((t) => only === undefined || t.id === only);

/** Per property of the targets, a count of 0. */
export function no_guarded(targets: readonly Target[]): Map<string, number> {
  const guarded = new Map<string, number>();
  for (const t of targets) for (const p of t.properties) guarded.set(p, 0);
  return guarded;
}

/**
 * A check's result from its targets' explorations, in target order up to the first violation
 * (the last one given), which is replayed as the story.
 */
export function check_run(
  targets: Target[], results: readonly ExploreResult<unknown, unknown>[], guarded: Map<string, number>, t0: bigint,
): CheckRun {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const runs = results.map((r, i): TargetRun => ({
    id: targets[i].id, result: r.result, states: r.states, transitions: r.transitions, depth: r.depth, frontier_peak: r.memory?.frontier_peak ?? 0,
  }));
  const last = results.length - 1;
  const trace = results[last]?.trace;
  const story = trace ? counterexample_story(targets[last], targets[last].initial_name(trace.initial), trace.actions) : null;
  return {
    targets, runs, guarded, story, seconds,
    bytes: results.reduce((a, r) => a + (r.memory?.bytes ?? 0), 0),
    machines: targets.slice(0, results.length).flatMap((t) => t.machine_coverage?.() ?? []),
  };
}

/** Explore every target in turn until the first violation, and replay it as a story. */
export function exhaustive_check(
  config: KernelConfig, depth: number, bounds: CatalogBounds, progress?: (p: Progress) => void, only?: string,
): CheckRun {
  const targets = check_targets(config, bounds, only);
  const guarded = no_guarded(targets);
  const results: ExploreResult<unknown, unknown>[] = [];
  const t0 = process.hrtime.bigint();
  for (const t of targets) {
    const r = explore(guard_counting_model(t, guarded), target_depth(t, depth), progress);
    results.push(r);
    if (r.trace) break;
  }
  return check_run(targets, results, guarded, t0);
}
