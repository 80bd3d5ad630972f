// What a world-level property sees, whichever engine produced the state: the world, whether
// nothing is in flight, and what each pin holder would see: the direct-I/O reads started so far
// with what their reader got, the registered fixed buffers with what their owner maps, GUP pins
// with what their process reads, and reads into a page cache through an ITER_XARRAY over it.
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
  /**
   * Reads into a file's own page cache through a kernel iterator over it (ITER_XARRAY, afs_read_dir),
   * judged when each completes: does the page cache hold at every covered index what was sent.
   */
  xarray_reads?: readonly ReadOutcome[];
  /**
   * Pipe buffers vmsplice() filled with FOLL_GET references, judged when the pipe is drained: did
   * the reader get what the splicer's memory held there (at the vmsplice, or as it changed it
   * since), never a later write by another process (src/check/splice_watch.ts).
   */
  spliced?: readonly ReadOutcome[];
}

/** A property of the world as any engine presents it. */
export type WorldProperty = Property<WorldView>;
