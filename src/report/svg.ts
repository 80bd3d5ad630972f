// A machine as an inline SVG diagram, coloured by coverage: every declared state is a <g
// class="state"> box, every declared transition a line of text (an edge label, or a "↻" line
// inside its state's box) carrying its name in data-transition and its coverage in its class.
import type { Coverage, MachineView, TransitionView } from "./data.js";
import { n_observed } from "./data.js";
import { esc } from "./escape.js";
import type { LaidState, Rect } from "./layout.js";
import { edge_text, layout, PAD, SELF_LINE_H, self_text, SMALL_CHAR_W, TITLE_H } from "./layout.js";

const COVERAGES: Coverage[] = ["observed", "unobserved", "na"];

interface Point {
  x: number;
  y: number;
}

const f = (n: number): string => String(Math.round(n * 10) / 10);
const center = (r: Rect): Point => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });

/** Where the ray from the rectangle's centre towards p leaves it. */
function border(r: Rect, p: Point): Point {
  const c = center(r);
  const dx = p.x - c.x;
  const dy = p.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const t = Math.min(dx ? r.w / 2 / Math.abs(dx) : Infinity, dy ? r.h / 2 / Math.abs(dy) : Infinity);
  return { x: c.x + dx * t, y: c.y + dy * t };
}

/** An edge's line: observed if any of its transitions was, else unobserved if any could have been. */
const group_coverage = (ts: TransitionView[]): Coverage =>
  ts.some((t) => t.coverage === "observed") ? "observed" : ts.some((t) => t.coverage === "unobserved") ? "unobserved" : "na";

const tooltip = (t: TransitionView): string =>
  `${t.name}: ${t.evidence}${t.property !== "-" ? `; guard protects ${t.property}` : ""}`;

function state_svg(m: MachineView, s: LaidState): string {
  const { rect: r, state } = s;
  const cls = `state cov-${state.coverage}${s.container ? " container" : ""}${state.type === "final" ? " final" : ""}`;
  const title = `${state.path}${state.description ? `: ${state.description}` : ""} (${state.coverage === "observed" ? "observed" : "not observed"})`;
  const parts = [
    `<g class="${cls}" data-state="${esc(state.path)}" data-coverage="${state.coverage}" id="${esc(`${m.machine}-state-${state.path}`)}">`,
    `<title>${esc(title)}</title>`,
    `<rect x="${f(r.x)}" y="${f(r.y)}" width="${f(r.w)}" height="${f(r.h)}" rx="${s.container ? 10 : 6}"/>`,
  ];
  if (state.type === "final") parts.push(`<rect class="inner" x="${f(r.x + 3)}" y="${f(r.y + 3)}" width="${f(r.w - 6)}" height="${f(r.h - 6)}" rx="4"/>`);
  const tx = s.container ? r.x + PAD : r.x + r.w / 2;
  const anchor = s.container ? "start" : "middle";
  parts.push(`<text class="name" x="${f(tx)}" y="${f(r.y + 16)}" text-anchor="${anchor}">${esc(state.key)}</text>`);
  s.self.forEach((t, k) =>
    parts.push(`<text class="self cov-${t.coverage}" data-transition="${esc(t.name)}" data-coverage="${t.coverage}" x="${f(tx)}" y="${f(r.y + TITLE_H + 8 + k * SELF_LINE_H)}" text-anchor="${anchor}"><title>${esc(tooltip(t))}</title>${esc(self_text(t))}</text>`));
  parts.push("</g>");
  return parts.join("");
}

/** The smallest box holding everything drawn, grown point by point. */
class Bounds {
  x0 = 0;
  y0 = 0;
  x1 = 0;
  y1 = 0;
  add(x: number, y: number, w = 0, h = 0): void {
    this.x0 = Math.min(this.x0, x);
    this.y0 = Math.min(this.y0, y);
    this.x1 = Math.max(this.x1, x + w);
    this.y1 = Math.max(this.y1, y + h);
  }
}

const inside = (r: Rect, outer: Rect): boolean =>
  r.x >= outer.x && r.y >= outer.y && r.x + r.w <= outer.x + outer.w && r.y + r.h <= outer.y + outer.h;

/**
 * A quadratic curve from a to b that bends just far enough to pass the boxes between its ends:
 * at fraction s of the way its offset from the chord is 4·D·s·(1-s), D the offset at the middle.
 * It bends to its left when an edge runs the other way too (so the two separate), else to
 * whichever side needs less.
 */
function route(a: Point, b: Point, blockers: Rect[], paired: boolean): { ctrl: Point; n: Point } {
  const left = bend(a, b, blockers, 1);
  if (paired) return left;
  const right = bend(a, b, blockers, -1);
  return right.d < left.d ? right : left;
}

function bend(a: Point, b: Point, blockers: Rect[], side: 1 | -1): { ctrl: Point; n: Point; d: number } {
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  const u = { x: (b.x - a.x) / len, y: (b.y - a.y) / len };
  const n = { x: side * u.y, y: -side * u.x };
  const spread = (r: Rect, v: Point): [number, number] => {
    const ps = [[r.x, r.y], [r.x + r.w, r.y], [r.x, r.y + r.h], [r.x + r.w, r.y + r.h]].map(([x, y]) => (x - a.x) * v.x + (y - a.y) * v.y);
    return [Math.min(...ps), Math.max(...ps)];
  };
  let d = Math.max(13, Math.min(0.06 * len, 22));
  for (let round = 0; round < 8; round++) {
    let need = d;
    for (const r of blockers) {
      const [s0, s1] = spread(r, u).map((x) => x / len);
      const [lo, hi] = spread(r, n);
      if (s1 <= 0.02 || s0 >= 0.98 || hi < -2 || lo > d + 2) continue;
      const g = (s: number) => s * (1 - s);
      const m = Math.max(0.1275, Math.min(g(Math.max(s0, 0.02)), g(Math.min(s1, 0.98))));
      need = Math.max(need, (hi + 10) / (4 * m));
    }
    if (need <= d) break;
    d = Math.min(need, 400);
  }
  return { ctrl: { x: (a.x + b.x) / 2 + n.x * 2 * d, y: (a.y + b.y) / 2 + n.y * 2 * d }, n, d };
}

