// The lifecycle of one address space (mm_struct) as far as pinning cares: created, has pinned
// (MMF_HAS_PINNED, set by the first FOLL_PIN and never cleared), sharing anonymous pages with
// forked children, exited. And the abstraction that reads that state off the world.
//
// Kernel sources whose rules this encodes:
//   include/linux/mm_types.h, include/linux/sched/coredump.h  MMF_HAS_PINNED (not in
//                    MMF_INIT_MASK: a child does not inherit it)
//   mm/gup.c         mm_set_has_pinned_flag() on every FOLL_PIN walk; nothing clears it
//   kernel/fork.c, mm/memory.c  dup_mmap / copy_present_pte: anonymous pages are shared with
//                    the child copy-on-write (a maybe-pinned one of an mm that has pinned is
//                    copied instead, so pinned memory alone never makes the mm share)
//   mm/mmap.c        exit_mmap
//
// Two orthogonal regions while alive: whether the mm has ever pinned, and how many forked
// children still share its pages.
import { assign, setup } from "xstate";
import type { World } from "../src/kernel/index.js";
import { GUP_PIN_COUNTING_BIAS, MMF_HAS_PINNED, mm_flag, ZERO_PFN } from "../src/kernel/index.js";

export interface ProcessContext {
  /** FOLL_PIN pins held on pages this mm maps. */
  pins: number;
  /** Other address spaces (forked children) mapping pages of this one. */
  children: number;
}

export type ProcessEventType = "CREATE" | "PIN" | "UNPIN" | "FORK" | "CHILD_EXIT" | "EXIT";
export type ProcessEvent = { type: ProcessEventType };

export interface ProcessBounds {
  pins: number;
  children: number;
}

export const PROCESS_BOUNDS: ProcessBounds = { pins: 1, children: 2 };

export function make_process_machine(bounds: ProcessBounds = PROCESS_BOUNDS) {
  return setup({
    types: { context: {} as ProcessContext, events: {} as ProcessEvent },
    guards: {
      pin_room: ({ context }) => context.pins < bounds.pins,
      has_pin: ({ context }) => context.pins > 0,
      child_room: ({ context }) => context.children < bounds.children,
      last_child: ({ context }) => context.children === 1,
    },
    actions: {
      pin: assign({ pins: ({ context }) => context.pins + 1 }),
      unpin: assign({ pins: ({ context }) => context.pins - 1 }),
      fork: assign({ children: ({ context }) => context.children + 1 }),
      child_exit: assign({ children: ({ context }) => context.children - 1 }),
      /** exit_mmap(): the mm maps nothing any more (pins on its former pages are their holders'). */
      exit: assign({ pins: 0, children: 0 }),
    },
  }).createMachine({
    id: "process",
    initial: "idle",
    context: { pins: 0, children: 0 },
    states: {
      idle: { on: { CREATE: "alive" } },
      alive: {
        type: "parallel",
        on: { EXIT: { target: "exited", actions: "exit" } },
        states: {
          pinning: {
            initial: "never",
            states: {
              never: {
                description: "MMF_HAS_PINNED clear.",
                on: { PIN: { guard: "pin_room", target: "ever", actions: "pin" } },
              },
              ever: {
                description: "MMF_HAS_PINNED set; unpinning never clears it.",
                on: {
                  PIN: { guard: "pin_room", actions: "pin" },
                  UNPIN: { guard: "has_pin", actions: "unpin" },
                },
              },
            },
          },
          children: {
            initial: "none",
            states: {
              none: { on: { FORK: { guard: "child_room", target: "sharing", actions: "fork" } } },
              sharing: {
                description: "Forked children map some of its anonymous pages copy-on-write.",
                on: {
                  FORK: { guard: "child_room", actions: "fork" },
                  CHILD_EXIT: [
                    { guard: "last_child", target: "none", actions: "child_exit" },
                    { actions: "child_exit" },
                  ],
                },
              },
            },
          },
        },
      },
      exited: { type: "final" },
    },
  });
}

export const process_machine = make_process_machine();

/** Which process: its mm's index in w.mms (the index mm_alloc will give it, before CREATE). */
export interface ProcId {
  mm: number;
}

type ProcessValue = "idle" | "exited" | { alive: { pinning: "never" | "ever"; children: "none" | "sharing" } };

/** The mm's machine state: its MMF_HAS_PINNED bit, the pins on its pages, who else maps them. */
export function process_state(w: World, p: ProcId): { value: ProcessValue; context: ProcessContext } {
  const mm = w.mms[p.mm];
  if (!mm) return { value: "idle", context: { pins: 0, children: 0 } };
  if (!mm.vmas.length) return { value: "exited", context: { pins: 0, children: 0 } };
  const pages = new Set([...mm.ptes.values()].map((pte) => pte.pfn).filter((pfn) => pfn !== ZERO_PFN));
  let pins = 0;
  for (const pfn of pages) pins += Math.floor(w.mem.refcount[w.mem.head[pfn]] / GUP_PIN_COUNTING_BIAS); // small folios
  // Its own forked children that still map some of its pages (a sibling or grandparent sharing
  // the same pages is not its child).
  const children = w.mms.filter((o) => o.parent === p.mm && o.vmas.length && [...o.ptes.values()].some((pte) => pages.has(pte.pfn))).length;
  const value = {
    alive: { pinning: mm_flag(mm, MMF_HAS_PINNED) ? "ever" : "never", children: children ? "sharing" : "none" },
  } as const;
  return { value, context: { pins, children } };
}
