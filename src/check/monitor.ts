// Models as monitors: after every step of the explorer, each small anonymous page of the world
// must have stayed in its abstract state (models/page.ts) or moved along an edge the machine
// allows; a move it does not allow is a "model-conformance" violation. The edges seen are
// recorded, so a run can report how much of the machine it exercised.
//
// Scope: the page machine models swap for exclusive pages only. A page behind a non-exclusive
// swap PTE (one that was COW-shared, or not exclusive, when reclaimed) is outside it, and so is
// a page with more pins, references or mappings than the machine's bounds (PAGE_BOUNDS): neither
// is monitored while that lasts.
import { PAGE_BOUNDS, page_machine, page_state } from "../../models/page.js";
import type { PageId } from "../../models/page.js";
import type { World } from "../kernel/index.js";
import { PAGE_SIZE, PG_anon } from "../kernel/index.js";
import type { Violation } from "./explore.js";
import { machine_graph, snapshot_key } from "./machine_graph.js";

const graph = machine_graph(page_machine);
/** from-state key -> to-state key -> the events that make that move. */
const moves = new Map<string, Map<string, string[]>>();
for (const e of graph.edges) {
  const out = moves.get(e.from) ?? new Map<string, string[]>();
  out.set(e.to, [...(out.get(e.to) ?? []), e.event]);
  moves.set(e.from, out);
}
const FREE = graph.initial;
const SWAPPED = snapshot_key({ value: "swapped", context: { maps: 0, pins: 0, refs: 0 } });

export interface MachineCoverage {
  states: Set<string>;
  edges: Set<string>;
}

export const new_coverage = (): MachineCoverage => ({ states: new Set([FREE]), edges: new Set() });

export const page_machine_size = { states: graph.states.size, edges: graph.edges.length };

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

const key_of = (w: World, id: PageId): string => snapshot_key(page_state(w, id));

/** The page has more pins, references or mappings than the bounded machine can represent. */
function beyond_bounds(w: World, id: PageId): boolean {
  const c = page_state(w, id).context;
  return c.pins > PAGE_BOUNDS.pins || c.refs > PAGE_BOUNDS.refs || c.maps > PAGE_BOUNDS.maps;
}

/** A non-exclusive swap PTE stands for this page's user address. */
const shared_swap = (w: World, id: PageId): boolean =>
  id.vpn >= 0 && w.mms.some((mm) => mm.swap.get(id.vpn)?.exclusive === false);

/** Whether from -> to is one machine edge or two in a row (one kernel step may be two events). */
function allowed(from: string, to: string, cov: MachineCoverage): boolean {
  const direct = moves.get(from)?.get(to);
  if (direct) {
    for (const e of direct) cov.edges.add(`${from} --${e}--> ${to}`);
    return true;
  }
  for (const [mid, events] of moves.get(from) ?? []) {
    const second = moves.get(mid)?.get(to);
    if (!second) continue;
    cov.edges.add(`${from} --${events[0]}--> ${mid}`);
    cov.edges.add(`${mid} --${second[0]}--> ${to}`);
    return true;
  }
  return false;
}

/** Check one step: every page known before, and every page new after, moved as the machine allows. */
export function page_monitor(before: World, after: World, cov: MachineCoverage): Violation | null {
  const seen = new Set<string>();
  const pages = [...anon_pages(before), ...anon_pages(after)];
  for (const id of pages) {
    const tag = `${id.pfn}/${id.gen}`;
    if (seen.has(tag)) continue;
    seen.add(tag);
    if (shared_swap(before, id) || shared_swap(after, id)) continue;
    if (beyond_bounds(before, id) || beyond_bounds(after, id)) continue;
    const was_alive = before.mem.head[id.pfn] === id.pfn && before.mem.gen[id.pfn] === id.gen;
    // A frame new in this step is a fresh page, or a swapped-out page coming back (swap-in).
    const swapped_in = !was_alive && id.vpn >= 0 && before.mms.some((mm) => mm.swap.has(id.vpn));
    const from = was_alive ? key_of(before, id) : swapped_in ? SWAPPED : FREE;
    const to = key_of(after, id);
    cov.states.add(to);
    if (from === to || allowed(from, to, cov)) continue;
    return {
      property: "model-conformance",
      message: `page ${id.pfn} (user page 0x${(id.vpn * PAGE_SIZE).toString(16)}) moved from ${from} to ${to}, which models/page.ts does not allow`,
    };
  }
  return null;
}
