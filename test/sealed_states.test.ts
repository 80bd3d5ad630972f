// The engines' states are sealed worlds: each shares its parts with the states cloned from it,
// and the encoder caches a shared part's words (src/kernel/world.ts, src/check/world_key.ts).
// One step, monitor or property writing a sealed world would change states already visited.
// Every target's states must keep their key (world_key: no cache) and their words from the
// moment they are made to the end of the exploration, retained (compacted) as the explorer does.
import { describe, expect, it } from "vitest";
import { state_words } from "../src/check/explore.js";
import { all_targets } from "../src/check/targets.js";
import { Words } from "../src/check/words.js";
import { bug_ids, config_for } from "../src/kernel/index.js";

describe("sealed states", () => {
  it.each([undefined, ...bug_ids()])("under %s, no step, monitor or property writes a state it starts from or looks at", (bug) => {
    for (const t of all_targets(config_for(bug)!)) {
      const m = t.model;
      const out = new Words();
      const seen: { s: unknown; key: string; words: Int32Array }[] = [];
      const keys = new Set<string>();
      let frontier = m.initial();
      for (let depth = 0; frontier.length && depth < (t.depth_bounded ? 3 : 64); depth++) {
        const next: unknown[] = [];
        for (const s of frontier) {
          const key = m.key(s);
          if (keys.has(key)) continue;
          keys.add(key);
          state_words(m, s, out);
          seen.push({ s, key, words: out.view().slice() });
          m.retain?.(s); // as the explorer does for each state it queues: compacting changes nothing a reader sees
          t.guarded(s);
          m.check(s);
          for (const a of m.actions(s)) {
            const u = m.step(s, a);
            m.check_step?.(s, a, u);
            next.push(u);
          }
        }
        frontier = next;
      }
      expect(seen.length).toBeGreaterThan(1);
      for (const { s, key, words } of seen) {
        expect(m.key(s), t.id).toBe(key);
        state_words(m, s, out);
        expect(out.view(), `${t.id}: words of ${key.slice(0, 60)}`).toEqual(words);
      }
    }
  });
});
