// The iov_iter lifecycle seen by the code that owns one: built over some memory, consumed by
// advancing, pages extracted (pinned, referenced or bare, by iterator type and by which call
// takes them), those pages given back, until nothing is left. And the abstraction that reads
// that state off the iterator, its caller's page array and the world.
//
// Kernel sources whose rules this encodes:
//   lib/iov_iter.c   iov_iter_extract_pages (user-backed iterators pin with FOLL_PIN; kernel
//                    types hand out bare pages, no reference, no pin), iov_iter_get_pages2
//                    (FOLL_GET references for user memory, folio references for BVEC; -EFAULT
//                    for KVEC), iov_iter_advance / iov_iter_revert
//   include/linux/uio.h  iov_iter_extract_will_pin (== user_backed_iter)
//   mm/gup.c         unpin_user_pages releases pins; put_page releases references
//   Documentation/core-api/pin_user_pages.rst  release a page the way it was taken
//
// The machine steps one page at a time over an iterator of ITER_PAGES pages; one batch of
// extracted pages is held at a time.
import { and, assign, setup } from "xstate";
import type { iov_iter, World } from "../src/kernel/index.js";
import {
  GUP_PIN_COUNTING_BIAS, ITER_BVEC, ITER_IOVEC, ITER_KVEC, ITER_UBUF, PAGE_SIZE,
} from "../src/kernel/index.js";

export const ITER_PAGES = 3;

export type IterKind = "none" | "user" | "bvec" | "kvec";

export interface IterContext {
  kind: IterKind;
  /** Whole pages the iterator has left (iov_iter_count / PAGE_SIZE). */
  left: number;
}

export type IterEventType =
  | "BUILD_UBUF" | "BUILD_BVEC" | "BUILD_KVEC" | "ADVANCE" | "REVERT" | "EXTRACT" | "GET_PAGES" | "RELEASE";
export type IterEvent = { type: IterEventType };

export type IterValue = "unbuilt" | "built" | "consumed" | "exhausted" | "pinned" | "referenced" | "bare" | "released";

/**
 * Taking a page from an iterator nothing was extracted from yet (built or consumed): extraction
 * pins it from a user-backed iterator and hands it out bare from a kernel one; get_pages takes a
 * reference, except from KVEC, which it refuses. (Once released, the same holds while pages are left.)
 */
const take_pages = {
  EXTRACT: [
    { guard: "will_pin", target: "pinned", actions: "step_on" },
    { target: "bare", actions: "step_on" },
  ],
  GET_PAGES: [
    { guard: "get_pages_refused", actions: "refuse" },
    { target: "referenced", actions: "step_on" },
  ],
} as const;

