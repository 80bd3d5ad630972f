// Breadth-first exhaustive exploration with state deduplication and parent links, so the first
// violation found comes with a shortest trace. Deterministic: actions are visited in the order
// the model lists them.
//
// Built for speed and small memory: a state is encoded as int32 words into one reusable buffer
// (Model.encode, or its key() string as a fallback), the visited set keeps a 64-bit fingerprint
// of each (state_table.ts; or the whole encoding with `exact`), and a visited state costs a
// parent number and the index of its action among actions(parent) in typed arrays. Only the
// frontier holds states (each offered to Model.retain to share its memory), and not those at
// the depth bound: nothing expands them, so they are checked and dropped (in a bounded search
// the last level is the largest). Depth is known per BFS level: states are numbered in the
// order they are found, so each level is a range of numbers. A trace is rebuilt by re-running
// the actions from the initial state, which needs initial(), actions() and step() to be
// deterministic.
import type { StateTable } from "./state_table.js";
import { ExactTable, FingerprintTable, widen } from "./state_table.js";
import { Words } from "./words.js";

export interface Model<S, A> {
  initial(): S[];
  /** Enabled actions, in a fixed order. */
  actions(s: S): A[];
  /** The successor state; must not modify s. */
  step(s: S, a: A): S;
  /** Canonical encoding: equal keys mean equal states. */
  key(s: S): string;
  /**
   * The same identity as key() (equal words exactly when keys are equal), as int32 words
   * appended to out; the explorer uses it when present, since it builds no string.
   */
  encode?(s: S, out: Words): void;
  /** The first broken invariant in s, or null. */
  check(s: S): Violation | null;
  /** A rule about the step itself (e.g. a model monitor): checked before check(t). */
  check_step?(s: S, a: A, t: S): Violation | null;
  /** s joins the frontier and stays until expanded: a chance to share its memory with other states. */
  retain?(s: S): void;
}

export interface Violation {
  property: string;
  message: string;
}

/** What the visited set and the parent links cost (the frontier's states aside). */
export interface ExploreMemory {
  /** Bytes of the state table, parent and action arrays, as allocated. */
  bytes: number;
  bytes_per_state: number;
  /** Whole encodings kept (no fingerprint collision possible). */
  exact: boolean;
  /** The most states queued in one level: the frontier's size, which bounds what the states themselves take. */
  frontier_peak: number;
}

export interface ExploreResult<S, A> {
  result: "ok" | "violation";
  states: number;
  transitions: number;
  depth: number;
  violation?: Violation;
  /** For a violation: the initial state and the actions leading to the bad state. */
  trace?: { initial: S; actions: A[] };
  memory?: ExploreMemory;
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  queue: number;
}

export interface ExploreOptions {
  /** Keep whole encodings instead of fingerprints: exact, at more bytes per state. */
  exact?: boolean;
}

/** Parent links: per state, the state it was found from and which action (or initial state) led there. */
export class Links {
  parent = new Int32Array(256);
  /** Index of the action among actions(parent); for an initial state, its index in initial(). */
  action: Uint8Array | Uint16Array = new Uint8Array(256);
  count = 0;

  add(parent: number, k: number): number {
    const n = this.count++;
    if (n === this.parent.length) {
      this.parent = widen(this.parent, n * 2);
      this.action = widen(this.action, n * 2);
    }
    if (k > 0xff && this.action instanceof Uint8Array) this.action = Uint16Array.from(this.action);
    if (k > 0xffff) throw new Error(`explore: more than 65536 actions enabled in one state`);
    this.parent[n] = parent;
    this.action[n] = k;
    return n;
  }

  bytes(): number {
    return this.parent.byteLength + this.action.byteLength;
  }
}

/** Encode s into out (emptied first): model.encode, or its key() as a string. */
export function state_words<S>(model: Model<S, unknown>, s: S, out: Words): void {
  out.reset();
  if (model.encode) model.encode(s, out);
  else out.str(model.key(s));
}

/** The action indices that reach state n from its initial state: [initial index, action index, ...]. */
export function path_to(links: Links, n: number): number[] {
  const path: number[] = [];
  for (; links.parent[n] >= 0; n = links.parent[n]) path.push(links.action[n]);
  path.push(links.action[n]);
  return path.reverse();
}

/**
 * Re-run a path_to() path (then the action `last`, by index) on the model: the initial state,
 * the actions taken and the state they reach.
 */
export function replay_path<S, A>(model: Model<S, A>, initial: readonly S[], path: readonly number[], last?: number): { initial: S; actions: A[]; state: S } {
  const first = initial[path[0]];
  const actions: A[] = [];
  let s = first;
  for (let k = 1; k <= path.length; k++) {
    const i = k < path.length ? path[k] : last;
    if (i === undefined) break;
    const a = model.actions(s)[i];
    actions.push(a);
    s = model.step(s, a);
  }
  return { initial: first, actions, state: s };
}

