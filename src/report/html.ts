// The report as one self-contained HTML page: machine diagrams (inline SVG) and tables rendered
// here, the stepper's data as embedded JSON with a small inline script. No external resource,
// no clock: the same data gives the same bytes.
import { bounds_text, default_catalog_bounds } from "../check/catalog.js";
import { DOCS_DEPTH } from "../check/docs.js";
import { cell } from "../check/litmus.js";
import { DEFAULT_DEPTH } from "../check/exhaustive.js";
import type { Coverage, MachineView, ReportData, TraceView, VerdictCell, VerdictRowView } from "./data.js";
import { n_observed } from "./data.js";
import { esc, script_json } from "./escape.js";
import { STEPPER_JS } from "./stepper.js";
import { REPORT_CSS } from "./style.js";
import { machine_svg } from "./svg.js";
import { page_timeline } from "./traces.js";

const COVERAGE_TEXT: Record<Coverage, string> = {
  observed: "observed",
  unobserved: "declared, not observed",
  na: "not observable (unreachable within bounds, or changes nothing a monitor sees)",
};

const legend = (): string =>
  `<div class="legend" id="coverage-legend">${(Object.keys(COVERAGE_TEXT) as Coverage[])
    .map((c) => `<span><span class="swatch cov-${c}"></span>${esc(COVERAGE_TEXT[c])}</span>`)
    .join("")}<span>↻ a transition that stays in its state</span></div>`;

function machine_section(m: MachineView): string {
  const how = m.monitored
    ? "monitored at every step of the default exhaustive exploration"
    : "not monitored during exploration; covered by path replay (src/check/path_replay.ts)";
  const rows = m.transitions.map((t) =>
    `<tr data-transition="${esc(t.name)}"><td class="mono">${esc(t.state)}</td><td class="mono">${esc(t.event)}</td><td class="mono">${esc(t.guard)}</td><td class="mono">${esc(t.targets.join(", "))}</td><td>${esc(t.property)}</td><td class="cov-${t.coverage}">${esc(t.evidence)}</td></tr>`);
  return `<figure class="machine" id="machine-${esc(m.machine)}" data-machine="${esc(m.machine)}">
<figcaption><strong>${esc(m.machine)}</strong> (<code>${esc(m.file)}</code>): ${esc(how)}; ${n_observed(m.states)} of ${m.states.length} states and ${n_observed(m.transitions)} of ${m.transitions.length} declared transitions observed.</figcaption>
${machine_svg(m)}
<details><summary>Transition table</summary>
<table class="transitions"><thead><tr><th>State</th><th>Event</th><th>Guard</th><th>Target</th><th>Protects</th><th>Coverage</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table></details>
</figure>`;
}

function verdict_td(era: string, c: VerdictCell | null): string {
  if (!c) return `<td class="verdict v-none" data-era="${esc(era)}" title="no expectation for this era">—</td>`;
  const text = cell(c);
  const title = `${c.hits} of ${c.paths} complete interleavings reach the outcome${c.witness !== null ? `; shortest witness ${c.witness} steps` : ""}`;
  return `<td class="verdict v-${c.verdict.toLowerCase()}${c.match ? "" : " mismatch"}" data-era="${esc(era)}" data-verdict="${esc(c.verdict)}" title="${esc(title)}">${esc(text)}</td>`;
}

