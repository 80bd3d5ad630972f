// The page micro-model of the benchmark: the pure model (through pincheck's explorer), its
// xstate twin (through xstate/graph and through the explorer over xstate's transition()) and
// its Promela translation (through SPIN, when installed) reach the same states.
import { spawnSync } from "node:child_process";
import type { AnyMachineSnapshot } from "xstate";
import { getAdjacencyMap, getShortestPaths } from "xstate/graph";
import { describe, expect, it } from "vitest";
import { micro_counts, micro_model, PIN_MAX, REF_MAX } from "../bench/micro_page.js";
import { micro_page_machine, micro_serialize as serializeState } from "../bench/micro_page_machine.js";
import { run_spin } from "../bench/spin.js";
import { explore } from "../src/check/explore.js";
import { machine_model } from "../src/check/machine_model.js";

/** The states pincheck's explorer reaches, as packed counters. */
function reached(pages: number): { states: Set<number>; transitions: number } {
  const m = micro_model(pages);
  const states = new Set<number>();
  const r = explore({ ...m, check: (s) => (states.add(s), m.check(s)) }, Infinity);
  expect(r.states).toBe(states.size);
  return { states, transitions: r.transitions };
}

describe("page micro-model", () => {
  it.each([1, 2, 3])("%i page(s): the explorer and xstate/graph's getAdjacencyMap reach the same states", (pages) => {
    const ours = reached(pages);
    const adj = getAdjacencyMap(micro_page_machine(pages), { serializeState });
    expect(new Set(Object.keys(adj).map(Number))).toEqual(ours.states);
    expect({ states: ours.states.size, transitions: ours.transitions }).toEqual(micro_counts(pages));
    // getAdjacencyMap lists every (state, event) pair; the pairs that move are the enabled actions.
    // (The transitions' keys are branded strings, which Object.values() does not see through.)
    const pairs = Object.values(adj).flatMap((x) =>
      (Object.values(x.transitions) as { state: AnyMachineSnapshot }[]).map((t) => [x.state, t.state] as const));
    expect(pairs).toHaveLength(ours.states.size * 4 * pages);
    expect(pairs.filter(([a, b]) => a.context.s !== b.context.s)).toHaveLength(ours.transitions);
    expect(getShortestPaths(micro_page_machine(pages), { serializeState })).toHaveLength(ours.states.size);
  });

  it("the explorer over xstate's own transition() agrees too", () => {
    const r = explore(machine_model(micro_page_machine(2)), Infinity);
    expect([r.states, r.transitions]).toEqual([144, 816]);
  });

  it("every counter pair is reachable: 12^N states, 20,736 and 235,008 enabled transitions for 4 pages", () => {
    expect(micro_counts(4)).toEqual({ states: 20736, transitions: 235008 });
    // The 331,776 transitions are getAdjacencyMap's (state, event) pairs: 16 events in each state.
    expect(micro_counts(4).states * 16).toBe(331776);
    // Exactly the packed vectors with every refcount 0..REF_MAX and pincount 0..PIN_MAX.
    const pairs: number[] = [];
    for (let pin = 0; pin <= PIN_MAX; pin++) for (let ref = 0; ref <= REF_MAX; ref++) pairs.push((pin << 2) | ref);
    expect(reached(2).states).toEqual(new Set(pairs.flatMap((hi) => pairs.map((lo) => (hi << 4) | lo))));
  });

  const tools = ["spin", "gcc"].every((c) => spawnSync(c, [c === "spin" ? "-V" : "--version"]).error === undefined);
  it.runIf(process.env.CI)("spin and gcc are installed (.ci/run installs them)", () => expect(tools).toBe(true));
  it.skipIf(!tools)("SPIN stores the same states for the Promela translation (2 pages), as the bench runs and reads it", () => {
    expect(run_spin(2, 1)).toMatchObject({ pages: 2, states: 144, transitions: 817, errors: 0 });
  });
});
