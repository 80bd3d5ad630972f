// Flags shared by the commands that run the simulation: which kernel (--era, --bug) and the
// bounds of the catalog (--processes, --pages, --in-flight, --fixed).
import type { CatalogBounds } from "../check/catalog.js";
import type { KernelConfig } from "../kernel/index.js";
import { bug_ids, config_for, era_ids } from "../kernel/index.js";
import type { FlagSpec } from "./args.js";
import { int_flag, UsageError } from "./args.js";

type Flags = Record<string, string | boolean | undefined>;

export const kernel_flag_specs = (): Record<string, FlagSpec> => ({
  era: { type: "string", allowed: era_ids().join(", ") },
  bug: { type: "string", allowed: bug_ids().join(", ") },
});

/** Each catalog bound's range, [min, max]: the flags' and a trace file's. */
export const BOUNDS_RANGES: Record<keyof CatalogBounds, [number, number]> = { processes: [1, 3], pages: [1, 3], in_flight: [0, 2], fixed: [0, 2] };
const range_text = (k: keyof CatalogBounds): string => `an integer from ${BOUNDS_RANGES[k][0]} to ${BOUNDS_RANGES[k][1]}`;

export const bounds_flag_specs: Record<string, FlagSpec> = {
  processes: { type: "string", allowed: range_text("processes") },
  pages: { type: "string", allowed: range_text("pages") },
  "in-flight": { type: "string", allowed: range_text("in_flight") },
  fixed: { type: "string", allowed: range_text("fixed") },
};

/** --era, validated; undefined when not given. */
export function era_flag(flags: Flags): string | undefined {
  const era = flags.era as string | undefined;
  if (era !== undefined && !era_ids().includes(era)) throw new UsageError(`--era must be one of ${era_ids().join(", ")}, got '${era}'`);
  return era;
}

/** A --bug value, validated. */
export function bug_flag(bug: string): string {
  if (!bug_ids().includes(bug)) throw new UsageError(`--bug must be one of ${bug_ids().join(", ")}, got '${bug}'`);
  return bug;
}

/** --era (default current) and --bug, validated, and the kernel configuration they name. */
export function kernel_flags(flags: Flags): { era: string; bug: string | undefined; config: KernelConfig } {
  const era = era_flag(flags) ?? "current";
  const bug = flags.bug === undefined ? undefined : bug_flag(flags.bug as string);
  return { era, bug, config: config_for(bug, era)! };
}

/** The catalog bounds from the flags, each defaulting to defaults. */
export const bounds_flags = (flags: Flags, defaults: CatalogBounds): CatalogBounds => ({
  processes: int_flag(flags.processes, "processes", ...BOUNDS_RANGES.processes, defaults.processes),
  pages: int_flag(flags.pages, "pages", ...BOUNDS_RANGES.pages, defaults.pages),
  in_flight: int_flag(flags["in-flight"], "in-flight", ...BOUNDS_RANGES.in_flight, defaults.in_flight),
  fixed: int_flag(flags.fixed, "fixed", ...BOUNDS_RANGES.fixed, defaults.fixed),
});