export const iterator_machine = setup({
  types: { context: {} as IterContext, events: {} as IterEvent },
  guards: {
    /** iov_iter_extract_will_pin(): only user-backed iterators pin. */
    will_pin: ({ context }) => context.kind === "user",
    /** iov_iter_get_pages2() has no page getter for KVEC: -EFAULT, nothing taken. */
    get_pages_refused: ({ context }) => context.kind === "kvec",
    has_more: ({ context }) => context.left > 0,
    last_page: ({ context }) => context.left === 1,
    back_at_start: ({ context }) => context.left + 1 === ITER_PAGES,
  },
  actions: {
    build_user: assign({ kind: "user", left: ITER_PAGES }),
    build_bvec: assign({ kind: "bvec", left: ITER_PAGES }),
    build_kvec: assign({ kind: "kvec", left: ITER_PAGES }),
    /** Advancing, or extracting (which advances by what it hands out), moves on one page. */
    step_on: assign({ left: ({ context }) => context.left - 1 }),
    step_back: assign({ left: ({ context }) => context.left + 1 }),
    /** The caller releases what it holds the way it was taken: */
    unpin_pages: () => {}, // unpin_user_pages()
    put_pages: () => {}, // put_page() each
    forget_pages: () => {}, // nothing to drop: bare pages belong to the iterator's creator
    refuse: () => {},
  },
}).createMachine({
  id: "iterator",
  initial: "unbuilt",
  context: { kind: "none", left: 0 },
  states: {
    unbuilt: {
      on: {
        BUILD_UBUF: { target: "built", actions: "build_user" },
        BUILD_BVEC: { target: "built", actions: "build_bvec" },
        BUILD_KVEC: { target: "built", actions: "build_kvec" },
      },
    },
    built: {
      description: "Nothing consumed, nothing extracted.",
      on: {
        ADVANCE: { target: "consumed", actions: "step_on" },
        ...take_pages,
      },
    },
    consumed: {
      description: "Partly consumed, nothing extracted.",
      on: {
        ADVANCE: [
          { guard: "last_page", target: "exhausted", actions: "step_on" },
          { actions: "step_on" },
        ],
        REVERT: [
          { guard: "back_at_start", target: "built", actions: "step_back" },
          { actions: "step_back" },
        ],
        ...take_pages,
      },
    },
    exhausted: {
      description: "Consumed to the end without extracting.",
      on: { REVERT: { target: "consumed", actions: "step_back" } },
    },
    pinned: {
      description: "The caller holds pages extracted with FOLL_PIN pins.",
      on: { RELEASE: { target: "released", actions: "unpin_pages" } },
    },
    referenced: {
      description: "The caller holds pages with references (iov_iter_get_pages2).",
      on: { RELEASE: { target: "released", actions: "put_pages" } },
    },
    bare: {
      description: "The caller holds bare page pointers (kernel-backed iterator).",
      on: { RELEASE: { target: "released", actions: "forget_pages" } },
    },
    released: {
      description: "Everything extracted so far has been given back.",
      on: {
        ADVANCE: { guard: "has_more", actions: "step_on" },
        EXTRACT: [
          { guard: and(["has_more", "will_pin"]), target: "pinned", actions: "step_on" },
          { guard: "has_more", target: "bare", actions: "step_on" },
        ],
        GET_PAGES: [
          { guard: and(["has_more", "get_pages_refused"]), actions: "refuse" },
          { guard: "has_more", target: "referenced", actions: "step_on" },
        ],
      },
    },
  },
});

/**
 * One iterator and its owner's view of it. The iov_iter and the page array are the kernel
 * caller's own variables (they live outside World); what they point at is read from the world.
 */
export interface IterObject {
  iter: iov_iter | null;
  /** The folios the iterator's memory spans, with their refcounts when it was built. */
  baseline: Map<number, number>;
  /** The caller's page array: null before any extraction, the pages it holds, [] once given back. */
  pages: number[] | null;
}

export const unbuilt_iter = (): IterObject => ({ iter: null, baseline: new Map(), pages: null });

/** Record a freshly built iterator over the given folios. */
export function iter_object(w: World, iter: iov_iter, folios: readonly number[]): IterObject {
  return { iter, baseline: new Map(folios.map((f) => [f, w.mem.refcount[f]])), pages: null };
}

const kind_of = (t: number): IterKind | "other" =>
  t === ITER_UBUF || t === ITER_IOVEC ? "user" : t === ITER_BVEC ? "bvec" : t === ITER_KVEC ? "kvec" : "other";

/**
 * The iterator's machine state. Whether pages are held pinned or referenced is read from the
 * counts of the iterator's folios against their baseline (small folios: a pin adds
 * GUP_PIN_COUNTING_BIAS), not from what the caller believes it holds.
 */
export function iterator_state(w: World, it: IterObject): { value: IterValue | "underflow"; context: { kind: IterKind | "other"; left: number } } {
  if (!it.iter) return { value: "unbuilt", context: { kind: "none", left: 0 } };
  const context = { kind: kind_of(it.iter.iter_type), left: Math.ceil(it.iter.count / PAGE_SIZE) };
  let pinned = false;
  let referenced = false;
  for (const [folio, base] of it.baseline) {
    const extra = w.mem.refcount[folio] - base;
    if (extra < 0) return { value: "underflow", context };
    if (extra >= GUP_PIN_COUNTING_BIAS) pinned = true;
    else if (extra > 0) referenced = true;
  }
  if (pinned) return { value: "pinned", context };
  if (referenced) return { value: "referenced", context };
  if (it.pages?.length) return { value: "bare", context };
  if (it.pages) return { value: "released", context };
  if (context.left === ITER_PAGES) return { value: "built", context };
  return { value: context.left === 0 ? "exhausted" : "consumed", context };
}
