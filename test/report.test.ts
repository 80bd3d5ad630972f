// `pincheck report`: the HTML embeds the data it shows (parsed back from the file), every bug
// switch gets the counterexample `pincheck check --bug` finds, each machine's SVG has a node per
// declared state and a label per declared transition, strings from the data cannot inject HTML,
// the output is reproducible, and bad flags are refused in one line with exit 2.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AnyStateMachine } from "xstate";
import { getStateNodes } from "xstate/graph";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { default_catalog_bounds } from "../src/check/catalog.js";
import { completion_machine } from "../models/completion.js";
import { iterator_machine } from "../models/iterator.js";
import { page_machine } from "../models/page.js";
import { process_machine } from "../models/process.js";
import type { Docs } from "../src/check/docs.js";
import { generate_docs } from "../src/check/docs.js";
import { catalog_files } from "../src/check/litmus.js";
import { declared_transitions } from "../src/check/machine_graph.js";
import type { PageView, Story } from "../src/check/trace.js";
import { story_itf } from "../src/check/trace.js";
import { UsageError } from "../src/cli/args.js";
import { run_report } from "../src/cli/report.js";
import { BUGS, bug_ids, era_ids } from "../src/kernel/index.js";
import type { TraceView } from "../src/report/data.js";
import { report_data } from "../src/report/data.js";
import { esc, script_json } from "../src/report/escape.js";
import type { embedded } from "../src/report/html.js";
import { render_html } from "../src/report/html.js";

type Embedded = ReturnType<typeof embedded>;

const tmp = mkdtempSync(join(tmpdir(), "pincheck-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The docs exploration takes seconds: one for the whole file.
let cached_docs: Docs | undefined;
const docs = (): Docs => (cached_docs ??= generate_docs());

/** run_report in process, capturing what it prints. */
function run(...argv: string[]): { code: number; out: string } {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    const code = run_report(argv, { docs });
    return { code, out: log.mock.calls.map((c) => c.join(" ")).join("\n") };
  } finally {
    log.mockRestore();
  }
}

const embedded_of = (html: string): Embedded => {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m, "embedded JSON").not.toBeNull();
  return JSON.parse(m![1]) as Embedded;
};

