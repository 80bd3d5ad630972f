// include/linux/folio_queue.h: a doubly linked list of segments, each holding up to
// PAGEVEC_SIZE folios with their orders. The queue only lists folios; whoever builds it keeps
// them alive.
import { PAGE_SIZE } from "../include/page.js";

/** include/linux/pagevec.h */
export const PAGEVEC_SIZE = 31;

export interface folio_queue {
  folios: number[];
  orders: number[];
  next: folio_queue | null;
  prev: folio_queue | null;
  rreq_id: number;
}

export const folioq_init = (rreq_id = 0): folio_queue => ({ folios: [], orders: [], next: null, prev: null, rreq_id });
export const folioq_nr_slots = (_q: folio_queue): number => PAGEVEC_SIZE;
export const folioq_count = (q: folio_queue): number => q.folios.length;
export const folioq_full = (q: folio_queue): boolean => q.folios.length >= PAGEVEC_SIZE;
/** An empty slot reads as NULL (-1). */
export const folioq_folio = (q: folio_queue, slot: number): number => q.folios[slot] ?? -1;
export const folioq_folio_order = (q: folio_queue, slot: number): number => q.orders[slot] ?? 0;
/** Size of the folio in slot, from its order alone: an unfilled slot counts as PAGE_SIZE, as in the kernel. */
export const folioq_folio_size = (q: folio_queue, slot: number): number => PAGE_SIZE << folioq_folio_order(q, slot);

/** folioq_append(): add a folio of the given order; returns its slot. */
export function folioq_append(q: folio_queue, folio: number, order: number): number {
  q.folios.push(folio);
  q.orders.push(order);
  return q.folios.length - 1;
}

/** Build a queue from folios, chaining a new segment whenever one fills (as the kunit test does). */
export function folioq_from(folios: readonly { folio: number; order: number }[]): folio_queue {
  const head = folioq_init();
  let q = head;
  for (const f of folios) {
    if (folioq_full(q)) {
      q.next = folioq_init();
      q.next.prev = q;
      q = q.next;
    }
    folioq_append(q, f.folio, f.order);
  }
  return head;
}
