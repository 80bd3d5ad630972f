// GUP-fast (mm/gup.c gup_fast_fallback()): the lockless walk takes the pages whose PTEs allow the
// access as they stand, without copying any address space; the slow path faults in the rest,
// storing them after the fast ones.
import { describe, expect, it } from "vitest";
import {
  boot, clone_world, FOLL_WRITE, fork_mm, GUP_PIN_COUNTING_BIAS, mm_alloc, mm_flag, MMF_HAS_PINNED,
  mmap_anon, mprotect, munmap, PAGE_SIZE, pin_user_pages_fast, PROT_READ, PROT_WRITE, seal_world, user_access, ZERO_PFN,
} from "../src/kernel/index.js";
import { pfn_at } from "./helpers/proc.js";

/** A sealed world whose current process has `pages` anonymous pages, the first `touched` of them written. */
function setup(pages: number, touched: number) {
  const w = boot();
  w.current = mm_alloc(w);
  const addr = mmap_anon(w, w.mms[w.current], pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
  for (let k = 0; k < touched; k++) user_access(w, w.mms[w.current], addr + k * PAGE_SIZE, Uint8Array.of(k + 1), true);
  const present = Array.from({ length: touched }, (_, k) => pfn_at(w.mms[w.current], addr + k * PAGE_SIZE));
  return { w: seal_world(w), addr, present };
}

describe("GUP-fast", () => {
  it("pins present, writable pages without copying the address space (once MMF_HAS_PINNED is set)", () => {
    const { w, addr, present } = setup(2, 2);
    const first = clone_world(w);
    const pages = [-1, -1];
    expect(pin_user_pages_fast(first, addr, 2, FOLL_WRITE, pages)).toBe(2);
    expect(pages).toEqual(present);
    expect(mm_flag(first.mms[first.current], MMF_HAS_PINNED)).toBe(true);
    expect(mm_flag(w.mms[w.current], MMF_HAS_PINNED)).toBe(false); // written in first's own copy
    // The first pin of the mm writes its flag; the next finds it set and leaves the mm alone.
    const next = clone_world(seal_world(first));
    expect(pin_user_pages_fast(next, addr, 2, FOLL_WRITE, pages)).toBe(2);
    seal_world(next);
    expect(next.inherited_mm(next.current)).toBe(true);
    expect(next.mem.refcount[present[0]]).toBe(1 + 2 * GUP_PIN_COUNTING_BIAS);
  });

  it("checks each VMA it walks into, not only the first: a read pin stops where a PROT_WRITE-only VMA begins", () => {
    const w = boot();
    w.current = mm_alloc(w);
    const mm = w.mms[w.current];
    const addr = mmap_anon(w, mm, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    user_access(w, mm, addr, new Uint8Array(2 * PAGE_SIZE).fill(1), true);
    expect(mprotect(w, mm, addr + PAGE_SIZE, PAGE_SIZE, PROT_WRITE)).toBe(0); // a second VMA, no VM_READ
    const pages = [-1, -1];
    expect(pin_user_pages_fast(w, addr, 2, 0, pages)).toBe(1); // the slow path refuses the second page too
    expect(pages).toEqual([pfn_at(mm, addr), -1]);
  });

  it("leaves a page it cannot take as it stands to the slow path, which stores it after the fast ones", () => {
    const { w, addr, present } = setup(3, 1);
    const c = clone_world(w);
    const pages = [-1, -1, -1];
    expect(pin_user_pages_fast(c, addr, 3, FOLL_WRITE, pages)).toBe(3);
    expect(pages[0]).toBe(present[0]);
    expect(pages.slice(1)).toEqual([1, 2].map((k) => pfn_at(c.mms[c.current], addr + k * PAGE_SIZE)));
    expect(new Set(pages).size).toBe(3);
    expect(pages.every((p) => c.mem.refcount[p] === 1 + GUP_PIN_COUNTING_BIAS)).toBe(true);
    expect(c.vmstat.nr_foll_pin_acquired).toBe(3);
  });

  it("a read pin of an untouched page goes to the slow path, which finds the zero page; so does one of the mapped zero page (pte_special)", () => {
    const { w, addr } = setup(1, 0);
    const c = clone_world(w);
    const pages = [-1];
    expect(pin_user_pages_fast(c, addr, 1, 0, pages)).toBe(1);
    expect(pages).toEqual([ZERO_PFN]);
    expect(pfn_at(c.mms[c.current], addr)).toBe(ZERO_PFN); // mapped now, and MMF_HAS_PINNED set
    // GUP-fast skips the zero page as it stands; the slow path takes it, through the mm's own copy.
    const next = clone_world(seal_world(c));
    expect(pin_user_pages_fast(next, addr, 1, 0, pages)).toBe(1);
    expect(pages).toEqual([ZERO_PFN]);
    seal_world(next);
    expect(next.inherited_mm(next.current)).toBe(false);
  });

  it("reports the pages GUP-fast took when the slow path then fails, for the caller to release", () => {
    const { w, addr, present } = setup(2, 1);
    const c = clone_world(w);
    expect(munmap(c, c.mms[c.current], addr + PAGE_SIZE, PAGE_SIZE)).toBe(0);
    const pages = [-1, -1];
    expect(pin_user_pages_fast(c, addr, 2, FOLL_WRITE, pages)).toBe(1);
    expect(pages).toEqual([present[0], -1]);
    expect(c.mem.refcount[present[0]]).toBe(1 + GUP_PIN_COUNTING_BIAS); // still pinned, for the caller to unpin
    expect(pin_user_pages_fast(c, addr + PAGE_SIZE, 1, FOLL_WRITE, pages)).toBe(-14); // -EFAULT, nothing taken
  });

  it("a PTE fork write-protected sends a FOLL_WRITE pin to the slow path, which breaks COW and pins the copy", () => {
    const { w, addr, present } = setup(1, 1);
    const c = clone_world(w);
    const child = fork_mm(c, c.current);
    const pages = [-1];
    expect(pin_user_pages_fast(c, addr, 1, FOLL_WRITE, pages)).toBe(1);
    expect(pages[0]).not.toBe(present[0]);
    expect(pages).toEqual([pfn_at(c.mms[c.current], addr)]);
    expect(pfn_at(c.mms[child], addr)).toBe(present[0]);
  });
});