/** What a visited set and its parent links cost, and the largest level queued. */
export function explore_memory(table: StateTable, links: Links, exact: boolean, frontier_peak: number): ExploreMemory {
  const bytes = table.bytes() + links.bytes();
  return { bytes, bytes_per_state: table.size ? bytes / table.size : 0, exact, frontier_peak };
}

export function explore<S, A>(
  model: Model<S, A>, max_depth: number, on_progress?: (p: Progress) => void, options: ExploreOptions = {},
): ExploreResult<S, A> {
  return new Search(model, options.exact === true).run(max_depth, on_progress);
}

/**
 * One exploration. A class rather than closures: the loop's counters are fields, not variables
 * captured by a closure, which V8 would keep in a heap context and update through it.
 */
class Search<S, A> {
  private readonly table: StateTable;
  private readonly links = new Links();
  private readonly out = new Words();
  private readonly initial: S[];
  /** States found and not yet expanded, in number order: queue[k - base] is state k. */
  private queue: (S | undefined)[] = [];
  private base = 0;
  private transitions = 0;
  private depth = 0;
  /** States queued in the level being found, and the most in any level. */
  private queued = 0;
  private frontier_peak = 0;

  constructor(private readonly model: Model<S, A>, private readonly exact: boolean) {
    this.table = exact ? new ExactTable() : new FingerprintTable();
    this.initial = model.initial();
  }

  run(max_depth: number, on_progress?: (p: Progress) => void): ExploreResult<S, A> {
    const { model, links } = this;
    for (let k = 0; k < this.initial.length; k++) {
      const s = this.initial[k];
      if (!this.add(s)) continue; // the same state listed twice
      const n = links.add(-1, k);
      const v = model.check(s);
      if (v) return this.found(v, n);
      if (max_depth > 0) this.enqueue(s);
    }
    this.level_queued();
    let level = 0;
    let level_end = links.count;
    for (let n = 0; n < links.count; n++) {
      if (n === level_end) {
        level++;
        level_end = links.count;
        this.level_queued();
      }
      if (level >= max_depth) break; // every state left is at least this deep
      const v = this.expand(n, level, level + 1 < max_depth);
      if (v) return v;
      if (on_progress && n % 1000 === 0) on_progress({ states: this.table.size, transitions: this.transitions, depth: this.depth, queue: links.count - n });
    }
    return { result: "ok", states: this.table.size, transitions: this.transitions, depth: this.depth, memory: this.memory() };
  }

  private enqueue(s: S): void {
    this.model.retain?.(s);
    this.queue.push(s);
    this.queued++;
  }

  private level_queued(): void {
    this.frontier_peak = Math.max(this.frontier_peak, this.queued);
    this.queued = 0;
  }

  /** Whether s is new (then it is now visited). */
  private add(s: S): boolean {
    state_words(this.model, s, this.out);
    return this.table.add(this.out.buf, this.out.len);
  }

  /**
   * Take state n (at depth level) off the queue and visit its successors, queueing the new ones
   * if `more` levels follow; a violation ends the search.
   */
  private expand(n: number, level: number, more: boolean): ExploreResult<S, A> | null {
    const { model, links } = this;
    const at = n - this.base;
    const s = this.queue[at]!;
    this.queue[at] = undefined; // let the state be collected
    if (at >= 4096 && at * 2 >= this.queue.length) {
      this.queue = this.queue.slice(at);
      this.base = n;
    }
    const actions = model.actions(s);
    for (let k = 0; k < actions.length; k++) {
      const a = actions[k];
      this.transitions++;
      const t = model.step(s, a);
      // A rule about steps must hold on every transition, also one into a state already seen.
      const vs = model.check_step ? model.check_step(s, a, t) : null;
      const fresh = this.add(t);
      if (!fresh && !vs) continue;
      this.depth = level + 1;
      if (!fresh) return this.found(vs!, n, k);
      links.add(n, k);
      const v = vs ?? model.check(t);
      if (v) return this.found(v, n, k);
      if (more) this.enqueue(t);
    }
    return null;
  }

  /** The violation, with the initial state and actions that reach state n (then its action k, if given). */
  private found(violation: Violation, n: number, k?: number): ExploreResult<S, A> {
    const { initial, actions } = replay_path(this.model, this.initial, path_to(this.links, n), k);
    return {
      result: "violation", states: this.table.size, transitions: this.transitions, depth: actions.length,
      violation, trace: { initial, actions }, memory: this.memory(),
    };
  }

  private memory(): ExploreMemory {
    this.level_queued();
    return explore_memory(this.table, this.links, this.exact, this.frontier_peak);
  }
}
