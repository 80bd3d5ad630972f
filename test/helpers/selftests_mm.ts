// Shared fixtures for the transcriptions of tools/testing/selftests/mm/cow.c and gup_longterm.c:
// a process's CPU accesses (memset/memcpy through the page tables), the gup_test debugfs
// device's PIN_LONGTERM_TEST_* ioctls (mm/gup_test.c), and the after-the-case check that every
// reference and pin taken during a case was given back.
import { expect } from "vitest";
import type { World } from "../../src/kernel/index.js";
import {
  current_mm, EFAULT, EINVAL, FOLL_LONGTERM, FOLL_WRITE, page_folio, PAGE_SIZE, pin_user_pages, pin_user_pages_fast,
  unpin_user_pages, user_access, xa_load,
} from "../../src/kernel/index.js";

/** memset(mem, c, size) run by the CPU in process `id`; returns the bytes it could not write. */
export function umemset(w: World, id: number, addr: number, c: number, size: number): number {
  return user_access(w, w.mms[id], addr, new Uint8Array(size).fill(c), true);
}

/** memcpy(buf, mem, size) run by the CPU in process `id` (the test's backup copies, memcmp). */
export function uread(w: World, id: number, addr: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  expect(user_access(w, w.mms[id], addr, out, false), `read of ${addr.toString(16)} faulted`).toBe(0);
  return out;
}

/** memcmp() as a test wants it: -1 when equal, else the first differing offset (toEqual on MiBs is slow). */
export function memcmp(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

// tools/testing/selftests/mm/../../../../mm/gup_test.h
export const PIN_LONGTERM_TEST_FLAG_USE_WRITE = 1;
export const PIN_LONGTERM_TEST_FLAG_USE_FAST = 2;

/**
 * mm/gup_test.c's PIN_LONGTERM_TEST_START / _READ / _STOP on current->mm: a long-term
 * FOLL_PIN of [addr, addr + size) kept across ioctls, read back through the pinned pages.
 */
export class GupTest {
  pages: number[] | null = null;
  nr_pages = 0;

  /** pin_longterm_test_start(): 0 or -errno. */
  start(w: World, addr: number, size: number, flags: number): number {
    if (this.pages) return -EINVAL;
    if (flags & ~(PIN_LONGTERM_TEST_FLAG_USE_WRITE | PIN_LONGTERM_TEST_FLAG_USE_FAST)) return -EINVAL;
    if ((addr | size) % PAGE_SIZE) return -EINVAL;
    const nr_pages = size / PAGE_SIZE;
    if (!nr_pages) return -EINVAL;
    const gup_flags = FOLL_LONGTERM | (flags & PIN_LONGTERM_TEST_FLAG_USE_WRITE ? FOLL_WRITE : 0);
    const fast = (flags & PIN_LONGTERM_TEST_FLAG_USE_FAST) !== 0;
    this.pages = new Array<number>(nr_pages).fill(-1);
    this.nr_pages = 0;
    while (nr_pages - this.nr_pages) {
      const remaining = nr_pages - this.nr_pages;
      const at = addr + this.nr_pages * PAGE_SIZE;
      const out = new Array<number>(remaining).fill(-1);
      const cur = fast ? pin_user_pages_fast(w, at, remaining, gup_flags, out) : pin_user_pages(w, at, remaining, gup_flags, out);
      if (cur < 0) {
        this.stop(w);
        return cur;
      }
      // The kernel would spin on 0 pinned pages; the simulation reports it instead.
      expect(cur, "pin_user_pages*() pinned nothing and returned no error").toBeGreaterThan(0);
      for (let k = 0; k < cur; k++) this.pages[this.nr_pages + k] = out[k];
      this.nr_pages += cur;
    }
    return 0;
  }

  /** pin_longterm_test_read(): copy_to_user() of every pinned page's bytes (kmap_local_page). */
  read(w: World, user_addr: number): number {
    if (!this.pages) return -EINVAL;
    const mm = current_mm(w)!;
    for (let i = 0; i < this.nr_pages; i++) {
      const bytes = w.data.read(this.pages[i]).slice();
      if (user_access(w, mm, user_addr + i * PAGE_SIZE, bytes, true)) return -EFAULT;
    }
    return 0;
  }

  /** pin_longterm_test_stop() */
  stop(w: World): void {
    if (this.pages && this.nr_pages) unpin_user_pages(w, this.pages, this.nr_pages);
    this.pages = null;
    this.nr_pages = 0;
  }
}

/** The struct page counters before a case. */
export interface Baseline {
  refcount: Int32Array;
  pincount: Int32Array;
  mapcount: Int32Array;
  head: Int32Array;
}

export function baseline(w: World): Baseline {
  return {
    refcount: w.mem.refcount.slice(),
    pincount: w.mem.pincount.slice(),
    mapcount: w.mem.mapcount.slice(),
    head: w.mem.head.slice(),
  };
}

/**
 * After a case has released everything (unpin, pipe release, munmap/exit_mmap): every frame
 * that was in use before has its old counts, every frame allocated since is free again or is a
 * page-cache folio held by nothing but the page cache; pins taken == pins released; and the
 * kernel recorded no WARN or BUG.
 */
export function expect_released(w: World, base: Baseline): void {
  const bad: string[] = [];
  for (let pfn = 0; pfn < w.mem.nr_frames; pfn++) {
    const was = pfn < base.head.length && base.head[pfn] >= 0;
    const counts = `ref ${w.mem.refcount[pfn]} pin ${w.mem.pincount[pfn]} map ${w.mem.mapcount[pfn]}`;
    if (was) {
      if (w.mem.head[pfn] !== base.head[pfn] || w.mem.refcount[pfn] !== base.refcount[pfn] ||
        w.mem.pincount[pfn] !== base.pincount[pfn] || w.mem.mapcount[pfn] !== base.mapcount[pfn]) {
        bad.push(`pfn ${pfn}: ${counts}, was ref ${base.refcount[pfn]} pin ${base.pincount[pfn]} map ${base.mapcount[pfn]}`);
      }
      continue;
    }
    if (w.mem.head[pfn] < 0 || w.mem.head[pfn] !== pfn) continue;
    const ino = w.mem.mapping[pfn];
    const e = ino >= 0 ? xa_load(w.inodes[ino].i_pages, w.mem.index[pfn]) : undefined;
    const cached = e !== undefined && "folio" in e && e.folio === pfn;
    if (!cached || w.mem.refcount[pfn] !== 1 || w.mem.pincount[pfn] !== 0 || w.mem.mapcount[pfn] !== 0) {
      bad.push(`pfn ${pfn} (folio ${page_folio(w, pfn)}) still allocated: ${counts}${cached ? " (page cache)" : ""}`);
    }
  }
  expect(bad, "references or pins left behind").toEqual([]);
  expect(w.vmstat.nr_foll_pin_released, "nr_foll_pin_released == nr_foll_pin_acquired").toBe(w.vmstat.nr_foll_pin_acquired);
  expect(w.events, "no WARN/BUG").toEqual([]);
}
