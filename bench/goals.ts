// The targets of issue 7, evaluated on one run's measurements: each with its goal, the value
// measured, measured/goal, and whether it is met (null: not measured in this run).
import type { BugHunt } from "./bug_hunt.js";
import type { DefaultCheck } from "./default_check.js";
import type { SpinRow } from "./vs_spin.js";
import type { XstateRow } from "./vs_xstate.js";
import { times } from "./table.js";

export interface Goal {
  id: string;
  goal: string;
  /** "at least": met when measured >= limit; "at most": when measured <= limit. */
  kind: "at least" | "at most";
  limit: number;
  measured: number | null;
  display: string;
  ratio: number | null;
  met: boolean | null;
}

function goal(id: string, text: string, kind: Goal["kind"], limit: number, measured: number | null, unit: (v: number) => string): Goal {
  const ratio = measured === null ? null : measured / limit;
  return {
    id, goal: text, kind, limit, measured, display: measured === null ? "" : unit(measured), ratio,
    met: ratio === null ? null : kind === "at least" ? ratio >= 1 : ratio <= 1,
  };
}

const secs = (v: number) => `${v.toFixed(3)} s`;

export function goals(xstate: XstateRow[], spin: SpinRow[] | null, check: DefaultCheck, bugs: BugHunt[]): Goal[] {
  const x4 = xstate.find((r) => r.states >= 20_000) ?? null;
  const s4 = spin?.find((r) => r.pages === 4) ?? null;
  const s_last = spin && spin.length ? spin[spin.length - 1] : null;
  const s6 = spin?.find((r) => r.pages === 6) ?? null;
  const worst = (f: (b: BugHunt) => number) => (bugs.length ? Math.max(...bugs.map(f)) : null);
  return [
    goal("vs-xstate-adjacency", "pincheck at least 100x faster than xstate/graph getAdjacencyMap at 20,736 states", "at least", 100, x4?.adjacency_ratio ?? null, times),
    goal("vs-xstate-shortest", "pincheck at least 100x faster than xstate/graph getShortestPaths at 20,736 states", "at least", 100, x4?.shortest_ratio ?? null, times),
    goal("vs-spin", "pincheck time at most 3x SPIN's on the 4-page micro-model (20,736 states)", "at most", 3, s4?.ratio ?? null, times),
    goal("vs-spin-largest", `pincheck time at most 3x SPIN's on the ${s_last?.pages ?? "largest"}-page micro-model (${s_last?.states.toLocaleString("en-US") ?? "?"} states)`, "at most", 3, s_last?.ratio ?? null, times),
    goal("states-per-second", "default check: at least 250,000 distinct states per second (best of 3 warm runs)", "at least", 250_000, check.warm.states_per_second, (v) => `${v.toFixed(0)} states/s`),
    // The same target against this run's machine: the issue measured SPIN at 600,000 states/s on
    // the 6-page micro-model, so 250,000 is 0.42 of SPIN's rate there. Both rates come from this
    // run, though not from the same minute (SPIN's 6 pages run once, later), so the load still
    // moves the ratio, if less than it moves either rate.
    goal("states-per-second-vs-spin", "the same, relative to SPIN's states/s on the 6-page micro-model in this run: at least 250,000/600,000", "at least", 250_000 / 600_000,
      s6 ? check.warm.states_per_second / (s6.states / s6.spin.seconds) : null, (v) => `${v.toFixed(3)} of SPIN's`),
    goal("bytes-per-state", "default check: at most 100 bytes per visited state (frontier aside)", "at most", 100, check.warm.bytes_per_state, (v) => `${v.toFixed(1)} bytes`),
    goal("bugs-exhaustive", "every bug switch's counterexample under 1 s: pincheck check (worst bug)", "at most", 1, worst((b) => (b.exhaustive.found ? b.exhaustive.seconds : Infinity)), secs),
    goal("bugs-random", "every bug switch's counterexample under 1 s: pincheck fuzz, to the failing run (worst bug)", "at most", 1, worst((b) => (b.random.found ? b.random.seconds_to_failure : Infinity)), secs),
  ];
}
