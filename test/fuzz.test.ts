// pincheck fuzz: seeded random runs over the scenarios, the iterator layer (one target per
// initial state) and the catalog find every bug switch and old era the explorer finds, with a
// shrunk trace at most two steps longer than the explorer's shortest of the same kinds of
// actions; runs are reproducible from a seed and from fast-check's replay path; the current
// kernel survives a default run; the CLI reports bad input in one line and exports
// counterexamples as regression tests.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CatalogAction } from "../src/check/catalog.js";
import { describe_catalog_action } from "../src/check/catalog.js";
import { explore } from "../src/check/explore.js";
import type { FuzzReport } from "../src/check/fuzz.js";
import {
  DEFAULT_RUNS, DEFAULT_SEED, DEFAULT_STEPS, default_fuzz_bounds, fuzz, fuzz_in_rounds, fuzz_target, fuzz_target_ids, fuzz_targets, replay_enabled, ROUND,
} from "../src/check/fuzz.js";
import { all_targets, catalog_target, iter_fuzz_targets, scenario_files } from "../src/check/targets.js";
import { replay_story } from "../src/check/trace.js";
import { UsageError } from "../src/cli/args.js";
import { run_fuzz } from "../src/cli/fuzz.js";
import { BUGS, config_for } from "../src/kernel/index.js";

interface Run { status: number | null; stdout: string; stderr: string }

/** The CLI in a child process; started at once so it runs beside the in-process tests. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    const p = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { env: { ...process.env, CI: "true" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (status) => done({ status, stdout, stderr }));
  });
}

const defaults = { runs: DEFAULT_RUNS, steps: DEFAULT_STEPS, seed: DEFAULT_SEED };
const small = { processes: 2, pages: 1, in_flight: 1, fixed: 1 };
const dir = mkdtempSync(join(tmpdir(), "pincheck-fuzz-"));

// The CLI runs that only need to finish: bad input, and a failing run written out three ways.
const bad_inputs: [string[], RegExp][] = [
  [["--runs", "0"], /^pincheck: --runs must be an integer from 1 to 1000000, got '0'$/],
  [["--steps", "x"], /^pincheck: --steps must be an integer from 1 to 200, got 'x'$/],
  [["--era", "2.6"], /^pincheck: --era must be one of pre-pin, 5\.9-5\.18, 6\.0-6\.4, current, got '2\.6'$/],
  [["--bug", "nope"], /^pincheck: --bug must be one of dio-read-vs-fork, dma-no-redirty, .*, got 'nope'$/],
  // Cheapest first: the scenarios, one iov_iter target per initial state, the catalog.
  [["--target", "iov_iter"], /^pincheck: --target must be one of (.+, )?dio-read-vs-fork, (.+, )?vmsplice-vs-cow, (.+, )?iov_iter:ubuf-dest, (.+, )?iov_iter:kvec-dest, (.+, )?iov_iter:ubuf-source-page-1-unmapped, catalog, got 'iov_iter'$/],
  [["--replay", "42"], /^pincheck: --replay must be SEED:PATH .*got '42'$/],
  [["--replay", "42:3:999"], /^pincheck: --replay 42:3:999: the path leads to no run/],
  [["--seed", "7", "--replay", "42:1"], /^pincheck: --replay carries its own seed \(42\); it conflicts with --seed 7$/],
  [["--in-flight", "3"], /^pincheck: --in-flight must be an integer from 0 to 2, got '3'$/],
  [["--frobnicate"], /^pincheck: unknown option '--frobnicate' \(flags: --runs, .*\)$/],
];
// Two of them through the real command (exit status, stderr); all of them in-process.
const bad_runs = [0, 6].map((k) => cli("fuzz", ...bad_inputs[k][0]));
const trace_file = join(dir, "h1.json");
const export_file = join(dir, "h1.test.ts");
// The catalog's H1 (without --target the dio-read-vs-fork scenario, which runs first, finds it).
const found = cli("fuzz", "--target", "catalog", "--bug", "dio-read-vs-fork", "--json", "--trace-out", trace_file, "--export", export_file);

/** Bug switches that live in the iterator layer, with the initial state whose target breaks. */
const iterator_bugs: Record<string, string> = {
  "put-page-on-pins": "iov_iter:ubuf-source-page-1-unmapped",
  "bvec-get-pages-first-folio": "iov_iter:bvec-dest",
  "kvec-refs": "iov_iter:kvec-dest",
};
// Each through the whole command, every target in turn (200 runs each keeps it short; the
// iterator targets fail within their first runs).
const iter_found = Object.keys(iterator_bugs).map((bug) => {
  const trace = join(dir, `${bug}.json`);
  const test = join(dir, `${bug}.test.ts`);
  return { bug, trace, test, run: cli("fuzz", "--bug", bug, "--runs", "200", "--json", "--trace-out", trace, "--export", test) };
});

