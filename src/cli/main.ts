#!/usr/bin/env node
// pincheck: the command-line entry point.
import { LitmusError } from "../check/litmus.js";
import { UsageError } from "./args.js";
import { run_bugs } from "./bugs.js";
import { run_check } from "./check.js";
import { run_docs } from "./docs.js";
import { run_fuzz } from "./fuzz.js";
import { run_report } from "./report.js";
import { run_replay } from "./replay.js";
import { run_scenario } from "./scenario.js";

const usage = `usage: pincheck <command> [flags]

commands:
  check    exhaustive check of every scenario, the iterator layer and the catalog (pincheck check --help)
  fuzz     seeded random runs over the same targets, beyond the check's bounds (pincheck fuzz --help)
  replay   re-execute a trace written by check or fuzz --trace-out (pincheck replay --help)
  scenario run scenario files (scenarios/*.json) and compare verdicts per era (pincheck scenario --help)
  bugs     list the historical-bug switches
  docs     write docs/machines.md: each machine's diagram and transition table (pincheck docs --help)
  report   write one HTML file: coverage-coloured diagrams, verdicts, a counterexample stepper (pincheck report --help)`;

const COMMANDS = ["check", "fuzz", "replay", "scenario", "bugs", "docs", "report"];

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === "check") return await run_check(rest);
    if (cmd === "fuzz") return run_fuzz(rest);
    if (cmd === "replay") return run_replay(rest);
    if (cmd === "bugs") return run_bugs(rest);
    if (cmd === "scenario") return run_scenario(rest);
    if (cmd === "docs") return run_docs(rest);
    if (cmd === "report") return run_report(rest);
    if (cmd === "help" && rest.length === 1 && COMMANDS.includes(rest[0])) return await main([rest[0], "--help"]);
    if (cmd === undefined || cmd === "--help" || cmd === "help") {
      console.log(usage);
      return cmd === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command '${cmd}' (commands: ${COMMANDS.join(", ")})`);
  } catch (e) {
    // A scenario file in scenarios/ that does not validate is bad input to every command that loads them.
    if (e instanceof UsageError || e instanceof LitmusError) {
      console.error(`pincheck: ${e.message}`);
      return 2;
    }
    // A file that cannot be read or written (a race with the checks above, or permissions): one line.
    const sys = e as NodeJS.ErrnoException;
    if (!(sys.code && sys.path)) throw e;
    console.error(`pincheck: ${sys.syscall ?? "access"} '${sys.path}': ${sys.code}`);
    return 2;
  }
}

// A reader that stops early (pincheck ... | head) ends the output, not the command's verdict.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(process.exitCode ?? 0);
});
process.exitCode = await main(process.argv.slice(2));
