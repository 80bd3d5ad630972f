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

export const bounds_flag_specs: Record<string, FlagSpec> = {
  processes: { type: "string", allowed: "an integer from 1 to 3" },
  pages: { type: "string", allowed: "an integer from 1 to 3" },
  "in-flight": { type: "string", allowed: "an integer from 0 to 2" },
  fixed: { type: "string", allowed: "an integer from 0 to 2" },
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
  processes: int_flag(flags.processes, "processes", 1, 3, defaults.processes),
  pages: int_flag(flags.pages, "pages", 1, 3, defaults.pages),
  in_flight: int_flag(flags["in-flight"], "in-flight", 0, 2, defaults.in_flight),
  fixed: int_flag(flags.fixed, "fixed", 0, 2, defaults.fixed),
});
