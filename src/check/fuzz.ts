// Random model-based runs over a target's own actions (a scenario's, the iterator layer's from one
// initial state, or the catalog's), past the bounds exhaustive exploration can afford. A run is
// an array of choices: at each step the choice, modulo the number of enabled actions, picks one
// of them; the run ends when the array does, when nothing is enabled, or at the first violation.
// Device and workqueue steps are actions like any other, so fast-check also picks the order in
// which I/O completes. After every step the monitor and the properties are checked exactly as
// the explorer checks them. fast-check supplies the seeded generation, the shrinking of a
// failing choice array and the replay path.
import fc from "fast-check";
import type { KernelConfig } from "../kernel/index.js";
import { config_for } from "../kernel/index.js";
import type { CatalogBounds } from "./catalog.js";
import type { Violation } from "./explore.js";
import type { Target } from "./targets.js";
import { catalog_target, iter_fuzz_targets, scenario_files, scenario_targets } from "./targets.js";
import type { Story } from "./trace.js";
import { replay_story } from "./trace.js";

/** Beyond the exhaustive defaults (1 page, 5 steps), inside what the monitors and reads model soundly. */
export const default_fuzz_bounds: CatalogBounds = { processes: 2, pages: 2, in_flight: 1, fixed: 1 };
export const DEFAULT_RUNS = 1000;
export const DEFAULT_STEPS = 30;
export const DEFAULT_SEED = 42;

export interface FuzzOptions {
  runs: number;
  /** Most actions per run. */
  steps: number;
  seed: number;
  /** Replay one counterexample: fast-check's path for the same seed (from a failing run). */
  path?: string;
  /** Called after each generated run (not for shrinking attempts) with the number done. */
  on_run?(done: number): void;
}

export interface RunOutcome {
  /** The actions taken, up to and including the one that broke a rule. */
  actions: unknown[];
  violation: (Violation & { step: number }) | null;
  /** The properties whose guarded situation arose in some state of the run. */
  guarded: Set<string>;
}

export interface FuzzStats {
  /** Generated runs counted (shrinking attempts are not). */
  runs: number;
  /** Actions taken over those runs. */
  actions: number;
  /** Actions taken per kind ("op" of a catalog or iterator action, "kind" of a scenario action), most first. */
  ops: Record<string, number>;
  /** Per property, the runs in which its situation arose. */
  guarded_runs: Record<string, number>;
  /** Properties whose situation arose in no run. */
  vacuous: string[];
}

export interface FuzzReport {
  result: "ok" | "violation";
  seed: number;
  /** fast-check's path to the shrunk counterexample: `seed:path` replays it. */
  path: string | null;
  /** Generated runs executed, up to and including the first failing one. */
  runs: number;
  /** Shrinking steps fast-check took. */
  shrinks: number;
  /** Lengths of the failing run: as generated, after fast-check's shrinking. */
  first_length: number | null;
  shrunk_length: number | null;
  /** The final counterexample (after a last pass in action space) and the choices that take it. */
  actions: unknown[];
  choices: number[] | null;
  violation: (Violation & { step: number }) | null;
  stats: FuzzStats;
}

/**
 * What fuzz can run, cheapest first as all_targets orders them: each scenario id, then one
 * "iov_iter:TYPE-DIR" per iterator initial state (a run starts from one state), then "catalog".
 */
export function fuzz_target_ids(config: KernelConfig = config_for()!): string[] {
  return [...scenario_files().map((c) => c.lit.id), ...iter_fuzz_targets(config).map((x) => x.id), "catalog"];
}

/**
 * The catalog, a scenario or an iov_iter initial state by its fuzz id, under one configuration,
 * for targets fuzzed again and again (fuzz_in_rounds). Each is built once, on first use (the
 * iterator layer's initial states take a tenth of a second): runs change no target's state but
 * the catalog's machine coverage, which so adds up over every round, as the run counts do.
 */
export function fuzz_targets(config: KernelConfig, bounds: CatalogBounds = default_fuzz_bounds): (id: string) => Target | undefined {
  let iters: ReturnType<typeof iter_fuzz_targets> | undefined;
  let scenarios: Target[] | undefined;
  let catalog: Target | undefined;
  return (id) => {
    if (id === "catalog") return (catalog ??= catalog_target(config, bounds));
    if (id.startsWith("iov_iter:")) return (iters ??= iter_fuzz_targets(config)).find((x) => x.id === id)?.target;
    return (scenarios ??= scenario_targets(config)).find((t) => t.id === id);
  };
}