const usage_error = (...argv: string[]): string => {
  try {
    run(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no UsageError for ${argv.join(" ")}`);
};

let html = "";
let data: Embedded;
let summary: { result: string; file: string; traces: { id: string; bug: string | null; property: string | null; steps: number }[]; machines: { machine: string }[] };

beforeAll(() => {
  const file = join(tmp, "sub", "report.html");
  const r = run("--out", file, "--json");
  expect(r.code).toBe(0);
  summary = JSON.parse(r.out);
  html = readFileSync(file, "utf8");
  data = embedded_of(html);
}, 900_000);

describe("pincheck report", () => {
  it("writes the file and a JSON summary of traces and machines", () => {
    expect(summary.result).toBe("written");
    expect(summary.file).toBe(join(tmp, "sub", "report.html"));
    expect(summary.machines.map((m) => m.machine)).toEqual(["page", "process", "iterator", "completion"]);
    expect(summary.traces.map((t) => t.bug)).toEqual(bug_ids());
  });

  it("embeds its data as JSON that parses back", () => {
    expect(data.generator).toBe("pincheck report");
    expect(data.eras.map((e) => e.id)).toEqual(era_ids());
    expect(data.bugs.map((b) => b.id)).toEqual(bug_ids());
    expect(data.machines.map((m) => m.machine)).toEqual(summary.machines.map((m) => m.machine));
    // Every scenario file has its row (plus a row per bug switch it names).
    expect(new Set(data.verdicts.map((r) => r.scenario)).size).toBe(catalog_files().length);
    const h1 = data.verdicts.find((r) => r.scenario === "dio-read-vs-fork" && r.bug === null)!;
    expect(h1.cells.current!.verdict).toBe("Never");
    expect(h1.cells["pre-pin"]!.verdict).toBe("Sometimes");
  });

  it("has one counterexample per bug switch, computed as pincheck check --bug does", () => {
    expect(BUGS.length).toBeGreaterThan(0);
    expect(data.traces.filter((x) => x.source === "check").map((x) => x.bug)).toEqual(bug_ids());
    for (const b of BUGS) {
      const t = data.traces.find((x) => x.source === "check" && x.bug === b.id);
      expect(t, b.id).toBeDefined();
      expect(t!.era).toBe("current");
      expect(t!.expected).toBe(b.breaks);
      // check --bug finds every switch at its default depth: a counterexample breaking what the
      // switch is documented to break, the violation at its last step.
      expect(t!.story, `${b.id}: no counterexample`).not.toBeNull();
      const v = t!.story!.violation;
      expect(v, b.id).not.toBeNull();
      expect(v!.property, b.id).toBe(b.breaks);
      expect(v!.step, b.id).toBe(t!.story!.steps.length);
      expect(t!.states, b.id).toBeGreaterThan(0);
      // Its row in the bug table says what the check found, with a button to show the trace.
      const row = new RegExp(`<tr data-bug="${b.id}">[\\s\\S]*?</tr>`).exec(html)?.[0];
      expect(row, b.id).toContain(`${esc(v!.property)} after ${v!.step} step`);
      expect(row, b.id).toContain(`data-show-trace="${esc(t!.id)}"`);
    }
    // The two switches the README walks through break exactly what they are documented to.
    for (const id of ["dio-read-vs-fork", "dma-no-redirty"]) {
      const t = data.traces.find((x) => x.bug === id)!;
      expect(t.story!.violation!.property).toBe(BUGS.find((b) => b.id === id)!.breaks);
    }
    // check explores the scenario files first: H1 is reported from the one written for it.
    expect(data.traces.find((x) => x.bug === "dio-read-vs-fork")!.story!.target).toBe("dio-read-vs-fork");
  });

  it("gives the stepper each touched page's view at every step, agreeing with the story's before/after", () => {
    const same = (a: PageView | null, b: PageView | null) => expect(a).toEqual(b);
    expect(data.traces.filter((t) => t.story)).toHaveLength(data.traces.length);
    let with_pages = 0;
    for (const t of data.traces) {
      const story = t.story!;
      if (t.pages.length) with_pages++;
      const touched = new Set(story.steps.flatMap((s) => Object.keys(s.pages).map(Number)));
      expect(t.pages.map((p) => p.pfn)).toEqual([...touched].sort((a, b) => a - b));
      for (const p of t.pages) {
        expect(p.states).toHaveLength(story.steps.length + 1);
        for (const s of story.steps) {
          const c = s.pages[p.pfn];
          if (c) {
            same(p.states[s.step - 1], c[0]);
            same(p.states[s.step], c[1]);
          } else same(p.states[s.step], p.states[s.step - 1]);
        }
      }
    }
    // Most counterexamples change some page's counts (kvec-refs's slab pages keep theirs).
    expect(with_pages).toBeGreaterThan(data.traces.length / 2);
  });

  const machines: [string, AnyStateMachine][] = [
    ["page", page_machine], ["process", process_machine], ["iterator", iterator_machine], ["completion", completion_machine],
  ];
  it.each(machines)("%s: the SVG has a node per declared state and a label per declared transition", (name, machine) => {
    const svg = new RegExp(`<svg [^>]*data-machine="${name}"[\\s\\S]*?</svg>`).exec(html)![0];
    const states = new Map([...svg.matchAll(/<g class="state[^"]*" data-state="([^"]+)" data-coverage="(observed|unobserved)"/g)].map((m) => [m[1], m[2]]));
    expect([...states.keys()].sort()).toEqual([...getStateNodes(machine.root)].map((n) => n.path.join(".")).sort());
    // A state an observed transition leaves or enters is drawn observed, and so is every state enclosing it.
    const view = data.machines.find((m) => m.machine === name)!;
    const entered = view.transitions.filter((t) => t.coverage === "observed").flatMap((t) => [t.state, ...t.targets]);
    expect(entered.length).toBeGreaterThan(0);
    for (const p of entered)
      for (let k = 1; k <= p.split(".").length; k++) expect(states.get(p.split(".").slice(0, k).join(".")), p).toBe("observed");
    const labelled = new Set([...svg.matchAll(/data-transition="([^"]+)" data-coverage="(observed|unobserved|na)"/g)].map((m) => m[1]));
    expect(labelled.size).toBeGreaterThan(0);
    expect([...labelled].sort()).toEqual([...declared_transitions(machine).values()].sort());
    // Coverage agrees with docs/machines.md's table: a transition is observed where the docs say so.
    const doc = docs().machines.find((m) => m.machine === name)!;
    expect(doc.rows.map((r) => r.name).sort()).toEqual([...labelled].sort());
    for (const r of doc.rows) {
      const observed = (r.observed ?? 0) > 0 || r.replayed === true;
      expect(svg.includes(`data-transition="${r.name}" data-coverage="observed"`), r.name).toBe(observed);
    }
    expect(html).toContain('id="coverage-legend"');
  });

  it("is self-contained: no external script, style, image or link", () => {
    expect(html).not.toMatch(/<script[^>]+src=|<link|<img|<iframe|@import|url\(\s*['"]?(https?:|\/\/)/i);
    // The only URL is the SVG namespace.
    expect([...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]).every((u) => u === "http://www.w3.org/2000/svg")).toBe(true);
    expect(html).toContain("Content-Security-Policy");
  });

  it("re-executes --trace files (ITF from check --trace-out) instead of the per-bug checks, reproducibly", () => {
    const story = data.traces.find((x) => x.bug === "dio-read-vs-fork")!.story as Story;
    const itf = join(tmp, "h1.itf.json");
    writeFileSync(itf, JSON.stringify(story_itf(story, "dio-read-vs-fork", "current", default_catalog_bounds)));
    const [a, b] = [join(tmp, "a.html"), join(tmp, "b.html")];
    const r = run("--trace", itf, "--out", a, "--json");
    expect(r.code).toBe(0);
    expect(run("--trace", itf, "--out", b).code).toBe(0);
    // The same inputs give the same bytes: nothing from the clock.
    expect(readFileSync(a, "utf8")).toBe(readFileSync(b, "utf8"));
    expect(html).not.toMatch(/\b20\d\d-\d\d-\d\d|\d\d:\d\d:\d\d/);
    const d = embedded_of(readFileSync(a, "utf8"));
    expect(d.traces).toHaveLength(1);
    expect(d.traces[0].source).toBe("file");
    expect(d.traces[0].bug).toBe("dio-read-vs-fork");
    expect(d.traces[0].story!.steps.map((s) => s.text)).toEqual(story.steps.map((s) => s.text));
    expect(d.traces[0].story!.violation).toEqual(story.violation);
  }, 300_000);

  it("escapes every string from the data: no HTML or script injection", () => {
    const evil = `</script><img src=x onerror="alert(1)"><!-- & \u2028`;
    const story: Story = {
      target: evil, initial: evil,
      steps: [{ step: 1, action: evil, text: evil, pages: { 1: [null, { refcount: 1, pincount: 0, mapcount: 1, flags: evil }] }, events: [evil] }],
      violation: { property: evil, message: evil, step: 1 },
    };
    const trace: TraceView = { id: evil, label: evil, source: "file", era: "current", bug: null, expected: evil, story, states: null };
    const out = render_html(report_data(docs(), [], [trace]));
    expect(out).not.toContain("<img");
    expect(out).not.toContain("</script><");
    expect(out.match(/<\/script>/g)).toHaveLength(2);
    const back = embedded_of(out);
    expect(back.traces[0].story).toEqual(story);
    expect(esc(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(JSON.parse(script_json({ s: evil }))).toEqual({ s: evil });
  });

  it("refuses bad flags in one line naming the flag and what it accepts", () => {
    expect(usage_error("--era", "2.6")).toBe(`--era must be one of ${era_ids().join(", ")}, got '2.6'`);
    expect(usage_error("--bug", "nope")).toBe(`--bug must be one of ${bug_ids().join(", ")}, got 'nope'`);
    expect(usage_error("--outt", "x")).toMatch(/^unknown option '--outt' \(flags: --out, --trace, --era, --bug, --json, --help\)$/);
    expect(usage_error("--out")).toBe("--out needs a value: an HTML file path");
    expect(usage_error("--trace")).toMatch(/^--trace needs a value: an ITF trace file/);
    expect(usage_error("--out=")).toBe("--out needs a value: an HTML file path"); // parseArgs reads "" here
    expect(usage_error("--trace=")).toMatch(/^--trace needs a value: an ITF trace file/);
    expect(usage_error("--json=yes")).toBe("--json takes no value");
    expect(usage_error("--trace", join(tmp, "missing.json"))).toMatch(/^cannot read trace '.*missing\.json': /);
    expect(usage_error("extra")).toMatch(/^unexpected argument 'extra'/);
    for (const m of [usage_error("--era", "2.6"), usage_error("--bug", "nope")]) expect(m).not.toContain("\n");
  });

  it("exits 2 from the command line with the message on one stderr line; --help exits 0", () => {
    const cli = (...args: string[]) => spawnSync("npx", ["tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });
    const bad = cli("report", "--era", "2.6");
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe("");
    const lines = bad.stderr.split("\n").filter((l) => l.startsWith("pincheck:"));
    expect(lines).toEqual([`pincheck: --era must be one of ${era_ids().join(", ")}, got '2.6'`]);
    const help = cli("report", "--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: pincheck report /);
    expect(cli("--help").stdout).toContain("report ");
  }, 120_000);
});
