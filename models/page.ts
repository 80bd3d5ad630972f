// The folio lifecycle of one small anonymous page, as the kernel's rules allow it, and the
// abstraction that reads that lifecycle state off a simulated world.
//
// Kernel sources whose rules this encodes:
//   mm/memory.c      do_anonymous_page (first write fault), do_wp_page / wp_can_reuse_anon_folio
//                    (a write to a maybe-shared page reuses it only when it holds the sole
//                    reference, else copies), do_swap_page, copy_present_pte (fork)
//   mm/rmap.c        folio_try_dup_anon_rmap_pte (-EBUSY: fork copies a maybe-pinned exclusive
//                    page for the child, 70e806e4e645), folio_try_share_anon_rmap_pte
//   mm/gup.c         try_grab_folio / gup_put_folio (FOLL_PIN adds GUP_PIN_COUNTING_BIAS,
//                    FOLL_GET adds 1), gup_must_unshare (pins need an exclusive page)
//   include/linux/mm.h  folio_maybe_dma_pinned
//   mm/vmscan.c      shrink_folio_list (a maybe-pinned folio is never added to swap, feb889fb40fa)
//   mm/swapfile.c, mm/swap_state.c  the swap cache's reference, free_swap_cache
//
// Context counts what the abstraction can read back: mappings (PTEs), FOLL_PIN pins and FOLL_GET
// references beyond the mappings'. Bounds keep the machine finite for xstate/graph.
import { assign, setup } from "xstate";
import type { World } from "../src/kernel/index.js";
import {
  folio_test, GUP_PIN_COUNTING_BIAS, PAGE_SIZE, PG_anon_exclusive, PG_swapcache,
} from "../src/kernel/index.js";

export interface PageContext {
  /** Page-table entries mapping the page (mapcount). */
  maps: number;
  /** FOLL_PIN pins held on it. */
  pins: number;
  /** FOLL_GET references (or pipe buffers) held on it. */
  refs: number;
}

export type PageEventType =
  | "FAULT_WRITE" | "PIN" | "UNPIN" | "GET" | "PUT" | "FORK" | "WRITE_FAULT_COW" | "UNMAP" | "RECLAIM" | "SWAP_IN";
export type PageEvent = { type: PageEventType };

export type PageValue = "free" | "exclusive" | "pinned" | "shared" | "held" | "swapped" | "freed";

export interface PageBounds {
  pins: number;
  refs: number;
  maps: number;
}

export const PAGE_BOUNDS: PageBounds = { pins: 2, refs: 1, maps: 2 };

/**
 * A write fault or a pin that cannot reuse a shared page: the faulting mapping gets its own copy,
 * so this page loses that mapping, and is only held (by pins or references) if it was the last.
 */
const copied_away = [
  { guard: "other_mappers", actions: "unmap" },
  { target: "held", actions: "unmap" },
] as const;

