// Litmus scenario files: every file of scenarios/ loads and gets the verdicts it expects in every
// era, malformed files are refused in one line naming the field (exit 2 through the CLI), the
// outcome kinds work, and the committed docs/verdicts.md is what generation gives now.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { VerdictResult } from "../src/check/litmus.js";
import {
  catalog_files, catalog_verdict_table, compile_litmus, display_path, litmus_verdicts, load_litmus,
  OP_NAMES, validate_litmus, verdict_for,
} from "../src/check/litmus.js";
import { run_scenario } from "../src/cli/scenario.js";
import type { LitmusDoc } from "./helpers/litmus.js";
import { litmus_doc, litmus_refusal } from "./helpers/litmus.js";

const tmp = mkdtempSync(join(tmpdir(), "pincheck-litmus-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = catalog_files();
const results = new Map<string, VerdictResult[]>();
const verdicts = (p: string): VerdictResult[] => {
  if (!results.has(p)) results.set(p, litmus_verdicts(compile_litmus(load_litmus(p, display_path(p)))));
  return results.get(p)!;
};

/** A small valid file to break in one place. */
const good = () => litmus_doc(
  [{ process: "P", pages: 1, fill: 170 }, { file: "A", fs: "ext4", pages: 1 }],
  { t1: [{ op: "dio_read", proc: "P", file: "A", page: 0, half: 0 }], t2: [{ op: "fork", proc: "P", child: "C" }] },
  { property: "no-cow-while-pinned" },
);

function run(...argv: string[]): { code: number; out: string } {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    const code = run_scenario(argv);
    return { code, out: log.mock.calls.map((c) => c.join(" ")).join("\n") };
  } finally {
    log.mockRestore();
  }
}

describe("the scenario catalog", () => {
  it("has the litmus files of issue 6", () => {
    expect(files.map(display_path)).toEqual(expect.arrayContaining([
      "scenarios/dio-read-vs-fork.json", "scenarios/dio-read-vs-writeback.json",
      "scenarios/iouring-fixed-vs-fork.json", "scenarios/vmsplice-vs-cow.json",
    ]));
  });

  it.each(files.map((f) => [display_path(f), f]))("%s: every verdict is the expected one", (_name, f) => {
    const rs = verdicts(f);
    expect(rs.length).toBeGreaterThan(0);
    for (const r of rs) {
      expect(r.stuck, `${r.era} ${r.bug ?? ""}`).toBe(0);
      expect(r.verdict, `${r.era} ${r.bug ?? ""}`).toBe(r.expected);
      expect(r.witness === null, `${r.era}: a witness exactly when the outcome can happen`).toBe(r.verdict === "Never");
    }
  });

  it("H1 happens before the pinning eras and never in current; its witness is the 5-step story", () => {
    const rs = verdicts(files.find((f) => f.endsWith("dio-read-vs-fork.json"))!);
    expect(rs.map((r) => [r.era, r.bug ?? null, r.verdict, r.witness])).toEqual([
      ["pre-pin", null, "Sometimes", 5], ["5.9-5.18", null, "Sometimes", 5], ["6.0-6.4", null, "Sometimes", 5],
      ["current", null, "Never", null], ["current", "dio-read-vs-fork", "Sometimes", 5],
    ]);
  });

  it("a verdict differing from the expectation exits 1", () => {
    const raw = JSON.parse(readFileSync(files.find((f) => f.endsWith("vmsplice-vs-cow.json"))!, "utf8"));
    raw.expect = [{ era: "pre-pin", verdict: "Never" }, { era: "current", verdict: "Never" }];
    const p = join(tmp, "wrong.json");
    writeFileSync(p, JSON.stringify(raw));
    const r = run(p);
    expect(r.code).toBe(1);
    expect(r.out).toContain("EXPECTED Never");
    expect(run(p, "--era", "current").code).toBe(0);
  });

  it("an era the file does not expect is computed without an expectation", () => {
    const c = compile_litmus(validate_litmus(good(), "t.json"));
    const r = verdict_for(c, "pre-pin");
    expect(r.expected).toBeUndefined();
    expect(r.match).toBe(true);
  });
});

describe("validation", () => {
  const bad: [string, (o: LitmusDoc) => void, RegExp][] = [
    ["a bad op", (o) => void (o.threads[1].steps[0].op = "frok"),
      /^bad\.json: threads\[1\]\.steps\[0\]\.op must be one of dio_read, write, fork, .*, got 'frok'$/],
    ["a missing field", (o) => void delete o.threads[0].steps[0].half,
      /^bad\.json: threads\[0\]\.steps\[0\]\.half is required \(an integer from 0 to 1\)$/],
    ["an unknown era", (o) => void (o.expect[0].era = "4.19"),
      /^bad\.json: expect\[0\]\.era must be one of pre-pin, 5\.9-5\.18, 6\.0-6\.4, current, got '4\.19'$/],
    ["an unknown property", (o) => void (o.outcome.property = "no-cow"),
      /^bad\.json: outcome\.property must be one of no-kernel-warning, .*no-cow-while-pinned.*, got 'no-cow'$/],
    ["a bad verdict word", (o) => void (o.expect[0].verdict = "Maybe"),
      /^bad\.json: expect\[0\]\.verdict must be one of Never, Sometimes, Always, got 'Maybe'$/],
    ["an unknown process", (o) => void (o.threads[0].steps[0].proc = "Q"),
      /^bad\.json: threads\[0\]\.steps\[0\]\.proc must be one of P, got 'Q'$/],
    ["a misspelt field", (o) => void (o.threads[0].steps[0].pgae = 0),
      /^bad\.json: threads\[0\]\.steps\[0\] has unknown field 'pgae' \(fields of dio_read: op, proc, file, page, half, buf, halves\)$/],
    ["a page beyond the buffer", (o) => void (o.threads[0].steps[0].page = 1),
      /^bad\.json: threads\[0\]\.steps\[0\]\.page must be an integer from 0 to 0, got 1$/],
  ];

  it.each(bad)("%s is refused in one line naming the field", (_what, mutate, re) => {
    const o = good();
    mutate(o);
    // One line, and through the command a UsageError (exit 2).
    expect(litmus_refusal(o, tmp)).toMatch(re);
  });

  it("invalid JSON, a missing file and bad flags are usage errors", () => {
    const p = join(tmp, "broken.json");
    writeFileSync(p, "{ not json");
    expect(() => run_scenario([p])).toThrow(/broken\.json: not valid JSON/);
    expect(() => run_scenario([join(tmp, "none.json")])).toThrow(/none\.json: cannot read the file \(ENOENT\)/);
    expect(() => run_scenario([])).toThrow(/needs a scenario FILE or --all/);
    expect(() => run_scenario(["--all", "--era", "2.6"])).toThrow(/--era must be one of pre-pin, 5\.9-5\.18, 6\.0-6\.4, current, got '2\.6'/);
  });

  it("the CLI exits 2 with one line on stderr for a malformed file", () => {
    const o = good();
    o.threads[1].steps[0].op = "frok";
    const p = join(tmp, "cli-bad.json");
    writeFileSync(p, JSON.stringify(o));
    const r = spawnSync("npx", ["tsx", "src/cli/main.ts", "scenario", p], { encoding: "utf8", env: { ...process.env, CI: "true" } });
    expect(r.status).toBe(2);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("pincheck:"));
    expect(lines).toEqual([`pincheck: ${p}: threads[1].steps[0].op must be one of ${OP_NAMES.join(", ")}, got 'frok'`]);
    expect(OP_NAMES.slice(0, 14)).toEqual(["dio_read", "write", "fork", "exit", "munmap", "register_fixed", "unregister_fixed", "vmsplice", "pipe_read", "reclaim", "reclaim_file", "writeback_start", "writeback_end", "sync"]);
    expect(r.stdout).toBe("");
  });
});

