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
    let ways = this.ways.get(from);
    if (ways === undefined) this.ways.set(from, (ways = new Map()));
    let way = ways.get(to);
    if (way === undefined) ways.set(to, (way = this.search(from, to)));
    if (way === null) return false;
    for (const [edge, state] of way) {
      cov.edges.add(edge);
      cov.states.add(state);
    }
    return true;
  }

  /** from -> to -> the way search() found. */
  private ways = new Map<string, Map<string, [string, string][] | null>>();

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
 * The small anonymous pages of a world (but those `known` lists with their generation), each
 * with a user virtual page that maps it, or whose swap PTE names it while it sits unmapped in
 * the swap cache (-1 if neither).
 */
function anon_pages(w: World, known?: ReadonlyMap<number, number>): PageId[] {
  const m = w.mem;
  const out: PageId[] = [];
  for (let pfn = 1; pfn < m.nr_frames; pfn++)
    if (m.head[pfn] === pfn && m.order[pfn] === 0 && m.flags[pfn] & PG_anon && known?.get(pfn) !== m.gen[pfn])
      out.push({ pfn, gen: m.gen[pfn], vpn: user_vpn(w, pfn) });
  return out;
}

/** The first virtual page (in mm and page-table order) whose PTE maps pfn, else whose swap PTE names it in the swap cache; -1 if none. */
function user_vpn(w: World, pfn: number): number {
  for (const mm of w.mms) for (const [v, pte] of mm.ptes) if (pte.pfn === pfn) return v;
  for (const mm of w.mms) for (const [v, swp] of mm.swap) if (w.swap.cache.get(swp.slot) === pfn) return v;
  return -1;
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

/**
 * What the monitors judge of a step's world before it, computed once per world: the explorer
 * steps a state with each of its actions in turn, and those steps share it. For each small
 * anonymous page and each process, its state key, or null where it is out of the machine's
 * scope; and the (pfn, gen) of the pages listed, so a page listed after too is judged once.
 */
interface Before {
  w: World;
  pages: { id: PageId; from: string | null }[];
  gens: Map<number, number>;
  procs: (string | null)[];
}

/** The last world summarised: worlds are not changed once a step has made them (see world_key.ts). */
let last_before: Before | undefined;
function before_of(w: World): Before {
  if (last_before?.w === w) return last_before;
  const pages = anon_pages(w).map((id) => {
    const a = page_state(w, id);
    return { id, from: page_out_of_scope(w, id, a.context) ? null : state_key(a) };
  });
  const procs = w.mms.map((_, mm) => process_from(w, mm));
  return (last_before = { w, pages, gens: new Map(pages.map((p) => [p.id.pfn, p.id.gen])), procs });
}

function page_monitor(b: Before, after: World, cov: Coverage): Violation | null {
  // The pages before the step (each one alive then), then the pages new in it.
  for (const { id, from } of b.pages) {
    if (from === null) continue;
    const v = page_move(id, from, page_state(after, id), after, cov);
    if (v) return v;
  }
  const before = b.w;
  for (const id of anon_pages(after, b.gens)) {
    const a = page_state(before, id);
    if (page_out_of_scope(before, id, a.context)) continue;
    const was_alive = before.mem.head[id.pfn] === id.pfn && before.mem.gen[id.pfn] === id.gen;
    // A frame new in this step is a fresh page, or a swapped-out page coming back (swap-in).
    const swapped_in = !was_alive && id.vpn >= 0 && before.mms.some((mm) => mm.swap.has(id.vpn));
    const from = was_alive ? state_key(a) : swapped_in ? SWAPPED : page_moves.initial;
    const v = page_move(id, from, page_state(after, id), after, cov);
    if (v) return v;
  }
  return null;
}

/** Whether page id may move from `from` to its state b after the step (no claim out of scope). */
function page_move(id: PageId, from: string, b: { value: unknown; context: PageContext }, after: World, cov: Coverage): Violation | null {
  if (page_out_of_scope(after, id, b.context)) return null;
  const to = state_key(b);
  if (page_moves.allowed(from, to, cov)) return null;
  return violation(`page ${id.pfn} (user page 0x${(id.vpn * PAGE_SIZE).toString(16)})`, from, to, "models/page.ts");
}

const beyond_process_bounds = (s: { context: { pins: number; children: number } }): boolean =>
  s.context.pins > PROCESS_BOUNDS.pins || s.context.children > PROCESS_BOUNDS.children;

/** Process mm's state key in w, or null beyond the machine's bounds. */
function process_from(w: World, mm: number): string | null {
  const a = process_state(w, { mm });
  return beyond_process_bounds(a) ? null : state_key(a);
}

function process_monitor(b: Before, after: World, cov: Coverage): Violation | null {
  for (let mm = 0; mm < after.mms.length; mm++) {
    // A process born in the step was idle before it.
    const from = mm < b.procs.length ? b.procs[mm] : process_from(b.w, mm);
    if (from === null) continue;
    const s = process_state(after, { mm });
    if (beyond_process_bounds(s)) continue;
    const to = state_key(s);
    if (!process_moves.allowed(from, to, cov)) return violation(`process ${mm}`, from, to, "models/process.ts");
  }
  return null;
}

/** Check one step against every monitored machine. */
export function monitor_step(before: World, after: World, cov: MachineCoverage): Violation | null {
  const b = before_of(before);
  // The machines see page frames, page tables and the swap cache only: a step that left all
  // three as they were (it wrote page bytes, say) moved no object; each stays where it was.
  if (after.mem_for_read === before.mem_for_read && after.mms_for_read === before.mms_for_read && after.swap_for_read === before.swap_for_read) {
    for (const p of b.pages) if (p.from !== null) cov.page.states.add(p.from);
    for (const from of b.procs) if (from !== null) cov.process.states.add(from);
    return null;
  }
  return page_monitor(b, after, cov.page) ?? process_monitor(b, after, cov.process);
}