/** Edges between distinct states, one per (source, target) pair, their labels drawn last. */
function edges_svg(m: MachineView, rects: Map<string, Rect>, blockers: Rect[], box: Bounds): { lines: string[]; labels: string[] } {
  const groups = new Map<string, { from: string; to: string; ts: TransitionView[] }>();
  for (const t of m.transitions)
    for (const to of t.targets) {
      if (to === t.state) continue;
      const key = `${t.state}\u0000${to}`;
      const g = groups.get(key) ?? { from: t.state, to, ts: [] };
      g.ts.push(t);
      groups.set(key, g);
    }
  const lines: string[] = [];
  const labels: string[] = [];
  for (const { from, to, ts } of groups.values()) {
    const a = rects.get(from)!;
    const b = rects.get(to)!;
    const ca = center(a);
    const cb = center(b);
    const paired = groups.has(`${to}\u0000${from}`);
    const { ctrl, n } = route(ca, cb, blockers.filter((r) => !inside(r, a) && !inside(r, b)), paired);
    const p = border(a, ctrl);
    const q = border(b, ctrl);
    const cov = group_coverage(ts);
    lines.push(`<path class="edge cov-${cov}" data-from="${esc(from)}" data-to="${esc(to)}" d="M${f(p.x)},${f(p.y)} Q${f(ctrl.x)},${f(ctrl.y)} ${f(q.x)},${f(q.y)}" marker-end="url(#${esc(m.machine)}-arrow-${cov})"/>`);
    // The label sits beside the curve's apex, on the outside of the bend.
    const apex = { x: 0.25 * p.x + 0.5 * ctrl.x + 0.25 * q.x, y: 0.25 * p.y + 0.5 * ctrl.y + 0.25 * q.y };
    box.add(apex.x, apex.y);
    const w = Math.max(...ts.map((t) => edge_text(t).length)) * SMALL_CHAR_W;
    const h = ts.length * SELF_LINE_H;
    const side = Math.abs(n.x) > 0.6;
    const anchor = side ? (n.x > 0 ? "start" : "end") : "middle";
    const x = side ? apex.x + n.x * 4 : apex.x;
    const top = side ? apex.y - h / 2 : n.y < 0 ? apex.y - 3 - h : apex.y + 3;
    box.add(anchor === "start" ? x : anchor === "end" ? x - w : x - w / 2, top, w, h);
    labels.push(`<text class="label" x="${f(x)}" y="${f(top + 10)}" text-anchor="${anchor}">${ts
      .map((t, k) => `<tspan class="cov-${t.coverage}" data-transition="${esc(t.name)}" data-coverage="${t.coverage}" x="${f(x)}" y="${f(top + 10 + k * SELF_LINE_H)}"><title>${esc(tooltip(t))}</title>${esc(edge_text(t))}</tspan>`)
      .join("")}</text>`);
  }
  return { lines, labels };
}

/** A filled dot and an arrow into each initial state, left of its box. */
function initial_markers(m: MachineView, rects: Map<string, Rect>): string[] {
  const initials = [m.initial, ...m.states.filter((s) => s.type === "compound" && s.initial).map((s) => s.initial!)];
  return initials.map((p) => {
    const r = rects.get(p)!;
    const y = r.y + Math.min(r.h / 2, 14);
    return `<circle class="initial" cx="${f(r.x - 20)}" cy="${f(y)}" r="4"/><path class="edge initial" d="M${f(r.x - 16)},${f(y)} L${f(r.x - 1)},${f(y)}" marker-end="url(#${esc(m.machine)}-arrow-initial)"/>`;
  });
}

export function machine_svg(m: MachineView): string {
  const l = layout(m);
  const rects = new Map(l.states.map((s) => [s.state.path, s.rect]));
  const box = new Bounds();
  box.add(0, 0, l.width, l.height);
  const { lines, labels } = edges_svg(m, rects, l.states.filter((s) => !s.container).map((s) => s.rect), box);
  const vb = { x: Math.floor(box.x0 - 6), y: Math.floor(box.y0 - 6), w: Math.ceil(box.x1 - box.x0 + 12), h: Math.ceil(box.y1 - box.y0 + 12) };
  const markers = [...COVERAGES, "initial"].map((c) =>
    `<marker id="${esc(m.machine)}-arrow-${c}" class="arrow cov-${c}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="machine" data-machine="${esc(m.machine)}" viewBox="${vb.x} ${vb.y} ${vb.w} ${vb.h}" width="${vb.w}" height="${vb.h}" role="img" aria-label="${esc(`${m.machine} machine: ${m.states.length} states (${n_observed(m.states)} observed), ${m.transitions.length} transitions`)}">`,
    `<defs>${markers.join("")}</defs>`,
    ...l.states.filter((s) => s.container).map((s) => state_svg(m, s)),
    ...initial_markers(m, rects),
    ...lines,
    ...l.states.filter((s) => !s.container).map((s) => state_svg(m, s)),
    ...labels,
    "</svg>",
  ].join("\n");
}
