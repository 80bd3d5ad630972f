// Scenario files for validation tests: a valid one to break in one place, and its refusal:
// validation throws a LitmusError whose message is one line, and the scenario command refuses the
// same file as a usage error (exit 2).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { LitmusError, validate_litmus } from "../../src/check/litmus.js";
import { UsageError } from "../../src/cli/args.js";
import { run_scenario } from "../../src/cli/scenario.js";

type Loose = Record<string, unknown>;

/** A scenario file as a test writes it, loosely typed so that any one place can be broken. */
export interface LitmusDoc {
  id: string;
  title: string;
  setup: Loose[];
  threads: { name: string; steps: Loose[] }[];
  outcome: Loose;
  expect: Loose[];
}

/** A scenario file "t": these set-up items, threads (name -> steps, in order) and outcome, expected Never in current. */
export const litmus_doc = (setup: Loose[], threads: Record<string, Loose[]>, outcome: Loose): LitmusDoc => ({
  id: "t",
  title: "t",
  setup,
  threads: Object.entries(threads).map(([name, steps]) => ({ name, steps })),
  outcome,
  expect: [{ era: "current", verdict: "Never" }],
});

/**
 * The one-line message validate_litmus(o, name) refuses o with; also writes o to dir/name and
 * checks that `pincheck scenario` throws a UsageError for it. Fails the test if o is accepted.
 */
export function litmus_refusal(o: unknown, dir: string, name = "bad.json"): string {
  let err: unknown;
  try {
    validate_litmus(o, name);
  } catch (e) {
    err = e;
  }
  expect(err, `${name} was accepted`).toBeInstanceOf(LitmusError);
  const msg = (err as Error).message;
  expect(msg).not.toContain("\n");
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(o));
  // The same refusal, naming the file by its path instead of its name.
  expect(msg.startsWith(`${name}: `), msg).toBe(true);
  expect(() => run_scenario([p])).toThrow(UsageError);
  expect(() => run_scenario([p])).toThrow(`${p}${msg.slice(name.length)}`);
  return msg;
}
