// `pincheck bugs`: the historical-bug switches the simulation knows.
import { BUGS } from "../kernel/index.js";
import { parse_flags } from "./args.js";

export function run_bugs(argv: string[]): number {
  const flags = parse_flags(argv, { json: { type: "boolean" }, help: { type: "boolean" } });
  if (flags.help) {
    console.log("usage: pincheck bugs [--json]\n\nLists the historical-bug switches (use one with pincheck check --bug ID).");
    return 0;
  }
  const rows = BUGS.map((b) => ({ id: b.id, title: b.title, era: b.era, reference: b.reference, breaks: b.breaks }));
  if (flags.json) console.log(JSON.stringify(rows));
  else for (const b of rows) console.log(`${b.id}\n  ${b.title}\n  era: ${b.era}\n  breaks: ${b.breaks}\n  ${b.reference}`);
  return 0;
}
