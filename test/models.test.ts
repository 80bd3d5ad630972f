// The lifecycle machines of models/: their reachable graphs, the paths that cover them, the
// kernel rules they encode, and agreement between our explorer and xstate/graph on which
// states each machine reaches.
import type { AnyMachineSnapshot, AnyStateMachine } from "xstate";
import { describe, expect, it } from "vitest";
import {
  completion_machine, iterator_machine, make_page_machine, make_process_machine, page_machine, process_machine,
} from "../models/index.js";
import {
  covering_paths, declared_transitions, edge_key, initial_snapshot, machine_graph, next_snapshot, snapshot_key,
  taken_transitions,
} from "../src/check/machine_graph.js";
import { agreement } from "../src/check/machine_model.js";

const machines: [string, AnyStateMachine][] = [
  ["page", page_machine], ["iterator", iterator_machine], ["completion", completion_machine], ["process", process_machine],
];

/** Run the paths on the machine alone: the edges and declared transitions they take. */
function walk(machine: AnyStateMachine, paths: string[][]) {
  const declared = declared_transitions(machine);
  const edges = new Set<string>();
  const transitions = new Set<string>();
  for (const events of paths) {
    let s = initial_snapshot(machine);
    for (const e of events) {
      const t = taken_transitions(machine, declared, s, e);
      expect(t.length, `${snapshot_key(s)} does not accept ${e}`).toBeGreaterThan(0);
      t.forEach((x) => transitions.add(x));
      edges.add(edge_key(snapshot_key(s), e));
      s = next_snapshot(machine, s, e);
    }
  }
  return { edges, transitions, declared };
}

const value_of = (key: string): unknown => JSON.parse(key).value;
const context_of = (key: string): Record<string, unknown> => JSON.parse(key).context;

describe("covering paths", () => {
  it.each(machines)("%s: the generated paths take every reachable edge and every declared transition", (_, machine) => {
    const graph = machine_graph(machine);
    const paths = covering_paths(machine, graph);
    const { edges, transitions, declared } = walk(machine, paths);
    expect(graph.edges.length).toBeGreaterThan(0);
    expect([...edges].sort()).toEqual(graph.edges.map((e) => edge_key(e.from, e.event)).sort());
    expect([...transitions].sort()).toEqual([...declared.values()].sort());
    // More than one path per state: every edge, not just every state.
    expect(paths.reduce((n, p) => n + p.length, 0)).toBeGreaterThanOrEqual(graph.edges.length);
  });

  it("edges are only the events some transition accepts (guards evaluated)", () => {
    const graph = machine_graph(page_machine);
    const held_with_ref = [...graph.states.keys()].find((k) => value_of(k) === "held" && context_of(k).pins === 0)!;
    const from_held = graph.edges.filter((e) => e.from === held_with_ref).map((e) => e.event);
    expect(from_held).toEqual(["PUT"]); // no UNPIN without a pin
  });
});

