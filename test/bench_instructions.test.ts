// bench/instructions.ts refuses bad input in one line, before compiling or counting anything.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const run = (...args: string[]) => spawnSync("npx", ["tsx", "bench/instructions.ts", ...args], { encoding: "utf8" });
const message = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("bench/instructions:"));

describe("npm run bench:instructions", () => {
  it.each([
    [["--base", "no-such-revision"], "bench/instructions: --base 'no-such-revision' is not a commit of this repository"],
    [["--target", "nope"], /^bench\/instructions: --target must be one of .*iov_iter, catalog, got 'nope'$/],
    [["--runs", "3"], "bench/instructions: unknown option '--runs' (flags: --base, --target)"],
    [["HEAD"], "bench/instructions: unexpected argument 'HEAD' (flags: --base, --target)"],
  ])("%j exits 2 with one line", (args, expected) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    const lines = message(r.stderr);
    expect(lines).toHaveLength(1);
    if (typeof expected === "string") expect(lines[0]).toBe(expected);
    else expect(lines[0]).toMatch(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
