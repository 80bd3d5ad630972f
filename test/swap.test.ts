// Anonymous reclaim through the swap cache, swap-in, and their interaction with pins and fork
// (mm/vmscan.c, mm/rmap.c, mm/swapfile.c, mm/memory.c do_swap_page).
import { describe, expect, it } from "vitest";
import {
  boot, exit_mmap, FOLL_WRITE, follow_pte, fork_mm, madvise_pageout, mm_alloc, mmap_anon, munmap, pin_user_pages_fast,
  PG_anon_exclusive, pipe_create, pipe_release, PG_swapcache, PROT_READ, PROT_WRITE, unpin_user_page, user_access,
  vmsplice_to_pipe,
} from "../src/kernel/index.js";

function setup() {
  const w = boot();
  w.current = mm_alloc(w);
  const mm = w.mms[w.current];
  const addr = mmap_anon(w, mm, 4096, PROT_READ | PROT_WRITE);
  user_access(w, mm, addr, new Uint8Array(4096).fill(7), true);
  const page = follow_pte(mm, addr)!.pfn;
  return { w, mm, addr, page };
}

const read1 = (w: ReturnType<typeof boot>, mm: ReturnType<typeof setup>["mm"], addr: number) => {
  const b = new Uint8Array(1);
  user_access(w, mm, addr, b, false);
  return b[0];
};

describe("swap", () => {
  it("swaps an exclusive page out and back in with its bytes, exclusive and writable", () => {
    const { w, mm, addr, page } = setup();
    expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["reclaimed"]);
    expect(follow_pte(mm, addr)).toBeUndefined();
    const swp = mm.swap.get(addr / 4096)!;
    expect(swp.exclusive).toBe(true);
    expect(w.swap.slots.get(swp.slot)!.bytes![0]).toBe(7);
    expect(w.mem.head[page]).toBe(-1);

    expect(read1(w, mm, addr)).toBe(7); // swap-in from the device
    const pte = follow_pte(mm, addr)!;
    expect(pte.write).toBe(true);
    expect(w.mem.flags[pte.pfn] & PG_anon_exclusive).toBeTruthy();
    expect(w.mem.flags[pte.pfn] & PG_swapcache).toBeTruthy(); // a read fault keeps the swap cache copy
    expect(w.events).toEqual([]);
  });

  it("never puts a pinned page into the swap cache (feb889fb40fa)", () => {
    const { w, mm, addr, page } = setup();
    const pages = [-1];
    expect(pin_user_pages_fast(w, addr, 1, FOLL_WRITE, pages)).toBe(1);
    expect(pages).toEqual([page]);
    expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["pinned"]);
    expect(follow_pte(mm, addr)!.pfn).toBe(page);
    expect(w.mem.flags[page] & PG_swapcache).toBe(0);
    expect(w.swap.slots.size).toBe(0);
    unpin_user_page(w, page);
    expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["reclaimed"]);
  });

  it("a page shared by fork swaps out from both and COW still separates parent and child", () => {
    const { w, mm, addr } = setup();
    const child = w.mms[fork_mm(w, w.current)];
    expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["reclaimed"]);
    const slot = mm.swap.get(addr / 4096)!.slot;
    expect(child.swap.get(addr / 4096)).toEqual({ slot, exclusive: false });
    expect(w.swap.slots.get(slot)!.count).toBe(2);

    user_access(w, mm, addr, new Uint8Array(1).fill(0xff), true); // parent writes: swap-in, then COW
    expect(read1(w, child, addr)).toBe(7);
    expect(read1(w, mm, addr)).toBe(0xff);
    expect(follow_pte(mm, addr)!.pfn).not.toBe(follow_pte(child, addr)!.pfn);
    expect(w.events).toEqual([]);
  });

  it("fork of a swapped-out exclusive page shares the slot and clears the exclusive bit", () => {
    const { w, mm, addr } = setup();
    madvise_pageout(w, mm, addr, 4096);
    const child = w.mms[fork_mm(w, w.current)];
    const slot = mm.swap.get(addr / 4096)!.slot;
    expect(mm.swap.get(addr / 4096)!.exclusive).toBe(false);
    expect(w.swap.slots.get(slot)!.count).toBe(2);
    user_access(w, child, addr, new Uint8Array(1).fill(1), true);
    expect(read1(w, mm, addr)).toBe(7);
    expect(read1(w, child, addr)).toBe(1);
  });

  it("a read swap-in of a shared swap entry maps the folio R/O: the reader's later write is COWed", () => {
    const { w, mm, addr } = setup();
    madvise_pageout(w, mm, addr, 4096);
    const child = w.mms[fork_mm(w, w.current)];
    expect(read1(w, child, addr)).toBe(7); // swap-in from the device into the swap cache, not exclusive
    expect(follow_pte(child, addr)!.write).toBe(false);
    user_access(w, child, addr, new Uint8Array(1).fill(1), true);
    expect(read1(w, child, addr)).toBe(1);
    expect(read1(w, mm, addr)).toBe(7); // the parent swaps in the cached folio, unmodified
    expect(w.events).toEqual([]);
  });

  it("an unmapped swap-cache folio held by a pipe leaves the swap cache with its last swap PTE (free_swap_and_cache)", () => {
    const { w, mm, addr } = setup();
    madvise_pageout(w, mm, addr, 4096);
    const parent = w.current;
    const child = fork_mm(w, parent);
    // The child swaps the page in (read, via vmsplice) and unmaps it: the parent's swap PTE keeps the slot.
    w.current = child;
    const pipe = pipe_create();
    expect(vmsplice_to_pipe(w, pipe, [{ iov_base: addr, iov_len: 4096 }])).toBe(4096);
    const folio = w.mms[child].ptes.get(addr / 4096)!.pfn;
    exit_mmap(w, w.mms[child]);
    expect(w.mem.flags[folio] & PG_swapcache).toBeTruthy();
    // The parent's swap PTE goes: __try_to_reclaim_swap(TTRS_UNMAPPED) frees the unmapped folio's slot.
    w.current = parent;
    expect(munmap(w, mm, addr, 4096)).toBe(0);
    expect(w.swap.slots.size).toBe(0);
    expect(w.swap.cache.size).toBe(0);
    expect(w.mem.flags[folio] & PG_swapcache).toBe(0);
    pipe_release(w, pipe);
    expect(w.mem.head[folio]).toBe(-1);
    expect(w.events).toEqual([]);
  });
});
