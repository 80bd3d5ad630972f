// Transition docs: docs/machines.md is what `pincheck docs` generates now (so CI fails when a
// machine or the exploration changes without regenerating it), every declared transition has its
// row, every state is in its diagram, and --check / bad input exit as documented.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AnyStateMachine } from "xstate";
import { getStateNodes } from "xstate/graph";
import { afterAll, describe, expect, it, vi } from "vitest";
import { completion_machine } from "../models/completion.js";
import { iterator_machine } from "../models/iterator.js";
import { page_machine } from "../models/page.js";
import { process_machine } from "../models/process.js";
import type { Docs } from "../src/check/docs.js";
import { generate_docs } from "../src/check/docs.js";
import { declared_transitions } from "../src/check/machine_graph.js";
import { UsageError } from "../src/cli/args.js";
import { run_docs } from "../src/cli/docs.js";

// The exploration behind the docs takes a few seconds: run it once for the whole file.
let cached: Docs | undefined;
const docs = (): Docs => (cached ??= generate_docs());

const machines: [string, AnyStateMachine][] = [
  ["page", page_machine], ["process", process_machine], ["iterator", iterator_machine], ["completion", completion_machine],
];

/** Run run_docs in process with the cached docs, capturing what it prints. */
function run(...argv: string[]): { code: number; out: string; err: string } {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const error = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    const code = run_docs(argv, docs);
    return { code, out: log.mock.calls.map((c) => c.join(" ")).join("\n"), err: error.mock.calls.map((c) => c.join(" ")).join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const tmp = mkdtempSync(join(tmpdir(), "pincheck-docs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("pincheck docs", () => {
  it("the committed docs/machines.md is what generation gives now (regenerate with pincheck docs)", () => {
    expect(readFileSync("docs/machines.md", "utf8")).toBe(docs().markdown);
    expect(run("--check").code).toBe(0);
  });

  it("generation is deterministic", () => {
    expect(generate_docs(docs().evidence).markdown).toBe(docs().markdown);
  });

  it.each(machines)("%s: every declared transition has its row, and the diagram names every state", (name, machine) => {
    const doc = docs().machines.find((m) => m.machine === name)!;
    expect(doc).toBeDefined();
    const names = [...declared_transitions(machine).values()];
    expect(names.length).toBeGreaterThan(0);
    expect(doc.rows.map((r) => r.name)).toEqual(names);
    const section = docs().markdown.split(/^## /m).find((s) => s.startsWith(`${name} `))!;
    for (const r of doc.rows) expect(section).toContain(`| ${r.state} | ${r.event} | ${r.guard} | ${r.target} |`);
    const block = /```mermaid\n([\s\S]*?)```/.exec(section)![1];
    expect(block.startsWith("stateDiagram-v2\n")).toBe(true);
    const tokens = new Set(block.split(/[^A-Za-z0-9_]+/));
    for (const node of getStateNodes(machine.root)) expect(tokens, node.id).toContain(node.key);
    for (const r of doc.rows) expect(block).toContain(` : ${r.event}`);
  });

  it("reports exploration evidence for the monitored machines and replay for the others", () => {
    const d = docs();
    expect(d.evidence.exploration.result).toBe("ok");
    // The page and process machines are monitored during exploration; the others are path-replayed.
    expect(d.machines.map((m) => [m.machine, m.monitored])).toEqual([["page", true], ["process", true], ["iterator", false], ["completion", false]]);
    for (const m of d.machines) {
      if (m.monitored) expect(m.rows.some((r) => (r.observed ?? 0) > 0)).toBe(true);
      else expect(m.rows.every((r) => r.replayed === true && r.observed === null)).toBe(true);
    }
    // The guard -> property map shows up where the guard does.
    const page = d.machines.find((m) => m.machine === "page")!;
    expect(page.rows.find((r) => r.guard === "last_pin")!.property).toBe("no-free-while-pinned");
    expect(page.rows.find((r) => r.guard === "sole_reference")!.property).toBe("no-cow-while-pinned");
  });

  it("--check exits 1 naming the stale file when it differs, 0 when it is up to date", () => {
    const dir = join(tmp, "out");
    expect(run("--out", dir).code).toBe(0);
    const file = join(dir, "machines.md");
    expect(readFileSync(file, "utf8")).toBe(docs().markdown);
    expect(run("--out", dir, "--check").code).toBe(0);
    writeFileSync(file, docs().markdown.replace("| free | FAULT_WRITE |", "| free | FAULT_READ |"));
    const stale = run("--out", dir, "--check");
    expect(stale.code).toBe(1);
    expect(stale.err.split("\n")).toHaveLength(1);
    expect(stale.err).toContain(file);
    expect(stale.err).toMatch(/stale/);
    const json = JSON.parse(run("--out", dir, "--check", "--json").out);
    expect(json.result).toBe("stale");
    expect(run("--out", join(tmp, "nowhere"), "--check").code).toBe(1);
  });

  it("bad input exits 2 with one line", () => {
    expect(() => run("--bogus")).toThrow(UsageError);
    expect(() => run("--out")).toThrow(/--out needs a value/);
    expect(() => run("--out=")).toThrow(/^--out needs a value: /);
    const r = spawnSync("npx", ["tsx", "src/cli/main.ts", "docs", "--check=yes"], { encoding: "utf8", env: { ...process.env, CI: "true" } });
    expect(r.status).toBe(2);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("pincheck"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pincheck: --check/);
  });
});
