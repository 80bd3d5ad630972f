// Command-line parsing with one-line errors that name the flag and what it accepts.
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";

export class UsageError extends Error {}

export interface FlagSpec {
  type: "boolean" | "string";
  /** For string flags: a description of the allowed values, used in error messages. */
  allowed?: string;
  /** May be given more than once; the values come back in order (parse_flags_lists). */
  multiple?: boolean;
  /**
   * A file the command writes: checked while parsing, before any work, so that a bad path is not
   * found after a long run. "file": its directory must exist; "file-in-new-dir": the command creates it.
   */
  output?: "file" | "file-in-new-dir";
}

/** Parse flags; with max_positionals > 0 the one positional argument comes back as `_`. */
export function parse_flags(argv: string[], spec: Record<string, FlagSpec>, max_positionals = 0): Record<string, string | boolean | undefined> {
  return parse_flags_lists(argv, spec, max_positionals).flags;
}

/** parse_flags, with the values of the `multiple` flags in `lists` (an empty list when not given). */
export function parse_flags_lists(argv: string[], spec: Record<string, FlagSpec>, max_positionals = 0): {
  flags: Record<string, string | boolean | undefined>;
  lists: Record<string, string[]>;
} {
  const names = Object.keys(spec).map((k) => `--${k}`).join(", ");
  try {
    const { values, positionals } = parseArgs({
      args: negative_values_joined(argv, spec),
      // Every flag is collected as a list, so a repeated single-value flag is refused, not overridden.
      options: Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, { type: v.type, multiple: true }])),
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > max_positionals) throw new UsageError(`unexpected argument '${positionals[max_positionals]}' (flags: ${names})`);
    const flags: Record<string, string | boolean | undefined> = { _: positionals[0] };
    const lists: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(spec)) {
      const x = (values[k] ?? []) as (string | boolean)[];
      // parseArgs takes "--x=" as the value "": refuse it as a missing one.
      if (x.includes("")) throw new UsageError(`--${k} needs a value: ${v.allowed}`);
      if (v.multiple) lists[k] = x as string[];
      else if (x.length > 1) throw new UsageError(`--${k} given ${x.length} times; ${v.type === "string" ? `it takes one value: ${v.allowed}` : "give it once"}`);
      else flags[k] = x[0];
      if (v.output && x.length) check_output_file(String(x[0]), k, v.output === "file-in-new-dir");
    }
    return { flags, lists };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const m = /'(-[^']*)'/.exec((e as Error).message);
    const flag = m ? m[1].replace(/ <value>$/, "") : "";
    const known = flag && spec[flag.replace(/^--?/, "")];
    if (known && known.type === "string") throw new UsageError(`${flag} needs a value: ${known.allowed}`);
    if (known) throw new UsageError(`${flag} takes no value`);
    throw new UsageError(`unknown option '${flag || argv.join(" ")}' (flags: ${names})`);
  }
}

/**
 * "--depth -1" as "--depth=-1": parseArgs reads a value starting with a dash as a flag and would
 * report --depth as missing its value, where the value is there and out of range.
 */
function negative_values_joined(argv: string[], spec: Record<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const next = argv[k + 1];
    if (spec[argv[k].slice(2)]?.type === "string" && argv[k].startsWith("--") && next !== undefined && /^-\d/.test(next)) out.push(`${argv[k]}=${argv[++k]}`);
    else out.push(argv[k]);
  }
  return out;
}

/** An integer flag within [min, max]. */
export function int_flag(value: string | boolean | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${String(value)}'`);
  return n;
}

/** An output path (FlagSpec.output): not a directory, and unless the command creates it, in one. */
function check_output_file(path: string, name: string, creates_dir: boolean): void {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--${name} '${path}' is a directory; give a file path`);
  if (!creates_dir && !statSync(dirname(path), { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--${name} '${path}': directory '${dirname(path)}' does not exist`);
}

/** Write an output flag's file (making its directory with make_dir): a failure is one line naming the flag. */
export function write_output(flag: string, path: string, text: string, make_dir = false): void {
  try {
    if (make_dir) mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (e) {
    throw new UsageError(`--${flag} '${path}': cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Tell the user an output flag wrote nothing, so that an older file there is not taken for this run's. */
export const note_not_written = (flag: string, path: string): void =>
  console.error(`pincheck: no violation, so --${flag} '${path}' was not written`);
