// Path replay: xstate/graph paths covering every reachable edge of a machine are run against
// the simulated kernel through the machine's driver. Each path starts from a fresh world; after
// every step the abstraction of the object must equal the machine's state (value and context),
// and the kernel must not have warned. A path stops at its first mismatch, since the world has
// left the model there; the edges it took before that count as covered.
import type { AnyMachineSnapshot } from "xstate";
import type { Driver } from "./driver.js";
import type { MachineGraph } from "./machine_graph.js";
import {
  canonical, covering_paths, declared_transitions, edge_key, initial_snapshot, machine_graph, next_snapshot,
  snapshot_key, taken_transitions,
} from "./machine_graph.js";

export interface Mismatch {
  machine: string;
  /** Index of the path among those replayed, and its events. */
  path: number;
  events: string[];
  /** 0 for the setup, k for the state after the k-th event. */
  step: number;
  event: string | null;
  expected: string;
  actual: string;
}

export interface ReplayReport {
  machine: string;
  states: number;
  /** Reachable (state, event) edges, and those replayed in agreement. */
  edges_defined: number;
  edges_covered: number;
  /** Transitions the definition declares (each guarded alternative on its own), and those taken. */
  transitions_defined: number;
  transitions_covered: number;
  uncovered_edges: string[];
  uncovered_transitions: string[];
  paths: number;
  steps: number;
  mismatches: Mismatch[];
}

const expected_of = (s: AnyMachineSnapshot): string => snapshot_key(s);

/** Replay the given paths through the driver. */
export function replay_paths<H>(driver: Driver<H>, paths: readonly string[][], graph: MachineGraph = machine_graph(driver.machine)): ReplayReport {
  const machine = driver.machine;
  const declared = declared_transitions(machine);
  const edges_seen = new Set<string>();
  const transitions_seen = new Set<string>();
  const mismatches: Mismatch[] = [];
  let steps = 0;
  paths.forEach((events, path) => {
    const { w, h } = driver.setup();
    let snap = initial_snapshot(machine);
    const differs = (step: number, event: string | null, actual: string): boolean => {
      const expected = expected_of(snap);
      if (actual === expected) return false;
      mismatches.push({ machine: driver.name, path, events: [...events], step, event, expected, actual });
      return true;
    };
    if (differs(0, null, canonical(driver.observe(w, h)))) return;
    for (let k = 0; k < events.length; k++) {
      const event = events[k];
      const from = snapshot_key(snap);
      const taken = taken_transitions(machine, declared, snap, event);
      snap = next_snapshot(machine, snap, event);
      const warned = w.events.length;
      driver.step(w, h, event);
      steps++;
      const kernel = w.events.slice(warned).map((e) => `${e.kind} in ${e.fn}: ${e.what}`);
      const actual = kernel.length ? `kernel ${kernel.join("; ")}` : canonical(driver.observe(w, h));
      if (differs(k + 1, event, actual)) return;
      edges_seen.add(edge_key(from, event));
      for (const t of taken) transitions_seen.add(t);
    }
  });
  const all_edges = graph.edges.map((e) => edge_key(e.from, e.event));
  const all_transitions = [...declared.values()];
  return {
    machine: driver.name,
    states: graph.states.size,
    edges_defined: all_edges.length,
    edges_covered: all_edges.filter((e) => edges_seen.has(e)).length,
    transitions_defined: all_transitions.length,
    transitions_covered: all_transitions.filter((t) => transitions_seen.has(t)).length,
    uncovered_edges: all_edges.filter((e) => !edges_seen.has(e)),
    uncovered_transitions: all_transitions.filter((t) => !transitions_seen.has(t)),
    paths: paths.length,
    steps,
    mismatches,
  };
}

/** Generate paths covering every reachable edge of the driver's machine, and replay them. */
export function check_machine<H>(driver: Driver<H>): ReplayReport {
  const graph = machine_graph(driver.machine);
  return replay_paths(driver, covering_paths(driver.machine, graph), graph);
}

/** One line per report, and one per mismatch. */
export function format_report(r: ReplayReport): string {
  const lines = [
    `${r.machine}: ${r.states} states, edges ${r.edges_covered}/${r.edges_defined}, ` +
      `declared transitions ${r.transitions_covered}/${r.transitions_defined}, ${r.paths} paths, ${r.steps} steps, ` +
      `${r.mismatches.length} mismatches`,
  ];
  for (const m of r.mismatches) {
    lines.push(`  path ${m.path} step ${m.step}${m.event ? ` (${m.event})` : ""}: expected ${m.expected}, got ${m.actual}`);
    lines.push(`    events: ${m.events.join(" ")}`);
  }
  return lines.join("\n");
}
