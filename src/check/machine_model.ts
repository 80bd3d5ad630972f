// A machine as a Model for our explorer: its states are xstate snapshots keyed by value and
// context, its actions the events some transition of the state accepts. Running explore() on
// it and comparing with xstate/graph's getAdjacencyMap() cross-checks the two enumerations.
import type { AnyMachineSnapshot, AnyStateMachine } from "xstate";
import type { Model } from "./explore.js";
import { explore } from "./explore.js";
import { accepts, initial_snapshot, machine_graph, next_snapshot, snapshot_key } from "./machine_graph.js";
import { canonical_words } from "./words.js";

/** The machine's transition function as a Model; `seen` receives every state the explorer checks. */
export function machine_model(machine: AnyStateMachine, seen?: (key: string) => void): Model<AnyMachineSnapshot, string> {
  const events = machine.root.events.filter((e) => !e.includes("*"));
  return {
    initial: () => [initial_snapshot(machine)],
    actions: (s) => events.filter((e) => accepts(machine, s, e)),
    step: (s, e) => next_snapshot(machine, s, e),
    key: snapshot_key,
    encode: (s, out) => canonical_words(out, { value: s.value, context: s.context }),
    check(s) {
      seen?.(snapshot_key(s));
      return null;
    },
  };
}

export interface Agreement {
  /** States our explorer reached, and those getAdjacencyMap() lists. */
  explorer: string[];
  xstate: string[];
  only_explorer: string[];
  only_xstate: string[];
  /** The explorer's own count of distinct states (must equal explorer.length). */
  explorer_states: number;
  same: boolean;
}

/** Explore the machine to a fixpoint and compare the reached states with xstate/graph's. */
export function agreement(machine: AnyStateMachine, max_depth = 1000): Agreement {
  const reached = new Set<string>();
  const r = explore(machine_model(machine, (k) => reached.add(k)), max_depth);
  const theirs = new Set(machine_graph(machine).states.keys());
  const explorer = [...reached].sort();
  const xstate = [...theirs].sort();
  const only_explorer = explorer.filter((k) => !theirs.has(k));
  const only_xstate = xstate.filter((k) => !reached.has(k));
  return {
    explorer, xstate, only_explorer, only_xstate, explorer_states: r.states,
    same: !only_explorer.length && !only_xstate.length && r.states === reached.size,
  };
}