function verdict_section(d: ReportData): string {
  const head = d.eras.map((e) => `<th title="${esc(e.title)}">${esc(e.id)}</th>`).join("");
  const rows = d.verdicts.map((r: VerdictRowView) =>
    `<tr data-scenario="${esc(r.scenario)}"${r.bug ? ` data-bug="${esc(r.bug)}"` : ""}><td><span class="mono">${esc(r.scenario)}</span>${r.bug ? ` + bug <code>${esc(r.bug)}</code>` : ""}</td><td class="mono">${esc(r.outcome)}</td>${d.eras.map((e) => verdict_td(e.id, r.cells[e.id])).join("")}</tr>`);
  const titles = [...new Map(d.verdicts.map((r) => [r.scenario, r])).values()].map((r) =>
    `<li><strong class="mono">${esc(r.scenario)}</strong> (<code>${esc(r.path)}</code>): ${esc(r.title)}</li>`);
  const bug_rows = d.bugs.map((b) => {
    const t = d.traces.find((x) => x.source === "check" && x.bug === b.id);
    const v = t?.story?.violation;
    const found = !t ? "not checked in this report" : v ? `${v.property} after ${v.step} step${v.step === 1 ? "" : "s"} (${t.story!.target}; era ${t.era})` : `no violation within the check's bounds (era ${t.era})`;
    return `<tr data-bug="${esc(b.id)}"><td class="mono">${esc(b.id)}</td><td>${esc(b.title)}</td><td class="mono">${esc(b.breaks)}</td><td>${esc(found)}</td><td>${t ? `<button type="button" data-show-trace="${esc(t.id)}">show trace</button>` : ""}</td></tr>`;
  });
  return `<section id="verdicts"><h2>Scenario verdicts</h2>
<p class="note">As <code>pincheck scenario --all</code> computes them: per era, the verdict over every complete interleaving of the scenario's threads with the device and the workqueue — Never (no interleaving reaches the outcome), Sometimes (some do), Always (all do) — with the steps of the shortest witness in parentheses. ✗ marks a verdict that differs from the file's expectation; — an era the file expects nothing for.</p>
<table id="verdict-table" data-testid="verdict-table"><thead><tr><th>Scenario</th><th>Outcome</th>${head}</tr></thead><tbody>
${rows.join("\n")}
</tbody></table>
<ul>${titles.join("")}</ul>
<h3>Bug switches</h3>
<p class="note">Each historical-bug switch of <code>src/kernel/eras.ts</code>, and what the exhaustive check (<code>pincheck check --bug ID</code>) finds with it.</p>
<table id="bug-table"><thead><tr><th>Bug</th><th>What</th><th>Breaks</th><th>Exhaustive check found</th><th></th></tr></thead><tbody>
${bug_rows.join("\n")}
</tbody></table></section>`;
}

function stepper_section(traces: TraceView[]): string {
  if (!traces.length) return `<section id="traces"><h2>Counterexamples</h2><p class="note">No counterexample in this report.</p></section>`;
  return `<section id="traces"><h2>Counterexamples</h2>
<p class="note">Each step of a counterexample re-executed: the pages it touched, with their refcount, pincount, mapcount and flags after the step (changed cells highlighted; hover for the value before). The property the trace breaks shows at its last step. Keys ← and → step too.</p>
<div id="stepper" data-testid="stepper">
<div class="controls">
<label>Counterexample <select id="trace-select" data-testid="trace-select"></select></label>
<button type="button" id="prev" data-testid="prev">◀ Prev</button>
<span id="step-counter" data-testid="step-counter"></span>
<button type="button" id="next" data-testid="next">Next ▶</button>
</div>
<p id="trace-meta" class="note"></p>
<div id="step-text" data-testid="step-text"></div>
<ul id="step-events" data-testid="step-events"></ul>
<table id="pages" data-testid="pages"><thead><tr><th>Page (pfn)</th><th>refcount</th><th>pincount</th><th>mapcount</th><th>flags</th></tr></thead><tbody></tbody></table>
<div id="violation" data-testid="violation" hidden></div>
<p id="no-violation" hidden></p>
<h3>Steps</h3>
<ol id="step-list" start="0"></ol>
</div></section>`;
}

/** The embedded JSON: the report data, each story with its page timeline for the stepper. */
export const embedded = (d: ReportData) => ({
  generator: "pincheck report",
  ...d,
  traces: d.traces.map((t) => ({ ...t, pages: t.story ? page_timeline(t.story) : [] })),
});

export function render_html(d: ReportData): string {
  const x = d.exploration;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="pincheck report">
<title>pincheck report</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>pincheck report</h1>
<p class="note">Page-pinning rules of the Linux kernel, model-checked. Counterexamples come from the exhaustive check (depth ${DEFAULT_DEPTH}; catalog of ${bounds_text(default_catalog_bounds)}; every scenario interleaving), one per bug switch unless trace files were given. Machine coverage comes from the default exploration (era current, depth ${DOCS_DEPTH}: ${x.states} states, ${x.transitions} transitions, ${x.result === "ok" ? "no violation" : "a violation"}) and path replay.</p>
<nav><a href="#machines">Machines</a><a href="#verdicts">Verdicts</a><a href="#traces">Counterexamples</a></nav>
<section id="machines"><h2>Machines</h2>
${legend()}
${d.machines.map(machine_section).join("\n")}
</section>
${verdict_section(d)}
${stepper_section(d.traces)}
<script type="application/json" id="report-data">${script_json(embedded(d))}</script>
<script>${STEPPER_JS}</script>
</body>
</html>
`;
}
