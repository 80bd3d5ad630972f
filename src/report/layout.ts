// Geometry of a machine diagram: a compound state is a box holding its children in columns, left
// to right from its initial child (see columns()); a parallel state stacks its
// regions; a transition that stays in its state is a line inside that state's box instead of
// a loop, so boxes never need room around them for loop labels.
import type { MachineView, StateView, TransitionView } from "./data.js";

/** Pixels per character of the 12px and 10px monospace fonts the SVG uses. */
const CHAR_W = 7.3;
export const SMALL_CHAR_W = 6.1;
export const TITLE_H = 22;
export const SELF_LINE_H = 13;
export const PAD = 12;
/** Room left of a container's first column for its initial-state marker. */
const INIT_ROOM = 26;
const COL_GAP = 150;
const ROW_GAP = 30;
const REGION_GAP = 8;
const MIN_W = 70;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LaidState {
  state: StateView;
  /** Absolute position in the diagram. */
  rect: Rect;
  /** Transitions drawn as lines inside the box (targetless or back to the same state). */
  self: TransitionView[];
  container: boolean;
}

export interface Layout {
  width: number;
  height: number;
  /** In drawing order: every container before what it contains. */
  states: LaidState[];
}

interface Node {
  state: StateView | null;
  children: Node[];
  self: TransitionView[];
  w: number;
  h: number;
  /** Position relative to the parent's origin. */
  x: number;
  y: number;
}

export const edge_text = (t: TransitionView): string => `${t.event}${t.guard !== "-" ? ` [${t.guard}]` : ""}`;
export const self_text = (t: TransitionView): string => `↻ ${edge_text(t)}`;

const is_self = (t: TransitionView, path: string): boolean => t.state === path && t.targets.every((x) => x === path);

/** The child of container `within` (null: the top level) that is or contains `path`. */
function child_of(within: string | null, path: string): string | null {
  if (within === null) return path.split(".")[0];
  if (!path.startsWith(`${within}.`)) return null;
  return `${within}.${path.slice(within.length + 1).split(".")[0]}`;
}

const title_h = (n: Node): number => TITLE_H + n.self.length * SELF_LINE_H;

function text_w(n: Node): number {
  const title = n.state ? n.state.key.length * CHAR_W : 0;
  return Math.max(MIN_W, title, ...n.self.map((t) => self_text(t).length * SMALL_CHAR_W)) + 2 * PAD;
}

/**
 * Columns of `children` inside a container. First the breadth-first distance from the initial
 * child; then a state entered from another of its column (and not leading back to it) moves one
 * column right of it, so most edges run left to right. Each column is ordered by where its
 * neighbours in the columns before it sit (fewer crossings).
 */
function columns(within: string | null, initial: string | null, children: Node[], transitions: TransitionView[]): Node[][] {
  const order = children.map((c) => c.state!.path);
  const next = new Map<string, string[]>(order.map((p) => [p, []]));
  for (const t of transitions)
    for (const target of t.targets) {
      const a = child_of(within, t.state);
      const b = child_of(within, target);
      if (a === null || b === null || a === b || !next.has(a) || !next.has(b) || next.get(a)!.includes(b)) continue;
      next.get(a)!.push(b);
    }
  const dist = new Map<string, number>();
  const bfs = (start: string, at: number) => {
    dist.set(start, at);
    const queue = [start];
    while (queue.length) {
      const s = queue.shift()!;
      for (const t of next.get(s)!) {
        if (dist.has(t)) continue;
        dist.set(t, dist.get(s)! + 1);
        queue.push(t);
      }
    }
  };
  if (initial !== null && next.has(initial)) bfs(initial, 0);
  for (const p of order) if (!dist.has(p)) bfs(p, 0);
  const forward: [string, string][] = [];
  for (const [a, bs] of next)
    for (const b of bs)
      if (dist.get(a)! < dist.get(b)! || (dist.get(a) === dist.get(b) && !next.get(b)!.includes(a))) forward.push([a, b]);
  // Longest path over the forward edges (relaxed at most once per state, in case they cycle).
  const layer = new Map(dist);
  for (let round = 0; round < order.length; round++) {
    let moved = false;
    for (const [a, b] of forward) {
      if (layer.get(b)! >= layer.get(a)! + 1) continue;
      layer.set(b, layer.get(a)! + 1);
      moved = true;
    }
    if (!moved) break;
  }
  const cols: string[][] = [];
  for (const p of order) (cols[layer.get(p)!] ??= []).push(p);
  const placed = cols.filter((c) => c !== undefined);
  const index = new Map<string, number>();
  placed.forEach((col, k) => {
    if (k > 0) {
      const bary = (p: string): number => {
        const near = [...index.keys()].filter((q) => next.get(q)!.includes(p) || next.get(p)!.includes(q)).map((q) => index.get(q)!);
        return near.length ? near.reduce((a, b) => a + b, 0) / near.length : 2;
      };
      const keys = new Map(col.map((p, i) => [p, [bary(p), i] as const]));
      col.sort((x, y) => keys.get(x)![0] - keys.get(y)![0] || keys.get(x)![1] - keys.get(y)![1]);
    }
    // Positions normalised to the column's height, so columns of different sizes compare.
    col.forEach((p, i) => index.set(p, col.length > 1 ? i / (col.length - 1) : 0.5));
  });
  const by_path = new Map(children.map((c) => [c.state!.path, c]));
  return placed.map((col) => col.map((p) => by_path.get(p)!));
}

