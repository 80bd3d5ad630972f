// The exhaustive check: every target, cheapest first, explored breadth first until the first
// violation, which is replayed as a story. `pincheck check`, `pincheck report` and the bench
// run it.
import type { CatalogBounds } from "./catalog.js";
import type { Model, Progress } from "./explore.js";
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
}

/** Explore every target in turn until the first violation, and replay it as a story. */
export function exhaustive_check(
  config: KernelConfig, depth: number, bounds: CatalogBounds, progress?: (p: Progress) => void, only?: string,
): CheckRun {
  const targets = all_targets(config, bounds).filter((t) => only === undefined || t.id === only);
  const guarded = new Map<string, number>();
  for (const t of targets) for (const p of t.properties) guarded.set(p, 0);
  const runs: TargetRun[] = [];
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  let failed: { target: Target; initial: string; actions: unknown[] } | null = null;
  for (const t of targets) {
    const r = explore(guard_counting_model(t, guarded), target_depth(t, depth), progress);
    runs.push({ id: t.id, result: r.result, states: r.states, transitions: r.transitions, depth: r.depth });
    bytes += r.memory?.bytes ?? 0;
    if (r.trace) {
      failed = { target: t, initial: t.initial_name(r.trace.initial), actions: r.trace.actions };
      break;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const story = failed ? counterexample_story(failed.target, failed.initial, failed.actions) : null;
  return { targets, runs, guarded, story, seconds, bytes };
}
