// `pincheck fuzz`: seeded random runs over the scenarios, the iterator layer (one target per initial
// state) and the catalog, with fast-check shrinking
// the first failing run to a short trace that prints, serialises and replays like the explorer's.
import type { CatalogBounds } from "../check/catalog.js";
import { bounds_text } from "../check/catalog.js";
import type { FuzzOptions, FuzzReport } from "../check/fuzz.js";
import {
  DEFAULT_RUNS, DEFAULT_SEED, DEFAULT_STEPS, default_fuzz_bounds, fuzz_in_rounds, fuzz_target, fuzz_target_ids, fuzz_targets, replay_enabled,
  ROUND,
} from "../check/fuzz.js";
import { regression_test } from "../check/regression.js";
import type { Target } from "../check/targets.js";
import { LitmusError } from "../check/litmus.js";
import { all_targets, iter_fuzz_targets, scenario_files } from "../check/targets.js";
import type { Story } from "../check/trace.js";
import { counterexample_story, setting_text, story_itf, story_text } from "../check/trace.js";
import { BUGS, bug_ids, config_for, era_ids } from "../kernel/index.js";
import { int_flag, note_not_written, parse_flags, UsageError, write_output } from "./args.js";
import { machine_coverage_line } from "./check.js";
import { BOUNDS, bounds_flag_specs, bounds_flags, bounds_help, kernel_flag_specs, kernel_flags } from "./kernel_flags.js";
import { clear_progress, fuzz_progress_reporter } from "./progress.js";

const b = default_fuzz_bounds;

/** Text after an indent (the help's option column), wrapped at spaces to at most 100 columns. */
function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const w of text.split(" ")) {
    if (line && indent + line.length + 1 + w.length > 100) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  return [...lines, line].join(`\n${" ".repeat(indent)}`);
}

/** --target's help: the ids by kind, in the order they run without --target. */
function target_help(): string {
  const iter = iter_fuzz_targets(config_for()!);
  const named = (x: { id: string; name: string }) => (x.name.includes(" ") ? `${x.id} for ${x.name}` : x.id);
  let scenarios: string;
  try {
    scenarios = scenario_files().map((c) => c.lit.id).join(", ");
  } catch (e) {
    if (!(e instanceof LitmusError)) throw e;
    scenarios = `(none: ${e.message})`; // the help still shows; a run reports the file as bad input
  }
  return wrap(
    `what to run (default: all, in this order, sharing the budget in rounds of ${ROUND} runs, until one fails): a scenario, ` +
      `${scenarios}; the iterator layer from one initial state, ` +
      `iov_iter:TYPE-DIR for ITER_TYPE/ITER_DIR, ${iter.map(named).join(", ")}; or catalog`,
    21,
  );
}

/** The help (a function: listing the targets builds the iterator layer's initial states). */
export const fuzz_help = (): string => `usage: pincheck fuzz [--runs N] [--steps N] [--seed N] [--processes N] [--pages N] [--in-flight N]
                     [--fixed N] [--target ID] [--era ERA] [--bug ID] [--json] [--trace-out FILE]
                     [--replay SEED:PATH] [--export FILE]

Random runs over the same operations as check explores (a scenario's threads, the iterator
operations from one iov_iter initial state, the catalog's), with the device and the workqueue as
actions too, so runs also pick the order in which I/O completes.
Every property and the model monitors are checked after every step. The first failing run is
shrunk by fast-check, then single actions are dropped while it still fails; the trace prints as
check prints its counterexamples.

  --runs N           runs at most, 1..1000000 (default ${DEFAULT_RUNS})
  --steps N          actions per run at most, 1..200 (default ${DEFAULT_STEPS})
  --seed N           fast-check seed, 0..2147483647 (default ${DEFAULT_SEED})
${bounds_help(b)}
  --target ID        ${target_help()}
  --era ERA          kernel era to simulate: ${era_ids().join(", ")} (default current)
  --bug ID           simulate a historical bug on top of the era: ${bug_ids().join(", ")}
  --json             one JSON object on stdout, no progress
  --trace-out FILE   write the counterexample as ITF JSON (pincheck replay FILE re-executes it)
  --replay SEED:PATH re-run exactly the counterexample a failing run printed (same other flags)
  --export FILE      write the counterexample as a vitest regression test (put it under test/regressions/)
Exit status: 0 no violation, 1 violation found, 2 bad input.`;

/** The flags: the fuzz budget and --replay's seed and path, and what runs under which kernel. */
interface Setup extends Omit<FuzzOptions, "on_run"> {
  /** The target that ran last (the failing one, if any); the one named by --target if given. */
  target: string;
  /** Whether --target named it; otherwise every target runs (fuzz_in_rounds). */
  explicit: boolean;
  era: string;
  bug: string | undefined;
  bounds: CatalogBounds;
}

