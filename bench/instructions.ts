// `npm run bench:instructions -- [--base REV] [--target ID]`: the instructions a warm default
// check executes, counted by valgrind's cachegrind, for a git revision and for the working tree,
// and their ratio. Wall-clock rates on shared cores swing too much to judge a change of a few
// per cent; instruction counts repeat to about 0.02%. Each tree is compiled to JavaScript (under
// tsx, cachegrind would count the transpiler too) and runs under `node --single-threaded` (no
// concurrent garbage-collector threads) with fixed hash and random seeds. A warm check is
// (three checks in one process - one) / 2, so start-up and JIT warm-up cancel out, for a run long
// enough to finish warming up in its first check (the default check, iov_iter, the catalog; not a
// scenario of a few states).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { all_targets } from "../src/check/targets.js";
import { parse_flags, UsageError } from "../src/cli/args.js";
import { config_for } from "../src/kernel/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (line: string) => process.stderr.write(`${line}\n`);

/** What one tree's build runs: `node runner.mjs N [TARGET]` does N checks in one process. */
const RUNNER = `import { default_catalog_bounds } from "./src/check/catalog.js";
import { DEFAULT_DEPTH, exhaustive_check, run_total } from "./src/check/exhaustive.js";
import { config_for } from "./src/kernel/index.js";
for (let i = 0; i < +process.argv[2]; i++)
  console.log(run_total(exhaustive_check(config_for(), DEFAULT_DEPTH, default_catalog_bounds, undefined, process.argv[3]).runs, "states"));
`;

function run(cmd: string, args: string[], cwd = ROOT): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new UsageError(`${cmd} ${args.join(" ")} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").pop()}`);
  return r.stdout;
}

/** Compile the tree at src (its own sources and scenarios, this checkout's node_modules) into out. */
function build(src: string, out: string): void {
  run(join(ROOT, "node_modules/.bin/tsc"), ["-p", src, "--noEmit", "false", "--outDir", out, "--declaration", "false", "--sourceMap", "false"]);
  symlinkSync(join(ROOT, "node_modules"), join(out, "node_modules"));
  symlinkSync(join(src, "scenarios"), join(out, "scenarios"));
  writeFileSync(join(out, "package.json"), '{ "type": "module" }\n');
  writeFileSync(join(out, "runner.mjs"), RUNNER);
}

interface Count {
  instructions: number;
  states: number;
}

/** Instructions of `checks` checks in one process of the build in dir, and the states each found. */
function count(dir: string, checks: number, target: string | undefined): Promise<Count> {
  // Fixed hash and random seeds: V8 draws them per process, and hash-table layouts would vary the count.
  const node = ["node", "--single-threaded", "--hash-seed=1", "--random-seed=1"];
  const args = ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", ...node, "runner.mjs", String(checks)];
  const p = spawn("valgrind", target ? [...args, target] : args, { cwd: dir });
  let stdout = "", stderr = "";
  p.stdout.on("data", (d) => (stdout += d));
  p.stderr.on("data", (d) => (stderr += d));
  return new Promise((done, fail) =>
    p.on("close", (code) => {
      const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr);
      if (code !== 0 || !refs) return fail(new UsageError(`the check under valgrind failed in ${dir}: ${stderr.trim().split("\n").pop()}`));
      done({ instructions: Number(refs[1].replaceAll(",", "")), states: Number(stdout.trim().split("\n").pop()) });
    }),
  );
}

/** Run the jobs at most `width` at a time, in order of their results. */
async function pooled<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const k = next++;
      out[k] = await jobs[k]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}

const M = (n: number): string => `${(n / 1e6).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 })}M`;

async function main(argv: string[]): Promise<void> {
  const target_ids = all_targets(config_for()!).map((t) => t.id);
  const flags = parse_flags(argv, {
    base: { type: "string", allowed: "a git revision (default HEAD)" },
    target: { type: "string", allowed: target_ids.join(", ") },
  });
  const base = (flags.base as string | undefined) ?? "HEAD";
  const target = flags.target as string | undefined;
  if (target !== undefined && !target_ids.includes(target)) throw new UsageError(`--target must be one of ${target_ids.join(", ")}, got '${target}'`);
  const commit = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${base}^{commit}`], { cwd: ROOT, encoding: "utf8" });
  if (commit.status !== 0) throw new UsageError(`--base '${base}' is not a commit of this repository`);
  if (spawnSync("valgrind", ["--version"]).error) throw new UsageError("valgrind is not installed (Debian: apt-get install valgrind)");

  const tmp = mkdtempSync(join(tmpdir(), "pincheck-instructions-"));
  try {
    const base_src = join(tmp, "base-src");
    mkdirSync(base_src);
    run("sh", ["-c", `git archive ${commit.stdout.trim()} | tar -x -C '${base_src}'`]);
    symlinkSync(join(ROOT, "node_modules"), join(base_src, "node_modules"));
    const short = commit.stdout.trim().slice(0, 7);
    const trees = [
      { name: short.startsWith(base) ? `base ${short}` : `base ${base} (${short})`, dir: join(tmp, "base") },
      { name: "working tree", dir: join(tmp, "tree") },
    ];
    log("compiling both trees");
    build(base_src, trees[0].dir);
    build(ROOT, trees[1].dir);
    log(`counting under cachegrind (${target ?? "all targets"}; four runs of one or three checks, a few minutes each)`);
    const jobs = trees.flatMap((t) => [1, 3].map((n) => () => count(t.dir, n, target)));
    const [b1, b3, t1, t3] = await pooled(jobs, cpus().length);
    const warm = (one: Count, three: Count) => (three.instructions - one.instructions) / 2;
    const rows = [[trees[0].name, b1, b3], [trees[1].name, t1, t3]] as const;
    console.log(`instructions per warm check (${target ?? "the default check"}): (three checks in one process - one check) / 2`);
    for (const [name, one, three] of rows)
      console.log(`  ${name.padEnd(28)} ${String(one.states).padStart(7)} states  1 check ${M(one.instructions).padStart(10)}  3 checks ${M(three.instructions).padStart(10)}  warm ${M(warm(one, three)).padStart(9)}`);
    console.log(`  working tree / base: ${(warm(t1, t3) / warm(b1, b3)).toFixed(3)}`);
    if (b1.states !== t1.states) console.log(`  the state counts differ (${b1.states} against ${t1.states}): the trees do different work`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`bench/instructions: ${e.message}\n`);
  process.exitCode = 2;
});