/** One target by its fuzz id, under a configuration. */
export const fuzz_target = (id: string, config: KernelConfig, bounds: CatalogBounds = default_fuzz_bounds): Target | undefined =>
  fuzz_targets(config, bounds)(id);

/** A short name for an action's kind, for the statistics. */
export function op_of(a: unknown): string {
  const x = a as { op?: string; kind?: string; thread?: string; step?: string };
  if (x.op) return x.op;
  return x.kind === "thread" ? `${x.thread}: ${x.step}` : String(x.kind);
}

/** Execute a choice array; guarded situations are only recorded when observe is set. */
export function run_choices(t: Target, choices: readonly number[], observe = false): RunOutcome {
  const out: RunOutcome = { actions: [], violation: null, guarded: new Set() };
  let s = t.model.initial()[0];
  const note = (x: unknown) => {
    if (observe) for (const id of t.guarded(x)) out.guarded.add(id);
  };
  note(s);
  const v0 = t.model.check(s);
  if (v0) return { ...out, violation: { ...v0, step: 0 } };
  for (const c of choices) {
    const enabled = t.model.actions(s);
    if (!enabled.length) break;
    const a = enabled[c % enabled.length];
    const next = t.model.step(s, a);
    const v = t.model.check_step?.(s, a, next) ?? t.model.check(next);
    out.actions.push(a);
    s = next;
    note(s);
    if (v) return { ...out, violation: { ...v, step: out.actions.length } };
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The choices that take exactly these actions; undefined if one of them is not enabled. */
export function choices_for(t: Target, actions: readonly unknown[]): number[] | undefined {
  const out: number[] = [];
  let s = t.model.initial()[0];
  for (const a of actions) {
    const k = t.model.actions(s).findIndex((x) => same(x, a));
    if (k < 0) return undefined;
    out.push(k);
    s = t.model.step(s, a);
  }
  return out;
}

/**
 * A last pass in action space: drop single actions, last first, while the rest stays enabled
 * and still breaks the same property. Deleting a choice shifts what every later choice means,
 * which stops fast-check's shrinker; deleting an action does not.
 */
export function minimise(t: Target, actions: readonly unknown[], property: string): unknown[] {
  let best = actions.slice();
  for (let k = best.length - 1; k >= 0; k--) {
    if (k >= best.length) continue;
    const choices = choices_for(t, [...best.slice(0, k), ...best.slice(k + 1)]);
    const r = choices && run_choices(t, choices);
    if (r && r.violation?.property === property) best = r.actions;
  }
  return best;
}

/**
 * Replay the longest prefix of actions that is enabled on t (a trace found under another
 * configuration may take a path this one does not offer); how many actions that was.
 */
export function replay_enabled(t: Target, actions: readonly unknown[]): { story: Story; enabled: number } {
  let s = t.model.initial()[0];
  let k = 0;
  for (; k < actions.length && t.enabled(s, actions[k]); k++) s = t.model.step(s, actions[k]);
  const story = replay_story(t, t.initial_name(t.model.initial()[0]), actions.slice(0, k));
  if (typeof story === "string") throw new Error(`internal: an enabled prefix does not replay: ${story}`);
  return { story, enabled: k };
}

/** The statistics of two batches of runs over the same target, as one. */
function merge_stats(a: FuzzStats, b: FuzzStats): FuzzStats {
  const sum = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [k, n] of Object.entries(y)) out[k] = (out[k] ?? 0) + n;
    return out;
  };
  const ops = sum(a.ops, b.ops);
  const guarded_runs = sum(a.guarded_runs, b.guarded_runs);
  return {
    runs: a.runs + b.runs,
    actions: a.actions + b.actions,
    ops: Object.fromEntries(Object.entries(ops).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))),
    guarded_runs,
    vacuous: Object.entries(guarded_runs).filter(([, n]) => n === 0).map(([id]) => id),
  };
}

/**
 * Runs per target per round when several targets share the budget: small enough that a bug in
 * the last of some thirty targets is reached within a second, large enough that a round is
 * more runs than set-up.
 */
export const ROUND = 25;

export interface TargetRuns {
  id: string;
  runs: number;
  actions: number;
}

export interface FuzzAll {
  /** The target that ran last: the failing one, if any. */
  id: string;
  target: Target;
  /** Its report; when nothing failed, its statistics and runs summed over its rounds. */
  report: FuzzReport;
  /** The targets that ran, in order, with their runs and actions. */
  done: TargetRuns[];
}

