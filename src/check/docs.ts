// Transition docs: for each machine in models/, a Mermaid state diagram of its declared states and
// transitions and a Markdown table of those transitions (state, event, guard, target, the
// property the guard protects, and whether exploration or path replay exercised it). The page
// and process machines are monitored during the default exhaustive catalog exploration; the
// iterator and completion machines only by path replay. Deterministic: no clock, no randomness.
import type { AnyMachineSnapshot, AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from "xstate";
import { world_properties } from "../../properties/index.js";
import { completion_machine } from "../../models/completion.js";
import { iterator_machine } from "../../models/iterator.js";
import { page_machine } from "../../models/page.js";
import { process_machine } from "../../models/process.js";
import { config_for } from "../kernel/index.js";
import { catalog_model, default_catalog_bounds } from "./catalog.js";
import { completion_driver, iterator_driver } from "./drivers/index.js";
import type { Driver } from "./driver.js";
import { DEFAULT_DEPTH } from "./exhaustive.js";
import { explore } from "./explore.js";
import { declared_transitions, machine_graph, state_nodes, state_path, taken_transitions } from "./machine_graph.js";
import type { MachineCoverage } from "./monitor.js";
import { new_coverage } from "./monitor.js";
import { check_machine } from "./path_replay.js";

/** Depth of the exploration whose monitor coverage the docs report: that of `pincheck check`. */
export const DOCS_DEPTH = DEFAULT_DEPTH;

/**
 * Guard name -> the property (properties/) whose rule the guard encodes. Only guards that encode
 * such a rule; bounds and plain counting guards are left out (shown as "-").
 */
export const GUARD_PROPERTIES: Readonly<Record<string, string>> = {
  // page: wp_can_reuse_anon_folio / gup_must_unshare: reuse or pin a maybe-shared page only when
  // the faulting mapping holds the sole reference, else copy (F1/P4).
  sole_reference: "no-cow-while-pinned",
  // page: the frame is freed only when its last pin (with no reference left) or its last
  // reference (with no pin left) goes (P1).
  last_pin: "no-free-while-pinned",
  last_ref: "no-free-while-pinned",
  // iterator: iov_iter_extract_will_pin(): user-backed iterators pin, kernel-backed ones take
  // nothing, and the release follows (E1/E2/P2).
  will_pin: "release-matches-acquire",
  // iterator: advance/revert/extract keep the count inside the segments (I4).
  has_more: "iterator-consistency",
  last_page: "iterator-consistency",
  back_at_start: "iterator-consistency",
  // completion: bio_check_pages_dirty() defers re-dirtying a read buffer writeback cleaned (W1/W2/B3).
  read_buffer_cleaned: "no-writeback-while-pinned",
};

export interface TransitionRow {
  /** The declared transition's name (machine_graph.declared_transitions). */
  name: string;
  state: string;
  event: string;
  guard: string;
  target: string;
  property: string;
  /**
   * Reachable (state with context, event) edges taking this transition that change the state or
   * its context, and those that leave both as they were (a monitor cannot see those).
   */
  reachable: number;
  unchanged: number;
  /** Monitored machines: the state-changing edges taking this transition that the monitors observed. */
  observed: number | null;
  /** Replay-only machines: whether path replay took it. */
  replayed: boolean | null;
}

export interface MachineDoc {
  machine: string;
  file: string;
  monitored: boolean;
  states: { path: string; description: string }[];
  mermaid: string;
  rows: TransitionRow[];
}

export interface DocsEvidence {
  coverage: MachineCoverage;
  exploration: { states: number; transitions: number; depth: number; result: string };
  /** Per replay-only machine, the declared transitions path replay did not take. */
  replay_uncovered: Record<string, string[]>;
}

export interface Docs {
  evidence: DocsEvidence;
  machines: MachineDoc[];
  markdown: string;
}

export const MACHINES: { machine: string; file: string; def: AnyStateMachine; driver?: Driver<unknown> }[] = [
  { machine: "page", file: "models/page.ts", def: page_machine },
  { machine: "process", file: "models/process.ts", def: process_machine },
  { machine: "iterator", file: "models/iterator.ts", def: iterator_machine, driver: iterator_driver as Driver<unknown> },
  { machine: "completion", file: "models/completion.ts", def: completion_machine, driver: completion_driver as Driver<unknown> },
];

/** Run the default exhaustive catalog exploration with monitors, and path replay of the replay-only machines. */
export function docs_evidence(): DocsEvidence {
  const coverage = new_coverage();
  const model = catalog_model(config_for()!, default_catalog_bounds, world_properties, coverage);
  const r = explore(model, DOCS_DEPTH);
  const replay_uncovered: Record<string, string[]> = {};
  for (const m of MACHINES) if (m.driver) replay_uncovered[m.machine] = check_machine(m.driver).uncovered_transitions;
  return { coverage, exploration: { states: r.states, transitions: r.transitions, depth: r.depth, result: r.result }, replay_uncovered };
}

/** A guard as written: its name, the names under and(...), or "-". */
function guard_names(t: AnyTransitionDefinition): string[] {
  const g = t.guard as unknown;
  if (g === undefined) return [];
  if (typeof g === "string") return [g];
  const inner = (g as { guards?: unknown }).guards;
  if (Array.isArray(inner) && inner.every((x) => typeof x === "string")) return inner as string[];
  const type = (g as { type?: unknown }).type;
  return [typeof type === "string" ? type : "(inline)"];
}

const guard_text = (t: AnyTransitionDefinition): string => guard_names(t).join(" and ") || "-";

const guard_property = (t: AnyTransitionDefinition): string =>
  [...new Set(guard_names(t).map((g) => GUARD_PROPERTIES[g]).filter((p) => p !== undefined))].join(", ") || "-";

const target_text = (t: AnyTransitionDefinition): string =>
  t.target && t.target.length ? t.target.map(state_path).join(", ") : "(stays)";

/** The Mermaid stateDiagram-v2 of the machine's declared states and transitions. */
export function mermaid(machine: AnyStateMachine): string {
  const nodes = state_nodes(machine);
  const keys = nodes.map((n) => n.key);
  const id = (n: AnyStateNode): string =>
    keys.filter((k) => k === n.key).length === 1 ? n.key : n.path.join("__");
  const lines = ["stateDiagram-v2"];
  const edges = (n: AnyStateNode, ind: string) => {
    for (const [event, list] of n.transitions)
      for (const t of list) {
        const to = t.target && t.target.length ? t.target : [n];
        const guard = guard_names(t);
        for (const target of to) lines.push(`${ind}${id(n)} --> ${id(target)} : ${event}${guard.length ? ` [${guard.join(" and ")}]` : ""}`);
      }
  };
  const body = (parent: AnyStateNode, ind: string) => {
    const children = Object.values(parent.states) as AnyStateNode[];
    if (parent.type === "parallel") {
      children.forEach((region, k) => {
        if (k) lines.push(`${ind}--`);
        lines.push(`${ind}state ${id(region)} {`);
        body(region, ind + "  ");
        lines.push(`${ind}}`);
      });
      return;
    }
    for (const init of parent.initial?.target ?? []) lines.push(`${ind}[*] --> ${id(init)}`);
    for (const child of children) {
      if (child.type === "compound" || child.type === "parallel") {
        lines.push(`${ind}state ${id(child)} {`);
        body(child, ind + "  ");
        lines.push(`${ind}}`);
      }
    }
    for (const child of children) {
      edges(child, ind);
      if (child.type === "final") lines.push(`${ind}${id(child)} --> [*]`);
    }
  };
  body(machine.root, "  ");
  return lines.join("\n");
}

/** Parse a monitor edge "from --EVENT--> to" (snapshot keys are JSON, so " --" does not occur in them). */
function parse_edge(e: string): { from: string; event: string } | null {
  const m = / --([A-Za-z0-9_]+)--> /.exec(e);
  return m ? { from: e.slice(0, m.index), event: m[1] } : null;
}

function machine_doc(m: (typeof MACHINES)[number], ev: DocsEvidence): MachineDoc {
  const { def } = m;
  const declared = declared_transitions(def);
  const graph = machine_graph(def);
  const monitored = !m.driver;
  const reachable = new Map<string, number>();
  const observed = new Map<string, number>();
  const takes = (s: AnyMachineSnapshot, event: string) => taken_transitions(def, declared, s, event);
  const unchanged = new Map<string, number>();
  for (const e of graph.edges) {
    const count = e.from === e.to ? unchanged : reachable;
    for (const t of takes(graph.states.get(e.from)!, e.event)) count.set(t, (count.get(t) ?? 0) + 1);
  }
  if (monitored) {
    const cov = ev.coverage[m.machine as keyof MachineCoverage];
    for (const key of [...cov.edges].sort()) {
      const e = parse_edge(key);
      const s = e && graph.states.get(e.from);
      if (!e || !s) throw new Error(`internal: monitor edge ${key} is not an edge of ${m.file}`);
      for (const t of takes(s, e.event)) observed.set(t, (observed.get(t) ?? 0) + 1);
    }
  }
  const uncovered = new Set(ev.replay_uncovered[m.machine] ?? []);
  const rows: TransitionRow[] = [];
  for (const [t, name] of declared) {
    rows.push({
      name,
      state: state_path(t.source),
      event: t.eventType,
      guard: guard_text(t),
      target: target_text(t),
      property: guard_property(t),
      reachable: reachable.get(name) ?? 0,
      unchanged: unchanged.get(name) ?? 0,
      observed: monitored ? (observed.get(name) ?? 0) : null,
      replayed: monitored ? null : !uncovered.has(name),
    });
  }
  const states = state_nodes(def).map((n) => ({ path: state_path(n), description: n.description ?? "" }));
  return { machine: m.machine, file: m.file, monitored, states, mermaid: mermaid(def), rows };
}

const cell = (s: string): string => s.replace(/\|/g, "\\|");

function observed_text(r: TransitionRow): string {
  if (r.replayed !== null) return r.replayed ? "replay only: covered" : "replay only: not covered";
  if (r.reachable === 0) return r.unchanged ? "n/a: changes nothing a monitor sees" : "unreachable";
  return r.observed ? `yes, ${r.observed} of ${r.reachable} edges` : `no (0 of ${r.reachable} edges)`;
}

function section(d: MachineDoc): string {
  const observed = d.rows.filter((r) => (r.observed ?? 0) > 0 || r.replayed === true).length;
  const lines = [
    `## ${d.machine} (\`${d.file}\`)`,
    "",
    d.monitored
      ? `Monitored at every step of the exploration: ${observed} of ${d.rows.length} declared transitions observed.`
      : `Not monitored during exploration (its abstraction follows one driver-built object); path replay took ${observed} of ${d.rows.length} declared transitions.`,
    "",
    "```mermaid",
    d.mermaid,
    "```",
    "",
    "States:",
    "",
    ...d.states.map((s) => `- \`${s.path}\`${s.description ? `: ${s.description}` : ""}`),
    "",
    "| State | Event | Guard | Target | Protects | Observed |",
    "|---|---|---|---|---|---|",
    ...d.rows.map((r) => `| ${cell(r.state)} | ${r.event} | ${cell(r.guard)} | ${cell(r.target)} | ${r.property} | ${observed_text(r)} |`),
  ];
  return lines.join("\n");
}

export function render_markdown(machines: MachineDoc[], ev: DocsEvidence): string {
  const b = default_catalog_bounds;
  const x = ev.exploration;
  const head = [
    "# Machines and their transitions",
    "",
    "Generated by `pincheck docs` from the machine definitions in `models/`; do not edit by hand.",
    "Regenerate with `npm run pincheck -- docs`; `pincheck docs --check` (run by the tests) fails when this file is stale.",
    "",
    "Each table lists every declared transition, each guarded alternative on its own row. *Guard* is the",
    "guard's name in the machine; *Protects* is the property in `properties/` whose rule the guard encodes",
    "(\"-\" for bounds and plain counting guards). *Target* \"(stays)\" is a transition without a target",
    "(its actions update the context).",
    "",
    `*Observed*: the page and process machines are monitored at every step of the default exhaustive`,
    `catalog exploration (era current, depth ${DOCS_DEPTH}, ${b.processes} processes, ${b.pages} page(s), ${b.in_flight} I/O in flight,`,
    `${b.fixed} fixed buffer(s): ${x.states} states, ${x.transitions} transitions, ${x.result === "ok" ? "no violation" : "a violation"}).`,
    "\"yes, N of M edges\" counts the distinct machine edges (a state with its context, and the event) the",
    "monitors observed that take the transition, out of the M reachable ones that do and change the state or",
    "its context. A monitor compares abstract states before and after a step, so an edge that changes neither",
    "(e.g. fork or reclaim refused on a pinned page) is invisible to it: a transition with only such edges",
    "reads \"n/a\". \"unreachable\": no reachable state of the bounded machine takes it. The iterator and",
    "completion machines are checked by path replay (`src/check/path_replay.ts`) only, which takes every",
    "reachable edge of every machine.",
  ];
  return [head.join("\n"), ...machines.map(section)].join("\n\n") + "\n";
}

/** The docs, from given evidence (or from running the exploration and replay now). */
export function generate_docs(ev: DocsEvidence = docs_evidence()): Docs {
  const machines = MACHINES.map((m) => machine_doc(m, ev));
  return { evidence: ev, machines, markdown: render_markdown(machines, ev) };
}