export function make_page_machine(bounds: PageBounds = PAGE_BOUNDS) {
  return setup({
    types: { context: {} as PageContext, events: {} as PageEvent },
    guards: {
      pin_room: ({ context }) => context.pins < bounds.pins,
      ref_room: ({ context }) => context.refs < bounds.refs,
      map_room: ({ context }) => context.maps < bounds.maps,
      has_pin: ({ context }) => context.pins > 0,
      has_ref: ({ context }) => context.refs > 0,
      more_pins: ({ context }) => context.pins > 1,
      other_mappers: ({ context }) => context.maps > 1,
      /** wp_can_reuse_anon_folio(): the faulting mapping holds the only reference. */
      sole_reference: ({ context }) => context.maps === 1 && context.refs === 0 && context.pins === 0,
      last_pin: ({ context }) => context.pins === 1 && context.refs === 0,
      last_ref: ({ context }) => context.refs === 1 && context.pins === 0,
    },
    actions: {
      map: assign({ maps: ({ context }) => context.maps + 1 }),
      unmap: assign({ maps: ({ context }) => context.maps - 1 }),
      pin: assign({ pins: ({ context }) => context.pins + 1 }),
      unpin: assign({ pins: ({ context }) => context.pins - 1 }),
      get: assign({ refs: ({ context }) => context.refs + 1 }),
      put: assign({ refs: ({ context }) => context.refs - 1 }),
      /** Fork gives the child its own copy; this page, its mapping and its pins stay as they were. */
      copy_for_child: () => {},
      /** The kernel declines the operation; nothing about the page changes. */
      refuse: () => {},
    },
  }).createMachine({
    id: "page",
    initial: "free",
    context: { maps: 0, pins: 0, refs: 0 },
    states: {
      free: {
        description: "The frame is free; the first write fault will allocate it.",
        on: { FAULT_WRITE: { target: "exclusive", actions: "map" } },
      },
      exclusive: {
        description: "Mapped, PG_anon_exclusive, not maybe-DMA-pinned.",
        on: {
          PIN: { target: "pinned", actions: "pin" },
          GET: { guard: "ref_room", actions: "get" },
          PUT: { guard: "has_ref", actions: "put" },
          // A FOLL_GET reference does not make the page look pinned: fork shares it.
          FORK: { guard: "map_room", target: "shared", actions: "map" },
          UNMAP: [
            { guard: "has_ref", target: "held", actions: "unmap" },
            { target: "freed", actions: "unmap" },
          ],
          RECLAIM: { target: "swapped", actions: "unmap" },
        },
      },
      pinned: {
        description: "Mapped exclusive and maybe-DMA-pinned.",
        on: {
          PIN: { guard: "pin_room", actions: "pin" },
          UNPIN: [
            { guard: "more_pins", actions: "unpin" },
            { target: "exclusive", actions: "unpin" },
          ],
          GET: { guard: "ref_room", actions: "get" },
          PUT: { guard: "has_ref", actions: "put" },
          FORK: { actions: "copy_for_child" },
          // The pins keep the page: it is never freed while pinned.
          UNMAP: { target: "held", actions: "unmap" },
          RECLAIM: { actions: "refuse" },
        },
      },
      shared: {
        description: "Mapped copy-on-write (not PG_anon_exclusive), never pinned.",
        on: {
          GET: { guard: "ref_room", actions: "get" },
          PUT: { guard: "has_ref", actions: "put" },
          FORK: { guard: "map_room", actions: "map" },
          // The writer reuses the page only if it holds the sole reference; otherwise it gets a copy.
          WRITE_FAULT_COW: [{ guard: "sole_reference", target: "exclusive" }, ...copied_away],
          // A pin needs an exclusive page: reuse and pin it, or unshare into a copy and pin that.
          PIN: [{ guard: "sole_reference", target: "pinned", actions: "pin" }, ...copied_away],
          UNMAP: [
            { guard: "other_mappers", actions: "unmap" },
            { guard: "has_ref", target: "held", actions: "unmap" },
            { target: "freed", actions: "unmap" },
          ],
        },
      },
      held: {
        description: "Unmapped, kept alive only by pins or FOLL_GET references.",
        on: {
          UNPIN: [
            { guard: "last_pin", target: "freed", actions: "unpin" },
            { guard: "has_pin", actions: "unpin" },
          ],
          PUT: [
            { guard: "last_ref", target: "freed", actions: "put" },
            { guard: "has_ref", actions: "put" },
          ],
        },
      },
      swapped: {
        description: "Unmapped behind a swap PTE: in the swap cache (while referenced) or out on the device.",
        on: {
          SWAP_IN: { target: "exclusive", actions: "map" },
          PUT: { guard: "has_ref", actions: "put" },
        },
      },
      freed: { type: "final", description: "Returned to the allocator." },
    },
  });
}

export const page_machine = make_page_machine();

/**
 * Which page: its frame and the frame's generation when identified (so that a freed and
 * reallocated frame is told apart), and the user virtual page it was first mapped at.
 */
export interface PageId {
  pfn: number;
  gen: number;
  vpn: number;
}

export const page_id = (w: World, pfn: number, addr: number): PageId =>
  ({ pfn, gen: w.mem.gen[pfn], vpn: Math.floor(addr / PAGE_SIZE) });

const none: PageContext = { maps: 0, pins: 0, refs: 0 };

/**
 * The page's machine state, read from the world: the frame's counts and flags, and for a page
 * that is gone, whether a swap PTE still stands for it. A situation the machine has no state for
 * reads as a value and context it never reaches (e.g. "shared" with pins).
 */
export function page_state(w: World, id: PageId): { value: PageValue; context: PageContext } {
  const m = w.mem;
  const alive = m.head[id.pfn] === id.pfn && m.gen[id.pfn] === id.gen;
  if (!alive) {
    const swap_pte = w.mms.some((mm) => mm.swap.has(id.vpn));
    if (swap_pte) return { value: "swapped", context: none };
    return { value: m.gen[id.pfn] === id.gen ? "free" : "freed", context: none };
  }
  // A small folio: each pin adds GUP_PIN_COUNTING_BIAS to the refcount; the rest are the
  // mappings', the swap cache's and FOLL_GET references.
  const refcount = m.refcount[id.pfn];
  const maps = m.mapcount[id.pfn];
  const swapcache = folio_test(w, id.pfn, PG_swapcache) ? 1 : 0;
  const pins = Math.floor(refcount / GUP_PIN_COUNTING_BIAS);
  const refs = (refcount % GUP_PIN_COUNTING_BIAS) - maps - swapcache;
  const context = { maps, pins, refs };
  const exclusive = (m.flags[id.pfn] & PG_anon_exclusive) !== 0;
  if (maps === 0) return { value: swapcache ? "swapped" : "held", context };
  if (pins > 0 && exclusive) return { value: "pinned", context };
  return { value: exclusive ? "exclusive" : "shared", context };
}
