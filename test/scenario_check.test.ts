// The scenario checker: H1 (DIO read vs fork) is found with a shortest trace under the FOLL_GET
// bug switch and not under the current rules; traces replay, and bad trace files are refused.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { world_properties } from "../properties/index.js";
import { explore } from "../src/check/explore.js";
import { scenario_targets } from "../src/check/targets.js";
import { bug_ids, config_for } from "../src/kernel/index.js";

const cli = (...args: string[]) => spawnSync("npx", ["tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });

/** A scenario file (scenarios/ID.json) as the check explores it, under a bug switch or the current kernel. */
const scenario = (id: string, bug?: string) => scenario_targets(config_for(bug)!).find((t) => t.id === id)!;
const shortest = (id: string, bug?: string) => {
  const t = scenario(id, bug);
  const r = explore(t.model, 64);
  return { r, steps: r.trace?.actions.map((a) => t.describe(a)) };
};

describe("DIO read vs fork", () => {
  it("current kernel: every interleaving keeps the read's bytes with the reader, and nothing leaks", () => {
    const { r } = shortest("dio-read-vs-fork");
    expect(r.result).toBe("ok");
    expect(r.states).toBeGreaterThan(20);
  });

  it("FOLL_GET DIO (before v6.5): the shortest counterexample is submit, fork, write, transfer, complete", () => {
    const { r, steps } = shortest("dio-read-vs-fork", "dio-read-vs-fork");
    expect(r.violation!.property).toBe("no-cow-while-pinned");
    expect(steps).toEqual([
      "P.t1: P: pread(A, O_DIRECT) into page 0 half 0 (async)",
      "P.t2: P: fork() -> C",
      "P.t3: P: write 0xbb to page 0 half 1",
      "device: transfer bio 0",
      "device: complete bio 0",
    ]);
    const again = shortest("dio-read-vs-fork", "dio-read-vs-fork").r;
    expect([again.states, again.transitions, again.trace!.actions]).toEqual([r.states, r.transitions, r.trace!.actions]);
  });
});

describe("DIO read into a shared file page vs writeback (W2)", () => {
  it("current kernel: the deferred re-dirty gets the device's bytes to disk in every interleaving", () => {
    expect(shortest("dio-read-vs-writeback").r.result).toBe("ok");
  });

  it("pins dropped without re-dirtying: writeback before the DMA, and sync loses the data", () => {
    const { r, steps } = shortest("dio-read-vs-writeback", "dma-no-redirty");
    expect(r.violation!.property).toBe("no-writeback-while-pinned");
    expect(steps).toEqual([
      "P: P: pread(A, O_DIRECT) into m page 0 half 0 (async)",
      "flusher: writeback of B's page 0 starts",
      "flusher: writeback of B's page 0 ends",
      "device: transfer bio 0",
      "device: complete bio 0",
      "sync: sync(B): write back what is dirty, then drop the clean pages",
    ]);
  });
});

describe("the bounded catalog", () => {
  it("finds H1 from free operations under the FOLL_GET switch, and nothing under the current kernel", async () => {
    const { catalog_model, describe_catalog_action } = await import("../src/check/catalog.js");
    const bounds = { processes: 2, pages: 1, in_flight: 1, fixed: 0 };
    const now = explore(catalog_model(config_for()!, bounds, world_properties), 5);
    expect(now.result).toBe("ok");
    const old = explore(catalog_model(config_for("dio-read-vs-fork")!, bounds, world_properties), 5);
    expect(old.violation!.property).toBe("no-cow-while-pinned");
    expect(old.trace!.actions.map(describe_catalog_action)).toEqual([
      "process 0: O_DIRECT read into page 0 half 0 (async)",
      "process 0: fork()",
      "process 0: write page 0 half 1",
      "device: transfer bio 0",
      "device: complete bio 0",
    ]);
  });
});

describe("traces: check --trace-out, replay", () => {
  const dir = mkdtempSync(join(tmpdir(), "pincheck-"));
  const file = join(dir, "h1.json");

  it("check --bug writes an ITF trace that replay reproduces; under the current kernel it does not", () => {
    const r = cli("check", "--bug", "dio-read-vs-fork", "--depth", "2", "--json", "--trace-out", file);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.result).toBe("violation");
    expect(out.property).toBe("no-cow-while-pinned");
    expect(out.trace.steps).toHaveLength(5);
    expect(out.trace.steps[1].pages["1"][1]).toMatchObject({ mapcount: 2 }); // fork shared X

    const itf = JSON.parse(readFileSync(file, "utf8"));
    expect(itf["#meta"].format).toBe("ITF");
    expect(itf.states).toHaveLength(6);
    expect(itf.states[5].violation).toBe("no-cow-while-pinned");

    const rep = cli("replay", file);
    expect(rep.status).toBe(1);
    expect(rep.stdout).toMatch(/reproduced: no-cow-while-pinned/);

    itf["#meta"].pincheck.bug = null; // the same interleaving on today's kernel
    const fixed = join(dir, "h1-current.json");
    writeFileSync(fixed, JSON.stringify(itf));
    const now = cli("replay", fixed);
    expect(now.status).toBe(0);
    expect(now.stdout).toMatch(/not reproduced \(the trace recorded no-cow-while-pinned\)/);
  });

  /** What check and fuzz record of the kernel and bounds, which a trace must carry. */
  const found_under = { era: "current", bounds: { processes: 2, pages: 1, in_flight: 1, fixed: 1 } };
  it.each([
    [{ "#meta": {} }, /no "#meta".pincheck object/],
    [{ "#meta": { pincheck: { target: "nope", initial: "x", actions: [], bug: null, ...found_under } } }, /unknown target 'nope'/],
    [{ "#meta": { pincheck: { target: "dio-read-vs-fork", initial: "dio-read-vs-fork", actions: [], bug: "zzz", ...found_under } } }, /bug must be null or one of dio-read-vs-fork, dma-no-redirty, .*, got 'zzz'/],
    [{ "#meta": { pincheck: { target: "dio-read-vs-fork", initial: "dio-read-vs-fork", actions: [{ kind: "work" }], bug: null, ...found_under } } }, /step 1: action \{"kind":"work"\} is not enabled there; kinds enabled there: thread$/m],
    [{ "#meta": { pincheck: { target: "catalog", initial: "catalog", actions: [{ op: "write", proc: 5, page: 0, half: 0 }], bug: null, ...found_under } } },
      /not enabled there; enabled of its kind: \{"op":"write","proc":0,"page":0,"half":0\}, \{"op":"write","proc":0,"page":0,"half":1\}$/m],
  ])("a bad trace file is refused with one line and exit 2 (%#)", (doc, message) => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify(doc));
    const r = cli("replay", bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n").filter((l) => l.startsWith("pincheck"))).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("bugs --json lists each switch with its era, reference and the property it breaks", () => {
    const rows = JSON.parse(execFileSync("npx", ["tsx", "src/cli/main.ts", "bugs", "--json"], { encoding: "utf8" }));
    expect(rows).toEqual(expect.arrayContaining([
      expect.objectContaining({ id: "dio-read-vs-fork", breaks: "no-cow-while-pinned" }),
      expect.objectContaining({ id: "dma-no-redirty", breaks: "no-writeback-while-pinned" }),
      expect.objectContaining({ id: "xarray-unlocked-folios", era: "~5.14-6.13 (fs/afs/dir.c)", breaks: "no-invalidate-under-iterator" }),
    ]));
    expect(rows.map((r: { id: string }) => r.id)).toEqual(bug_ids());
  });
});
