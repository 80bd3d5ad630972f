// A scenario file in scenarios/ that does not validate, or that repeats another's id, is bad
// input to every command that loads the scenarios: one line naming the file, exit 2, and --help
// still works. Run on a copy of the project with the bad file added.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

/** A copy of the project with one more file in scenarios/. */
function project_with(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "pincheck-scenarios-"));
  for (const p of ["src", "models", "properties", "scenarios", "package.json", "tsconfig.json"]) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "scenarios", name), text);
  return dir;
}

const cli = (cwd: string, ...args: string[]) =>
  spawnSync("npx", ["tsx", "src/cli/main.ts", ...args], { cwd, encoding: "utf8", env: { ...process.env, CI: "true" } });
const pincheck_lines = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("pincheck"));

describe("a bad file in scenarios/", () => {
  const broken = JSON.parse(readFileSync(join(ROOT, "scenarios", "rw-pin-vs-fork.json"), "utf8"));
  broken.id = "zz-broken";
  broken.threads[0].steps[0].op = "frok";
  const typo = project_with("zz-broken.json", JSON.stringify(broken));
  const twin = project_with("zz-copy.json", readFileSync(join(ROOT, "scenarios", "dio-read-vs-fork.json"), "utf8"));

  it.each([
    [["check", "--target", "catalog", "--depth", "1"], /^pincheck: scenarios\/zz-broken.json: threads\[0\].steps\[0\].op must be one of .*, got 'frok'$/, typo],
    [["replay", "/nonexistent.json"], /^pincheck: cannot read trace '\/nonexistent.json': ENOENT$/, typo],
    [["fuzz", "--runs", "1"], /^pincheck: scenarios\/zz-broken.json: threads\[0\]/, typo],
    [["check", "--target", "catalog", "--depth", "1"], /^pincheck: scenarios\/zz-copy.json: id 'dio-read-vs-fork' is already the id of scenarios\/dio-read-vs-fork.json$/, twin],
    [["scenario", "--all"], /^pincheck: scenarios\/zz-copy.json: id 'dio-read-vs-fork' is already the id of/, twin],
  ] as const)("%j gives one line and exit 2", (args, message, dir) => {
    const r = cli(dir, ...args);
    expect(r.status).toBe(2);
    expect(pincheck_lines(r.stderr)).toEqual([expect.stringMatching(message)]);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it("leaves --help working", () => {
    for (const cmd of ["check", "fuzz"]) {
      const r = cli(typo, cmd, "--help");
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`^usage: pincheck ${cmd}`));
    }
  });
});