/** Lay out the columns of children; returns the inner size. */
function place_columns(cols: Node[][]): { w: number; h: number } {
  const heights = cols.map((col) => col.reduce((a, n) => a + n.h, 0) + (col.length - 1) * ROW_GAP);
  const h = Math.max(0, ...heights);
  let x = 0;
  cols.forEach((col, k) => {
    const w = Math.max(...col.map((n) => n.w));
    let y = (h - heights[k]) / 2;
    for (const n of col) {
      n.x = x + (w - n.w) / 2;
      n.y = y;
      y += n.h + ROW_GAP;
    }
    x += w + COL_GAP;
  });
  return { w: Math.max(0, x - COL_GAP), h };
}

function size(n: Node, m: MachineView): void {
  for (const c of n.children) size(c, m);
  const s = n.state;
  if (!n.children.length) {
    n.w = text_w(n);
    n.h = title_h(n) + (n.self.length ? 6 : 8);
    return;
  }
  if (s && s.type === "parallel") {
    // Regions one above the other, all as wide as the widest.
    const w = Math.max(...n.children.map((c) => c.w));
    let y = title_h(n);
    for (const c of n.children) {
      c.w = w;
      c.x = PAD;
      c.y = y;
      y += c.h + REGION_GAP;
    }
    n.w = Math.max(text_w(n), w + 2 * PAD);
    n.h = y - REGION_GAP + PAD;
    return;
  }
  const inner = place_columns(columns(s ? s.path : null, s ? s.initial : m.initial, n.children, m.transitions));
  const top = s ? title_h(n) : PAD;
  for (const c of n.children) {
    c.x += PAD + INIT_ROOM;
    c.y += top;
  }
  n.w = Math.max(s ? text_w(n) : 0, inner.w + 2 * PAD + INIT_ROOM);
  n.h = top + inner.h + PAD;
}

export function layout(m: MachineView): Layout {
  const nodes = new Map<string, Node>();
  const root: Node = { state: null, children: [], self: [], w: 0, h: 0, x: 0, y: 0 };
  for (const s of m.states) {
    const n: Node = { state: s, children: [], self: m.transitions.filter((t) => is_self(t, s.path)), w: 0, h: 0, x: 0, y: 0 };
    nodes.set(s.path, n);
    (s.parent === null ? root : nodes.get(s.parent)!).children.push(n);
  }
  size(root, m);
  const states: LaidState[] = [];
  const walk = (n: Node, ox: number, oy: number) => {
    const x = ox + n.x;
    const y = oy + n.y;
    if (n.state) states.push({ state: n.state, rect: { x, y, w: n.w, h: n.h }, self: n.self, container: n.children.length > 0 });
    for (const c of n.children) walk(c, x, y);
  };
  walk(root, 0, 0);
  return { width: Math.ceil(root.w), height: Math.ceil(root.h), states };
}