describe("the kernel rules the machines encode", () => {
  const page = machine_graph(page_machine);
  const to_value = (e: { to: string }) => value_of(e.to);

  it("page: fork of a pinned page leaves it pinned and exclusive (the child gets a copy, 70e806e4e645)", () => {
    const forks = page.edges.filter((e) => value_of(e.from) === "pinned" && e.event === "FORK");
    expect(forks.length).toBeGreaterThan(0);
    for (const e of forks) expect(e.to).toBe(e.from);
  });

  it("page: reclaim of a pinned page is refused", () => {
    const reclaims = page.edges.filter((x) => value_of(x.from) === "pinned" && x.event === "RECLAIM");
    expect(reclaims.length).toBeGreaterThan(0); // RECLAIM is accepted there, and changes nothing
    for (const e of reclaims) expect(e.to).toBe(e.from);
  });

  it("page: a pinned page is never freed, and a shared page is never pinned", () => {
    const frees = page.edges.filter((x) => to_value(x) === "freed");
    expect(frees.some((e) => e.event === "UNPIN")).toBe(true); // the last unpin does free it
    for (const e of frees) {
      const pins = context_of(e.from).pins as number;
      expect(pins === 0 || (pins === 1 && e.event === "UNPIN"), `${e.from} --${e.event}--> freed`).toBe(true);
    }
    const shared = [...page.states.keys()].filter((k) => value_of(k) === "shared");
    expect(shared.length).toBeGreaterThan(0);
    for (const k of shared) expect(context_of(k).pins).toBe(0);
  });

  it("page: a FOLL_GET reference does not stop fork from sharing the page", () => {
    expect(page.edges.some((e) => value_of(e.from) === "exclusive" && context_of(e.from).refs === 1 && e.event === "FORK" && to_value(e) === "shared")).toBe(true);
  });

  it("iterator: only user-backed iterators hand out pins; KVEC hands out no references", () => {
    const g = machine_graph(iterator_machine);
    const kinds = (value: string) => new Set([...g.states.keys()].filter((k) => value_of(k) === value).map((k) => context_of(k).kind));
    expect(kinds("pinned")).toEqual(new Set(["user"]));
    expect(kinds("referenced")).toEqual(new Set(["user", "bvec"]));
  });

  it("completion: ->ki_complete can be signalled while the request still holds its pins", () => {
    const g = machine_graph(completion_machine);
    const completed = [...g.states.keys()].filter((k) => value_of(k) === "completed");
    expect(completed.length).toBeGreaterThan(0);
    for (const k of completed) expect(context_of(k)).toMatchObject({ op: "read", cleaned: true });
    // Async writes release their pages before the deferred ->ki_complete.
    const end_io = [...g.states.keys()].filter((k) => value_of(k) === "end_io");
    expect(end_io.length).toBeGreaterThan(0);
    expect(end_io.every((k) => context_of(k).op === "write")).toBe(true);
  });

  it("process: MMF_HAS_PINNED is never cleared", () => {
    const g = machine_graph(process_machine);
    const pinning = (k: string) => {
      const v = value_of(k) as { alive?: { pinning: string } };
      return v.alive?.pinning;
    };
    const from_ever = g.edges.filter((e) => pinning(e.from) === "ever" && pinning(e.to));
    expect(from_ever.length).toBeGreaterThan(0);
    expect(g.edges.some((e) => pinning(e.from) === "never" && pinning(e.to) === "ever")).toBe(true);
    for (const e of from_ever) expect(pinning(e.to)).toBe("ever");
  });
});

describe("agreement: our explorer and xstate/graph reach the same states", () => {
  const check = (machine: AnyStateMachine) => {
    const a = agreement(machine);
    expect(a.explorer.length).toBeGreaterThan(1);
    expect(a.only_explorer).toEqual([]);
    expect(a.only_xstate).toEqual([]);
    expect(a.explorer_states).toBe(a.explorer.length);
    expect(a.same).toBe(true);
    return a;
  };

  it.each(machines)("%s", (_, machine) => {
    expect(check(machine).explorer.length).toBe(machine_graph(machine).states.size);
  });

  it.each([
    { pins: 1, refs: 0, maps: 1 }, { pins: 1, refs: 1, maps: 2 }, { pins: 3, refs: 2, maps: 3 }, { pins: 4, refs: 3, maps: 4 },
  ])("page machine with bounds %o", (bounds) => {
    check(make_page_machine(bounds));
  });

  it.each([{ pins: 0, children: 1 }, { pins: 2, children: 3 }])("process machine with bounds %o", (bounds) => {
    check(make_process_machine(bounds));
  });

  it("a bigger bound reaches strictly more page states", () => {
    const small = agreement(make_page_machine({ pins: 1, refs: 1, maps: 2 })).explorer.length;
    const big = agreement(make_page_machine({ pins: 3, refs: 2, maps: 3 })).explorer.length;
    expect(big).toBeGreaterThan(small);
  });

  it("the explorer's states are real snapshots of the machine", () => {
    const s: AnyMachineSnapshot = initial_snapshot(page_machine);
    expect(s.value).toBe("free");
    expect(next_snapshot(page_machine, s, "FAULT_WRITE").value).toBe("exclusive");
  });
});
