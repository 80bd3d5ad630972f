// include/linux/mm_types.h (struct page, struct folio), include/linux/page-flags.h and
// mm/page_alloc.c: the physical page frames, their per-page and per-folio counters and flags,
// and a deterministic allocator (lowest naturally aligned free range first). The frames' bytes
// are a world part of their own (page_data.ts): most steps that write bytes change no counter.
import { PAGE_OFFSET, PAGE_SIZE } from "../include/page.js";
import type { World } from "../world.js";

// Page flags (include/linux/page-flags.h names; the bit values are the simulation's own).
export const PG_locked = 1 << 0;
export const PG_dirty = 1 << 1;
export const PG_lru = 1 << 2;
export const PG_slab = 1 << 3;
export const PG_anon = 1 << 4; // folio->mapping has PAGE_MAPPING_ANON
export const PG_anon_exclusive = 1 << 5;
export const PG_writeback = 1 << 6;
export const PG_swapcache = 1 << 7;
export const PG_reserved = 1 << 8;
export const PG_head = 1 << 9;
export const PG_uptodate = 1 << 10;

/** Bytes per frame across MemMap's arrays: eight 4-byte fields and the order byte. */
const FRAME_BYTES = 33;

/** ZERO_PAGE(0): frame 0 is the shared zero page, allocated at boot and never freed. */
export const ZERO_PFN = 0;

/**
 * Every frame's struct page, as parallel typed arrays so a world clone is a few memcpys. The
 * arrays are views of one ArrayBuffer (4-byte fields first, then order), so that a clone copies
 * and allocates one buffer, not nine: clones are what the explorer makes most of.
 */
export class MemMap {
  /** page->_refcount (meaningful on a folio's head page). */
  refcount!: Int32Array;
  /** folio->_pincount (head page of a large folio). */
  pincount!: Int32Array;
  /** Number of page-table entries mapping this page. */
  mapcount!: Int32Array;
  flags!: Uint32Array;
  /** compound_head(): the head frame of the folio holding this frame; -1 while the frame is free. */
  head!: Int32Array;
  /** Incremented each time the frame is freed, so a stale page pointer can be told apart. */
  gen!: Uint32Array;
  /** folio->mapping for page-cache folios: the inode number; -1 otherwise (anon: PG_anon). */
  mapping!: Int32Array;
  /** folio->index: page offset in the file (page cache) or the swap slot (swap cache). */
  index!: Int32Array;
  /** folio_order() of the folio whose head this is. */
  order!: Uint8Array;

  private constructor(buf: ArrayBuffer, frames: number) {
    this.view(buf, frames);
  }

  get nr_frames(): number {
    return this.head.length;
  }

  clone(): MemMap {
    return new MemMap((this.head.buffer as ArrayBuffer).slice(0), this.nr_frames);
  }

  /** Point the arrays into buf, which holds `frames` frames. */
  private view(buf: ArrayBuffer, n: number): void {
    this.refcount = new Int32Array(buf, 0, n);
    this.pincount = new Int32Array(buf, 4 * n, n);
    this.mapcount = new Int32Array(buf, 8 * n, n);
    this.flags = new Uint32Array(buf, 12 * n, n);
    this.head = new Int32Array(buf, 16 * n, n);
    this.gen = new Uint32Array(buf, 20 * n, n);
    this.mapping = new Int32Array(buf, 24 * n, n);
    this.index = new Int32Array(buf, 28 * n, n);
    this.order = new Uint8Array(buf, 32 * n, n);
  }

  grow(frames: number): void {
    const n = this.nr_frames;
    if (frames <= n) return;
    // Small to start with and doubled as needed: every state holds a copy of the table.
    const size = Math.max(frames, n * 2, 16);
    const old = { ...this };
    this.view(new ArrayBuffer(size * FRAME_BYTES), size);
    this.head.fill(-1);
    this.mapping.fill(-1);
    this.refcount.set(old.refcount);
    this.pincount.set(old.pincount);
    this.mapcount.set(old.mapcount);
    this.flags.set(old.flags);
    this.head.set(old.head);
    this.gen.set(old.gen);
    this.mapping.set(old.mapping);
    this.index.set(old.index);
    this.order.set(old.order);
  }

  static boot(): MemMap {
    const m = new MemMap(new ArrayBuffer(0), 0);
    m.grow(16);
    m.head[ZERO_PFN] = ZERO_PFN;
    m.flags[ZERO_PFN] = PG_reserved;
    m.refcount[ZERO_PFN] = 1;
    return m;
  }
}

export const page_address = (pfn: number): number => PAGE_OFFSET + pfn * PAGE_SIZE;

/** alloc_pages(): the lowest free, naturally aligned run of 2^order frames; refcount 1. */
export function alloc_pages(mm: MemMap, order: number, flags = 0): number {
  const nr = 1 << order;
  for (let pfn = nr; ; pfn += nr) {
    if (pfn + nr > mm.nr_frames) mm.grow(pfn + nr);
    let free = true;
    for (let k = 0; k < nr && free; k++) free = mm.head[pfn + k] < 0;
    if (!free) continue;
    for (let k = 0; k < nr; k++) {
      mm.head[pfn + k] = pfn;
      mm.flags[pfn + k] = 0;
      mm.mapcount[pfn + k] = 0;
      mm.refcount[pfn + k] = 0;
    }
    mm.refcount[pfn] = 1;
    mm.pincount[pfn] = 0;
    mm.mapping[pfn] = -1;
    mm.index[pfn] = 0;
    mm.order[pfn] = order;
    mm.flags[pfn] = flags | (order > 0 ? PG_head : 0);
    return pfn;
  }
}

/** __free_pages() of a whole folio: the frames return to the allocator and lose their bytes. */
export function free_frames(w: World, folio: number): void {
  const mm = w.mem;
  const nr = 1 << mm.order[folio];
  for (let k = 0; k < nr; k++) {
    const pfn = folio + k;
    mm.head[pfn] = -1;
    mm.flags[pfn] = 0;
    mm.refcount[pfn] = 0;
    mm.mapcount[pfn] = 0;
    mm.gen[pfn]++;
    if (w.data_for_read.has(pfn)) w.data.discard(pfn);
  }
  mm.pincount[folio] = 0;
  mm.order[folio] = 0;
  mm.mapping[folio] = -1;
}
