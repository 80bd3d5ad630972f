// The lifecycle of one asynchronous direct-I/O request into or out of pinned user memory:
// prepared, submitted, data moved by the device, bio_endio, deferred work, ->ki_complete, pages
// released. And the abstraction that reads that state off the world's block layer.
//
// Kernel sources whose rules this encodes:
//   fs/iomap/direct-io.c  __iomap_dio_rw (bios built from the iterator, user pages pinned),
//                         iomap_dio_bio_end_io (release the bio's pages, then drop its dio
//                         reference: 45cec0de6c89), iomap_dio_done (reads complete inline; async
//                         writes complete in iomap_dio_complete_work on s_dio_done_wq)
//   block/bio.c           bio_set_pages_dirty, bio_check_pages_dirty / bio_dirty_fn (a read
//                         buffer folio that writeback cleaned meanwhile is re-dirtied and unpinned
//                         later, in process context), bio_release_pages
//   fs/aio.c              aio_complete_rw (->ki_complete)
//
// The kernel fact this machine makes visible: ->ki_complete may be signalled while the request
// still holds pins on the user's pages (state "completed"): a read whose buffer writeback cleaned
// meanwhile is re-dirtied and unpinned later, in deferred work. (On the plain read path the
// pages are released and ->ki_complete runs in the same bio_endio step; before 45cec0de6c89,
// 2026, in the opposite order.)
import { assign, setup } from "xstate";
import type { World } from "../src/kernel/index.js";
import { folio_test, GUP_PIN_COUNTING_BIAS, PG_dirty } from "../src/kernel/index.js";

export type DioOp = "none" | "read" | "write";

export interface CompletionContext {
  op: DioOp;
  /** Writeback has cleaned the buffer folio (PG_dirty clear) since the request dirtied it. */
  cleaned: boolean;
  /** The device failed the bio; the result reported is an error. */
  failed: boolean;
}

export type CompletionEventType =
  | "PREP_READ" | "PREP_WRITE" | "SUBMIT" | "CLEAN" | "DEVICE_TRANSFER" | "DEVICE_FAIL" | "END_IO" | "RUN_WORK";
export type CompletionEvent = { type: CompletionEventType };

export type CompletionValue = "idle" | "prepared" | "submitted" | "transferred" | "end_io" | "completed" | "released";

/** bio_endio() branches alike whether the device moved the data or failed the bio. */
const end_io_branches = [
  { guard: "is_write", target: "end_io" },
  { guard: "read_buffer_cleaned", target: "completed" },
  { target: "released" },
] as const;

export const completion_machine = setup({
  types: { context: {} as CompletionContext, events: {} as CompletionEvent },
  guards: {
    is_write: ({ context }) => context.op === "write",
    /** bio_check_pages_dirty(): a folio found clean sends the release to bio_dirty_fn(). */
    read_buffer_cleaned: ({ context }) => context.op === "read" && context.cleaned,
    still_dirty: ({ context }) => !context.cleaned,
  },
  actions: {
    prep_read: assign({ op: "read" }),
    prep_write: assign({ op: "write" }),
    clean: assign({ cleaned: true }),
    fail: assign({ failed: true }),
    /** bio_dirty_fn(): re-dirty the buffer folios, then unpin them. */
    redirty_and_release: assign({ cleaned: false }),
    /** iomap_dio_complete_work(): iomap_dio_complete() and ->ki_complete. */
    ki_complete: () => {},
  },
}).createMachine({
  id: "completion",
  initial: "idle",
  context: { op: "none", cleaned: false, failed: false },
  states: {
    idle: {
      on: {
        PREP_READ: { target: "prepared", actions: "prep_read" },
        PREP_WRITE: { target: "prepared", actions: "prep_write" },
      },
    },
    prepared: {
      description: "An async kiocb and a user-backed iterator; nothing submitted.",
      on: { SUBMIT: "submitted" },
    },
    submitted: {
      description: "The bio is queued at the device; the user pages are pinned.",
      on: {
        DEVICE_TRANSFER: "transferred",
        DEVICE_FAIL: end_io_branches.map((b) => ({ ...b, actions: "fail" as const })),
        CLEAN: { guard: "still_dirty", actions: "clean" },
      },
    },
    transferred: {
      description: "The device has moved the data; bio_endio() has not run yet.",
      on: {
        END_IO: end_io_branches,
        CLEAN: { guard: "still_dirty", actions: "clean" },
      },
    },
    end_io: {
      description: "bio_endio() released the pages; ->ki_complete waits in deferred work.",
      on: { RUN_WORK: { target: "released", actions: "ki_complete" } },
    },
    completed: {
      description: "->ki_complete signalled, yet the pages are still pinned: bio_dirty_fn() is pending.",
      on: { RUN_WORK: { target: "released", actions: "redirty_and_release" } },
    },
    released: { type: "final", description: "Completed, and every page released." },
  },
});

/** Which request: its kiocb, dio and (single) bio ids, direction, and the user buffer's folio. */
export interface DioId {
  op: DioOp;
  /** kiocb id; -1 before the request is prepared. */
  iocb: number;
  /** The ids the request's dio and bio get when submitted. */
  dio: number;
  bio: number;
  /** The buffer's folio and its refcount before the request. */
  buffer: number;
  buffer_refs: number;
}

/**
 * The request's machine state, read from the block layer: where its bio is (device queue,
 * transferred, on bio_dirty_list, freed), whether ->ki_complete has reported it, whether its
 * completion work is queued, and whether the buffer folio is still pinned.
 */
export function completion_state(w: World, d: DioId): { value: CompletionValue | string; context: CompletionContext } {
  const b = w.block;
  if (d.iocb < 0 || d.iocb >= b.kiocbs.length) return { value: "idle", context: { op: "none", cleaned: false, failed: false } };
  const done = b.completions.find((c) => c.iocb === d.iocb);
  const dio = b.dios[d.dio];
  const failed = done ? done.res < 0 : !!dio && dio.error !== 0;
  const context = { op: d.op, cleaned: !folio_test(w, d.buffer, PG_dirty), failed };
  // The request pins the buffer's one page once; anything else is a count gone wrong.
  const extra = w.mem.refcount[d.buffer] - d.buffer_refs;
  const pinned = extra === GUP_PIN_COUNTING_BIAS;
  const unpinned = extra === 0;
  const bio_alive = !!b.bios[d.bio];
  const anomaly = pinned || unpinned ? "" : ` (buffer refcount ${extra >= 0 ? "+" : ""}${extra})`;
  const at = (value: string) => ({ value: value + anomaly, context });
  if (d.dio < 0 || d.dio >= b.dios.length) return at("prepared");
  if (b.in_flight.includes(d.bio)) return at(pinned ? "submitted" : "submitted, buffer not pinned");
  if (b.transferred.includes(d.bio)) return at(pinned ? "transferred" : "transferred, buffer not pinned");
  if (done && bio_alive) return at(pinned ? "completed" : "completed, buffer not pinned");
  if (done) return at(unpinned ? "released" : "completed, bio freed, buffer not released");
  const work = b.work.some((x) => x.fn === "iomap_dio_complete_work" && x.arg === d.dio);
  if (work && !bio_alive) return at(unpinned ? "end_io" : "end_io, buffer not released");
  return at("lost: no bio, no completion, no work");
}
