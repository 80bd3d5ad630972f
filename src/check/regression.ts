// A fuzz counterexample as a vitest file: the action list replayed under the configuration that
// broke, asserting the violation, and under the current kernel, asserting that nothing breaks
// on the part of the list the current kernel still lets happen.
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { CatalogBounds } from "./catalog.js";
import { setting_text } from "./trace.js";

export interface RegressionInput {
  /** The file the test will be written to (import paths are made relative to it). */
  file: string;
  target: string;
  era: string;
  bug: string | null;
  bounds: CatalogBounds;
  /** The command that replays the fuzz run it came from. */
  replay: string;
  property: string;
  step: number;
  actions: unknown[];
  /** Each action in words, for a comment beside it. */
  texts: string[];
  /** How many of the actions the current kernel enables (null when found on the current kernel). */
  enabled_now: number | null;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function import_path(from_file: string, module: string): string {
  const rel = relative(dirname(resolve(from_file)), resolve(ROOT, module)).split("\\").join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

const q = (s: string | null): string => (s === null ? "undefined" : JSON.stringify(s));

/** A flat object as a TypeScript literal: { op: "fork", proc: 0 }. */
function literal(x: unknown): string {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return JSON.stringify(x);
  const entries = Object.entries(x);
  if (entries.some(([k, v]) => !/^[A-Za-z_]\w*$/.test(k) || (typeof v === "object" && v !== null))) return JSON.stringify(x);
  return `{ ${entries.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ")} }`;
}

export function regression_test(r: RegressionInput): string {
  const setting = setting_text(r.era, r.bug);
  const actions = r.actions.map((a, k) => `  ${literal(a)}, // ${k + 1}. ${r.texts[k]}`).join("\n");
  const found_now = r.enabled_now === null;
  const lines = [
    "// Written by `pincheck fuzz --export` from the run that this command replays:",
    `//   ${r.replay}`,
    `// Under ${setting}, these ${r.actions.length} ${r.target} actions break ${r.property};`,
    found_now
      ? "// they were found on the current kernel, so there is no fixed configuration to compare with."
      : r.enabled_now === r.actions.length
        ? "// the current kernel takes the same actions and breaks nothing."
        : `// the current kernel enables the first ${r.enabled_now} of them and breaks nothing on those.`,
    `import { describe, expect, it } from "vitest";`,
    `import { fuzz_target, replay_enabled } from "${import_path(r.file, "src/check/fuzz.js")}";`,
    `import { config_for } from "${import_path(r.file, "src/kernel/index.js")}";`,
    "",
    `const bounds = ${literal(r.bounds)};`,
    "const actions = [",
    actions,
    "];",
    `const target = (bug: string | undefined, era: string) => fuzz_target(${JSON.stringify(r.target)}, config_for(bug, era)!, bounds)!;`,
    "",
    `describe(${JSON.stringify(`fuzz regression: ${r.property} (${setting})`)}, () => {`,
    `  it(${JSON.stringify(`breaks ${r.property} at step ${r.step} under ${setting}`)}, () => {`,
    `    const { story, enabled } = replay_enabled(target(${q(r.bug)}, ${JSON.stringify(r.era)}), actions);`,
    "    expect(enabled).toBe(actions.length);",
    `    expect(story.violation).toMatchObject({ property: ${JSON.stringify(r.property)}, step: ${r.step} });`,
    "  });",
  ];
  if (!found_now)
    lines.push(
      "",
      `  it("breaks nothing under the current kernel on the actions it still enables", () => {`,
      `    const { story, enabled } = replay_enabled(target(undefined, "current"), actions);`,
      `    expect(enabled).toBe(${r.enabled_now});`,
      "    expect(story.violation).toBeNull();",
      "  });",
    );
  lines.push("});", "");
  return lines.join("\n");
}
