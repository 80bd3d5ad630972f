// What `pincheck report` shows, as plain data: each machine's declared states and transitions
// with their coverage, the scenario verdicts per era, and counterexample stories. The HTML is
// rendered from this, and the stepper's part of it is embedded as JSON.
import type { Docs, MachineDoc, TransitionRow } from "../check/docs.js";
import { MACHINES } from "../check/docs.js";
import { catalog_entries, litmus_verdicts, outcome_text, verdict_grid } from "../check/litmus.js";
import type { Verdict } from "../check/litmus.js";
import { declared_transitions, state_nodes, state_path } from "../check/machine_graph.js";
import type { MachineCoverage } from "../check/monitor.js";
import type { Story } from "../check/trace.js";
import { BUGS, ERAS } from "../kernel/index.js";

/** observed: exercised; unobserved: reachable but not exercised; na: no monitor could see it (unreachable, or changes nothing). */
export type Coverage = "observed" | "unobserved" | "na";

/** How many of the states or transitions are observed. */
export const n_observed = (xs: readonly { coverage: Coverage }[]): number => xs.filter((x) => x.coverage === "observed").length;

export interface StateView {
  path: string;
  key: string;
  description: string;
  type: string;
  /** Path of the enclosing state; null at the top level. */
  parent: string | null;
  /** Path of the initial child of a compound state. */
  initial: string | null;
  coverage: Coverage;
}

export interface TransitionView {
  name: string;
  state: string;
  event: string;
  guard: string;
  /** Target state paths; the source itself for a transition without a target. */
  targets: string[];
  property: string;
  coverage: Coverage;
  /** How the coverage was established, as docs/machines.md words it. */
  evidence: string;
}

export interface MachineView {
  machine: string;
  file: string;
  monitored: boolean;
  initial: string;
  states: StateView[];
  transitions: TransitionView[];
}

export interface VerdictCell {
  verdict: Verdict | "Stuck";
  expected: Verdict | null;
  match: boolean;
  witness: number | null;
  hits: number;
  paths: number;
}

export interface VerdictRowView {
  scenario: string;
  title: string;
  path: string;
  outcome: string;
  bug: string | null;
  /** Era id -> the verdict, or null when the file expects nothing there. */
  cells: Record<string, VerdictCell | null>;
}

export interface TraceView {
  id: string;
  label: string;
  source: "check" | "file";
  era: string;
  bug: string | null;
  /** The property the bug switch is documented to break (check traces). */
  expected: string | null;
  /** The replayed counterexample; null when the check found no violation within its bounds. */
  story: Story | null;
  /** States explored to find it (check traces). */
  states: number | null;
}

export interface ReportData {
  eras: { id: string; title: string }[];
  bugs: { id: string; title: string; breaks: string }[];
  exploration: Docs["evidence"]["exploration"];
  machines: MachineView[];
  verdicts: VerdictRowView[];
  traces: TraceView[];
}

/** The state paths a snapshot value names: "a" -> [a]; {a: {b: "c"}} -> [a, a.b, a.b.c]. */
function value_paths(value: unknown, prefix = ""): string[] {
  const p = (k: string) => (prefix ? `${prefix}.${k}` : k);
  if (typeof value === "string") return [p(value)];
  if (!value || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [p(k), ...value_paths(v, p(k))]);
}

function transition_coverage(r: TransitionRow): Coverage {
  if (r.replayed !== null) return r.replayed ? "observed" : "unobserved";
  if ((r.observed ?? 0) > 0) return "observed";
  return r.reachable === 0 ? "na" : "unobserved";
}

function evidence_text(r: TransitionRow): string {
  if (r.replayed !== null) return r.replayed ? "covered by path replay" : "not covered by path replay";
  if (r.reachable === 0) return r.unchanged ? "n/a: changes nothing a monitor sees" : "unreachable within the machine's bounds";
  return r.observed ? `observed: ${r.observed} of ${r.reachable} edges` : `not observed (0 of ${r.reachable} edges)`;
}

/** One machine's states and transitions with coverage, from its definition and its docs entry. */
function machine_view(doc: MachineDoc, coverage: MachineCoverage): MachineView {
  const def = MACHINES.find((m) => m.machine === doc.machine)!.def;
  const nodes = state_nodes(def);
  const targets = new Map<string, string[]>();
  for (const [t, name] of declared_transitions(def))
    targets.set(name, t.target && t.target.length ? t.target.map(state_path) : [state_path(t.source)]);
  const transitions: TransitionView[] = doc.rows.map((r) => ({
    name: r.name, state: r.state, event: r.event, guard: r.guard, targets: targets.get(r.name) ?? [r.state],
    property: r.property, coverage: transition_coverage(r), evidence: evidence_text(r),
  }));
  // A state is observed when a monitor saw an object in it, or an exercised transition leaves or enters it.
  const seen = new Set<string>();
  const cov = doc.monitored ? coverage[doc.machine as keyof MachineCoverage] : undefined;
  for (const key of cov?.states ?? []) for (const p of value_paths((JSON.parse(key) as { value: unknown }).value)) seen.add(p);
  for (const t of transitions) if (t.coverage === "observed") for (const p of [t.state, ...t.targets]) seen.add(p);
  const states: StateView[] = nodes.map((n) => {
    const path = state_path(n);
    const inside = [...seen].some((s) => s === path || s.startsWith(`${path}.`));
    return {
      path, key: n.key, description: n.description ?? "", type: n.type,
      parent: n.parent && n.parent !== def.root ? state_path(n.parent) : null,
      initial: n.initial?.target.length ? state_path(n.initial.target[0]) : null,
      coverage: inside ? "observed" : "unobserved",
    };
  });
  const init = def.root.initial?.target[0];
  return { machine: doc.machine, file: doc.file, monitored: doc.monitored, initial: init ? state_path(init) : states[0].path, states, transitions };
}

/** The verdicts `pincheck scenario --all` computes, one row per scenario and bug switch. */
export function verdict_rows(): VerdictRowView[] {
  return catalog_entries().flatMap(({ path, c }) =>
    verdict_grid(litmus_verdicts(c)).map(({ bug, by_era }) => ({
      scenario: c.lit.id, title: c.lit.title, path, outcome: outcome_text(c.lit.outcome), bug: bug ?? null,
      cells: Object.fromEntries(ERAS.map((e, k) => {
        const r = by_era[k];
        return [e.id, r ? { verdict: r.verdict, expected: r.expected ?? null, match: r.match, witness: r.witness, hits: r.hits, paths: r.paths } : null];
      })),
    })));
}

export function report_data(docs: Docs, verdicts: VerdictRowView[], traces: TraceView[]): ReportData {
  return {
    eras: ERAS.map((e) => ({ id: e.id, title: e.title })),
    bugs: BUGS.map((b) => ({ id: b.id, title: b.title, breaks: b.breaks })),
    exploration: docs.evidence.exploration,
    machines: docs.machines.map((m) => machine_view(m, docs.evidence.coverage)),
    verdicts,
    traces,
  };
}
