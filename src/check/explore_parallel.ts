// Breadth-first exploration spread over worker threads, giving what explore() gives: the same
// states, transitions, depth and first violation with the same trace.
//
// Level by level: each worker holds part of the frontier and expands it (step, check_step,
// encoding, fingerprint: the costly part) and sends back its successors as fingerprints. This
// thread merges them in the order the serial search would meet them (by parent number, then
// action index), so it numbers the new states and decides what is new exactly as explore()
// does; each worker then runs check() on its new successors in that order, drops the rest and,
// below the depth bound, keeps the new ones (offered to Model.retain) as its next frontier; at the
// bound it keeps none. States never move between threads; a worker that ends up with much more
// of the frontier than the others hands some of it over as paths, which the receiver replays.
// Fingerprints are only as good as the encodings: a string-id collision in words.ts could
// encode one state two ways in two workers (at most a duplicate state, never a missed one).
import type { ExploreResult, Model, Progress, Violation } from "./explore.js";
import { explore_memory, Links, path_to, replay_path } from "./explore.js";
import { FingerprintTable } from "./state_table.js";

/** Successors found by one worker, in its frontier's order, then action order. */
export interface Candidates {
  /** The state each came from (-1 for an initial state) and the action's index (the initial state's index). */
  parent: Int32Array;
  action: Int32Array;
  lo: Uint32Array;
  hi: Uint32Array;
  /** check_step violations: [candidate index, violation]. */
  step_violations: [number, Violation][];
}

/** What a worker is asked, and what it answers (see check_worker.ts). */
export type Request =
  | { op: "begin"; target: number } // -> Candidates of model.initial()
  | { op: "expand" } // -> Candidates of the frontier
  | { op: "keep"; entries: Int32Array; ids: Int32Array; hold: boolean } // -> Kept (hold: they are a frontier)
  | { op: "move"; drop: Int32Array; adopt: Int32Array; paths: number[][] } // -> null
  | { op: "end" }; // -> Ended

/** After keep: the first of the kept candidates (index into entries) that check() found broken. */
export interface Kept {
  violation: [number, Violation] | null;
}

export interface Ended {
  guarded: [string, number][];
  coverage: Record<string, { states: string[]; edges: string[] }> | null;
}

/** Sent while an expand runs: parents expanded so far, and the successors they gave. */
export interface ExpandNote {
  parents: number;
  successors: number;
}

/** The worker threads, as the engine talks to them: one request to worker w, one reply (notes before it go to `note`). */
export interface Workers {
  readonly size: number;
  call<R>(w: number, req: Request, note?: (n: ExpandNote) => void): Promise<R>;
}

/** A worker's share of the frontier is moved when it exceeds its even share by this factor. */
const IMBALANCE = 1.1;

/**
 * explore() over the workers, for the model of the target they were told to `begin` (this
 * thread's copy of it rebuilds the trace). Requires encoding-based fingerprints (no `exact`).
 */
