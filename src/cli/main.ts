#!/usr/bin/env node
// pincheck: the command-line entry point.
import { run_check } from "./check.js";
import { UsageError } from "./args.js";

const usage = `usage: pincheck <command> [flags]

commands:
  check    exhaustive check of the simulated iov_iter layer (see pincheck check --help)`;

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === "check") return run_check(rest);
    if (cmd === undefined || cmd === "--help" || cmd === "help") {
      console.log(usage);
      return cmd === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command '${cmd}' (commands: check)`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`pincheck: ${e.message}`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