function parse(flags: Record<string, string | boolean | undefined>, target_ids: readonly string[]): Setup {
  const { era, bug } = kernel_flags(flags);
  const explicit = flags.target !== undefined;
  const target = (flags.target as string | undefined) ?? "catalog";
  if (!target_ids.includes(target)) throw new UsageError(`--target must be one of ${target_ids.join(", ")}, got '${target}'`);
  let seed = int_flag(flags.seed, "seed", 0, 2 ** 31 - 1, DEFAULT_SEED);
  let path: string | undefined;
  if (flags.replay !== undefined) {
    const m = /^(\d+):(\d+(?::\d+)*)$/.exec(flags.replay as string);
    if (!m || Number(m[1]) > 2 ** 31 - 1)
      throw new UsageError(`--replay must be SEED:PATH as a failing run prints it (e.g. 42:26:3:0), got '${flags.replay}'`);
    if (flags.seed !== undefined && Number(m[1]) !== seed) throw new UsageError(`--replay carries its own seed (${m[1]}); it conflicts with --seed ${seed}`);
    seed = Number(m[1]);
    path = m[2];
  }
  return {
    target, explicit, era, bug, seed, path,
    runs: int_flag(flags.runs, "runs", 1, 1_000_000, DEFAULT_RUNS),
    steps: int_flag(flags.steps, "steps", 1, 200, DEFAULT_STEPS),
    bounds: bounds_flags(flags, b, explicit ? target : undefined),
  };
}

/** The command line that replays this counterexample: the flags that shape runs, then --replay. */
function replay_command(s: Setup, r: FuzzReport): string {
  const out = ["pincheck fuzz"];
  if (s.target !== "catalog") out.push(`--target ${s.target}`);
  if (s.era !== "current") out.push(`--era ${s.era}`);
  if (s.bug) out.push(`--bug ${s.bug}`);
  if (s.steps !== DEFAULT_STEPS) out.push(`--steps ${s.steps}`);
  for (const { key, flag } of BOUNDS) if (s.bounds[key] !== b[key]) out.push(`--${flag} ${s.bounds[key]}`);
  out.push(`--replay ${r.seed}:${r.path}`);
  return out.join(" ");
}

const pct = (n: number, of: number): string => (n && n * 100 < of ? "<1%" : `${Math.round((100 * n) / Math.max(of, 1))}%`);

function stats_lines(r: FuzzReport, machines: ReturnType<NonNullable<Target["machine_coverage"]>> | undefined): string[] {
  const st = r.stats;
  return [
    `  actions taken (${st.actions} in ${st.runs} run${st.runs === 1 ? "" : "s"}): ${Object.entries(st.ops).map(([op, n]) => `${op} ${n}`).join(", ")}`,
    `  properties (share of runs where each one's situation arose): ${Object.entries(st.guarded_runs).map(([id, n]) => `${id} ${pct(n, st.runs)}`).join(", ")}`,
    ...(st.vacuous.length ? [`  never exercised: ${st.vacuous.join(", ")}`] : []),
    ...(machines ?? []).map(machine_coverage_line),
  ];
}