/** Bug switches whose property only a scenario file reaches: the catalog maps no files, reads no directories. */
const scenario_bugs: Record<string, string> = {
  "xarray-unlocked-folios": "afs-dir-read-vs-invalidate",
  // vfat (fs/direct-io.c) and file mappings are scenario-only too.
  "zero-page-pin-accounting": "dio-write-zero-page",
  "longterm-file-write-pins": "iouring-fixed-vs-writeback",
  // The catalog's buffers are base pages: an mTHP folio is set up by this scenario only.
  "bio-release-unaligned": "dio-read-unaligned-thp",
};

/** Each bug switch and old era, with the target that can break its property. */
const cases = [
  ...BUGS.map((b) => ({
    name: `bug ${b.id}`, bug: b.id as string | undefined, era: "current", property: b.breaks,
    // The catalog maps no files, so no-writeback-while-pinned cannot arise there: dma-no-redirty is
    // fuzzed over the scenario that maps a shared file page and syncs it.
    target: iterator_bugs[b.id] ?? scenario_bugs[b.id] ?? (b.breaks === "no-writeback-while-pinned" ? "dio-read-vs-writeback" : "catalog"),
  })),
  { name: "era pre-pin", bug: undefined, era: "pre-pin", property: "model-conformance", target: "catalog" },
  { name: "era 5.9-5.18", bug: undefined, era: "5.9-5.18", property: "no-cow-while-pinned", target: "catalog" },
  { name: "era 6.0-6.4", bug: undefined, era: "6.0-6.4", property: "no-cow-while-pinned", target: "catalog" },
];
const reports = new Map<string, FuzzReport>();
/** A case's report: from its test above, or computed here when that test was filtered out. */
const report = (name: string): FuzzReport => {
  const c = cases.find((x) => x.name === name)!;
  if (!reports.has(name)) reports.set(name, fuzz(fuzz_target(c.target, config_for(c.bug, c.era)!)!, defaults));
  return reports.get(name)!;
};

describe("fuzz finds what the explorer finds, with a short trace", () => {
  it.each(cases)("$name: $property within the default budget", ({ name, bug, era, property, target }) => {
    const config = config_for(bug, era)!;
    const r = report(name);
    expect(r.violation?.property).toBe(property);
    expect(r.runs).toBeLessThanOrEqual(DEFAULT_RUNS);
    // Against the explorer at the small exhaustive bounds, without paying for its whole search:
    // the fuzz trace (L steps) would be too long only if a counterexample of at most L-3 steps
    // existed, and the explorer, exhaustive to that depth, finds none. The fuzz trace replayed
    // at those bounds (or the explorer to depth L, if it does not fit them) shows that one of at
    // most L steps exists, so the explorer's shortest is between L-2 and L.
    //
    // A catalog run may break the property another way than the explorer's shortest does (in
    // 5.9-5.18 both H1 and do_swap_page() reusing a vmspliced page break no-cow-while-pinned), so
    // the explorer there takes only the kinds of actions the run took.
    const L = r.actions.length;
    const t = target === "catalog" ? catalog_target(config, small) : fuzz_target(target, config)!;
    if (target === "catalog") {
      const ops = new Set((r.actions as CatalogAction[]).map((a) => a.op));
      const all = t.model.actions.bind(t.model);
      t.model = { ...t.model, actions: (s) => all(s).filter((a) => ops.has((a as CatalogAction).op)) };
    }
    expect(explore(t.model, Math.max(0, L - 3)).result).toBe("ok");
    const { story, enabled } = replay_enabled(t, r.actions);
    if (enabled === L) expect(story.violation).toMatchObject({ property, step: L });
    else expect(explore(t.model, L).violation?.property).toBe(property);
  });

  it("the H1 trace is the read, fork, a COW-breaking step, and the bio finishing", () => {
    const r = report("bug dio-read-vs-fork");
    const text = r.actions.map((a) => describe_catalog_action(a as never));
    expect(text[0]).toMatch(/O_DIRECT read into page \d half \d \(async\)/);
    expect(text[1]).toMatch(/fork\(\)/);
    expect(text.slice(-2)).toEqual(["device: transfer bio 0", "device: complete bio 0"]);
  });
});

