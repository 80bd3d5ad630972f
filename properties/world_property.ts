// What a world-level property sees, whichever engine produced the state: the world, whether
// nothing is in flight, and what each pin holder would see: the direct-I/O reads started so far
// with what their reader got, and the registered fixed buffers with what their owner maps.
import type { World } from "../src/kernel/index.js";
import type { Property } from "./property.js";

export interface ReadOutcome {
  /** Which read or buffer, in words. */
  what: string;
  /** null while undecided (I/O in flight); then whether the pinner sees what the pin refers to. */
  ok: boolean | null;
  /** On a mismatch, what went wrong, e.g. "completed, but the reader's byte N is X, not Y". */
  detail?: string;
}

export interface WorldView {
  w: World;
  quiescent: boolean;
  reads: readonly ReadOutcome[];
  /** Data a device wrote into file pages, checked once everything dirty was written back. */
  persisted: readonly ReadOutcome[];
}

/** A property of the world as any engine presents it. */
export type WorldProperty = Property<WorldView>;
