// `pincheck check --json` run as a user types it: a fresh process, nothing compiled or warmed
// up beforehand. Parts (e) and (f) of the bench measure through it.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface CliCheck {
  states: number;
  transitions: number;
  /** The exploration's own time (--json "seconds": workers' start-up included, process start-up not). */
  seconds: number;
  peak_rss_mb: number;
  targets: { id: string; states: number; frontier_peak: number }[];
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export function cli_check(args: string[]): CliCheck {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "check", "--json", ...args], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`pincheck check ${args.join(" ")} exited with ${r.status}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as CliCheck;
}
