// Models as monitors: after every step of the explorer, each object a machine covers must have
// stayed in its abstract state or moved along edges the machine allows; any other move is a
// "model-conformance" violation. One kernel step may be up to MAX_EVENTS machine events: a
// swap-in then a pin, or a write fault that breaks COW with every child at once and pins. The states and edges seen are recorded, so a run can report how much of each
// machine it exercised.
//
// Monitored: every small anonymous page (models/page.ts) and every process (models/process.ts).
// Scope: the page machine models swap for exclusive pages only, so a page behind a
// non-exclusive swap PTE is not monitored while that lasts; neither is an object with more
// pins, references, mappings or children than its machine's bounds. The iterator and
// completion machines are checked by path replay (path_replay.ts), not here: their
// abstractions follow one driver-built object, not whatever the explorer creates.
import type { AnyStateMachine } from "xstate";
import { PAGE_BOUNDS, page_machine, page_state } from "../../models/page.js";
import type { PageContext, PageId } from "../../models/page.js";
import { PROCESS_BOUNDS, process_machine, process_state } from "../../models/process.js";
import type { World } from "../kernel/index.js";
import { PAGE_SIZE, PG_anon } from "../kernel/index.js";
import type { Violation } from "./explore.js";
import { machine_graph, snapshot_key } from "./machine_graph.js";

const MAX_EVENTS = 3;

/** A machine's edges as from-state -> to-state -> events. */
class Moves {
  readonly initial: string;
  readonly size: { states: number; edges: number };
  private moves = new Map<string, Map<string, string[]>>();

  constructor(machine: AnyStateMachine) {
    const g = machine_graph(machine);
    this.initial = g.initial;
    this.size = { states: g.states.size, edges: g.edges.length };
    for (const e of g.edges) {
      const out = this.moves.get(e.from) ?? new Map<string, string[]>();
      out.set(e.to, [...(out.get(e.to) ?? []), e.event]);
      this.moves.set(e.from, out);
    }
  }

  /**
   * Whether to is reachable from from in at most MAX_EVENTS edges (breadth first, so the
   * shortest way); the edges of that way go into cov.
   */
  allowed(from: string, to: string, cov: Coverage): boolean {
    cov.states.add(to);
    if (from === to) return true;
    // The answer depends on the two states only: search once per pair, replay its coverage after.
    const memo = `${from}\n${to}`;
    let way = this.ways.get(memo);
    if (way === undefined) this.ways.set(memo, (way = this.search(from, to)));
    if (way === null) return false;
    for (const [edge, state] of way) {
      cov.edges.add(edge);
      cov.states.add(state);
    }
    return true;
  }

  private ways = new Map<string, [string, string][] | null>();

  /** The edges and states of the shortest way from -> to of at most MAX_EVENTS edges, or null. */
  private search(from: string, to: string): [string, string][] | null {
    const prev = new Map<string, [string, string]>([[from, ["", ""]]]);
    let layer = [from];
    for (let d = 0; d < MAX_EVENTS && layer.length; d++) {
      const next: string[] = [];
      for (const s of layer)
        for (const [t, events] of this.moves.get(s) ?? []) {
          if (prev.has(t)) continue;
          prev.set(t, [s, events[0]]);
          next.push(t);
        }
      if (prev.has(to)) {
        const way: [string, string][] = [];
        for (let t = to; t !== from; t = prev.get(t)![0]) {
          const [s, e] = prev.get(t)!;
          way.push([`${s} --${e}--> ${t}`, t]);
        }
        return way;
      }
      layer = next;
    }
    return null;
  }
}

interface Coverage {
  states: Set<string>;
  edges: Set<string>;
}

/**
 * snapshot_key() memoised in a trie walked token by token through value and context (property
 * names, primitives, markers for nesting): it sorts keys and serialises again, which cost more
 * than the rest of a monitor step; a walk builds no string. Equal walks mean equal JSON.
 */
class KeyTrie {
  next = new Map<unknown, KeyTrie>();
  key: string | undefined = undefined;
}
const OPEN = {}, OPEN_ARRAY = {}, CLOSE = {};
const key_root = new KeyTrie();
function token(t: KeyTrie, x: unknown): KeyTrie {
  let n = t.next.get(x);
  if (n === undefined) t.next.set(x, (n = new KeyTrie()));
  return n;
}
function walk(t: KeyTrie, x: unknown): KeyTrie {
  if (typeof x !== "object" || x === null) return token(t, x);
  t = token(t, Array.isArray(x) ? OPEN_ARRAY : OPEN);
  for (const k in x) t = walk(token(t, k), (x as Record<string, unknown>)[k]);
  return token(t, CLOSE);
}
function state_key(s: { value: unknown; context: unknown }): string {
  const t = walk(walk(key_root, s.value), s.context);
  return (t.key ??= snapshot_key(s));
}

