// `pincheck replay FILE`: re-execute an ITF trace written by `pincheck check --trace-out` and
// report whether it still breaks the same property.
import { readFileSync } from "node:fs";
import type { CatalogBounds } from "../check/catalog.js";
import { all_targets } from "../check/targets.js";
import type { Story } from "../check/trace.js";
import { replay_story, story_text } from "../check/trace.js";
import { bug_ids, config_for, era_ids } from "../kernel/index.js";
import { parse_flags, UsageError } from "./args.js";
import { BOUNDS } from "./kernel_flags.js";

export const replay_help = `usage: pincheck replay FILE [--json]

Re-executes the trace in FILE (ITF JSON from pincheck check or fuzz --trace-out) under the kernel
configuration it was found with, printing each step's effect on the pages it touched.
Exit status: 1 the recorded violation is reproduced, 0 the trace runs without violation,
2 bad input (unreadable file, unknown scenario or bug, an action that is not enabled).`;

export interface TraceMeta {
  target: string;
  initial: string;
  era: string;
  bug: string | null;
  actions: unknown[];
  property: string | null;
  /** The catalog's bounds, as check and fuzz record them. */
  bounds: CatalogBounds;
}

function read_trace(file: string): TraceMeta {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const why = e instanceof SyntaxError ? `not valid JSON (${e.message.split("\n")[0]})` : (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError(`cannot read trace '${file}': ${why}`);
  }
  const meta = (doc as { "#meta"?: { pincheck?: Partial<TraceMeta>; description?: string } })?.["#meta"];
  const p = meta?.pincheck;
  if (!p || typeof p !== "object") throw new UsageError(`${file}: no "#meta".pincheck object (is it a pincheck ITF trace?)`);
  if (typeof p.target !== "string") throw new UsageError(`${file}: "#meta".pincheck.target must be a string`);
  if (typeof p.initial !== "string") throw new UsageError(`${file}: "#meta".pincheck.initial must be a string`);
  if (!Array.isArray(p.actions)) throw new UsageError(`${file}: "#meta".pincheck.actions must be an array`);
  // The kernel and bounds the trace was found under are required: replaying under others would say nothing about it.
  const got = (v: unknown): string => (v === undefined ? "nothing" : `'${String(v)}'`);
  if (p.bug !== null && !bug_ids().includes(p.bug!))
    throw new UsageError(`${file}: "#meta".pincheck.bug must be null or one of ${bug_ids().join(", ")}, got ${got(p.bug)}`);
  if (!era_ids().includes(p.era!)) throw new UsageError(`${file}: "#meta".pincheck.era must be one of ${era_ids().join(", ")}, got ${got(p.era)}`);
  const b = p.bounds as Record<string, unknown> | undefined;
  const in_range = (x: unknown, [lo, hi]: readonly [number, number]) => Number.isInteger(x) && (x as number) >= lo && (x as number) <= hi;
  if (typeof b !== "object" || b === null || BOUNDS.some(({ key, range }) => !in_range(b[key], range)))
    throw new UsageError(`${file}: "#meta".pincheck.bounds must be an object of ${BOUNDS.map(({ key, range }) => `${key} (${range[0]} to ${range[1]})`).join(", ")}`);
  const property = typeof meta?.description === "string" && meta.description !== "no violation" ? meta.description.split(":")[0] : null;
  return { target: p.target, initial: p.initial, era: p.era!, bug: p.bug!, actions: p.actions, property, bounds: p.bounds! };
}

/** A trace file re-executed under the era, bug and bounds it records (pincheck replay, and report --trace). */
export function replay_trace(file: string): { meta: TraceMeta; story: Story } {
  const meta = read_trace(file);
  const targets = all_targets(config_for(meta.bug ?? undefined, meta.era)!, meta.bounds);
  const target = targets.find((x) => x.id === meta.target);
  if (!target) throw new UsageError(`${file}: unknown target '${meta.target}' (known: ${targets.map((x) => x.id).join(", ")})`);
  const story = replay_story(target, meta.initial, meta.actions);
  if (typeof story === "string") throw new UsageError(`${file}: ${story}`);
  return { meta, story };
}

export function run_replay(argv: string[]): number {
  const flags = parse_flags(argv, { json: { type: "boolean" }, help: { type: "boolean" } }, 1);
  if (flags.help) {
    console.log(replay_help);
    return 0;
  }
  const file = flags._ as string | undefined;
  if (!file) throw new UsageError("replay needs a trace file: pincheck replay FILE");
  const { meta: t, story } = replay_trace(file);
  const same = story.violation !== null && (t.property === null || story.violation.property === t.property);
  if (flags.json) console.log(JSON.stringify({ reproduced: same, recorded: t.property, violation: story.violation, steps: story.steps }));
  else {
    console.log(story_text(story));
    console.log(same ? `reproduced: ${story.violation!.property}` : `not reproduced${t.property ? ` (the trace recorded ${t.property})` : ""}`);
  }
  return same ? 1 : 0;
}
