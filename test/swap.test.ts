// Anonymous reclaim through the swap cache, swap-in, and their interaction with pins and fork
// (mm/vmscan.c, mm/rmap.c, mm/swapfile.c, mm/memory.c do_swap_page).
import { describe, expect, it } from "vitest";
import {
  boot, config_for, do_anonymous_folio, exit_mmap, FAULT_FLAG_WRITE, folio_free_swap, folio_order, FOLL_FORCE, FOLL_WRITE, follow_pte, fork_mm, get_user_pages_fast, madvise_pageout,
  mm_alloc, mmap_anon, mprotect, handle_mm_fault, munmap, PG_anon_exclusive, PG_dirty, PG_swapcache, PG_writeback, pin_user_pages,
  pin_user_pages_fast, pipe_create, pipe_release, PROT_READ, PROT_WRITE, put_page, shrink_folio, unpin_user_page, user_access,
  vmsplice_to_pipe,
} from "../src/kernel/index.js";
import { pfn_at } from "./helpers/proc.js";

function setup(era = "current") {
  const w = boot(config_for(undefined, era));
  w.current = mm_alloc(w);
  const mm = w.mms[w.current];
  const addr = mmap_anon(w, mm, 4096, PROT_READ | PROT_WRITE);
  user_access(w, mm, addr, new Uint8Array(4096).fill(7), true);
  const page = pfn_at(mm, addr);
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

  it("a CPU write through the writable, clean PTE of a read swap-in dirties it, so the next swap-out writes the slot again", () => {
    const { w, mm, addr } = setup();
    madvise_pageout(w, mm, addr, 4096);
    expect(read1(w, mm, addr)).toBe(7);
    expect(follow_pte(mm, addr)).toMatchObject({ write: true, dirty: false });
    user_access(w, mm, addr, new Uint8Array(1).fill(9), true); // no fault: the MMU sets the dirty bit
    expect(follow_pte(mm, addr)).toMatchObject({ write: true, dirty: true });
    expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["reclaimed"]);
    expect(read1(w, mm, addr)).toBe(9);
    // A write fault on a writable PTE sets the dirty bit too (handle_pte_fault()). No simulated
    // caller takes one (GUP follows a writable PTE, the CPU's access sets the bit itself), so
    // handle_mm_fault() is called directly, as a spurious fault would reach it.
    expect(follow_pte(mm, addr)!.dirty).toBe(false);
    handle_mm_fault(w, mm, addr, FAULT_FLAG_WRITE);
    expect(follow_pte(mm, addr)).toMatchObject({ write: true, dirty: true });
    expect(w.events).toEqual([]);
  });

  it("never puts a pinned page into the swap cache (feb889fb40fa)", () => {
    const { w, mm, addr, page } = setup();
    const pages = [-1];
    expect(pin_user_pages_fast(w, addr, 1, FOLL_WRITE, pages)).toBe(1);
    expect(pages).toEqual([page]);
    expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["pinned"]);
    expect(pfn_at(mm, addr)).toBe(page);
    expect(w.mem.flags[page] & PG_swapcache).toBe(0);
    expect(w.swap.slots.size).toBe(0);
    unpin_user_page(w, page);
    expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["reclaimed"]);
  });

  it("MADV_PAGEOUT leaves a page a fork shares alone; kswapd swaps it out from both and COW still separates parent and child", () => {
    const { w, mm, addr, page } = setup();
    const child = w.mms[fork_mm(w, w.current)];
    expect(madvise_pageout(w, mm, addr, 4096)).toEqual([]); // mapcount 2: "do not interfere with other mappings"
    expect(pfn_at(mm, addr)).toBe(page);
    expect(shrink_folio(w, page)).toBe("reclaimed");
    const slot = mm.swap.get(addr / 4096)!.slot;
    expect(child.swap.get(addr / 4096)).toEqual({ slot, exclusive: false });
    expect(w.swap.slots.get(slot)!.count).toBe(2);

    user_access(w, mm, addr, new Uint8Array(1).fill(0xff), true); // parent writes: swap-in, then COW
    expect(read1(w, child, addr)).toBe(7);
    expect(read1(w, mm, addr)).toBe(0xff);
    expect(pfn_at(mm, addr)).not.toBe(pfn_at(child, addr));
    expect(w.events).toEqual([]);
  });

  it("pageout() writes nothing while another reference is held: the page stays dirty in the swap cache", () => {
    const { w, mm, addr, page } = setup();
    const pages = [-1];
    expect(get_user_pages_fast(w, addr, 1, FOLL_WRITE, pages)).toBe(1); // a FOLL_GET holder
    expect(shrink_folio(w, page)).toBe("referenced");
    const slot = mm.swap.get(addr / 4096)!.slot;
    expect(w.swap.slots.get(slot)!.bytes).toBeNull(); // is_page_cache_freeable() said no: PAGE_KEEP
    expect(w.mem.flags[page] & (PG_swapcache | PG_dirty)).toBe(PG_swapcache | PG_dirty);
    w.data.write(page)[0] = 0x42; // the holder writes through its reference, then lets go
    put_page(w, page);
    expect(shrink_folio(w, page)).toBe("reclaimed"); // now written, with the holder's byte
    expect(w.swap.slots.get(slot)!.bytes![0]).toBe(0x42);
    expect(read1(w, mm, addr)).toBe(0x42);
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
    expect(w.mem.flags[folio] & PG_dirty).toBe(0); // the slot holds its bytes
    // Under writeback to swap it stays in the swap cache (folio_swapcache_freeable()).
    w.mem.flags[folio] |= PG_writeback;
    expect(folio_free_swap(w, folio)).toBe(false);
    w.mem.flags[folio] &= ~PG_writeback;
    // The parent's swap PTE goes: __try_to_reclaim_swap(TTRS_UNMAPPED) frees the unmapped folio's slot.
    w.current = parent;
    expect(munmap(w, mm, addr, 4096)).toBe(0);
    expect(w.swap.slots.size).toBe(0);
    expect(w.swap.cache.size).toBe(0);
    expect(w.mem.flags[folio] & PG_swapcache).toBe(0);
    expect(w.mem.flags[folio] & PG_dirty).toBeTruthy(); // out of the swap cache, the folio is the data's only copy
    pipe_release(w, pipe);
    expect(w.mem.head[folio]).toBe(-1);
    expect(w.events).toEqual([]);
  });

  describe("before v6.0: no PG_anon_exclusive, no exclusive bit in swap PTEs", () => {
    it.each(["pre-pin", "5.9-5.18"])("%s: a swap-in read fault maps the page read-only; the write fault then reuses it", (era) => {
      const { w, mm, addr } = setup(era);
      expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["reclaimed"]);
      expect(mm.swap.get(addr / 4096)!.exclusive).toBe(false);
      expect(read1(w, mm, addr)).toBe(7);
      const page = pfn_at(mm, addr);
      expect(follow_pte(mm, addr)!.write).toBe(false); // from 6.0 the exclusive swap PTE maps it writable at once
      user_access(w, mm, addr, new Uint8Array(1).fill(9), true);
      expect(follow_pte(mm, addr)).toMatchObject({ pfn: page, write: true, dirty: true });
      expect(w.mem.flags[page] & PG_swapcache).toBe(0);
      expect(w.swap.slots.size).toBe(0);
      expect(w.events).toEqual([]);
    });

    it("pre-pin: a write fault on a large folio's page mapped once still copies while another of its pages is shared (page_trans_huge_map_swapcount)", () => {
      const w = boot(config_for(undefined, "pre-pin"));
      w.current = mm_alloc(w);
      const mm = w.mms[w.current];
      const addr = mmap_anon(w, mm, 4 * 4096, PROT_READ | PROT_WRITE);
      expect(do_anonymous_folio(w, mm, addr, 2)).toBe(0);
      const folio = pfn_at(mm, addr);
      const child = w.mms[fork_mm(w, w.current)];
      expect(munmap(w, child, addr, 4096)).toBe(0); // page 0 mapped once, pages 1-3 twice
      user_access(w, mm, addr, new Uint8Array(1).fill(9), true);
      expect(pfn_at(mm, addr)).not.toBe(folio);
      expect(w.data.read(folio)[0]).toBe(0);
      expect(w.events).toEqual([]);
    });

    it("a large folio is not faulted in over a swap PTE (pte_range_none): the fault falls back to one page", () => {
      const { w, mm } = setup();
      const map = mmap_anon(w, mm, 8 * 4096, PROT_READ | PROT_WRITE);
      const addr = Math.ceil(map / (4 * 4096)) * 4 * 4096; // naturally aligned for order 2
      user_access(w, mm, addr + 4096, new Uint8Array(1).fill(5), true);
      expect(madvise_pageout(w, mm, addr + 4096, 4096)).toEqual(["reclaimed"]);
      expect(do_anonymous_folio(w, mm, addr, 2)).toBe(0);
      expect(folio_order(w, pfn_at(mm, addr))).toBe(0);
      expect(follow_pte(mm, addr + 4096)).toBeUndefined();
      expect(mm.swap.has((addr + 4096) / 4096)).toBe(true);
      expect(read1(w, mm, addr + 4096)).toBe(5);
      expect(w.events).toEqual([]);
    });

    it.each(["pre-pin", "5.9-5.18"])("%s: a write swap-in reuses the page when its swap PTE is the slot's only user (reuse_swap_page)", (era) => {
      const { w, mm, addr } = setup(era);
      madvise_pageout(w, mm, addr, 4096);
      user_access(w, mm, addr, new Uint8Array(1).fill(9), true); // swap-in from the device
      const pte = follow_pte(mm, addr)!;
      expect(pte).toMatchObject({ write: true, dirty: true });
      expect(w.mem.flags[pte.pfn] & PG_swapcache).toBe(0); // reuse_swap_page() took it out of the swap cache
      expect(w.mem.refcount[pte.pfn]).toBe(1);
      expect(w.swap.slots.size).toBe(0);
      expect(read1(w, mm, addr)).toBe(9);
    });

    it.each(["pre-pin", "5.9-5.18"])("%s: a write swap-in of a slot a forked child's swap PTE still uses copies the page (reuse_swap_page says no)", (era) => {
      const { w, mm, addr } = setup(era);
      const child = w.mms[fork_mm(w, w.current)];
      expect(shrink_folio(w, pfn_at(mm, addr))).toBe("reclaimed"); // both PTEs become swap PTEs of one slot
      user_access(w, mm, addr, new Uint8Array(1).fill(9), true);
      const cached = w.swap.cache.get(child.swap.get(addr / 4096)!.slot)!;
      const pte = follow_pte(mm, addr)!;
      expect(pte.pfn).not.toBe(cached); // the parent writes a copy; the swap-cache page stays the child's
      expect(pte).toMatchObject({ write: true, dirty: true });
      expect(w.data.read(cached)[0]).toBe(7);
      w.current = child.id;
      expect(read1(w, child, addr)).toBe(7);
      expect(w.events).toEqual([]);
    });

    it("5.9-5.18: a write swap-in reuses a cached page a pipe still references (reuse_swap_page counts only mappings and swap PTEs; do_wp_page would copy it)", () => {
      const { w, mm, addr, page } = setup("5.9-5.18");
      const pipe = pipe_create();
      expect(vmsplice_to_pipe(w, pipe, [{ iov_base: addr, iov_len: 4096 }])).toBe(4096);
      expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["referenced"]); // unmapped, kept in the swap cache
      expect(follow_pte(mm, addr)).toBeUndefined();
      user_access(w, mm, addr, new Uint8Array(1).fill(9), true);
      expect(follow_pte(mm, addr)).toMatchObject({ pfn: page, write: true, dirty: true });
      pipe_release(w, pipe);
      expect(w.events).toEqual([]);
    });

    it("6.0-6.10: a read swap-in maps an exclusive page R/O and the write after reuses it dirty (c18160dba5ff maps it writable at once)", () => {
      const { w, mm, addr } = setup("6.0-6.4");
      madvise_pageout(w, mm, addr, 4096);
      expect(read1(w, mm, addr)).toBe(7);
      const page = pfn_at(mm, addr);
      expect(follow_pte(mm, addr)).toMatchObject({ write: false, dirty: false });
      expect(w.mem.flags[page] & PG_anon_exclusive).toBeTruthy();
      user_access(w, mm, addr, new Uint8Array(1).fill(9), true); // do_wp_page(): exclusive, reused
      expect(follow_pte(mm, addr)).toMatchObject({ pfn: page, write: true, dirty: true });
      expect(w.events).toEqual([]);
    });

    it("before v5.11 (feb889fb40fa) reclaim puts a pinned page into the swap cache and unmaps it; the next write swaps the same page back in", () => {
      const old = setup("pre-pin");
      const pages = [-1];
      expect(pin_user_pages_fast(old.w, old.addr, 1, FOLL_WRITE, pages)).toBe(1);
      expect(madvise_pageout(old.w, old.mm, old.addr, 4096)).toEqual(["pinned"]);
      expect(follow_pte(old.mm, old.addr)).toBeUndefined();
      expect(old.w.mem.flags[old.page] & PG_swapcache).toBeTruthy();
      user_access(old.w, old.mm, old.addr, new Uint8Array(1).fill(9), true);
      expect(pfn_at(old.mm, old.addr)).toBe(old.page);
      expect(old.w.data.read(old.page)[0]).toBe(9);

      const fixed = setup("5.9-5.18");
      expect(pin_user_pages_fast(fixed.w, fixed.addr, 1, FOLL_WRITE, pages)).toBe(1);
      expect(madvise_pageout(fixed.w, fixed.mm, fixed.addr, 4096)).toEqual(["pinned"]);
      expect(pfn_at(fixed.mm, fixed.addr)).toBe(fixed.page);
      expect(fixed.w.mem.flags[fixed.page] & PG_swapcache).toBe(0);
    });

    it("reclaim unmaps a pinned page already in the swap cache before 6.0, and leaves its PTE from 6.0 (folio_try_share_anon_rmap_pte)", () => {
      const pinned_then_reclaimed = (era: string) => {
        const { w, mm, addr } = setup(era);
        madvise_pageout(w, mm, addr, 4096);
        expect(read1(w, mm, addr)).toBe(7); // back in, still in the swap cache
        const page = pfn_at(mm, addr);
        const pages = [-1];
        expect(pin_user_pages_fast(w, addr, 1, 0, pages)).toBe(1); // R/O pin of the swap-cache page
        expect(pages).toEqual([page]);
        expect(madvise_pageout(w, mm, addr, 4096)).toEqual(["pinned"]);
        return { w, mm, addr, page };
      };
      const now = pinned_then_reclaimed("6.0-6.4");
      expect(pfn_at(now.mm, now.addr)).toBe(now.page);

      const old = pinned_then_reclaimed("5.9-5.18");
      expect(follow_pte(old.mm, old.addr)).toBeUndefined();
      expect(old.mm.swap.get(old.addr / 4096)!.exclusive).toBe(false);
      // The next write swaps the cached, pinned page back in and reuses it: the pin still sees what the process writes.
      user_access(old.w, old.mm, old.addr, new Uint8Array(1).fill(9), true);
      expect(pfn_at(old.mm, old.addr)).toBe(old.page);
      expect(old.w.data.read(old.page)[0]).toBe(9);
      expect(old.w.events).toEqual([]);
    });
  });

  it.each(["pre-pin", "5.9-5.18", "6.0-6.4", "current"])(
    "%s: a FOLL_FORCE write pin of a read-only private mapping pins the page its COW fault made (FOLL_COW before 6.0)",
    (era) => {
      const { w, mm, addr } = setup(era);
      const child = w.mms[fork_mm(w, w.current)];
      expect(mprotect(w, mm, addr, 4096, PROT_READ)).toBe(0);
      const pages = [-1];
      expect(pin_user_pages(w, addr, 1, FOLL_WRITE, pages)).toBe(-14); // -EFAULT without FOLL_FORCE
      expect(pin_user_pages(w, addr, 1, FOLL_WRITE | FOLL_FORCE, pages)).toBe(1);
      const pte = follow_pte(mm, addr)!;
      expect(pages).toEqual([pte.pfn]);
      expect(pte).toMatchObject({ write: false, dirty: true });
      expect(pte.pfn).not.toBe(pfn_at(child, addr));
      // A not yet faulted page: the fault maps it clean and read-only. Since 6.0 GUP follows that
      // PTE of an exclusive page as it is; before, only a dirty one once FOLL_COW was set, so a
      // second forced write fault dirtied it.
      const fresh = mmap_anon(w, mm, 4096, PROT_READ);
      expect(handle_mm_fault(w, mm, fresh, FAULT_FLAG_WRITE)).toBe(0);
      const faulted = follow_pte(mm, fresh)!;
      expect(faulted).toMatchObject({ write: false, dirty: false });
      expect(pin_user_pages(w, fresh, 1, FOLL_WRITE | FOLL_FORCE, pages)).toBe(1);
      expect(follow_pte(mm, fresh)).toEqual({ ...faulted, dirty: !w.config.anon_exclusive });
      expect(pages[0]).toBe(faulted.pfn);
      expect(w.events).toEqual([]);
    },
  );
});
