// `pincheck docs`: writes docs/machines.md (a Mermaid diagram and a transition table per machine),
// or with --check tells whether the file on disk is what generation gives now.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Docs } from "../check/docs.js";
import { generate_docs } from "../check/docs.js";
import { parse_flags, UsageError, write_output } from "./args.js";

export const DOCS_FILE = "machines.md";

export const docs_help = `usage: pincheck docs [--out DIR] [--check] [--json]

Generates ${DOCS_FILE}: for each machine in models/, a Mermaid state diagram of its declared states
and transitions and a table of those transitions (guard, target, the property the guard protects,
and whether the default exhaustive exploration observed it, or path replay covered it).

  --out DIR   directory to write to or check (default docs)
  --check     compare DIR/${DOCS_FILE} with what generation gives now; write nothing
  --json      one JSON object on stdout
Exit status: 0 written or up to date, 1 stale (with --check), 2 bad input.`;

/** generate is injectable so tests can reuse one exploration. */
export function run_docs(argv: string[], generate: () => Docs = () => generate_docs()): number {
  const flags = parse_flags(argv, {
    out: { type: "string", allowed: "a directory" },
    check: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(docs_help);
    return 0;
  }
  const dir = (flags.out as string | undefined) ?? "docs";
  if (statSync(dir, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`--out '${dir}' is a file; give a directory`);
  const file = join(dir, DOCS_FILE);
  const docs = generate();
  const summary = docs.machines.map((m) => ({
    machine: m.machine,
    states: m.states.length,
    transitions: m.rows.length,
    observed: m.monitored ? m.rows.filter((r) => (r.observed ?? 0) > 0).length : null,
    replayed: m.monitored ? null : m.rows.filter((r) => r.replayed).length,
  }));
  if (flags.check) {
    const current = existsSync(file) ? readFileSync(file, "utf8") : null;
    const ok = current === docs.markdown;
    const why = current === null ? "missing" : "stale";
    if (flags.json) console.log(JSON.stringify({ result: ok ? "up-to-date" : why, file, machines: summary }));
    else if (ok) console.log(`pincheck docs: ${file} is up to date`);
    else console.error(`pincheck docs: ${file} is ${why}; regenerate it with pincheck docs${flags.out !== undefined ? ` --out ${dir}` : ""}`);
    return ok ? 0 : 1;
  }
  write_output("out", file, docs.markdown, true);
  if (flags.json) console.log(JSON.stringify({ result: "written", file, machines: summary }));
  else console.log(`pincheck docs: wrote ${file} (${summary.map((m) => `${m.machine} ${m.transitions} transitions`).join(", ")})`);
  return 0;
}
