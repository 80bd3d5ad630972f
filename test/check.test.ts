// The iterator-layer check: it passes on the simulation as built, finds injected misuse with a
// shortest trace, and is deterministic.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { explore } from "../src/check/explore.js";
import { catalog_files } from "../src/check/litmus.js";
import type { IterAction } from "../src/check/iter_model.js";
import { iter_model } from "../src/check/iter_model.js";
import type { IterState } from "../src/check/iter_state.js";
import type { sg_table } from "../src/kernel/index.js";
import {
  alloc_pages, boot, bvec_set_page, clone_world, copy_to_iter, CURRENT_CONFIG, extract_iter_to_sg, iov_iter_bvec, PG_anon_exclusive,
  put_page, READ, seal_world,
} from "../src/kernel/index.js";
import { extraction_matches_advance } from "../properties/extraction_matches_advance.js";

/** The model with one step replaced: how a kernel bug would behave. */
function with_step(replace: (s: IterState, a: IterAction) => IterState | null) {
  const m = iter_model(CURRENT_CONFIG);
  return { ...m, step: (s: IterState, a: IterAction) => replace(s, a) ?? m.step(s, a) };
}

describe("pincheck check (iterator layer)", () => {
  it("finds no violation at depth 4 and reports the same counts on every run", () => {
    const a = explore(iter_model(CURRENT_CONFIG), 4);
    const b = explore(iter_model(CURRENT_CONFIG), 4);
    expect(a.result).toBe("ok");
    expect(a.states).toBeGreaterThan(1000);
    expect([b.states, b.transitions, b.depth]).toEqual([a.states, a.transitions, a.depth]);
  });

  it("catches pinned pages released with put_page (H4) in two steps", () => {
    const model = with_step((s, a) => {
      if (a.op !== "release" || s.held[0].how !== "pin") return null;
      const w = clone_world(s.w);
      for (const p of s.held[0].pages) put_page(w, p);
      return { ...s, w: seal_world(w), held: s.held.slice(1) };
    });
    const r = explore(model, 4);
    expect(r.result).toBe("violation");
    expect(r.violation!.property).toBe("release-matches-acquire");
    expect(r.trace!.actions.map((a) => a.op)).toEqual(["extract", "release"]);
    expect(r.trace!.initial.scenario).toBe("ITER_UBUF/ITER_DEST");
  });

  it("catches a copy in the wrong direction (the H3 direction confusion) in one step", () => {
    const model = with_step((s, a) => {
      if (a.op !== "copy" || !s.iter.data_source) return null;
      const w = clone_world(s.w);
      const iter = { ...s.iter };
      copy_to_iter(w, s.scratch, a.n, iter); // copying into an ITER_SOURCE iterator
      return { ...s, w: seal_world(w), iter };
    });
    const r = explore(model, 3);
    expect(r.violation!.property).toBe("no-kernel-warning");
    expect(r.violation!.message).toMatch(/_copy_to_iter/);
    expect(r.trace!.actions).toHaveLength(1);
  });

  it("catches DEST pages taken without FOLL_WRITE (the H3 direction confusion, extraction side)", () => {
    const model = with_step((s, a) => {
      if (a.op !== "extract" || s.iter.data_source || s.iter.iter_type > 1) return null;
      const t = iter_model(CURRENT_CONFIG).step(s, a);
      // Without FOLL_WRITE a shared COW page is pinned as it is: model that as the pages staying
      // non-exclusive (the counts are those of a correct pin, so only the direction rule can tell).
      for (const p of t.held[t.held.length - 1].pages) t.w.mem.flags[p] &= ~PG_anon_exclusive;
      return t;
    });
    const r = explore(model, 2);
    expect(r.violation!.property).toBe("direction");
    expect(r.violation!.message).toMatch(/pinned for writing while still shared copy-on-write/);
  });

  it("extraction-matches-advance: every extraction of the initial states passes; one that does not advance, or lists a wrong page, fails", () => {
    const m = iter_model(CURRENT_CONFIG);
    const extract: IterAction = { op: "extract", maxsize: 0x1800, maxpages: 2 };
    let checked = 0;
    for (const s of m.initial()) {
      if (!m.actions(s).some((a) => a.op === "extract")) continue;
      const t = m.step(s, extract);
      const got = t.held[t.held.length - 1].pages;
      if (!got.length) continue;
      checked++;
      expect(m.check_step!(s, extract, t), s.scenario).toBeNull();
      const still = { ...t, iter: { ...s.iter } }; // the pages handed out, the iterator not moved
      expect(m.check_step!(s, extract, still)?.message, s.scenario).toMatch(/advanced the iterator by 0 bytes, whose pages are \[\], but handed out/);
      const wrong = { ...t, held: [...t.held.slice(0, -1), { ...t.held[t.held.length - 1], pages: [...got.slice(1), got[0] + 1] }] };
      expect(m.check_step!(s, extract, wrong)?.property, s.scenario).toBe("extraction-matches-advance");
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it("extraction-matches-advance: extractions from part-way into each iterator pass (offset0 within a page or a large folio)", () => {
    const m = iter_model(CURRENT_CONFIG);
    const extract: IterAction = { op: "extract", maxsize: 0x1800, maxpages: 2 };
    let checked = 0;
    for (const s0 of m.initial())
      for (const n of [0x900, 0x1800]) {
        // Two extractions in a row: the second starts where the first left off.
        let s = m.step(s0, { op: "advance", n });
        for (let k = 0; k < 2 && s.iter.count; k++) {
          const t = m.step(s, extract);
          if (t.held[t.held.length - 1].pages.length) checked++; // none past the user buffer's hole
          expect(m.check_step!(s, extract, t), `${s.scenario}: advance 0x${n.toString(16)}, extraction ${k + 1}`).toBeNull();
          s = t;
        }
      }
    expect(checked).toBeGreaterThanOrEqual(3 * m.initial().length);
  });

  it("extraction-matches-advance: two pieces of one page that do not meet are two entries, as extract_iter_to_sg lists them", () => {
    const w = boot();
    const page = alloc_pages(w.mem, 0);
    const iter = iov_iter_bvec(w, READ, [bvec_set_page(page, 0x100, 0), bvec_set_page(page, 0x100, 0x800)], 2, 0x200);
    const s: IterState = { scenario: "two pieces", w: seal_world(w), iter, total: 0x200, held: [], scratch: 0, baseline: new Map() };
    const w2 = clone_world(s.w);
    const it2 = { ...iter };
    const sgt: sg_table = { sgl: [], nents: 0, orig_nents: 0 };
    expect(extract_iter_to_sg(w2, it2, 0x200, sgt, 4, 0)).toBe(0x200);
    const t: IterState = { ...s, w: seal_world(w2), iter: it2, held: [{ pages: sgt.sgl.slice(0, sgt.nents).map((e) => e.page), how: "none" }] };
    expect(t.held[0].pages).toEqual([page, page]);
    expect(extraction_matches_advance.check_step(s, t)).toBeNull();
  });

  it("catches an iterator whose count outruns its segments", () => {
    const model = with_step((s, a) => (a.op === "advance" ? { ...s, iter: { ...s.iter, count: s.iter.count + 1 } } : null));
    const r = explore(model, 2);
    expect(r.violation!.property).toBe("iterator-consistency");
  });
});

/** A trace without the era it was found in. */
const no_era_trace = join(mkdtempSync(join(tmpdir(), "pincheck-trace-")), "no-era.json");
writeFileSync(no_era_trace, JSON.stringify({
  "#meta": { pincheck: { target: "catalog", initial: "catalog", bug: null, bounds: { processes: 2, pages: 1, in_flight: 1, fixed: 1 }, actions: [] } },
}));
/** A regular file where a directory is expected. */
const a_file = no_era_trace;

/** A catalog trace whose bounds lie outside what the flags accept (no process at all). */
const bad_bounds_trace = join(mkdtempSync(join(tmpdir(), "pincheck-trace-")), "bounds.json");
writeFileSync(bad_bounds_trace, JSON.stringify({
  "#meta": { pincheck: { target: "catalog", initial: "catalog", era: "current", bug: null, bounds: { processes: 0, pages: 1, in_flight: 1, fixed: 1 }, actions: [] } },
}));

describe("pincheck CLI", () => {
  const cli = (...args: string[]) => spawnSync("npx", ["tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });

  // script(1) (util-linux, in every Debian) gives the command a terminal; it merges the streams.
  const on_tty = (ci: string, ...args: string[]) =>
    spawnSync("script", ["-qec", ["npx", "tsx", "src/cli/main.ts", ...args].join(" "), "/dev/null"], { encoding: "utf8", env: { ...process.env, CI: ci } }).stdout;
  const progress_line = /\r {2}\d+ states {2}\d+\/s {2}depth \d+ {2}queue \d+/;

  it("shows progress on a terminal (CI unset, empty or false) and not in CI or with --json", () => {
    for (const ci of ["", "false", "0"]) expect(on_tty(ci, "check", "--target", "vmsplice-vs-cow"), `CI='${ci}'`).toMatch(progress_line);
    expect(on_tty("true", "check", "--target", "vmsplice-vs-cow")).not.toMatch(progress_line);
    expect(on_tty("", "check", "--target", "vmsplice-vs-cow", "--json")).not.toMatch(progress_line);
    expect(on_tty("", "check", "--target", "vmsplice-vs-cow")).toMatch(/vmsplice-vs-cow: \d+ states/);
  });

  it("check --json prints one object with the counts", () => {
    const out = execFileSync("npx", ["tsx", "src/cli/main.ts", "check", "--depth", "3", "--json"], { encoding: "utf8" });
    const r = JSON.parse(out);
    expect(r.result).toBe("ok");
    expect(r.property).toBeNull();
    expect(r.states).toBeGreaterThan(0);
    expect(r.max_depth).toBe(3);
    expect(r.targets.find((t: { id: string }) => t.id === "iov_iter")).toMatchObject({ depth: 3 });
    // frontier_peak is reported per target: more than none, less than the states found
    // (explore_engine.test.ts checks it is the largest level below the bound).
    for (const t of r.targets as { id: string; states: number; frontier_peak: number }[]) {
      expect(t.frontier_peak, t.id).toBeGreaterThan(0);
      expect(t.frontier_peak, t.id).toBeLessThan(t.states);
    }
    expect(r.peak_rss_mb).toBeGreaterThan(0);
    expect(r.coverage.vacuous).toEqual([]);
    // Cheapest first: every scenario file (scenarios/ID.json) in name order, the iterator layer, the catalog.
    expect(r.targets.map((t: { id: string }) => t.id)).toEqual([...catalog_files().map((f) => basename(f, ".json")), "iov_iter", "catalog"]);
    expect(r.targets.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([
      "dio-read-vs-fork", "dio-read-vs-writeback", "iouring-fixed-vs-fork", "vmsplice-vs-cow", "afs-dir-read-vs-invalidate", "ro-pin-shared-page",
    ]));
    expect(r.bounds).toEqual({ processes: 2, pages: 1, in_flight: 1, fixed: 1 });
  });

  it("--target explores one target: the catalog finds H1 by itself, and without --target the scenario written for it reports it first", () => {
    const run = (args: string[]) => {
      try {
        execFileSync("npx", ["tsx", "src/cli/main.ts", "check", "--bug", "dio-read-vs-fork", "--json", ...args], { encoding: "utf8" });
        throw new Error("expected exit 1");
      } catch (e) {
        const x = e as { status: number; stdout: string };
        expect(x.status).toBe(1);
        return JSON.parse(x.stdout);
      }
    };
    const only = run(["--target", "catalog"]);
    expect(only.targets.map((t: { id: string }) => t.id)).toEqual(["catalog"]);
    expect([only.trace.target, only.property, only.trace.steps.length]).toEqual(["catalog", "no-cow-while-pinned", 5]);
    const all = run([]);
    expect([all.trace.target, all.property, all.trace.steps.length]).toEqual(["dio-read-vs-fork", "no-cow-while-pinned", 5]);
  });

  it("a catalog trace records the bounds it was found with, and replay runs it under them", () => {
    const trace = join(mkdtempSync(join(tmpdir(), "pincheck-check-")), "h1.json");
    const found = cli("check", "--bug", "dio-read-vs-fork", "--target", "catalog", "--pages", "2", "--fixed", "0", "--trace-out", trace);
    expect(found.status).toBe(1);
    const meta = JSON.parse(readFileSync(trace, "utf8"))["#meta"].pincheck;
    expect(meta.bounds).toEqual({ processes: 2, pages: 2, in_flight: 1, fixed: 0 });
    const replayed = cli("replay", trace);
    expect(replayed.status).toBe(1);
    // The same pages and steps as the check printed (with the default 1 page, fork would copy fewer).
    const steps = (out: string) => out.split("\n").filter((l) => /^\s+(\d+\.|page \d+:)/.test(l));
    expect(steps(replayed.stdout)).toEqual(steps(found.stdout));
  });

  it("a trace file that cannot be written costs one line naming the flag, after the counterexample is shown", () => {
    const r = cli("check", "--bug", "direction-confusion", "--target", "pipe-read-direction", "--trace-out", "/proc/pincheck-trace.json");
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^pincheck check: no-kernel-warning violated/);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("pincheck"))).toEqual([expect.stringMatching(/^pincheck: --trace-out '\/proc\/pincheck-trace.json': cannot write it \(E[A-Z]+\)$/)]);
  });

  it("without a violation --trace-out writes nothing, and says so", () => {
    const trace = join(mkdtempSync(join(tmpdir(), "pincheck-check-")), "none.json");
    const r = cli("check", "--target", "pipe-read-direction", "--trace-out", trace);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^pincheck check: no violation \(era current; every interleaving\)/);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("pincheck"))).toEqual([`pincheck: no violation, so --trace-out '${trace}' was not written`]);
    expect(() => readFileSync(trace)).toThrow();
  });

  it("a reader that stops early ends the output quietly: no stack trace, and the exit status is the check's", () => {
    // `true` reads nothing and exits before the check prints: every write meets a closed pipe. The
    // check finds nothing (status 0), so an EPIPE crash (status 1) cannot pass for its verdict.
    const script = "npx tsx src/cli/main.ts check --depth 1 | true; echo \"status ${PIPESTATUS[0]}\"";
    const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, CI: "true" } });
    expect(r.stdout).toBe("status 0\n");
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.ts:\d+/);
  });

  it.each([
    [["check", "--depth", "x"], /--depth must be an integer from 0 to 12, got 'x'/],
    [["check", "--depth", "13"], /--depth must be an integer from 0 to 12/],
    [["check", "--depth"], /--depth needs a value/],
    [["check", "--depth="], /^pincheck: --depth needs a value: /],
    [["check", "--frob"], /unknown option '--frob'/],
    [["check", "--target", "nope"], /--target must be one of .*iov_iter, catalog, got 'nope'/],
    [["check", "extra"], /unexpected argument 'extra'/],
    [["frob"], /unknown command 'frob'/],
    [["check", "--bug", "nope"], /--bug must be one of dio-read-vs-fork, dma-no-redirty, .*, got 'nope'/],
    [["check", "--processes", "9"], /--processes must be an integer from 1 to 3, got '9'/],
    [["check", "--in-flight", "-1"], /^pincheck: --in-flight must be an integer from 0 to 2, got '-1'$/],
    [["check", "--depth", "-1"], /^pincheck: --depth must be an integer from 0 to 12, got '-1'$/],
    [["check", "--workers", "0"], /--workers must be an integer from 1 to 64, got '0'/],
    [["check", "--workers", "two"], /--workers must be an integer from 1 to 64, got 'two'/],
    [["replay"], /replay needs a trace file/],
    [["replay", "/nonexistent/trace.json"], /cannot read trace '\/nonexistent\/trace.json'/],
    [["check", "--bug", "kvec-refs", "--bug", "dio-read-vs-fork"], /^pincheck: --bug given 2 times; it takes one value: dio-read-vs-fork, /],
    [["check", "--json", "--json"], /^pincheck: --json given 2 times; give it once$/],
    // Output paths are checked before the run, so its result is not lost afterwards.
    [["check", "--bug", "direction-confusion", "--trace-out", tmpdir()], /^pincheck: --trace-out '.*' is a directory; give a file path$/],
    [["check", "--trace-out", "/nonexistent/t.json"], /^pincheck: --trace-out '\/nonexistent\/t.json': directory '\/nonexistent' does not exist$/],
    [["scenario", "--all", "--write-verdicts", tmpdir()], /^pincheck: --write-verdicts '.*' is a directory/],
    [["report", "--out", tmpdir()], /^pincheck: --out '.*' is a directory/],
    [["replay", bad_bounds_trace], /^pincheck: .*: "#meta".pincheck.bounds must be an object of processes \(1 to 3\), pages \(1 to 3\), in_flight \(0 to 2\), fixed \(0 to 2\)$/],
    [["replay", no_era_trace], /^pincheck: .*: "#meta".pincheck.era must be one of pre-pin, 5.9-5.18, 6.0-6.4, current, got nothing$/],
    // A flag that would be ignored is refused.
    [["check", "--target", "iov_iter", "--pages", "2"], /^pincheck: --pages bounds the catalog only, and --target is 'iov_iter'$/],
    [["fuzz", "--target", "dio-read-vs-fork", "--processes", "3"], /^pincheck: --processes bounds the catalog only, and --target is 'dio-read-vs-fork'$/],
    [["report", "--era", "pre-pin", "--trace", bad_bounds_trace], /^pincheck: --era sets the era of the per-bug checks, and with --trace and no --bug there are none/],
    [["docs", "--out", a_file], /^pincheck: --out '.*' is a file; give a directory$/],
  ])("bad input %j: one line, exit 2", (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("pincheck"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });
});