/**
 * Fuzz several targets until one fails. Each gets o.runs runs, taken in rounds of ROUND runs per
 * target, round k with seed o.seed + k, so a bug that only a late target shows is found after
 * one round of the others rather than after their whole budgets. A failing round's seed and
 * path replay it alone. progress(runs) may return an on_run callback and its clean-up.
 */
export function fuzz_in_rounds(
  ids: readonly string[], make: (id: string) => Target, o: FuzzOptions,
  progress?: (runs: number) => { on_run?: (done: number) => void; end(): void },
): FuzzAll {
  const rounds = ids.length > 1 ? Math.ceil(o.runs / ROUND) : 1;
  const done: TargetRuns[] = ids.map((id) => ({ id, runs: 0, actions: 0 }));
  const stats = new Map<string, FuzzStats>();
  let last: FuzzAll | undefined;
  for (let k = 0; k < rounds; k++) {
    const runs = rounds > 1 ? Math.min(ROUND, o.runs - k * ROUND) : o.runs;
    for (const [n, id] of ids.entries()) {
      const target = make(id);
      const p = o.path === undefined ? progress?.(runs) : undefined;
      const r = fuzz(target, { ...o, runs, seed: o.seed + k, on_run: p?.on_run ?? o.on_run });
      p?.end();
      done[n].runs += r.runs;
      done[n].actions += r.stats.actions;
      const merged = stats.has(id) ? merge_stats(stats.get(id)!, r.stats) : r.stats;
      stats.set(id, merged);
      if (r.violation) return { id, target, report: r, done: done.slice(0, k === 0 ? n + 1 : ids.length) };
      last = { id, target, report: { ...r, seed: o.seed, stats: merged, runs: merged.runs }, done };
    }
  }
  if (!last) throw new Error("internal: no target to fuzz");
  return last;
}

/** Runs: uniform choices, lengths over the whole range up to the budget. */
export const choices_arb = (steps: number): fc.Arbitrary<number[]> =>
  fc.array(fc.noBias(fc.nat({ max: 0xffff })), { maxLength: steps, size: "max" });

export function fuzz(t: Target, o: FuzzOptions): FuzzReport {
  const ops = new Map<string, number>();
  const guarded = new Map<string, number>(t.properties.map((p) => [p, 0]));
  let runs = 0;
  let taken = 0;
  let first: RunOutcome | undefined;
  const property = fc.property(choices_arb(o.steps), (choices) => {
    // A replay judges the value at the path alone (fast-check would go on to its shrink siblings).
    if (o.path !== undefined && runs > 0) return true;
    // Until the first failure every call is a generated run; after it, fast-check is shrinking.
    if (first) return run_choices(t, choices).violation === null;
    const r = run_choices(t, choices, true);
    runs++;
    taken += r.actions.length;
    for (const a of r.actions) ops.set(op_of(a), (ops.get(op_of(a)) ?? 0) + 1);
    for (const id of r.guarded) guarded.set(id, (guarded.get(id) ?? 0) + 1);
    if (r.violation) first = r;
    o.on_run?.(runs);
    return r.violation === null;
  });
  const d = fc.check(property, {
    seed: o.seed, numRuns: o.runs, ...(o.path !== undefined ? { path: o.path, endOnFailure: true } : {}),
  });
  const stats: FuzzStats = {
    runs,
    actions: taken,
    ops: Object.fromEntries([...ops].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))),
    guarded_runs: Object.fromEntries(guarded),
    vacuous: [...guarded].filter(([, n]) => n === 0).map(([id]) => id),
  };
  const none = { seed: o.seed, runs, stats, path: null, shrinks: 0, first_length: null, shrunk_length: null, actions: [], choices: null };
  if (!d.failed) return { ...none, result: "ok", violation: null };
  if (d.counterexample === null) throw new Error(`internal: fast-check stopped without a counterexample (${d.interrupted ? "interrupted" : "skips"})`);
  // An exception in the simulation fails a run too; re-running the counterexample rethrows it.
  const shrunk = run_choices(t, d.counterexample[0]);
  if (!shrunk.violation) throw new Error("internal: the shrunk counterexample does not fail again");
  const actions = minimise(t, shrunk.actions, shrunk.violation.property);
  const choices = choices_for(t, actions)!;
  return {
    ...none,
    result: "violation",
    path: o.path ?? d.counterexamplePath,
    shrinks: d.numShrinks,
    first_length: first?.actions.length ?? null,
    shrunk_length: shrunk.actions.length,
    actions,
    choices,
    violation: run_choices(t, choices).violation,
  };
}