describe("docs/verdicts.md", () => {
  it("is what `pincheck scenario --all --write-verdicts docs/verdicts.md` generates now", () => {
    const table = catalog_verdict_table();
    expect(readFileSync("docs/verdicts.md", "utf8")).toBe(table);
    expect(table).toContain("| [dio-read-vs-fork](../scenarios/dio-read-vs-fork.json) | no-cow-while-pinned | Sometimes (5) | Sometimes (5) | Sometimes (5) | Never |");
    expect(table).not.toContain("✗ expected");
  });
});

describe("validation of dio_write, read_fixed and vfat files", () => {
  /** A valid file using the new vocabulary, to break in one place. */
  const io = () => litmus_doc(
    [{ process: "P", pages: 1, fill: 170 }, { file: "A", fs: "vfat", pages: 1 }, { file: "T", fs: "tmpfs", pages: 1 }],
    { t: [
      { op: "dio_write", proc: "P", file: "A", page: 0, half: 0, halves: 2 },
      { op: "register_fixed", proc: "P", page: 0 },
      { op: "read_fixed", proc: "P", file: "A", page: 0, half: 1 },
      { op: "unregister_fixed", proc: "P", page: 0 },
    ] },
    { property: "no-kernel-warning" },
  );

  it("accepts the valid file, and it runs clean in every era", () => {
    const c = compile_litmus(validate_litmus(io(), "io.json"));
    for (const era of ["pre-pin", "5.9-5.18", "6.0-6.4", "current"]) expect(verdict_for(c, era).verdict, era).toBe("Never");
  });

  const cases: [string, (o: LitmusDoc) => void, string][] = [
    ["halves past the buffer", (o) => void (o.threads[0].steps[0].halves = 3),
      "io.json: threads[0].steps[0].halves must be an integer from 1 to 2, got 3"],
    ["halves that is not a number", (o) => void (o.threads[0].steps[0].halves = "all"),
      "io.json: threads[0].steps[0].halves must be an integer from 1 to 2, got 'all'"],
    ["dio_write to a tmpfs file", (o) => void (o.threads[0].steps[0].file = "T"),
      "io.json: threads[0].steps[0].file must name an ext4 or vfat file for dio_write (tmpfs has no O_DIRECT to a device), got 'T'"],
    ["read_fixed from a tmpfs file", (o) => void (o.threads[0].steps[2].file = "T"),
      "io.json: threads[0].steps[2].file must name an ext4 or vfat file for read_fixed (tmpfs has no O_DIRECT to a device), got 'T'"],
    ["writeback of a tmpfs file", (o) => void (o.threads[0].steps[3] = { op: "writeback_start", file: "T", page: 0 }),
      "io.json: threads[0].steps[3].file must name an ext4 or vfat file for writeback_start (tmpfs does not write back), got 'T'"],
    ["read_fixed with halves", (o) => void (o.threads[0].steps[2].halves = 1),
      "io.json: threads[0].steps[2] has unknown field 'halves' (fields of read_fixed: op, proc, file, page, half, buf)"],
    ["read_fixed without half", (o) => void delete o.threads[0].steps[2].half,
      "io.json: threads[0].steps[2].half is required (an integer from 0 to 1)"],
    ["dio_write without file", (o) => void delete o.threads[0].steps[0].file,
      "io.json: threads[0].steps[0].file is required (one of A, T)"],
    ["an unknown file system", (o) => void (o.setup[1].fs = "fat"),
      "io.json: setup[1].fs must be one of ext4, tmpfs, afs, vfat, got 'fat'"],
    ["an mTHP order past 2", (o) => void (o.setup[0].thp = 3),
      "io.json: setup[0].thp must be an integer from 1 to 2, got 3"],
    ["an mTHP larger than the buffer", (o) => void (o.setup[0].thp = 1),
      "io.json: setup[0].thp must be an order whose folios tile the buffer's 1 page(s) (none does: leave thp out), got 1"],
    ["an mTHP that does not tile the buffer", (o) => void Object.assign(o.setup[0], { pages: 2, thp: 2 }),
      "io.json: setup[0].thp must be an order whose folios tile the buffer's 2 page(s) (1), got 2"],
    ["a dio_write past the end of the file", (o) => {
      o.setup[0].pages = 2;
      Object.assign(o.threads[0].steps[0], { page: 1, halves: 1 });
    }, "io.json: threads[0].steps[0] reaches past the end of 'A' (1 page(s)): page 1, half 0, 1 half page(s)"],
  ];

  it.each(cases)("refuses %s in one line", (_what, mutate, msg) => {
    const o = io();
    mutate(o);
    expect(litmus_refusal(o, tmp, "io.json")).toBe(msg);
  });
});
