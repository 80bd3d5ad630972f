// A machine's reachable graph, from xstate/graph: its states (snapshot value and context), its
// edges (a state and an event some transition of that state accepts), the static transitions
// the definition declares, and a set of paths from the initial state that together take every
// reachable edge.
import type { AnyMachineSnapshot, AnyStateMachine, AnyStateNode, AnyTransitionDefinition, EventObject } from "xstate";
import { initialTransition, transition } from "xstate";
import type { AdjacencyMap } from "xstate/graph";
import { getAdjacencyMap, getShortestPaths, getStateNodes } from "xstate/graph";

/** JSON with object keys sorted, so equal values give equal strings. */
export function canonical(x: unknown): string {
  return JSON.stringify(x, (_, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v);
}

/** A state's key: its value and context. */
export const snapshot_key = (s: { value: unknown; context: unknown }): string =>
  canonical({ value: s.value, context: s.context });

export const edge_key = (from: string, event: string): string => `${from} --${event}-->`;

/** A state node's path from the root: "alive.pinning.ever". */
export const state_path = (node: AnyStateNode): string => node.path.join(".");

/** Every state node below the root, in definition order. */
export const state_nodes = (machine: AnyStateMachine): AnyStateNode[] => [...getStateNodes(machine.root)];

export interface MachineEdge {
  from: string;
  event: string;
  to: string;
}

export interface MachineGraph {
  initial: string;
  states: Map<string, AnyMachineSnapshot>;
  edges: MachineEdge[];
}

export const initial_snapshot = (machine: AnyStateMachine): AnyMachineSnapshot => initialTransition(machine)[0];

export const next_snapshot = (machine: AnyStateMachine, s: AnyMachineSnapshot, event: string): AnyMachineSnapshot =>
  transition(machine, s, { type: event })[0];

/** Does some transition of the current state accept the event (guards evaluated)? */
export const accepts = (machine: AnyStateMachine, s: AnyMachineSnapshot, event: string): boolean =>
  machine.getTransitionData(s, { type: event }).length > 0;

/** getAdjacencyMap(), keeping the events a transition actually accepts (it also lists refused ones). */
export function machine_graph(machine: AnyStateMachine): MachineGraph {
  const adj: AdjacencyMap<AnyMachineSnapshot, EventObject> =
    getAdjacencyMap(machine, { serializeState: (s) => snapshot_key(s as AnyMachineSnapshot) });
  const states = new Map<string, AnyMachineSnapshot>();
  const edges: MachineEdge[] = [];
  for (const [from, { state, transitions }] of Object.entries(adj)) {
    states.set(from, state);
    // (The transitions' keys are branded strings, which Object.values() does not see through.)
    const moves = Object.values(transitions) as { event: EventObject; state: AnyMachineSnapshot }[];
    for (const { event, state: to } of moves) {
      if (accepts(machine, state, event.type)) edges.push({ from, event: event.type, to: snapshot_key(to) });
    }
  }
  return { initial: snapshot_key(initial_snapshot(machine)), states, edges };
}

/** A static transition's name: source state node, event, and its place among that event's alternatives. */
const transition_name = (node: AnyStateNode, event: string, k: number, of: number): string =>
  `${node.id}.${event}${of > 1 ? `[${k}]` : ""}`;

/** Every transition the machine definition declares, each guarded alternative on its own. */
export function declared_transitions(machine: AnyStateMachine): Map<AnyTransitionDefinition, string> {
  const out = new Map<AnyTransitionDefinition, string>();
  for (const node of [machine.root, ...state_nodes(machine)]) {
    for (const [event, list] of node.transitions) list.forEach((t, k) => out.set(t, transition_name(node, event, k, list.length)));
  }
  return out;
}

/** The names of the declared transitions the event takes from s. */
export function taken_transitions(machine: AnyStateMachine, declared: Map<AnyTransitionDefinition, string>, s: AnyMachineSnapshot, event: string): string[] {
  return machine.getTransitionData(s, { type: event }).map((t) => declared.get(t) ?? `${t.source.id}.${event}`);
}

/**
 * Paths (event sequences from the initial state) that take every edge of the graph: for each
 * edge not yet taken, xstate/graph's shortest path to its source, the edge, then onward along
 * edges not yet taken for as long as there are any.
 */
export function covering_paths(machine: AnyStateMachine, graph: MachineGraph = machine_graph(machine)): string[][] {
  const shortest = new Map<string, string[]>();
  for (const p of getShortestPaths(machine, { serializeState: (s) => snapshot_key(s as AnyMachineSnapshot) })) {
    shortest.set(snapshot_key(p.state as AnyMachineSnapshot), p.steps.slice(1).map((step) => step.event.type));
  }
  const out_edges = new Map<string, MachineEdge[]>();
  for (const e of graph.edges) out_edges.set(e.from, [...(out_edges.get(e.from) ?? []), e]);
  const taken = new Set<string>();
  const paths: string[][] = [];
  const ordered = [...graph.edges].sort((a, b) => shortest.get(a.from)!.length - shortest.get(b.from)!.length);
  for (const first of ordered) {
    if (taken.has(edge_key(first.from, first.event))) continue;
    const events = [...shortest.get(first.from)!];
    let at = graph.initial;
    for (const ev of events) {
      const e = out_edges.get(at)!.find((x) => x.event === ev)!;
      taken.add(edge_key(at, ev));
      at = e.to;
    }
    for (let e: MachineEdge | undefined = first; e; e = out_edges.get(at)?.find((x) => !taken.has(edge_key(x.from, x.event)))) {
      taken.add(edge_key(e.from, e.event));
      events.push(e.event);
      at = e.to;
    }
    paths.push(events);
  }
  return paths;
}