const page_moves = new Moves(page_machine);
const process_moves = new Moves(process_machine);
const SWAPPED = snapshot_key({ value: "swapped", context: { maps: 0, pins: 0, refs: 0 } });

export interface MachineCoverage {
  page: Coverage;
  process: Coverage;
}

export const new_coverage = (): MachineCoverage => ({
  page: { states: new Set([page_moves.initial]), edges: new Set() },
  process: { states: new Set([process_moves.initial]), edges: new Set() },
});

export const machine_sizes = { page: page_moves.size, process: process_moves.size };

/**
 * The small anonymous pages of a world, each with a user virtual page that maps it, or whose
 * swap PTE names it while it sits unmapped in the swap cache (-1 if neither).
 */
function anon_pages(w: World): PageId[] {
  const m = w.mem;
  const vpn = new Map<number, number>();
  for (const mm of w.mms) for (const [v, pte] of mm.ptes) if (!vpn.has(pte.pfn)) vpn.set(pte.pfn, v);
  for (const mm of w.mms)
    for (const [v, swp] of mm.swap) {
      const cached = w.swap.cache.get(swp.slot);
      if (cached !== undefined && !vpn.has(cached)) vpn.set(cached, v);
    }
  const out: PageId[] = [];
  for (let pfn = 1; pfn < m.nr_frames; pfn++)
    if (m.head[pfn] === pfn && m.order[pfn] === 0 && m.flags[pfn] & PG_anon) out.push({ pfn, gen: m.gen[pfn], vpn: vpn.get(pfn) ?? -1 });
  return out;
}

/** Outside the page machine: behind a non-exclusive swap PTE, or beyond its bounds. */
function page_out_of_scope(w: World, id: PageId, c: PageContext): boolean {
  if (id.vpn >= 0 && w.mms.some((mm) => mm.swap.get(id.vpn)?.exclusive === false)) return true;
  return c.pins > PAGE_BOUNDS.pins || c.refs > PAGE_BOUNDS.refs || c.maps > PAGE_BOUNDS.maps;
}

const violation = (what: string, from: string, to: string, file: string): Violation => ({
  property: "model-conformance",
  message: `${what} moved from ${from} to ${to}, which ${file} does not allow`,
});

function page_monitor(before: World, after: World, cov: Coverage): Violation | null {
  const seen = new Set<string>();
  for (const id of [...anon_pages(before), ...anon_pages(after)]) {
    const tag = `${id.pfn}/${id.gen}`;
    if (seen.has(tag)) continue;
    seen.add(tag);
    const [a, b] = [page_state(before, id), page_state(after, id)];
    if (page_out_of_scope(before, id, a.context) || page_out_of_scope(after, id, b.context)) continue;
    const was_alive = before.mem.head[id.pfn] === id.pfn && before.mem.gen[id.pfn] === id.gen;
    // A frame new in this step is a fresh page, or a swapped-out page coming back (swap-in).
    const swapped_in = !was_alive && id.vpn >= 0 && before.mms.some((mm) => mm.swap.has(id.vpn));
    const from = was_alive ? state_key(a) : swapped_in ? SWAPPED : page_moves.initial;
    const to = state_key(b);
    if (!page_moves.allowed(from, to, cov))
      return violation(`page ${id.pfn} (user page 0x${(id.vpn * PAGE_SIZE).toString(16)})`, from, to, "models/page.ts");
  }
  return null;
}

function process_monitor(before: World, after: World, cov: Coverage): Violation | null {
  for (let mm = 0; mm < after.mms.length; mm++) {
    const [a, b] = [process_state(before, { mm }), process_state(after, { mm })];
    if ([a, b].some((s) => s.context.pins > PROCESS_BOUNDS.pins || s.context.children > PROCESS_BOUNDS.children)) continue;
    const [from, to] = [state_key(a), state_key(b)];
    if (!process_moves.allowed(from, to, cov)) return violation(`process ${mm}`, from, to, "models/process.ts");
  }
  return null;
}

/** Check one step against every monitored machine. */
export const monitor_step = (before: World, after: World, cov: MachineCoverage): Violation | null =>
  page_monitor(before, after, cov.page) ?? process_monitor(before, after, cov.process);
