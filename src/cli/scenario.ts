// `pincheck scenario FILE|--all`: litmus-style scenario files (scenarios/*.json) with their
// expected verdict per era; computes each verdict over every complete interleaving and compares.
import type { Compiled, VerdictResult } from "../check/litmus.js";
import {
  catalog_entries, compile_litmus, LitmusError, litmus_verdicts, load_litmus, outcome_text, verdict_table,
} from "../check/litmus.js";
import { era_ids } from "../kernel/index.js";
import { parse_flags, UsageError, write_output } from "./args.js";
import { era_flag, kernel_flag_specs } from "./kernel_flags.js";

export const scenario_help = `usage: pincheck scenario FILE | --all [--era ERA] [--json] [--trace] [--write-verdicts FILE]

Loads a scenario file (the format is in README.md, "Writing a scenario"), or every file of
scenarios/ with --all, and computes for each expected row (era, optional bug switch) the verdict
over every complete interleaving of its threads with the device and the workqueue: Never, Sometimes
or Always, with the length of the shortest witness when the outcome can happen.

  --all                  every scenarios/*.json
  --era ERA              only this era's rows: ${era_ids().join(", ")}
  --json                 one JSON array on stdout (one object per file)
  --trace                print the shortest witness's steps under each row that has one
  --write-verdicts FILE  with --all: write the verdict table (docs/verdicts.md) to FILE
Exit status: 0 every verdict as expected, 1 a verdict differs from the file's expectation, 2 bad input.`;

const row_text = (r: VerdictResult): string => {
  const name = `${r.era}${r.bug ? ` + ${r.bug}` : ""}`.padEnd(30);
  const exp = r.expected ? (r.match ? `as expected` : `EXPECTED ${r.expected}`) : "no expectation";
  const wit = r.witness !== null ? `witness ${r.witness} steps` : "no witness";
  return `  ${name} ${r.verdict.padEnd(9)} ${exp.padEnd(20)} ${wit.padEnd(16)} (${r.hits} of ${r.paths} complete interleavings${r.stuck ? `, ${r.stuck} stuck` : ""})`;
};

export function run_scenario(argv: string[]): number {
  const flags = parse_flags(argv, {
    all: { type: "boolean" }, era: kernel_flag_specs().era, json: { type: "boolean" },
    trace: { type: "boolean" }, "write-verdicts": { type: "string", allowed: "a file path, e.g. docs/verdicts.md", output: "file" },
    help: { type: "boolean" },
  }, 1);
  if (flags.help) {
    console.log(scenario_help);
    return 0;
  }
  const file = flags._ as string | undefined;
  if (!file && !flags.all) throw new UsageError("needs a scenario FILE or --all (see pincheck scenario --help)");
  if (file && flags.all) throw new UsageError(`give either a FILE or --all, not both (got '${file}' and --all)`);
  const era = era_flag(flags);
  const out = flags["write-verdicts"] as string | undefined;
  if (out !== undefined && (!flags.all || era !== undefined)) throw new UsageError("--write-verdicts needs --all and every era (no --era)");

  let entries: { path: string; c: Compiled }[];
  try {
    entries = file ? [{ path: file, c: compile_litmus(load_litmus(file)) }] : catalog_entries();
  } catch (e) {
    if (e instanceof LitmusError) throw new UsageError(e.message);
    throw e;
  }
  const results = entries.map((e) => ({ ...e, results: litmus_verdicts(e.c, era) }));
  const ok = results.every((e) => e.results.every((r) => r.match));
  if (out !== undefined) write_output("write-verdicts", out, verdict_table(results));
  if (flags.json) {
    console.log(JSON.stringify(results.map((e) => ({
      file: e.path, id: e.c.lit.id, title: e.c.lit.title, outcome: outcome_text(e.c.lit.outcome),
      match: e.results.every((r) => r.match), rows: e.results,
    }))));
  } else {
    for (const e of results) {
      console.log(`${e.path}: ${e.c.lit.id} (outcome ${outcome_text(e.c.lit.outcome)})`);
      for (const r of e.results) {
        console.log(row_text(r));
        if (flags.trace && r.witness_steps) {
          r.witness_steps.forEach((s, i) => console.log(`      ${i + 1}. ${s}`));
          console.log(`      ✗ ${r.message}`);
        }
      }
    }
    if (out !== undefined) console.log(`wrote ${out}`);
    console.log(ok ? "every verdict as expected" : "some verdicts differ from the expectation");
  }
  return ok ? 0 : 1;
}
