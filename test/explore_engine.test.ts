// The fingerprint explorer against the reference engine it replaced (string keys in a Map, an
// object per state): the same states, transitions, depth, first violation and shortest trace,
// on the micro-model and on every real target; traces that replay; exact mode that agrees; the
// word encodings that identify states exactly as the string keys do.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { micro_model, micro_step } from "../bench/micro_page.js";
import type { ExploreResult, Model } from "../src/check/explore.js";
import { explore } from "../src/check/explore.js";
import { explore_reference } from "../src/check/explore_reference.js";
import { ExactTable, FingerprintTable } from "../src/check/state_table.js";
import type { Target } from "../src/check/targets.js";
import { all_targets } from "../src/check/targets.js";
import { replay_story } from "../src/check/trace.js";
import { json_words, Words } from "../src/check/words.js";
import { micro_with_bug } from "./helpers/micro.js";
import { BUGS, bug_ids, config_for } from "../src/kernel/index.js";

/** What both engines must agree on. */
const summary = <S, A>(r: ExploreResult<S, A>) =>
  ({ result: r.result, states: r.states, transitions: r.transitions, depth: r.depth, violation: r.violation, trace: r.trace });

const same_as_reference = <S, A>(model: Model<S, A>, depth: number) => {
  const ours = explore(model, depth);
  expect(summary(ours)).toEqual(summary(explore_reference(model, depth)));
  expect(summary(explore(model, depth, undefined, { exact: true }))).toEqual(summary(ours));
  return ours;
};


describe("fingerprint engine = reference engine, on the micro-model", () => {
  it.each([1, 2, 3])("%i page(s), to the fixpoint and bounded", (pages) => {
    const r = same_as_reference(micro_model(pages), Infinity);
    expect(r.states).toBe(12 ** pages);
    same_as_reference(micro_model(pages), 3);
  });

  it("4 pages: 20,736 states, 235,008 transitions, and a few bytes per state", () => {
    const r = same_as_reference(micro_model(4), Infinity);
    expect([r.states, r.transitions]).toEqual([20736, 235008]);
    expect(r.memory!.exact).toBe(false);
    expect(r.memory!.bytes).toBeGreaterThan(0);
    expect(r.memory!.bytes_per_state).toBeLessThan(64);
    const exact = explore(micro_model(4), Infinity, undefined, { exact: true });
    expect(exact.memory!.exact).toBe(true);
    expect(exact.memory!.bytes_per_state).toBeGreaterThan(r.memory!.bytes_per_state);
  });

  it("states at the depth bound are checked and dropped, never queued: the frontier peaks at the largest level below it", () => {
    const model = micro_model(3);
    const level = (d: number) => explore(model, d).states - (d ? explore(model, d - 1).states : 0);
    const sizes = [0, 1, 2, 3, 4, 5].map(level);
    expect(sizes).toEqual([1, 6, 21, 53, 105, 171]); // each level larger than the last
    let checked = 0;
    const counting = { ...model, check: (s: number) => (checked++, model.check(s)) };
    for (const depth of [1, 3, 5]) {
      checked = 0;
      const r = explore(counting, depth);
      expect(checked).toBe(r.states);
      expect(r.memory!.frontier_peak).toBe(sizes[depth - 1]);
    }
    expect(explore(model, 0).memory!.frontier_peak).toBe(0);
  });

  it("finds the first violation in BFS order with a shortest trace that replays", () => {
    const model = micro_with_bug(3);
    const r = same_as_reference(model, Infinity);
    expect(r.violation!.property).toBe("full");
    expect(r.trace!.actions).toHaveLength(5);
    expect(r.depth).toBe(5);
    let s = r.trace!.initial;
    for (const a of r.trace!.actions) {
      expect(model.actions(s)).toContain(a);
      s = model.step(s, a);
    }
    expect(model.check(s)).not.toBeNull();
    // Below the trace's length there is nothing to find.
    expect(same_as_reference(model, 4).result).toBe("ok");
  });

  it("a step rule broken on a transition into a state already seen is reported, with that transition last", () => {
    // put after get on page 1 goes back to a state seen before.
    const m = micro_model(2);
    const model: Model<number, number> = {
      ...m,
      check_step: (s, a) => (a === 5 && ((s >> 4) & 3) === 1 && s !== 0x10 ? { property: "step", message: "put" } : null),
    };
    const r = same_as_reference(model, Infinity);
    expect(r.violation!.property).toBe("step");
    const last = r.trace!.actions.at(-1)!;
    expect(last).toBe(5);
    let s = r.trace!.initial;
    for (const a of r.trace!.actions.slice(0, -1)) s = model.step(s, a);
    expect(model.check_step!(s, last, micro_step(s, last))).not.toBeNull();
  });

  it("calls progress with the same counts as the reference", () => {
    const seen: unknown[] = [], ref: unknown[] = [];
    explore(micro_model(3), Infinity, (p) => seen.push(p));
    explore_reference(micro_model(3), Infinity, (p) => ref.push(p));
    expect(ref.length).toBeGreaterThan(0);
    expect(seen).toEqual(ref);
  });
});

/** Replay a trace as `pincheck replay` does: every action enabled, and the same violation at the end. */
function replays(t: Target, r: ExploreResult<unknown, unknown>): void {
  const story = replay_story(t, t.initial_name(r.trace!.initial), r.trace!.actions);
  if (typeof story === "string") throw new Error(story);
  expect(story.violation?.property).toBe(r.violation!.property);
  expect(story.violation?.step).toBe(r.trace!.actions.length);
}

