// Counterexamples as data: re-run a trace step by step, say what each step did to every page
// it touched (refcount, pincount, mapcount, flags before -> after), which property broke and
// why; and write the same trace as ITF JSON (the Informal Trace Format of Apalache and Quint).
import type { World } from "../kernel/index.js";
import {
  PG_anon, PG_anon_exclusive, PG_dirty, PG_locked, PG_lru, PG_slab, PG_swapcache, PG_writeback,
} from "../kernel/index.js";
import type { CatalogBounds } from "./catalog.js";
import type { Target } from "./targets.js";

export interface PageView {
  refcount: number;
  pincount: number;
  mapcount: number;
  flags: string;
}

export interface TraceStep {
  step: number;
  action: unknown;
  text: string;
  /** Pages whose counts or flags changed: pfn -> [before, after]; a freed page's after is null. */
  pages: Record<string, [PageView | null, PageView | null]>;
  events: string[];
}

export interface Story {
  target: string;
  initial: string;
  steps: TraceStep[];
  violation: { property: string; message: string; step: number } | null;
}

const FLAG_NAMES: [number, string][] = [
  [PG_anon, "anon"], [PG_anon_exclusive, "exclusive"], [PG_dirty, "dirty"], [PG_writeback, "writeback"],
  [PG_swapcache, "swapcache"], [PG_lru, "lru"], [PG_slab, "slab"], [PG_locked, "locked"],
];

function view(w: World, pfn: number): PageView | null {
  const m = w.mem;
  if (pfn >= m.nr_frames || m.head[pfn] < 0) return null;
  const head = m.head[pfn];
  return {
    refcount: m.refcount[head],
    pincount: m.pincount[head],
    mapcount: m.mapcount[pfn],
    flags: FLAG_NAMES.filter(([bit]) => (m.flags[pfn] | m.flags[head]) & bit).map(([, n]) => n).join("|") || "-",
  };
}

function changed_pages(a: World, b: World): Record<string, [PageView | null, PageView | null]> {
  const out: Record<string, [PageView | null, PageView | null]> = {};
  const n = Math.max(a.mem.nr_frames, b.mem.nr_frames);
  for (let pfn = 1; pfn < n; pfn++) {
    const [x, y] = [view(a, pfn), view(b, pfn)];
    if (JSON.stringify(x) !== JSON.stringify(y)) out[pfn] = [x, y];
  }
  return out;
}

/** An action's kind: its op (iterator, catalog) or kind (scenario). */
const kind_of = (a: unknown): unknown => (a as { op?: unknown; kind?: unknown } | null)?.op ?? (a as { kind?: unknown } | null)?.kind;

/**
 * For a trace action that is not enabled: the enabled ones of its kind, or when there are none,
 * the kinds enabled (a whole catalog state's list would not fit a line).
 */
function enabled_text(enabled: readonly unknown[], a: unknown): string {
  const same = enabled.filter((x) => kind_of(x) === kind_of(a));
  if (same.length) return `enabled of its kind: ${same.map((x) => JSON.stringify(x)).join(", ")}`;
  const kinds = [...new Set(enabled.map((x) => String(kind_of(x))))];
  return kinds.length ? `kinds enabled there: ${kinds.join(", ")}` : "nothing is enabled there";
}

/** Re-execute initial + actions; null if the initial name or an action does not apply. */
export function replay_story(t: Target, initial: string, actions: readonly unknown[]): Story | string {
  let s = t.model.initial().find((x) => t.initial_name(x) === initial);
  if (s === undefined) return `initial state '${initial}' is not one of ${t.id}'s`;
  const story: Story = { target: t.id, initial, steps: [], violation: null };
  const v0 = t.model.check(s);
  if (v0) story.violation = { ...v0, step: 0 };
  for (const [k, a] of actions.entries()) {
    if (story.violation) break;
    if (!t.enabled(s, a)) return `step ${k + 1}: action ${JSON.stringify(a)} is not enabled there; ${enabled_text(t.model.actions(s), a)}`;
    const next = t.model.step(s, a);
    const before = t.world(s);
    const after = t.world(next);
    story.steps.push({
      step: k + 1, action: a, text: t.describe(a), pages: changed_pages(before, after),
      events: after.events.slice(before.events.length).map((e) => `${e.kind} ${e.fn}: ${e.what}`),
    });
    const v = t.model.check_step?.(s, a, next) ?? t.model.check(next);
    if (v) story.violation = { ...v, step: k + 1 };
    s = next;
  }
  return story;
}

/** replay_story of a counterexample the explorer or the fuzzer just found: it must break a property again. */
export function counterexample_story(t: Target, initial: string, actions: readonly unknown[]): Story {
  const story = replay_story(t, initial, actions);
  if (typeof story === "string" || !story.violation)
    throw new Error(`internal: the counterexample does not replay: ${typeof story === "string" ? story : "no violation"}`);
  return story;
}

/** The kernel a run simulated, in words: "era ERA", or "era ERA, bug switch ID". */
export const setting_text = (era: string, bug: string | null | undefined): string => `era ${era}${bug ? `, bug switch ${bug}` : ""}`;

const fmt = (p: PageView | null): string => (p ? `ref ${p.refcount} pin ${p.pincount} map ${p.mapcount} [${p.flags}]` : "free");

export function story_text(st: Story): string {
  const lines = [st.initial === st.target ? `${st.target}:` : `${st.target} / ${st.initial}:`];
  for (const s of st.steps) {
    lines.push(`  ${s.step}. ${s.text}`);
    for (const [pfn, [a, b]] of Object.entries(s.pages)) lines.push(`       page ${pfn}: ${fmt(a)} -> ${fmt(b)}`);
    for (const e of s.events) lines.push(`       ${e}`);
  }
  if (st.violation) lines.push(`  ✗ ${st.violation.property} after step ${st.violation.step}: ${st.violation.message}`);
  else lines.push("  no property broken");
  return lines.join("\n");
}

/** ITF: the action taken into each state and the pages it touched, plus what replay needs in #meta. */
export function story_itf(st: Story, bug: string | null, era: string, bounds: CatalogBounds): object {
  return {
    "#meta": {
      format: "ITF",
      "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
      source: "pincheck",
      description: st.violation ? `${st.violation.property}: ${st.violation.message}` : "no violation",
      // Replay builds the targets with these bounds (only the catalog's actions depend on them).
      pincheck: { target: st.target, initial: st.initial, era, bug, bounds, actions: st.steps.map((s) => s.action) },
    },
    vars: ["step", "action", "pages", "violation"],
    states: [
      { "#meta": { index: 0 }, step: 0, action: "init", pages: { "#map": [] }, violation: "" },
      ...st.steps.map((s) => ({
        "#meta": { index: s.step },
        step: s.step,
        action: s.text,
        pages: { "#map": Object.entries(s.pages).map(([pfn, [, after]]) => [Number(pfn), after ?? "free"]) },
        violation: st.violation && st.violation.step === s.step ? st.violation.property : "",
      })),
    ],
  };
}
