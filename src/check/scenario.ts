// A scenario: a set-up, threads of kernel operations run in program order, and the kernel's own
// asynchronous agents (the device finishing a bio, a workqueue item) stepping whenever they
// can. The explorer chooses every interleaving; a step is named so a trace can be replayed.
import type { KernelConfig, World } from "../kernel/index.js";
import { blk_dev_complete, blk_dev_transfer, boot, clone_world, compact_world, run_work, seal_world } from "../kernel/index.js";
import type { Model } from "./explore.js";
import { encode_world, world_key } from "./world_key.js";
import type { Words } from "./words.js";
import { canonical_words, json_words } from "./words.js";

/** Named values the set-up and the steps share (process ids, addresses, inode numbers...). */
export type Vars = Record<string, number>;

export interface ThreadStep {
  name: string;
  run(w: World, v: Vars): void;
  /** A step that must wait (e.g. for fork to have happened); true when it may run now. */
  ready?(w: World, v: Vars): boolean;
}

export interface Thread {
  name: string;
  steps: ThreadStep[];
}

export interface ScenarioState {
  w: World;
  vars: Vars;
  /** Next step of each thread. */
  pc: number[];
}

export interface Scenario {
  id: string;
  title: string;
  setup(w: World): Vars;
  threads: Thread[];
  /**
   * Called after every action: record in vars what must be judged at the moment it happens
   * (e.g. what a read delivered when its completion was reported), not re-judged later.
   */
  observe?(w: World, v: Vars): void;
}

/** One move: a thread's next step, or an agent of the kernel. */
export type ScenarioAction =
  | { kind: "thread"; thread: string; step: string }
  | { kind: "device_transfer" | "device_complete"; bio: number }
  | { kind: "work" };

export const describe_action = (a: ScenarioAction): string =>
  a.kind === "thread" ? `${a.thread}: ${a.step}` : a.kind === "work" ? "kworker: run queued work" : `device: ${a.kind === "device_transfer" ? "transfer" : "complete"} bio ${a.bio}`;

/** The kernel's agents have nothing to do: no bio in flight or awaiting completion, no work queued. */
export const block_idle = (w: World): boolean => !w.block.in_flight.length && !w.block.transferred.length && !w.block.work.length;

/** Nothing left to run: every thread done, and the kernel's agents idle. */
export const quiescent = (s: ScenarioState, sc: Scenario): boolean =>
  s.pc.every((pc, t) => pc >= sc.threads[t].steps.length) && block_idle(s.w);

/** The scenario's starting state; its world is sealed and compacted, as kept for a whole run. */
export function initial_state(sc: Scenario, config: KernelConfig): ScenarioState {
  const w = boot(config);
  const vars = sc.setup(w);
  return { w: compact_world(seal_world(w)), vars, pc: sc.threads.map(() => 0) };
}

export function enabled_actions(s: ScenarioState, sc: Scenario): ScenarioAction[] {
  const out: ScenarioAction[] = [];
  sc.threads.forEach((t, i) => {
    const step = t.steps[s.pc[i]];
    if (step && (!step.ready || step.ready(s.w, s.vars))) out.push({ kind: "thread", thread: t.name, step: step.name });
  });
  for (const bio of s.w.block.in_flight) out.push({ kind: "device_transfer", bio });
  for (const bio of s.w.block.transferred) out.push({ kind: "device_complete", bio });
  if (s.w.block.work.length) out.push({ kind: "work" });
  return out;
}

/** Apply one action, which must be enabled in s (callers take it from enabled_actions), to a copy of the state. */
export function apply_action(s: ScenarioState, sc: Scenario, a: ScenarioAction): ScenarioState {
  const w = clone_world(s.w);
  const vars = { ...s.vars };
  const pc = s.pc.slice();
  switch (a.kind) {
    case "thread": {
      const t = sc.threads.findIndex((x) => x.name === a.thread);
      sc.threads[t].steps[pc[t]].run(w, vars);
      pc[t]++;
      break;
    }
    case "device_transfer": blk_dev_transfer(w, a.bio); break;
    case "device_complete": blk_dev_complete(w, a.bio); break;
    case "work": run_work(w); break;
  }
  // What follows only looks, so the world is finished here: looking copies nothing.
  seal_world(w);
  sc.observe?.(w, vars);
  return { w, vars, pc };
}

/**
 * A scenario state's key: the threads' places, the variables (in name order: threads set them in
 * whichever order they ran) and the world.
 */
export const scenario_key = (s: ScenarioState): string =>
  `${s.pc.join(",")}|${JSON.stringify(Object.entries(s.vars).sort((a, b) => (a[0] < b[0] ? -1 : 1)))}|${world_key(s.w)}`;

/** scenario_key as words. */
function scenario_encode(s: ScenarioState, out: Words): void {
  json_words(out, s.pc);
  canonical_words(out, s.vars);
  encode_world(s.w, out);
}

/** The scenario as a model: every interleaving, each state judged by check. */
export function scenario_model(sc: Scenario, config: KernelConfig, check: Model<ScenarioState, ScenarioAction>["check"]): Model<ScenarioState, ScenarioAction> {
  const init = initial_state(sc, config);
  return {
    initial: () => [init],
    actions: (s) => enabled_actions(s, sc),
    step: (s, a) => apply_action(s, sc, a),
    key: scenario_key,
    encode: scenario_encode,
    check,
    retain: (s) => compact_world(s.w),
  };
}
