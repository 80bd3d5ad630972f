// include/asm-generic/bug.h: WARN_ON(), WARN_ON_ONCE() and BUG(). The simulation records them as
// events in the world instead of printing a splat or killing the task, so that properties and
// traces can see them. A BUG() ends the current kernel operation: the function that hit it
// returns at once, and the engine stops the step.
export type KernelEventKind = "WARN" | "WARN_ON_ONCE" | "BUG";

export interface KernelEvent {
  kind: KernelEventKind;
  /** The simulated kernel function that raised it. */
  fn: string;
  /** What the kernel's condition checks, in words. */
  what: string;
}

export interface EventLog {
  events: KernelEvent[];
}

export function WARN(w: EventLog, fn: string, what: string): true {
  w.events.push({ kind: "WARN", fn, what });
  return true;
}

export function WARN_ON_ONCE(w: EventLog, fn: string, what: string): true {
  w.events.push({ kind: "WARN_ON_ONCE", fn, what });
  return true;
}

export function BUG(w: EventLog, fn: string, what: string): void {
  w.events.push({ kind: "BUG", fn, what });
}

export const has_bug = (w: EventLog): boolean => w.events.some((e) => e.kind === "BUG");
