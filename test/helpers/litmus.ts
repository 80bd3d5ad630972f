// Refusal of a malformed scenario file: validation throws a LitmusError whose message is one
// line, and the scenario command refuses the same file as a usage error (exit 2).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { LitmusError, validate_litmus } from "../../src/check/litmus.js";
import { UsageError } from "../../src/cli/args.js";
import { run_scenario } from "../../src/cli/scenario.js";

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
  expect(() => run_scenario([p])).toThrow(UsageError);
  return msg;
}
