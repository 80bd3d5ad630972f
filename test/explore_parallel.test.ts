// The level-synchronous parallel engine (explore_parallel.ts with FrontierPart workers) against
// explore(): the same states, transitions, depth, first violation and trace, on the micro-model
// and on every target under the current kernel and every bug switch, with 2 and 3 parts run in
// this thread (each request and reply passed through structuredClone, as between threads); the
// same guarded counts and machine coverage; and frontiers really handed over between parts.
import { describe, expect, it } from "vitest";
import { micro_model } from "../bench/micro_page.js";
import { default_catalog_bounds } from "../src/check/catalog.js";
import { check_targets, guard_counting_model, target_depth } from "../src/check/exhaustive.js";
import type { ExploreResult, Model, Progress } from "../src/check/explore.js";
import { explore } from "../src/check/explore.js";
import type { Ended, ExpandNote, Request, Workers } from "../src/check/explore_parallel.js";
import { explore_parallel } from "../src/check/explore_parallel.js";
import { FrontierPart } from "../src/check/frontier_part.js";
import type { Target } from "../src/check/targets.js";
import { bug_ids, config_for } from "../src/kernel/index.js";
import { micro_with_bug } from "./helpers/micro.js";

const summary = <S, A>(r: ExploreResult<S, A>) =>
  ({ result: r.result, states: r.states, transitions: r.transitions, depth: r.depth, violation: r.violation, trace: r.trace && JSON.parse(JSON.stringify(r.trace)) });

/** n parts in this thread, each with its own targets (as each worker thread builds its own); counts the requests by op, and the notes sent. */
function in_thread(n: number, targets: () => Target[]) {
  const parts = Array.from({ length: n }, () => new FrontierPart(targets()));
  const ops = new Map<string, number>();
  let notes = 0;
  const workers: Workers = {
    size: n,
    async call<R>(w: number, req: Request, note?: (n: ExpandNote) => void): Promise<R> {
      ops.set(req.op, (ops.get(req.op) ?? 0) + 1);
      return structuredClone(parts[w].answer(structuredClone(req), note && ((x) => (notes++, note(structuredClone(x)))))) as R;
    },
  };
  return { workers, ops, notes: () => notes };
}

const micro_target = (model: Model<unknown, unknown>): Target => ({
  id: "micro", depth_bounded: true, model, initial_name: () => "micro", describe: String,
  world: () => { throw new Error("no world"); }, enabled: () => true, properties: [], guarded: () => [],
});

describe("explore_parallel = explore", () => {
  it.each([2, 3])("the 3-page micro-model to its fixpoint, and with a violation, on %i parts", async (n) => {
    const plain = micro_model(3) as Model<unknown, unknown>;
    const bad = micro_with_bug(3) as Model<unknown, unknown>;
    for (const model of [plain, bad]) {
      const { workers, ops } = in_thread(n, () => [micro_target(model)]);
      const r = await explore_parallel(workers, 0, model, Infinity);
      expect(summary(r)).toEqual(summary(explore(model, Infinity)));
      expect(ops.get("move")).toBeGreaterThan(0); // one initial state: the parts must share it out
    }
    expect(explore(plain, Infinity).states).toBe(12 ** 3);
  });

  it.each(["current", ...bug_ids()])("every target, depth 3, %s: the same result, guarded counts and coverage", { timeout: 120_000 }, async (bug) => {
    const config = config_for(bug === "current" ? undefined : bug)!;
    const targets = () => check_targets(config, default_catalog_bounds);
    for (const n of [2, 3]) {
      const [serial_targets, parallel_targets] = [targets(), targets()];
      const { workers, ops } = in_thread(n, targets);
      for (const [i, t] of serial_targets.entries()) {
        const guarded = new Map<string, number>();
        const want = explore(guard_counting_model(t, guarded), target_depth(t, 3));
        const got = await explore_parallel(workers, i, parallel_targets[i].model, target_depth(t, 3));
        expect(summary(got), `${t.id} on ${n} parts`).toEqual(summary(want));
        const ended = await Promise.all(Array.from({ length: n }, (_, w) => workers.call<Ended>(w, { op: "end" })));
        if (want.result === "ok") {
          expect(got.memory!.frontier_peak, t.id).toBe(want.memory!.frontier_peak);
          const sum = new Map<string, number>();
          for (const e of ended) for (const [id, k] of e.guarded) sum.set(id, (sum.get(id) ?? 0) + k);
          expect(sum, t.id).toEqual(guarded);
          if (t.coverage) {
            const union = (m: "page" | "process", k: "states" | "edges") => new Set(ended.flatMap((e) => e.coverage![m][k]));
            for (const m of ["page", "process"] as const) for (const k of ["states", "edges"] as const) expect(union(m, k), `${t.id} ${m} ${k}`).toEqual(t.coverage[m][k]);
          }
        }
      }
      if (bug === "current") expect(ops.get("move"), `parts ${n}`).toBeGreaterThan(0);
    }
  });

  it("progress comes during a level too (states, transitions so far, depth, states left to expand), and ends at the result", async () => {
    const targets = () => check_targets(config_for()!, default_catalog_bounds, "catalog");
    const { workers, notes } = in_thread(2, targets);
    const seen: Progress[] = [];
    const r = await explore_parallel(workers, 0, targets()[0].model, 5, (p) => seen.push(p));
    // One report at the end of each of the 5 levels expanded, and one per note a part sent while
    // expanding (every 500 parents: level 4 holds thousands of states).
    expect(notes()).toBeGreaterThan(0);
    expect(seen.length).toBe(5 + notes());
    // A note during a level: more transitions, fewer states left to expand, no new states yet
    // (they are numbered when the level ends); each note follows a report of its level.
    let during = 0;
    for (let k = 1; k < seen.length; k++) {
      expect(seen[k].transitions).toBeGreaterThanOrEqual(seen[k - 1].transitions);
      if (seen[k].depth !== seen[k - 1].depth) continue;
      during++;
      expect(seen[k].transitions).toBeGreaterThan(seen[k - 1].transitions);
      expect(seen[k].queue).toBeLessThan(seen[k - 1].queue);
      expect(seen[k].states).toBe(seen[k - 1].states);
    }
    expect(during).toBe(notes());
    // The last report: the result, with the deepest level found and left unexpanded (the depth bound) as the queue.
    expect(seen.at(-1)).toMatchObject({ states: r.states, transitions: r.transitions, depth: r.depth });
    expect(seen.at(-1)!.queue).toBeGreaterThan(1000);
  });
});
