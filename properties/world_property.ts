// What a world-level property sees, whichever engine produced the state: the world, whether
// nothing is in flight, and the direct-I/O reads started so far with what their reader saw.
import type { World } from "../src/kernel/index.js";

export interface ReadOutcome {
  /** Which read, in words. */
  what: string;
  /** null while in flight; then whether the reader's memory held the bytes the device read. */
  ok: boolean | null;
  /** On a mismatch: the first differing byte, as "byte N is X, not the device's Y". */
  detail?: string;
}

export interface WorldView {
  w: World;
  quiescent: boolean;
  reads: readonly ReadOutcome[];
}

export interface WorldProperty {
  id: string;
  statement: string;
  rule: string;
  source: string;
  check(v: WorldView): string | null;
  /** Whether the situation the property guards arises (so a run can tell vacuous passes). */
  guarded(v: WorldView): boolean;
}
