// Part (b): pincheck's explorer against SPIN on the Promela translation of the micro-model
// (bench/micro_page.pml), 1 to 6 pages. Both store one state per counter vector; SPIN's
// transition count is pincheck's plus one (it counts the initial state as stored+matched).
import { explore } from "../src/check/explore.js";
import { micro_model } from "./micro_page.js";
import type { SpinRun } from "./spin.js";
import { run_spin } from "./spin.js";
import { best_of } from "./timing.js";

export interface SpinRow {
  pages: number;
  states: number;
  transitions: number;
  pincheck_seconds: number;
  pincheck_bytes_per_state: number;
  spin: SpinRun;
  /** pincheck time / SPIN time (below 1: pincheck is faster). */
  ratio: number;
}

export function vs_spin(max_pages: number, log: (line: string) => void): SpinRow[] {
  const rows: SpinRow[] = [];
  for (let pages = 1; pages <= max_pages; pages++) {
    const runs = pages <= 4 ? 10 : pages === 5 ? 3 : 1;
    const ours = best_of(runs, () => explore(micro_model(pages), Infinity), pages <= 5 ? 1 : 0);
    const spin = run_spin(pages, pages <= 4 ? 10 : 1);
    const r = ours.result;
    if (spin.states !== r.states || spin.transitions !== r.transitions + 1 || spin.errors !== 0)
      throw new Error(`micro model with ${pages} pages: SPIN stored ${spin.states} states, ${spin.transitions} transitions, ${spin.errors} errors; pincheck ${r.states} states, ${r.transitions} transitions`);
    const row: SpinRow = {
      pages, states: r.states, transitions: r.transitions, pincheck_seconds: ours.seconds,
      pincheck_bytes_per_state: r.memory!.bytes_per_state, spin, ratio: ours.seconds / spin.seconds,
    };
    log(`  ${pages} page(s): ${r.states} states; pincheck ${ours.seconds.toFixed(4)} s, SPIN ${spin.seconds.toFixed(4)} s (pincheck/SPIN ${row.ratio.toFixed(2)})`);
    rows.push(row);
  }
  return rows;
}
