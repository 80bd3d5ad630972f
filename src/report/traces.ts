// The report's counterexamples: one per bug switch, found by the same exhaustive check as
// `pincheck check --bug ID`, or read from ITF files written by check/fuzz --trace-out; and each
// page's counts and flags at every step of one, for the stepper.
import { basename } from "node:path";
import { default_catalog_bounds } from "../check/catalog.js";
import type { PageView, Story } from "../check/trace.js";
import { DEFAULT_DEPTH, exhaustive_check, run_total } from "../check/exhaustive.js";
import { replay_trace } from "../cli/replay.js";
import { BUGS, config_for } from "../kernel/index.js";
import type { TraceView } from "./data.js";

/** The check of `pincheck check --bug ID --era ERA` at its default depth and bounds. */
export function bug_trace(bug: string, era: string): TraceView {
  const b = BUGS.find((x) => x.id === bug);
  const config = config_for(bug, era);
  if (!b || !config) throw new Error(`internal: unknown bug '${bug}' or era '${era}'`);
  const run = exhaustive_check(config, DEFAULT_DEPTH, default_catalog_bounds);
  // In an older era the era's own violation may come first: say so rather than pass it off as the bug's.
  const found = run.story?.violation?.property;
  const other = found && found !== b.breaks ? `; finds ${found} before the ${b.breaks} this bug breaks` : "";
  return {
    id: `bug:${bug}`, label: `${bug} (era ${era}${other})`, source: "check", era, bug, expected: b.breaks,
    story: run.story, states: run_total(run.runs, "states"),
  };
}

/** An ITF trace file, re-executed under the era, bug and bounds it records (as pincheck replay does). */
export function file_trace(file: string, index: number): TraceView {
  const { meta: t, story } = replay_trace(file);
  return {
    id: `file:${index}:${basename(file)}`, label: `${basename(file)} (era ${t.era}${t.bug ? `, bug ${t.bug}` : ""})`,
    source: "file", era: t.era, bug: t.bug, expected: t.property, story, states: null,
  };
}

export interface PageTimeline {
  pfn: number;
  /** The page at step 0 (initial state) .. step n; null while free. */
  states: (PageView | null)[];
}

/**
 * Every page the story touched, with its view after each step. A story records only the pages a
 * step changed, so a page's initial view is the "before" of its first change.
 */
export function page_timeline(story: Story): PageTimeline[] {
  const pfns = [...new Set(story.steps.flatMap((s) => Object.keys(s.pages).map(Number)))].sort((a, b) => a - b);
  return pfns.map((pfn) => {
    const first = story.steps.find((s) => pfn in s.pages)!;
    const states: (PageView | null)[] = [first.pages[pfn][0]];
    for (const s of story.steps) {
      const c = s.pages[pfn];
      states.push(c ? c[1] : states[states.length - 1]);
    }
    return { pfn, states };
  });
}
