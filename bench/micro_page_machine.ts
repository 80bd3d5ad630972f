// The page micro-model as an xstate v5 machine, over the very transition functions of
// micro_page.ts: one state node, one event per (action, page), guarded by micro_enabled and
// assigning micro_step (named, parameterised guard and action). xstate/graph explores it; a
// snapshot's context holds the packed counters.
import type { AnyMachineSnapshot } from "xstate";
import { assign, setup } from "xstate";
import type { MicroState } from "./micro_page.js";
import { micro_enabled, micro_step, OPS } from "./micro_page.js";

const micro_event = (a: number): string => `${OPS[a & 3].toUpperCase()}_${a >> 2}`;

const micro_setup = setup({
  types: { context: {} as { s: MicroState } },
  guards: { enabled: ({ context }, p: { a: number }) => micro_enabled(context.s, p.a) },
  actions: { step: assign(({ context }, p: { a: number }) => ({ s: micro_step(context.s, p.a) })) },
});

export function micro_page_machine(pages: number) {
  const on: Record<string, { guard: { type: "enabled"; params: { a: number } }; actions: { type: "step"; params: { a: number } } }> = {};
  for (let a = 0; a < 4 * pages; a++) on[micro_event(a)] = { guard: { type: "enabled", params: { a } }, actions: { type: "step", params: { a } } };
  return micro_setup.createMachine({ id: `micro_page_${pages}`, context: { s: 0 }, initial: "pages", states: { pages: { on } } });
}

/** xstate/graph's serializeState for the twin: the packed counters, so the bench does not charge xstate for JSON. */
export const micro_serialize = (s: unknown): string => String((s as AnyMachineSnapshot).context.s);