export async function explore_parallel<S, A>(
  workers: Workers, target: number, model: Model<S, A>, max_depth: number, on_progress?: (p: Progress) => void,
): Promise<ExploreResult<S, A>> {
  const n = workers.size;
  const all = <R>(req: (w: number) => Request) => Promise.all(Array.from({ length: n }, (_, w) => workers.call<R>(w, req(w))));
  const table = new FingerprintTable();
  const links = new Links();
  let transitions = 0;
  let depth = 0;
  let frontier_peak = 0;
  // The frontier: per worker, the numbers of the states it holds, ascending.
  let frontier: number[][] = Array.from({ length: n }, () => []);

  const found = (violation: Violation, path: number[], last: number | undefined, states: number, at: number): ExploreResult<S, A> => {
    const { initial, actions } = replay_path(model, model.initial(), path, last);
    return { result: "violation", states, transitions: at, depth: actions.length, violation, trace: { initial, actions }, memory: explore_memory(table, links, false, frontier_peak) };
  };

  /**
   * Merge the candidates in serial order, number the new states, have their holders check them.
   * `holder` says who holds candidate e of worker w (initial states: every worker has them);
   * without `hold` (states at the depth bound: nothing expands them) they are checked and dropped.
   */
  const settle = async (cands: Candidates[], holder: (w: number, id: number) => number, level: number, hold: boolean): Promise<ExploreResult<S, A> | null> => {
    const keep = Array.from({ length: n }, () => ({ entries: [] as number[], ids: [] as number[] }));
    const at = new Map<number, number>(); // new state -> transitions counted when it was found
    const step_bad = cands.map((c) => new Map(c.step_violations));
    const next = new Array<number>(n).fill(0);
    let stop: { v: Violation; parent: number; k: number; id: number | null; states: number; at: number } | null = null;
    for (;;) {
      // The worker whose next candidate has the lowest parent: its whole group for that parent.
      let w = -1;
      for (let x = 0; x < n; x++)
        if (next[x] < cands[x].parent.length && (w < 0 || cands[x].parent[next[x]] < cands[w].parent[next[w]])) w = x;
      if (w < 0) break;
      const c = cands[w];
      const parent = c.parent[next[w]];
      for (; next[w] < c.parent.length && c.parent[next[w]] === parent; next[w]++) {
        const e = next[w];
        if (parent >= 0) transitions++;
        const vs = step_bad[w].get(e) ?? null;
        const fresh = table.insert(c.lo[e], c.hi[e]);
        if (!fresh && !vs) continue;
        if (parent >= 0) depth = level + 1;
        if (!fresh) {
          stop = { v: vs!, parent, k: c.action[e], id: null, states: table.size, at: transitions };
          break;
        }
        const id = links.add(parent, c.action[e]);
        if (vs) {
          stop = { v: vs, parent, k: c.action[e], id, states: table.size, at: transitions };
          break;
        }
        at.set(id, transitions);
        const h = holder(w, id);
        keep[h].entries.push(e);
        keep[h].ids.push(id);
      }
      if (stop) break;
    }
    const kept = await all<Kept>((w) => ({ op: "keep", entries: Int32Array.from(keep[w].entries), ids: Int32Array.from(keep[w].ids), hold }));
    // The first new state (lowest number) that check() found broken comes before any check_step stop.
    let bad: { id: number; v: Violation } | null = null;
    for (let w = 0; w < n; w++) {
      const r = kept[w].violation;
      if (r && (!bad || keep[w].ids[r[0]] < bad.id)) bad = { id: keep[w].ids[r[0]], v: r[1] };
    }
    if (bad) return found(bad.v, path_to(links, bad.id), undefined, bad.id + 1, at.get(bad.id)!);
    if (stop) return stop.id !== null ? found(stop.v, path_to(links, stop.id), undefined, stop.states, stop.at) : found(stop.v, path_to(links, stop.parent), stop.k, stop.states, stop.at);
    frontier = keep.map((k) => k.ids); // at the bound (no hold) the workers keep none: this only feeds the progress line, and the bound ends the loop
    if (hold) frontier_peak = Math.max(frontier_peak, frontier.reduce((a, f) => a + f.length, 0));
    return null;
  };

  const begun = await all<Candidates>(() => ({ op: "begin", target }));
  // Every worker listed the initial states: take one list, and spread the states round robin.
  const v0 = await settle([begun[0], ...begun.slice(1).map(() => NONE)], (_w, id) => id % n, 0, max_depth > 0);
  if (v0) return v0;
  for (let level = 0; level < max_depth && frontier.some((f) => f.length); level++) {
    await rebalance(workers, links, frontier);
    // While the level runs: the transitions taken so far, and the frontier states not yet expanded.
    const notes = frontier.map(() => ({ parents: 0, successors: 0 }));
    const waiting = frontier.reduce((a, f) => a + f.length, 0);
    const heard = on_progress && ((w: number) => (x: ExpandNote) => {
      notes[w] = x;
      const sum = (k: keyof ExpandNote) => notes.reduce((a, y) => a + y[k], 0);
      on_progress({ states: table.size, transitions: transitions + sum("successors"), depth, queue: waiting - sum("parents") });
    });
    const cands = await Promise.all(frontier.map((_, w) => workers.call<Candidates>(w, { op: "expand" }, heard?.(w))));
    const v = await settle(cands, (w) => w, level, level + 1 < max_depth);
    if (v) return v;
    on_progress?.({ states: table.size, transitions, depth, queue: frontier.reduce((a, f) => a + f.length, 0) });
  }
  return { result: "ok", states: table.size, transitions, depth, memory: explore_memory(table, links, false, frontier_peak) };
}

const NONE: Candidates = { parent: new Int32Array(0), action: new Int32Array(0), lo: new Uint32Array(0), hi: new Uint32Array(0), step_violations: [] };

/**
 * Even out the frontier before a level: the highest-numbered states over a worker's share move
 * to the workers under theirs, which replay them from their paths.
 */
async function rebalance(workers: Workers, links: Links, frontier: number[][]): Promise<void> {
  const n = workers.size;
  const total = frontier.reduce((a, f) => a + f.length, 0);
  const share = Math.ceil(total / n);
  if (total < n || Math.max(...frontier.map((f) => f.length)) <= share * IMBALANCE) return;
  const drop = frontier.map((f) => f.splice(share));
  const spare = drop.flat();
  const adopt: number[][] = frontier.map((f) => spare.splice(0, share - f.length));
  const moves: Promise<unknown>[] = [];
  for (let w = 0; w < n; w++) {
    if (!drop[w].length && !adopt[w].length) continue;
    adopt[w].sort((a, b) => a - b);
    frontier[w] = merge_sorted(frontier[w], adopt[w]);
    moves.push(workers.call(w, { op: "move", drop: Int32Array.from(drop[w]), adopt: Int32Array.from(adopt[w]), paths: adopt[w].map((id) => path_to(links, id)) }));
  }
  await Promise.all(moves);
}

function merge_sorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++]);
  return out;
}
