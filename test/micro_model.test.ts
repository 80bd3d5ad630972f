// The page micro-model of the benchmark: the pure model (through pincheck's explorer), its
// xstate twin (through xstate/graph and through the explorer over xstate's transition()) and
// its Promela translation (through SPIN, when installed) reach the same states.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AnyMachineSnapshot } from "xstate";
import { getAdjacencyMap, getShortestPaths } from "xstate/graph";
import { describe, expect, it } from "vitest";
import { micro_counts, micro_model, pincount, refcount } from "../bench/micro_page.js";
import { micro_page_machine } from "../bench/micro_page_machine.js";
import { PML } from "../bench/spin.js";
import { explore } from "../src/check/explore.js";
import { machine_model } from "../src/check/machine_model.js";

const serializeState = (s: unknown): string => String((s as AnyMachineSnapshot).context.s);

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
    const { states } = reached(2);
    expect(states.size).toBe(144);
    for (const s of states) for (const p of [0, 1]) expect([refcount(s, p) <= 3, pincount(s, p) <= 2]).toEqual([true, true]);
  });

  const tools = ["spin", "gcc"].every((c) => spawnSync(c, [c === "spin" ? "-V" : "--version"]).error === undefined);
  it.runIf(process.env.CI)("spin and gcc are installed (.ci/run installs them)", () => expect(tools).toBe(true));
  it.skipIf(!tools)("SPIN stores the same states for the Promela translation (2 pages)", () => {
    const dir = mkdtempSync(join(tmpdir(), "pincheck-spin-test-"));
    try {
      const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: dir, encoding: "utf8" });
      expect(run("spin", ["-DN=2", "-a", PML]).status).toBe(0);
      expect(run("gcc", ["-O2", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"]).status).toBe(0);
      const out = run("./pan", ["-m1000"]).stdout;
      expect(out).toMatch(/errors: 0/);
      expect(out).toMatch(/\b144 states, stored/);
      expect(out).toMatch(/\b817 transitions \(= stored\+matched\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
