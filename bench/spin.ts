// SPIN on bench/micro_page.pml: install Debian's spin when it is missing (as root, through
// apt-get), generate and compile the verifier for N pages with the flags of a plain safety run
// without partial-order reduction, run it, and read back states, transitions and time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { best_of } from "./timing.js";

export const PML = join(dirname(fileURLToPath(import.meta.url)), "micro_page.pml");

const has = (cmd: string, arg: string): boolean => spawnSync(cmd, [arg], { encoding: "utf8" }).error === undefined;

/** null when spin and gcc are usable (spin installed now if need be), else why not. */
export function spin_setup(log: (line: string) => void): string | null {
  if (!has("gcc", "--version")) return "gcc is not installed";
  if (has("spin", "-V")) return null;
  if (process.getuid?.() !== 0 || !has("apt-get", "--version")) return "spin is not installed (and apt-get as root is not available to install it)";
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  log("  spin is missing: apt-get install -y spin");
  let r = spawnSync("apt-get", ["install", "-y", "spin"], { encoding: "utf8", env });
  if (r.status !== 0) {
    log("  apt-get update, then install again");
    spawnSync("apt-get", ["update"], { encoding: "utf8", env });
    r = spawnSync("apt-get", ["install", "-y", "spin"], { encoding: "utf8", env });
  }
  return has("spin", "-V") ? null : `apt-get install spin failed: ${(r.stderr || r.stdout || "").trim().split("\n").pop()}`;
}

export const spin_version = (): string => (spawnSync("spin", ["-V"], { encoding: "utf8" }).stdout ?? "").trim();

export interface SpinRun {
  pages: number;
  /** "states, stored". */
  states: number;
  /** "transitions (= stored+matched)": the enabled (state, action) pairs plus one for the initial state. */
  transitions: number;
  errors: number;
  /** Wall-clock time of ./pan, best of the runs (generation and compilation excluded). */
  seconds: number;
  /** pan's own "elapsed time" (0.01 s resolution). */
  pan_seconds: number;
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

const number_in = (out: string, re: RegExp): number => {
  const m = re.exec(out);
  if (!m) throw new Error(`pan output lacks ${re}: ${out}`);
  return Number(m[1]);
};

/** Verify the N-page model with SPIN, `runs` times; states must fit pan's depth and hash bounds (12^N known). */
export function run_spin(pages: number, runs: number): SpinRun {
  const dir = mkdtempSync(join(tmpdir(), "pincheck-spin-"));
  try {
    run("spin", [`-DN=${pages}`, "-a", PML], dir);
    run("gcc", ["-O2", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"], dir);
    // The DFS stack must hold the deepest path (every state, here) and the hash table ~2 slots a state.
    const states = 12 ** pages;
    const args = [`-m${states + 10}`, `-w${Math.max(10, Math.ceil(Math.log2(states)) + 1)}`];
    const t = best_of(runs, () => run("./pan", args, dir));
    const out = t.result;
    return {
      pages,
      states: number_in(out, /(\d+) states, stored/),
      transitions: number_in(out, /(\d+) transitions \(= stored\+matched\)/),
      errors: number_in(out, /errors: (\d+)/),
      seconds: t.seconds,
      pan_seconds: number_in(out, /pan: elapsed time ([\d.e+-]+) seconds/),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
