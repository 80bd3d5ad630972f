// The page micro-model the benchmark compares engines on: N pages, each with a refcount 0..3
// and a pincount 0..2, and per page four actions, each enabled when its counter has room: get
// (refcount + 1), put (refcount - 1), pin (pincount + 1), unpin (pincount - 1). Every counter
// vector is reachable: 12^N states (20,736 for N = 4). The transition functions are written once
// here; micro_model() runs them through pincheck's explorer like any check's model, and
// micro_page_machine.ts wraps the same functions in an xstate machine for xstate/graph.
import type { Model, Violation } from "../src/check/explore.js";
import type { Words } from "../src/check/words.js";

export const REF_MAX = 3;
export const PIN_MAX = 2;
export const OPS = ["get", "put", "pin", "unpin"] as const;

/** The counters packed four bits a page: refcount in bits 0-1, pincount in bits 2-3 (N <= 7). */
export type MicroState = number;
/** page * 4 + index in OPS. */
export type MicroAction = number;

const refcount = (s: MicroState, page: number): number => (s >>> (4 * page)) & 3;
const pincount = (s: MicroState, page: number): number => (s >>> (4 * page + 2)) & 3;

export function micro_enabled(s: MicroState, a: MicroAction): boolean {
  const page = a >> 2;
  switch (a & 3) {
    case 0: return refcount(s, page) < REF_MAX;
    case 1: return refcount(s, page) > 0;
    case 2: return pincount(s, page) < PIN_MAX;
    default: return pincount(s, page) > 0;
  }
}

/** The successor of s under a, which must be enabled. */
export function micro_step(s: MicroState, a: MicroAction): MicroState {
  const shift = 4 * (a >> 2) + ((a & 2) ? 2 : 0);
  return (a & 1) ? s - (1 << shift) : s + (1 << shift);
}

/** Four bits set in each page's pincount field: no pincount reaches 3. */
const pin_high = (pages: number): number => {
  let m = 0;
  for (let p = 0; p < pages; p++) m |= 0b1000 << (4 * p);
  return m;
};

export function micro_model(pages: number): Model<MicroState, MicroAction> {
  if (pages < 1 || pages > 7) throw new Error(`micro model: 1..7 pages, got ${pages}`);
  const high = pin_high(pages);
  return {
    initial: () => [0],
    actions(s) {
      const out: MicroAction[] = [];
      for (let a = 0; a < 4 * pages; a++) if (micro_enabled(s, a)) out.push(a);
      return out;
    },
    step: micro_step,
    key: (s) => String(s),
    encode: (s: MicroState, out: Words) => out.push(s),
    // The invariant SPIN's translation asserts too: no pincount beyond PIN_MAX (pincount 3 sets both bits).
    check: (s): Violation | null => ((s & (s >>> 1) & (high >>> 1)) ? { property: "pin-bound", message: `a pincount exceeds ${PIN_MAX}` } : null),
  };
}

/** Counts of the model, from its definition: states 12^N, enabled (state, action) pairs. */
export function micro_counts(pages: number): { states: number; transitions: number } {
  const per_page = (REF_MAX + 1) * (PIN_MAX + 1);
  // Per page, summed over its 12 counter pairs: get 9, put 9, pin 8, unpin 8 enabled.
  const enabled_per_page = 2 * REF_MAX * (PIN_MAX + 1) + 2 * PIN_MAX * (REF_MAX + 1);
  return { states: per_page ** pages, transitions: pages * enabled_per_page * per_page ** (pages - 1) };
}
