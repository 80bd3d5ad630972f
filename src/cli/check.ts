// `pincheck check`: exhaustive breadth-first exploration of the iterator layer.
import { iter_properties } from "../../properties/index.js";
import { explore } from "../check/explore.js";
import type { IterAction } from "../check/iter_model.js";
import { default_iter_bounds, describe_action, iter_model } from "../check/iter_model.js";
import { int_flag, parse_flags } from "./args.js";
import { clear_progress, progress_reporter } from "./progress.js";

export const DEFAULT_DEPTH = 6;

export const check_help = `usage: pincheck check [--depth N] [--json]

Explores every sequence of iov_iter operations (advance, revert, copy in the iterator's
direction, iov_iter_extract_pages, release of what was extracted) up to N steps, from every
iterator type (UBUF, IOVEC, BVEC, KVEC, FOLIOQ, XARRAY) in both directions, and checks
${iter_properties.map((p) => p.id).join(", ")} after every step.

  --depth N   steps per path, 0..12 (default ${DEFAULT_DEPTH})
  --json      one JSON object on stdout, no progress
Exit status: 0 no violation, 1 violation found, 2 bad input.`;

export function run_check(argv: string[]): number {
  const flags = parse_flags(argv, { depth: { type: "string", allowed: "an integer from 0 to 12" }, json: { type: "boolean" }, help: { type: "boolean" } });
  if (flags.help) {
    console.log(check_help);
    return 0;
  }
  const depth = int_flag(flags.depth, "depth", 0, 12, DEFAULT_DEPTH);
  const json = flags.json === true;
  const progress = progress_reporter(json);
  const base = iter_model(default_iter_bounds);
  // Count, per property, the states in which the situation it guards arises: a property whose
  // count stays 0 passed vacuously.
  const guarded = new Map(iter_properties.map((p) => [p.id, 0]));
  const model = {
    ...base,
    check(s: Parameters<typeof base.check>[0]) {
      for (const p of iter_properties) if (p.guarded(s)) guarded.set(p.id, guarded.get(p.id)! + 1);
      return base.check(s);
    },
  };
  const t0 = process.hrtime.bigint();
  const r = explore(model, depth, progress);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clear_progress(progress !== undefined);

  const vacuous = [...guarded].filter(([, n]) => n === 0).map(([id]) => id);
  const steps = (r.trace?.actions ?? []).map((a: IterAction, k) => ({ step: k + 1, action: a.op, args: a, text: describe_action(a) }));
  if (json) {
    console.log(JSON.stringify({
      result: r.result,
      property: r.violation?.property ?? null,
      message: r.violation?.message ?? null,
      states: r.states,
      transitions: r.transitions,
      depth: r.depth,
      max_depth: depth,
      seconds: Number(seconds.toFixed(3)),
      scenarios: model.initial().map((s) => s.scenario),
      properties: iter_properties.map((p) => p.id),
      coverage: { guarded_states: Object.fromEntries(guarded), vacuous: vacuous },
      ...(r.trace ? { trace: { scenario: r.trace.initial.scenario, steps } } : {}),
    }));
  } else if (r.result === "ok") {
    console.log(`pincheck check: no violation within ${depth} steps`);
    console.log(`  ${model.initial().length} scenarios, ${r.states} states, ${r.transitions} transitions, depth ${r.depth}, ${seconds.toFixed(2)} s`);
    console.log(`  properties (states where each one's situation arose): ${[...guarded].map(([id, n]) => `${id} ${n}`).join(", ")}`);
    if (vacuous.length) console.log(`  vacuous (never exercised): ${vacuous.join(", ")}`);
  } else {
    console.log(`pincheck check: ${r.violation!.property} violated in ${r.trace!.initial.scenario}`);
    steps.forEach((s) => console.log(`  ${s.step}. ${s.text}`));
    console.log(`  -> ${r.violation!.message}`);
  }
  return r.result === "ok" ? 0 : 1;
}
