// Progress for long runs: one rewritten line on a TTY, nothing in CI or with --json.
import type { Progress } from "../check/explore.js";

/**
 * Whether to show progress: on a terminal, without --json, outside CI (CI set to anything but
 * "", "0" or "false", as CI services set it).
 */
function progress_wanted(json: boolean): boolean {
  const ci = process.env.CI;
  return !json && process.stderr.isTTY === true && (ci === undefined || ["", "0", "false"].includes(ci.toLowerCase()));
}

export function progress_reporter(json: boolean): ((p: Progress) => void) | undefined {
  if (!progress_wanted(json)) return undefined;
  const start = process.hrtime.bigint();
  return (p) => {
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    const rate = secs > 0 ? Math.round(p.states / secs) : 0;
    process.stderr.write(`\r  ${p.states} states  ${rate}/s  depth ${p.depth}  queue ${p.queue}   `);
  };
}

export function clear_progress(enabled: boolean): void {
  if (enabled) process.stderr.write("\r\x1b[K");
}

/** The same line for fuzz runs: runs done out of the budget, and the rate. */
export function fuzz_progress_reporter(json: boolean, total: number): ((runs: number) => void) | undefined {
  if (!progress_wanted(json)) return undefined;
  const start = process.hrtime.bigint();
  return (runs) => {
    if (runs % 20 !== 0 && runs !== total) return;
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    const rate = secs > 0 ? Math.round(runs / secs) : 0;
    process.stderr.write(`\r  ${runs}/${total} runs  ${rate}/s   `);
  };
}
