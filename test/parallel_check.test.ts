// `pincheck check --workers N` (src/check/parallel.ts): the jobs spread over worker threads give
// the serial check's result: per target the same states, transitions and depth, the same guarded
// counts and machine coverage, and under a bug switch the same counterexample.
import { describe, expect, it } from "vitest";
import { default_catalog_bounds } from "../src/check/catalog.js";
import type { CheckRun } from "../src/check/exhaustive.js";
import { DEFAULT_DEPTH, exhaustive_check } from "../src/check/exhaustive.js";
import { parallel_check } from "../src/check/parallel.js";
import { config_for } from "../src/kernel/index.js";

/** What a check reports, the timing and memory aside. */
const outcome = (r: CheckRun) => ({
  runs: r.runs,
  guarded: [...r.guarded],
  machines: r.machines,
  story: r.story && { target: r.story.target, initial: r.story.initial, steps: r.story.steps.map((s) => s.text), violation: r.story.violation },
});

describe("parallel check", () => {
  it("current kernel, 2 workers: the serial check's states, counts and coverage", { timeout: 120_000 }, async () => {
    const config = config_for()!;
    const serial = exhaustive_check(config, 4, default_catalog_bounds);
    const parallel = await parallel_check(config, 4, default_catalog_bounds, 2);
    expect(serial.story).toBeNull();
    expect(outcome(parallel)).toEqual(outcome(serial));
    expect(parallel.runs.find((r) => r.id === "iov_iter")!.states).toBeGreaterThan(1000);
  });

  it.each([
    ["dio-read-vs-fork", undefined], // a scenario file
    ["bvec-get-pages-first-folio", "iov_iter"], // one initial iterator of the split target
    ["cow-either-way", "catalog"],
  ])("bug switch %s (--target %s): the serial check's counterexample", { timeout: 120_000 }, async (bug, only) => {
    const config = config_for(bug)!;
    const serial = exhaustive_check(config, DEFAULT_DEPTH, default_catalog_bounds, undefined, only);
    const parallel = await parallel_check(config, DEFAULT_DEPTH, default_catalog_bounds, 3, undefined, only);
    expect(serial.story).not.toBeNull();
    expect(outcome(parallel).story).toEqual(outcome(serial).story);
    expect(parallel.runs.map((r) => r.id)).toEqual(serial.runs.map((r) => r.id));
  });
});