describe("determinism and replay", () => {
  const config = config_for("dio-read-vs-fork")!;

  it("the same seed gives the same run: counterexample, path and statistics", () => {
    const again = fuzz(fuzz_target("catalog", config)!, defaults);
    expect(again).toEqual(report("bug dio-read-vs-fork"));
  });

  it("seed and path replay exactly the shrunk counterexample, in one run", () => {
    const first = report("bug dio-read-vs-fork");
    const t = fuzz_target("catalog", config)!;
    const r = fuzz(t, { ...defaults, path: first.path! });
    expect(r.runs).toBe(1);
    expect([r.actions, r.violation, r.path]).toEqual([first.actions, first.violation, first.path]);
    const story = replay_story(t, "catalog", r.actions);
    expect(typeof story !== "string" && story.violation).toEqual(first.violation);
  });

  it("a different seed explores differently", () => {
    const run = (seed: number) => fuzz(fuzz_target("catalog", config_for()!)!, { ...defaults, runs: 100, seed }).stats;
    expect(run(7)).not.toEqual(run(42));
  });
});

describe("the current kernel", () => {
  it("survives a default run from every iov_iter initial state, every kind of iterator action taken", () => {
    const ops = new Set<string>();
    let held = 0;
    for (const { id, name, target } of iter_fuzz_targets(config_for()!)) {
      const r = fuzz(target, defaults);
      expect(r.result, id).toBe("ok");
      expect(r.runs).toBe(DEFAULT_RUNS);
      expect(target.initial_name(target.model.initial()[0])).toBe(name);
      for (const op of Object.keys(r.stats.ops)) ops.add(op);
      held += r.stats.guarded_runs["release-matches-acquire"];
    }
    expect([...ops].sort()).toEqual(["advance", "copy", "extract", "extract_to_sg", "get_pages", "release", "revert"]);
    // Pins and references were held (not vacuous), though not from every state: a KVEC destination holds nothing.
    expect(held).toBeGreaterThan(DEFAULT_RUNS);
  });

  it("survives a default run, and the statistics say what the runs exercised", () => {
    const r = fuzz(fuzz_target("catalog", config_for()!, default_fuzz_bounds)!, defaults);
    expect(r.result).toBe("ok");
    expect(r.runs).toBe(DEFAULT_RUNS);
    const st = r.stats;
    expect(Object.values(st.ops).reduce((a, n) => a + n, 0)).toBe(st.actions);
    for (const op of ["write", "fork", "exit", "dio_read", "dio_write", "register", "unregister", "vmsplice", "pipe_read", "reclaim", "device_transfer", "device_complete", "work"])
      expect(st.ops[op], op).toBeGreaterThan(0);
    expect(st.guarded_runs["no-cow-while-pinned"]).toBeGreaterThan(DEFAULT_RUNS / 2);
    // The catalog maps no files: the writeback rule is never at stake there, nor an ITER_XARRAY
    // read into a page cache (H7), and the run says so.
    expect(st.vacuous).toEqual(["no-writeback-while-pinned", "no-invalidate-under-iterator"]);
  });
});

