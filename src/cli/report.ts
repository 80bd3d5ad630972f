// `pincheck report`: one self-contained HTML file with the machine diagrams coloured by
// coverage, the scenario verdict table, and a stepper through counterexamples.
import type { Docs } from "../check/docs.js";
import { generate_docs } from "../check/docs.js";
import { bug_ids, era_ids } from "../kernel/index.js";
import { n_observed, report_data, verdict_rows } from "../report/data.js";
import { render_html } from "../report/html.js";
import { bug_trace, file_trace } from "../report/traces.js";
import type { FlagSpec } from "./args.js";
import { parse_flags_lists, UsageError, write_output } from "./args.js";
import { bug_flag, era_flag, kernel_flag_specs } from "./kernel_flags.js";

export const DEFAULT_REPORT = "pincheck-report.html";

export const report_help = `usage: pincheck report [--out FILE] [--trace FILE.itf.json]... [--era ERA] [--bug ID]... [--json]

Writes one self-contained HTML file (no network access needed to view it):
  - each machine of models/ as a diagram, its states and transitions coloured by whether the
    default exhaustive exploration (or path replay) observed them;
  - the scenario verdict table (as pincheck scenario --all), era by era, with the bug rows;
  - a stepper through counterexamples: each page's refcount, pincount, mapcount and flags at
    every step, and the property broken at the last.
Without --trace, the counterexamples are those pincheck check --bug ID finds, one per bug switch.

  --out FILE     file to write (default ${DEFAULT_REPORT})
  --trace FILE   an ITF trace from check or fuzz --trace-out, re-executed; repeatable; replaces
                 the per-bug counterexamples unless --bug is given too
  --era ERA      era the per-bug checks run in: ${era_ids().join(", ")} (default current)
  --bug ID       only this bug switch's counterexample; repeatable (the ids: pincheck bugs)
  --json         print a JSON summary (file, traces, machines) instead of text
Exit status: 0 written, 2 bad input.`;

export interface ReportSources {
  docs: () => Docs;
}

/** docs is injectable so tests can reuse one exploration. */
export function run_report(argv: string[], sources: ReportSources = { docs: () => generate_docs() }): number {
  const kernel = kernel_flag_specs();
  const spec: Record<string, FlagSpec> = {
    out: { type: "string", allowed: "an HTML file path", output: "file-in-new-dir" },
    trace: { type: "string", allowed: "an ITF trace file (check or fuzz --trace-out)", multiple: true },
    era: kernel.era,
    bug: { ...kernel.bug, multiple: true },
    json: { type: "boolean" },
    help: { type: "boolean" },
  };
  const { flags, lists } = parse_flags_lists(argv, spec);
  if (flags.help) {
    console.log(report_help);
    return 0;
  }
  const out = (flags.out as string | undefined) ?? DEFAULT_REPORT;
  const era = era_flag(flags) ?? "current";
  for (const b of lists.bug) bug_flag(b);
  if (flags.era !== undefined && lists.trace.length && !lists.bug.length)
    throw new UsageError("--era sets the era of the per-bug checks, and with --trace and no --bug there are none (a trace runs in the era it records)");

  const t0 = process.hrtime.bigint();
  // Trace files first: a bad one is reported before the long checks run.
  const traces = lists.trace.map((f, i) => file_trace(f, i));
  const bugs = lists.bug.length ? [...new Set(lists.bug)] : lists.trace.length ? [] : bug_ids();
  for (const b of bugs) traces.push(bug_trace(b, era));
  const data = report_data(sources.docs(), verdict_rows(), traces);
  const html = render_html(data);
  write_output("out", out, html, true);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const machines = data.machines.map((m) => ({
    machine: m.machine,
    states: m.states.length,
    states_observed: n_observed(m.states),
    transitions: m.transitions.length,
    transitions_observed: n_observed(m.transitions),
  }));
  const trace_rows = data.traces.map((t) => ({
    id: t.id, label: t.label, source: t.source, era: t.era, bug: t.bug,
    target: t.story?.target ?? null, steps: t.story?.steps.length ?? 0,
    property: t.story?.violation?.property ?? null,
  }));
  const mismatches = data.verdicts.flatMap((r) => Object.values(r.cells)).filter((c) => c && !c.match).length;
  if (flags.json) {
    console.log(JSON.stringify({
      result: "written", file: out, bytes: Buffer.byteLength(html), seconds: Number(seconds.toFixed(3)),
      machines, traces: trace_rows, verdicts: { rows: data.verdicts.length, mismatches },
    }));
    return 0;
  }
  console.log(`pincheck report: wrote ${out} (${Math.ceil(Buffer.byteLength(html) / 1024)} KiB) in ${seconds.toFixed(2)} s`);
  console.log(`  machines: ${machines.map((m) => `${m.machine} ${m.states_observed}/${m.states} states, ${m.transitions_observed}/${m.transitions} transitions observed`).join("; ")}`);
  console.log(`  verdicts: ${data.verdicts.length} rows, ${mismatches ? `${mismatches} differ from the expectation` : "all as expected"}`);
  for (const t of trace_rows)
    console.log(`  trace ${t.label}: ${t.property ? `${t.property} after ${t.steps} step${t.steps === 1 ? "" : "s"} (${t.target})` : "no violation"}`);
  return 0;
}
