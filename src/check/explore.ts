// Breadth-first exhaustive exploration with state deduplication and parent links, so the first
// violation found comes with a shortest trace. Deterministic: actions are visited in the order
// the model lists them.
export interface Model<S, A> {
  initial(): S[];
  /** Enabled actions, in a fixed order. */
  actions(s: S): A[];
  /** The successor state; must not modify s. */
  step(s: S, a: A): S;
  /** Canonical encoding: equal keys mean equal states. */
  key(s: S): string;
  /** The first broken invariant in s, or null. */
  check(s: S): Violation | null;
  /** A rule about the step itself (e.g. a model monitor): checked before check(t). */
  check_step?(s: S, a: A, t: S): Violation | null;
}

export interface Violation {
  property: string;
  message: string;
}

export interface ExploreResult<S, A> {
  result: "ok" | "violation";
  states: number;
  transitions: number;
  depth: number;
  violation?: Violation;
  /** For a violation: the initial state and the actions leading to the bad state. */
  trace?: { initial: S; actions: A[] };
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  queue: number;
}

interface Node<A> {
  parent: number;
  action: A | null;
  depth: number;
}

export function explore<S, A>(
  model: Model<S, A>, max_depth: number, on_progress?: (p: Progress) => void,
): ExploreResult<S, A> {
  const seen = new Map<string, number>();
  const nodes: Node<A>[] = [];
  const queue: S[] = [];
  const ids: number[] = [];
  let transitions = 0;
  let depth = 0;

  const trace = (id: number): { initial: S; actions: A[] } => {
    const actions: A[] = [];
    let n = id;
    while (nodes[n].action !== null) {
      actions.unshift(nodes[n].action as A);
      n = nodes[n].parent;
    }
    return { initial: model.initial()[n], actions };
  };
  const found = (id: number, violation: Violation): ExploreResult<S, A> => ({
    result: "violation", states: seen.size, transitions, depth: nodes[id].depth, violation, trace: trace(id),
  });

  for (const s of model.initial()) {
    const id = nodes.length;
    nodes.push({ parent: -1, action: null, depth: 0 });
    seen.set(model.key(s), id);
    const v = model.check(s);
    if (v) return found(id, v);
    queue.push(s);
    ids.push(id);
  }
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head];
    const id = ids[head];
    queue[head] = undefined as unknown as S; // let the state be collected
    if (nodes[id].depth >= max_depth) continue;
    for (const a of model.actions(s)) {
      transitions++;
      const t = model.step(s, a);
      const k = model.key(t);
      // A rule about steps must hold on every transition, also one into a state already seen.
      const vs = model.check_step?.(s, a, t) ?? null;
      if (seen.has(k) && !vs) continue;
      const tid = nodes.length;
      nodes.push({ parent: id, action: a, depth: nodes[id].depth + 1 });
      if (!seen.has(k)) seen.set(k, tid);
      depth = Math.max(depth, nodes[tid].depth);
      const v = vs ?? model.check(t);
      if (v) return found(tid, v);
      queue.push(t);
      ids.push(tid);
    }
    if (on_progress && head % 1000 === 0) on_progress({ states: seen.size, transitions, depth, queue: queue.length - head });
  }
  return { result: "ok", states: seen.size, transitions, depth };
}