export function run_fuzz(argv: string[]): number {
  const flags = parse_flags(argv, {
    runs: { type: "string", allowed: "an integer from 1 to 1000000" },
    steps: { type: "string", allowed: "an integer from 1 to 200" },
    seed: { type: "string", allowed: "an integer from 0 to 2147483647" },
    ...bounds_flag_specs,
    target: { type: "string", allowed: "a scenario id, an iov_iter:... initial state or catalog (pincheck fuzz --help lists them)" },
    ...kernel_flag_specs(),
    json: { type: "boolean" },
    "trace-out": { type: "string", allowed: "a file path", output: "file" },
    replay: { type: "string", allowed: "SEED:PATH as a failing run prints it" },
    export: { type: "string", allowed: "a file path (test/regressions/NAME.test.ts)", output: "file" },
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(fuzz_help());
    return 0;
  }
  const target_ids = fuzz_target_ids(); // reads scenarios/, so not for --help
  const s = parse(flags, target_ids);
  const trace_out = flags["trace-out"] as string | undefined;
  const export_to = flags.export as string | undefined;
  const json = flags.json === true;
  // Without --target (and without --replay, whose path belongs to one target) every target
  // runs, cheapest first as check explores them, sharing the budget in rounds (fuzz_in_rounds).
  const ids = s.explicit || s.path !== undefined ? [s.target] : target_ids;
  const make = fuzz_targets(config_for(s.bug, s.era)!, s.bounds);
  const t0 = process.hrtime.bigint();
  const all = fuzz_in_rounds(ids, (id) => make(id)!, s, (runs) => {
    const on_run = fuzz_progress_reporter(json, runs);
    return { on_run, end: () => clear_progress(on_run !== undefined) };
  });
  const { target: t, report: r, done } = all;
  s.target = all.id;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (s.path !== undefined && r.runs === 0)
    throw new UsageError(`--replay ${s.seed}:${s.path}: the path leads to no run; give SEED:PATH as a failing run prints it`);

  const story = r.violation ? counterexample_story(t, t.initial_name(t.model.initial()[0]), r.actions) : null;
  const replay = r.violation ? replay_command(s, r) : null;
  if (story && trace_out) {
    const itf = story_itf(story, s.bug ?? null, s.era, s.bounds) as { "#meta": { pincheck: Record<string, unknown> } };
    Object.assign(itf["#meta"].pincheck, { fuzz: { seed: r.seed, path: r.path, replay } });
    write_output("trace-out", trace_out, JSON.stringify(itf, null, 2) + "\n");
  }
  if (story && export_to) export_regression(export_to, s, r, replay!, story, t.describe);
  if (!story && trace_out) note_not_written("trace-out", trace_out);
  if (!story && export_to) note_not_written("export", export_to);

  const setting = setting_text(s.era, s.bug);
  const machines = t.machine_coverage?.();
  if (json) {
    const st = r.stats;
    console.log(JSON.stringify({
      result: r.result,
      property: r.violation?.property ?? null,
      message: r.violation?.message ?? null,
      target: s.target, targets: done, era: s.era, bug: s.bug ?? null,
      seed: r.seed, path: r.path, replay,
      runs: r.runs, max_runs: s.runs, steps: s.steps, bounds: s.bounds,
      seconds: Number(seconds.toFixed(3)),
      shrinks: r.shrinks,
      lengths: { first: r.first_length, shrunk: r.shrunk_length, final: r.violation ? r.actions.length : null },
      statistics: {
        ...st,
        guarded_share: Object.fromEntries(Object.entries(st.guarded_runs).map(([id, n]) => [id, Number((n / Math.max(st.runs, 1)).toFixed(4))])),
        machines: machines ?? [],
      },
      ...(story ? { trace: { target: story.target, initial: story.initial, steps: story.steps } } : {}),
    }));
    return r.violation ? 1 : 0;
  }
  const what_ran = s.target === "catalog"
    ? `catalog of ${bounds_text(s.bounds)}`
    : t.id === "iov_iter" ? `iov_iter from ${t.initial_name(t.model.initial()[0])}` : `scenario ${s.target}`;
  const shape = !r.violation && done.length > 1 ? `every target; statistics below for the last, ${s.target}` : what_ran;
  const rate = `${(r.runs / Math.max(seconds, 1e-9)).toFixed(0)} runs/s`;
  if (story) {
    console.log(`pincheck fuzz: ${story.violation!.property} violated (${setting}; run ${r.runs} of ${s.runs}, seed ${r.seed}; ${shape})`);
    console.log(story_text(story));
    if (s.path === undefined) console.log(`  shrunk from ${r.first_length} to ${r.shrunk_length} steps by fast-check (${r.shrinks} shrinks), ${r.actions.length} after dropping single actions`);
    console.log(`  replay: ${replay}`);
  } else {
    const what = s.path !== undefined ? `replay of ${s.seed}:${s.path} found no violation (are the other flags those of the failing run?)` : "no violation";
    console.log(`pincheck fuzz: ${what} (${setting}; ${r.runs} run${r.runs === 1 ? "" : "s"} of up to ${s.steps} steps, seed ${r.seed}; ${shape})`);
    console.log(`  ${done.map((d) => `${d.id}: ${d.runs} runs, ${d.actions} actions`).join("; ")}; ${seconds.toFixed(2)} s (${rate} on the last)`);
  }
  for (const line of stats_lines(r, machines)) console.log(line);
  const breaks = BUGS.find((x) => x.id === s.bug)?.breaks;
  if (!story && breaks && r.stats.vacuous.includes(breaks)) {
    // Only the targets that check that property (the iterator layer and the world have their own).
    const props = new Map(all_targets(config_for(s.bug, s.era)!, s.bounds).map((x) => [x.id, x.properties]));
    const others = target_ids.filter((id) => id !== s.target && props.get(id.startsWith("iov_iter:") ? "iov_iter" : id)?.includes(breaks));
    console.log(`  note: no run reached the situation ${breaks} guards, the property --bug ${s.bug} breaks; try --target ${others.join(" or ")}`);
  }
  return r.violation ? 1 : 0;
}

function export_regression(file: string, s: Setup, r: FuzzReport, replay: string, story: Story, describe: (a: unknown) => string): void {
  const current = s.bug === undefined && s.era === "current";
  const now = current ? null : replay_enabled(fuzz_target(s.target, config_for()!, s.bounds)!, r.actions);
  if (now?.story.violation)
    console.error(`pincheck: warning: the current kernel breaks ${now.story.violation.property} on these actions too; the exported test's second case will fail`);
  write_output("export", file, regression_test({
    file, target: s.target, era: s.era, bug: s.bug ?? null, bounds: s.bounds, replay,
    property: story.violation!.property, step: story.violation!.step, actions: r.actions,
    texts: r.actions.map(describe), enabled_now: now ? now.enabled : null,
  }));
}