describe("pincheck fuzz (CLI)", () => {
  it.each(bad_inputs.map(([args, message]) => [args.join(" "), message] as const))("bad input '%s' is refused in one line", (args, message) => {
    let error: unknown;
    try {
      run_fuzz(args.split(" "));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(`pincheck: ${(error as Error).message}`).toMatch(message);
  });

  it("bad input exits 2 with that one line on stderr and nothing on stdout", async () => {
    for (const [k, r] of [0, 6].map((k, i) => [k, bad_runs[i]] as const)) {
      const { status, stdout, stderr } = await r;
      expect(status).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr.trim()).toMatch(bad_inputs[k][1]);
    }
  });

  it("--json, --trace-out and --export write one counterexample; --replay and replay reproduce it", async () => {
    const r = await found;
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ result: "violation", property: "no-cow-while-pinned", bug: "dio-read-vs-fork", seed: 42, steps: DEFAULT_STEPS });
    expect(out.trace.steps.map((s: { action: unknown }) => s.action)).toEqual(report("bug dio-read-vs-fork").actions);
    expect(out.replay).toBe(`pincheck fuzz --bug dio-read-vs-fork --replay 42:${out.path}`);
    expect(out.statistics.guarded_share["no-writeback-while-pinned"]).toBe(0);

    const [again, rep] = await Promise.all([
      cli("fuzz", "--bug", "dio-read-vs-fork", "--replay", `42:${out.path}`),
      cli("replay", trace_file),
    ]);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain(`replay: ${out.replay}`);
    expect(out.trace.steps.length).toBeGreaterThan(0);
    for (const s of out.trace.steps) expect(again.stdout).toContain(`${s.step}. ${s.text}`);
    expect(rep.status).toBe(1);
    expect(rep.stdout).toMatch(/reproduced: no-cow-while-pinned/);

    // The committed regression test is what --export writes (up to where its imports point).
    const strip = (s: string) => s.split("\n").filter((l) => !l.startsWith("import ")).join("\n");
    const committed = readFileSync(new URL("regressions/dio-read-vs-fork-seed42.test.ts", import.meta.url), "utf8");
    expect(strip(readFileSync(export_file, "utf8"))).toBe(strip(committed));
  });

  it.each(Object.keys(iterator_bugs))("--bug %s: every target in turn, found in its iov_iter target; the trace replays, --replay and the export reproduce it", async (bug) => {
    const x = iter_found.find((y) => y.bug === bug)!;
    const r = await x.run;
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    const property = BUGS.find((b) => b.id === bug)!.breaks;
    expect(out).toMatchObject({ result: "violation", property, target: iterator_bugs[bug], bug });
    // Every scenario ran first (clean: these switches live in the iterator layer), then the iov_iter targets in order.
    const ids = fuzz_target_ids();
    expect(out.targets.map((t: { id: string }) => t.id)).toEqual(ids.slice(0, ids.indexOf(iterator_bugs[bug]) + 1));
    // The trace names the explorer's target and the initial state by name, as check's traces do.
    const name = iter_fuzz_targets(config_for()!).find((t) => t.id === iterator_bugs[bug])!.name;
    expect(out.trace).toMatchObject({ target: "iov_iter", initial: name });
    expect(out.replay).toMatch(new RegExp(`^pincheck fuzz --target ${iterator_bugs[bug]} --bug ${bug} --replay 42:[\\d:]+$`));

    const [again, rep] = await Promise.all([cli(...out.replay.split(" ").slice(1)), cli("replay", x.trace)]);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain(`iov_iter / ${name}:`);
    expect(out.trace.steps.length).toBeGreaterThan(0);
    for (const s of out.trace.steps) expect(again.stdout).toContain(`${s.step}. ${s.text}`);
    expect(rep.status).toBe(1);
    expect(rep.stdout).toContain(`reproduced: ${property}`);

    // The exported test builds the same target by its fuzz id; what it asserts holds.
    const actions = out.trace.steps.map((s: { action: unknown }) => s.action);
    expect(readFileSync(x.test, "utf8")).toContain(`fuzz_target(${JSON.stringify(iterator_bugs[bug])}, config_for(bug, era)!, bounds)`);
    const broken = replay_enabled(fuzz_target(iterator_bugs[bug], config_for(bug)!)!, actions);
    expect([broken.enabled, broken.story.violation?.property]).toEqual([actions.length, property]);
    expect(replay_enabled(fuzz_target(iterator_bugs[bug], config_for()!)!, actions).story.violation).toBeNull();
  });

  it("fuzz's targets are all_targets's, in its order, with the iterator layer split by initial state", () => {
    const ids = fuzz_target_ids();
    const iter = iter_fuzz_targets(config_for()!).map((x) => x.id);
    expect(ids).toEqual([...scenario_files().map((c) => c.lit.id), ...iter, "catalog"]);
    expect(all_targets(config_for()!).map((t) => t.id)).toEqual([...scenario_files().map((c) => c.lit.id), "iov_iter", "catalog"]);
    expect(iter).toHaveLength(13);
    for (const id of ids) expect(id, id).toMatch(/^[a-z0-9:_-]+$/);
  });

  it("without --target every target runs in turn: dma-no-redirty is found in the writeback scenario", async () => {
    const r = await cli("fuzz", "--bug", "dma-no-redirty", "--runs", "100");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^pincheck fuzz: no-writeback-while-pinned violated .*scenario dio-read-vs-writeback\)/);
    expect(r.stdout).toMatch(/replay: pincheck fuzz --target dio-read-vs-writeback --bug dma-no-redirty --replay /);
  });

  it("without --target the budgets are taken in rounds of ROUND runs: every target gets exactly --runs, statistics add up", async () => {
    expect(130 % ROUND).not.toBe(0); // a last, shorter round
    const r = await cli("fuzz", "--runs", "130", "--steps", "8", "--json");
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.targets.map((t: { id: string }) => t.id)).toEqual(fuzz_target_ids());
    for (const t of j.targets) expect([t.id, t.runs]).toEqual([t.id, 130]);
    // The last target's statistics cover all of its rounds, and its actions.
    const last = j.targets[j.targets.length - 1];
    expect([j.statistics.runs, j.statistics.actions, j.seed]).toEqual([130, last.actions, 42]);
    expect(Object.values(j.statistics.ops as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(last.actions);
  });

  it("the catalog's machine coverage adds up over the rounds, as its run counts do", () => {
    const config = config_for()!;
    const make = fuzz_targets(config);
    expect(make("catalog")).toBe(make("catalog"));
    const o = { runs: 2 * ROUND, steps: 12, seed: 7 };
    const all = fuzz_in_rounds(["dio-read-vs-fork", "catalog"], (id) => make(id)!, o);
    // The same two rounds (seeds 7 and 8) on one catalog target, by hand.
    const want = catalog_target(config, default_fuzz_bounds);
    for (const seed of [7, 8]) fuzz(want, { ...o, runs: ROUND, seed });
    const last_round = catalog_target(config, default_fuzz_bounds);
    fuzz(last_round, { ...o, runs: ROUND, seed: 8 });
    expect(all.target.machine_coverage!()).toEqual(want.machine_coverage!());
    expect(want.machine_coverage!()).not.toEqual(last_round.machine_coverage!()); // so the test tells the two apart
  });

  it("a text run prints the statistics and names what was never exercised", async () => {
    const r = await cli("fuzz", "--target", "catalog", "--bug", "dma-no-redirty", "--runs", "100");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^pincheck fuzz: no violation \(era current, bug switch dma-no-redirty; 100 runs of up to 30 steps, seed 42;/);
    expect(r.stdout).toMatch(/actions taken \(\d+ in 100 runs\): write \d+/);
    expect(r.stdout).toMatch(/no-writeback-while-pinned 0%/);
    expect(r.stdout).toMatch(/note: no run reached the situation no-writeback-while-pinned guards.*--target/);
  });
});
