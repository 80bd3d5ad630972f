// Part (a): pincheck's explorer against xstate/graph on the page micro-model at growing sizes.
// xstate/graph explores the xstate twin (micro_page_machine.ts); pincheck explores the same
// transition functions through its Model interface, as every check does. getAdjacencyMap()
// lists every (state, event) pair, refused events included, and takes its queue with
// Array.shift(); getShortestPaths() builds that map and then walks it.
import { getAdjacencyMap, getShortestPaths } from "xstate/graph";
import { explore } from "../src/check/explore.js";
import { machine_model } from "../src/check/machine_model.js";
import { micro_model } from "./micro_page.js";
import { micro_page_machine, micro_serialize as serializeState } from "./micro_page_machine.js";
import { best_of, once } from "./timing.js";

export interface XstateRow {
  pages: number;
  states: number;
  /** Enabled (state, action) pairs pincheck visits. */
  transitions: number;
  /** Entries of getAdjacencyMap(): every (state, event) pair, refused events included. */
  adjacency_entries: number;
  pincheck_seconds: number;
  adjacency_seconds: number;
  shortest_seconds: number;
  /** pincheck's engine over xstate's own transition() (machine_model.ts); only for small sizes. */
  engine_over_xstate_seconds: number | null;
  adjacency_ratio: number;
  shortest_ratio: number;
}

export function vs_xstate(max_pages: number, log: (line: string) => void): XstateRow[] {
  const rows: XstateRow[] = [];
  for (let pages = 1; pages <= max_pages; pages++) {
    const machine = micro_page_machine(pages);
    const ours = best_of(pages < 4 ? 20 : 5, () => explore(micro_model(pages), Infinity), 2);
    const adj = once(() => getAdjacencyMap(machine, { serializeState }));
    const shortest = once(() => getShortestPaths(machine, { serializeState }));
    const over = pages <= 3 ? once(() => explore(machine_model(machine), Infinity)) : null;
    const states = ours.result.states;
    const entries = Object.values(adj.result).reduce((n, x) => n + Object.keys(x.transitions).length, 0);
    if (Object.keys(adj.result).length !== states || shortest.result.length !== states || (over && over.result.states !== states))
      throw new Error(`micro model with ${pages} pages: state counts differ (pincheck ${states}, getAdjacencyMap ${Object.keys(adj.result).length}, getShortestPaths ${shortest.result.length}${over ? `, engine over xstate ${over.result.states}` : ""})`);
    const row: XstateRow = {
      pages, states, transitions: ours.result.transitions, adjacency_entries: entries,
      pincheck_seconds: ours.seconds, adjacency_seconds: adj.seconds, shortest_seconds: shortest.seconds,
      engine_over_xstate_seconds: over?.seconds ?? null,
      adjacency_ratio: adj.seconds / ours.seconds, shortest_ratio: shortest.seconds / ours.seconds,
    };
    log(`  ${pages} page(s): ${states} states; pincheck ${(ours.seconds * 1000).toFixed(2)} ms, getAdjacencyMap ${adj.seconds.toFixed(3)} s (${row.adjacency_ratio.toFixed(0)}x), getShortestPaths ${shortest.seconds.toFixed(3)} s (${row.shortest_ratio.toFixed(0)}x)`);
    rows.push(row);
  }
  return rows;
}
