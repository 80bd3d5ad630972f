// Written by `pincheck fuzz --export` from the run that this command replays:
//   pincheck fuzz --bug dio-read-vs-fork --replay 42:26:4:2:4:4:20:20:23:18:45:43:44:45:47:45:45:45:45:45:45:53:52:57:52:52:52:60:77
// Under era current, bug switch dio-read-vs-fork, these 5 catalog actions break no-cow-while-pinned;
// the current kernel takes the same actions and breaks nothing.
import { describe, expect, it } from "vitest";
import { fuzz_target, replay_enabled } from "../../src/check/fuzz.js";
import { config_for } from "../../src/kernel/index.js";

const bounds = { processes: 2, pages: 2, in_flight: 1, fixed: 1 };
const actions = [
  { op: "dio_read", proc: 0, page: 0, half: 0 }, // 1. process 0: O_DIRECT read into page 0 half 0 (async)
  { op: "fork", proc: 0 }, // 2. process 0: fork()
  { op: "register", proc: 0, page: 0 }, // 3. process 0: io_uring register page 0 as a fixed buffer
  { op: "device_transfer", bio: 0 }, // 4. device: transfer bio 0
  { op: "device_complete", bio: 0 }, // 5. device: complete bio 0
];
const target = (bug: string | undefined, era: string) => fuzz_target("catalog", config_for(bug, era)!, bounds)!;

describe("fuzz regression: no-cow-while-pinned (era current, bug switch dio-read-vs-fork)", () => {
  it("breaks no-cow-while-pinned at step 5 under era current, bug switch dio-read-vs-fork", () => {
    const { story, enabled } = replay_enabled(target("dio-read-vs-fork", "current"), actions);
    expect(enabled).toBe(actions.length);
    expect(story.violation).toMatchObject({ property: "no-cow-while-pinned", step: 5 });
  });

  it("breaks nothing under the current kernel on the actions it still enables", () => {
    const { story, enabled } = replay_enabled(target(undefined, "current"), actions);
    expect(enabled).toBe(5);
    expect(story.violation).toBeNull();
  });
});