describe("fingerprint engine = reference engine, on the real targets", () => {
  it("the current kernel: every target at depth 3 (scenarios complete)", () => {
    const targets = all_targets(config_for()!);
    expect(targets.map((t) => t.id)).toEqual(expect.arrayContaining(["iov_iter", "catalog", "dio-read-vs-fork"]));
    for (const t of targets) {
      const r = same_as_reference(t.model, t.depth_bounded ? 3 : 64);
      expect(r.states).toBeGreaterThan(1);
    }
  });

  it.each(bug_ids())("bug switch %s: same results on every target at depth 3, and violations replay", (bug) => {
    const broken: string[] = [];
    for (const t of all_targets(config_for(bug)!)) {
      const r = same_as_reference(t.model, t.depth_bounded ? 3 : 64);
      if (r.result === "violation") {
        replays(t, r);
        broken.push(r.violation!.property);
      }
    }
    // Every switch breaks its property in some target within these bounds, so replay is exercised.
    expect(broken).toContain(BUGS.find((b) => b.id === bug)!.breaks);
  });
});

describe("state encodings", () => {
  /** Up to n states of a target, breadth first, without deduplication. */
  const some_states = (t: Target, n: number): unknown[] => {
    const out = [...t.model.initial()];
    for (let k = 0; out.length < n && k < out.length; k++) for (const a of t.model.actions(out[k])) out.push(t.model.step(out[k], a));
    return out.slice(0, n);
  };
  const words_of = (t: Target, s: unknown): string => {
    const o = new Words();
    t.model.encode!(s, o);
    return o.view().join(",");
  };

  it("equal words exactly when the string keys are equal, on every target's states", () => {
    const targets = all_targets(config_for()!);
    expect(targets.length).toBeGreaterThan(2);
    for (const t of targets) {
      const by_key = new Map<string, Set<string>>();
      const by_words = new Map<string, Set<string>>();
      for (const s of some_states(t, 1500)) {
        const k = t.model.key(s), w = words_of(t, s);
        by_key.set(k, (by_key.get(k) ?? new Set()).add(w));
        by_words.set(w, (by_words.get(w) ?? new Set()).add(k));
      }
      expect([...by_key.values()].every((x) => x.size === 1), t.id).toBe(true);
      expect([...by_words.values()].every((x) => x.size === 1), t.id).toBe(true);
      expect(by_key.size).toBe(by_words.size);
      expect(by_key.size, t.id).toBeGreaterThan(1);
    }
  });

  const json_eq = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const words_eq = (a: unknown, b: unknown): boolean => {
    const x = new Words(), y = new Words();
    json_words(x, a);
    json_words(y, b);
    return x.view().join() === y.view().join();
  };

  it("json_words sees values as JSON.stringify does", () => {
    const value = fc.anything({ withMap: true, withSet: true, withTypedArray: true, withDate: true, withSparseArray: true });
    // Seeded, so CI runs the same cases each time; 2,000 each (60,000 random pairs agreed when the seeds were chosen).
    fc.assert(fc.property(value, (a) => words_eq(a, JSON.parse(JSON.stringify(a) ?? "null")) || JSON.stringify(a) === undefined), { seed: 0x3d01, numRuns: 2000 });
    fc.assert(fc.property(value, value, (a, b) => words_eq(a, b) === json_eq(a, b)), { seed: 0x3d02, numRuns: 2000 });
    const near = fc.jsonValue().chain((a) => fc.tuple(fc.constant(a), fc.oneof(fc.constant(JSON.parse(JSON.stringify(a)) as unknown), fc.jsonValue())));
    fc.assert(fc.property(near, ([a, b]) => words_eq(a, b) === json_eq(a, b)), { seed: 0x3d03, numRuns: 2000 });
    expect(words_eq({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(words_eq([undefined], [null])).toBe(true);
    expect(words_eq(undefined, null)).toBe(false); // JSON.stringify gives no text for the first
    expect(words_eq([undefined], [() => 1])).toBe(true);
    expect(words_eq({ a: { toJSON: () => undefined } }, {})).toBe(true);
    expect(words_eq(-0, 0)).toBe(true);
    expect(words_eq(NaN, null)).toBe(true);
    expect(words_eq({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(words_eq(0x7ffffffff, 0x7fffffff)).toBe(false);
    expect(words_eq("1", 1)).toBe(false);
  });
});

describe("state tables", () => {
  it.each([["fingerprint", () => new FingerprintTable(4)], ["exact", () => new ExactTable(4)]] as const)("%s: membership survives growth", (_, make) => {
    const table = make();
    const w = new Int32Array(3);
    for (let k = 0; k < 5000; k++) {
      w.set([k, k * 7, -k]);
      expect(table.add(w, 1 + (k % 3))).toBe(true);
    }
    for (let k = 0; k < 5000; k++) {
      w.set([k, k * 7, -k]);
      expect(table.add(w, 1 + (k % 3))).toBe(false);
    }
    expect(table.size).toBe(5000);
    expect(table.bytes()).toBeGreaterThan(0);
  });

  it("exact: encodings that differ only in length are different states", () => {
    const table = new ExactTable();
    expect(table.add(Int32Array.of(1, 0), 1)).toBe(true);
    expect(table.add(Int32Array.of(1, 0), 2)).toBe(true);
    expect(table.add(Int32Array.of(1, 0), 2)).toBe(false);
  });
});
