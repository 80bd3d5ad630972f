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

/** The catalog's bounds as flags, each with its range (the flags' and a trace file's) and what it bounds. */
export const BOUNDS: readonly { key: keyof CatalogBounds; flag: string; range: readonly [number, number]; what: string }[] = [
  { key: "processes", flag: "processes", range: [1, 3], what: "processes alive at once" },
  { key: "pages", flag: "pages", range: [1, 3], what: "pages in each process's buffer" },
  { key: "in_flight", flag: "in-flight", range: [0, 2], what: "direct I/Os in flight at once" },
  { key: "fixed", flag: "fixed", range: [0, 2], what: "io_uring fixed buffers registered at once" },
];

export const bounds_flag_specs: Record<string, FlagSpec> = Object.fromEntries(
  BOUNDS.map((b) => [b.flag, { type: "string", allowed: `an integer from ${b.range[0]} to ${b.range[1]}` }]),
);

/** The help lines of the bound flags, with their defaults. */
export const bounds_help = (defaults: CatalogBounds): string =>
  BOUNDS.map((b) => `  --${b.flag} N`.padEnd(21) + `${b.what}, ${b.range[0]}..${b.range[1]} (default ${defaults[b.key]})`).join("\n");

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

/**
 * The catalog bounds from the flags, each defaulting to defaults. With a target other than the
 * catalog (target given and not "catalog") a bound flag would be ignored, so it is refused.
 */
export function bounds_flags(flags: Flags, defaults: CatalogBounds, target?: string): CatalogBounds {
  const given = BOUNDS.find((b) => flags[b.flag] !== undefined);
  if (given && target !== undefined && target !== "catalog")
    throw new UsageError(`--${given.flag} bounds the catalog only, and --target is '${target}'`);
  return Object.fromEntries(BOUNDS.map((b) => [b.key, int_flag(flags[b.flag], b.flag, ...b.range, defaults[b.key])])) as unknown as CatalogBounds;
}
