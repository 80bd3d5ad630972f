// The explorer as it was before the fingerprint engine: string keys in a Map, a Node object per
// state with its action. Slow and memory-hungry, kept as the reference the fast engine
// (explore.ts) must agree with: same states, transitions, depth, first violation and trace.
import type { ExploreResult, Model, Progress, Violation } from "./explore.js";

interface Node<A> {
  parent: number;
  action: A | null;
  depth: number;
}

export function explore_reference<S, A>(
  model: Model<S, A>, max_depth: number, on_progress?: (p: Progress) => void,
  /** Called before returning, while the visited set is still alive (to measure its heap). */
  on_done?: () => void,
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
  const found = (id: number, violation: Violation): ExploreResult<S, A> => (on_done?.(), {
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
  on_done?.();
  return { result: "ok", states: seen.size, transitions, depth };
}
