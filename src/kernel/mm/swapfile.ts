// mm/swapfile.c and mm/swap_state.c: a swap device that holds bytes, its slot counts
// (swap_map: how many swap PTEs refer to a slot) and the swap cache (slot -> folio, holding one
// folio reference).
import type { World } from "../world.js";
import { folio_mapped, folio_mark_dirty, folio_put } from "./folio.js";
import { PG_swapcache, PG_writeback } from "./mem_map.js";

export interface SwapSlot {
  /** What pageout wrote; null until then. Never modified, only replaced. */
  bytes: Uint8Array | null;
  /** swap_map[slot]: swap PTEs referring to the slot. */
  count: number;
}

export interface SwapState {
  slots: Map<number, SwapSlot>;
  /** The swap cache: slot -> folio. */
  cache: Map<number, number>;
  next_slot: number;
}

export const empty_swap_state = (): SwapState => ({ slots: new Map(), cache: new Map(), next_slot: 1 });

export const clone_swap_state = (s: SwapState): SwapState => ({
  slots: new Map([...s.slots].map(([k, v]) => [k, { ...v }])),
  cache: new Map(s.cache),
  next_slot: s.next_slot,
});

/** A swap PTE: a non-present entry naming a slot, with the pte_swp_exclusive() bit. */
export interface SwapPte {
  readonly slot: number;
  readonly exclusive: boolean;
}

/** add_to_swap(): give the folio a slot and put it in the swap cache (one more reference). */
export function add_to_swap(w: World, folio: number): number {
  const slot = w.swap.next_slot++;
  w.swap.slots.set(slot, { bytes: null, count: 0 });
  w.swap.cache.set(slot, folio);
  w.mem.flags[folio] |= PG_swapcache;
  w.mem.index[folio] = slot;
  w.mem.refcount[folio] += 1;
  return slot;
}

/** delete_from_swap_cache(): the cache lets go of the folio and its reference. */
export function delete_from_swap_cache(w: World, folio: number): void {
  const slot = w.mem.index[folio];
  w.swap.cache.delete(slot);
  w.mem.flags[folio] &= ~PG_swapcache;
  if (!w.swap.slots.get(slot)?.count) w.swap.slots.delete(slot);
  folio_put(w, folio);
}

/** swap_duplicate(): one more swap PTE refers to the slot (fork). */
export function swap_duplicate(w: World, slot: number): void {
  w.swap.slots.get(slot)!.count += 1;
}

/**
 * swap_free() (do_swap_page()): one swap PTE less. An unused slot without a swap-cache folio
 * goes; one with a cached folio stays for the fault to decide (should_try_to_free_swap()).
 */
export function swap_free(w: World, slot: number): void {
  const s = w.swap.slots.get(slot)!;
  s.count -= 1;
  if (s.count === 0 && !w.swap.cache.has(slot)) w.swap.slots.delete(slot);
}

/**
 * free_swap_and_cache() (mm/swapfile.c, zap_nonpresent_ptes() in mm/memory.c): swap_free(), and
 * when only the swap cache still uses the slot, __try_to_reclaim_swap(TTRS_UNMAPPED): the cached
 * folio leaves the swap cache if no PTE maps it, whatever other references (a pipe buffer, a pin)
 * it still has. (The kernel's TTRS_FULL also frees it when swap is nearly full; never here.)
 */
export function free_swap_and_cache(w: World, slot: number): void {
  swap_free(w, slot);
  const folio = w.swap.cache.get(slot);
  if (folio !== undefined && !w.swap.slots.get(slot)?.count) free_swap_cache(w, folio);
}

/**
 * folio_free_swap(): drop a swapped-in folio from the swap cache once no swap PTE needs it and
 * it is not being written to swap; it is then the only copy of its data, so it becomes dirty.
 */
export function folio_free_swap(w: World, folio: number): boolean {
  if (!(w.mem.flags[folio] & PG_swapcache) || w.mem.flags[folio] & PG_writeback) return false;
  if (w.swap.slots.get(w.mem.index[folio])?.count) return false;
  delete_from_swap_cache(w, folio);
  folio_mark_dirty(w, folio);
  return true;
}

/**
 * free_swap_cache() (mm/swap_state.c): "If we are the only user, then try to free up the swap
 * cache": a swap-cache folio that no PTE maps any more leaves the swap cache, whatever other
 * references (a pipe buffer, a pin) it still has, unless a swap PTE still names its slot. The
 * kernel calls it when a zap drops the mapping's reference (free_pages_and_swap_cache(), from
 * mm/mmu_gather.c) and when wp_page_copy() has replaced the mapping by a copy; without it an
 * unmapped folio would keep its slot and the cache's reference until reclaim finds it, which the
 * simulation never does.
 */
export function free_swap_cache(w: World, folio: number): void {
  if ((w.mem.flags[folio] & PG_swapcache) && !folio_mapped(w, folio)) folio_free_swap(w, folio);
}
