// tools/testing/selftests/mm/cow.c (COW tests, David Hildenbrand, Red Hat), transcribed onto the
// simulated kernel. A process is an mm in the world; fork() is fork_mm(); the test's pipes that
// make parent and child take turns become the order of the statements; each ksft_test_result
// becomes an expect() carrying the kernel test's message.
//
// Transcribed: every anon_test_cases entry "with base page", "with swapped out base page" (swapped
// out with MADV_PAGEOUT through the swap cache, mm/vmscan.c), "with PTE-mapped THP", "with single
// PTE of THP" and "with partially shared THP" (16 KiB, 64 KiB and 2 MiB folios, populated by
// do_anonymous_folio()), and every non_anon_test_cases entry with the shared zeropage, memfd and
// tmpfile. After each case everything is released again and every count must be back at its
// baseline, with no WARN/BUG recorded (and, after a swapped-out case, no swap slot or swap-cache
// entry left).
//
// Not transcribed (no counterpart in the simulation):
//  - every *_SWAPOUT THP run ("with swapped-out THP", "with swapped-out, PTE-mapped THP", "with
//    single PTE of swapped-out THP"): the simulation cannot swap out a large folio (shrink_folio()
//    answers "mapped" for a large anonymous folio; the kernel would split it or swap it out whole).
//  - "with THP" (PMD-mapped): no PMD mappings; "with partially mremap()'ed THP": no mremap().
//  - "with hugetlb", "with memfd hugetlb", "with huge zeropage": no hugetlb, no huge zeropage.
//  - anon_thp_test_cases (MADV_COLLAPSE): no khugepaged/collapse.
// clear_softdirty() (the io_uring R/O and "R/O-mapped exclusive" cases) is emulated by
// mprotect_ro_softdirty_rw() below: the simulation's PTEs have no soft-dirty bit.
import { describe, expect, it } from "vitest";
import type { World } from "../src/kernel/index.js";
import {
  boot, do_anonymous_folio, exit_mmap, fallocate, file_read_iter, file_write_iter, folio_order, follow_pte, fork_mm,
  GUP_PIN_COUNTING_BIAS, io_buffer_unmap, io_import_fixed, io_sqe_buffer_register, iov_iter_ubuf, madvise_dontfork,
  madvise_dontneed, madvise_pageout, MAP_PRIVATE, MAP_SHARED, memfd_create, mm_alloc, mmap_anon, mmap_file, mprotect, munmap,
  page_folio, PAGE_SIZE, PG_anon_exclusive, pipe_create, pipe_read, pipe_release, PROT_READ, PROT_WRITE, READ, set_pte,
  tmpfile, vmsplice_to_pipe, WRITE, ZERO_PFN,
} from "../src/kernel/index.js";
import type { Baseline } from "./helpers/selftests_mm.js";
import {
  baseline, expect_released, GupTest, memcmp, PIN_LONGTERM_TEST_FLAG_USE_FAST, uread, umemset,
} from "./helpers/selftests_mm.js";

const pagesize = PAGE_SIZE;

/** One run of a test function: the world, the parent process, its memory. */
interface Ctx {
  w: World;
  parent: number;
  mem: number;
  size: number;
}

const mm_of = (c: Ctx, id: number) => c.w.mms[id];

/** malloc(size) in process id: fresh private anonymous memory. */
function malloc(c: Ctx, id: number, size: number): number {
  const a = mmap_anon(c.w, c.w.mms[id], size, PROT_READ | PROT_WRITE);
  expect(a).toBeGreaterThan(0);
  return a;
}

/** mprotect(PROT_READ) then mprotect(PROT_READ|PROT_WRITE), as the tests' "mprotect() optimization". */
function mprotect_ro_rw(c: Ctx, id: number): void {
  expect(mprotect(c.w, mm_of(c, id), c.mem, c.size, PROT_READ), "mprotect() failed").toBe(0);
  expect(mprotect(c.w, mm_of(c, id), c.mem, c.size, PROT_READ | PROT_WRITE), "mprotect() failed").toBe(0);
}

/**
 * mprotect(PROT_READ); clear_softdirty(); mprotect(PROT_READ|PROT_WRITE): "Map the page R/O into
 * the page table. Enable softdirty tracking to stop the page from getting mapped R/W immediately
 * again by mprotect() optimizations." clear_refs 4 (fs/proc/task_mmu.c clear_soft_dirty()) leaves
 * every PTE write-protected and soft-dirty-clean, and then mm/mprotect.c can_change_pte_writable()
 * refuses the upgrade (pte_needs_soft_dirty_wp()). The simulation has no soft-dirty bit, so its
 * mprotect() upgrades the exclusive page; the PTEs that clear_refs cleaned are write-protected
 * again afterwards, which is the state the kernel ends in.
 */
function mprotect_ro_softdirty_rw(c: Ctx, id: number): void {
  const mm = mm_of(c, id);
  expect(mprotect(c.w, mm, c.mem, c.size, PROT_READ), "mprotect() failed").toBe(0);
  const cleaned: number[] = [];
  for (let a = c.mem; a < c.mem + c.size; a += pagesize) if (follow_pte(mm, a)) cleaned.push(a);
  expect(mprotect(c.w, mm, c.mem, c.size, PROT_READ | PROT_WRITE), "mprotect() failed").toBe(0);
  for (const a of cleaned) set_pte(mm, a, { ...follow_pte(mm, a)!, write: false });
}

/** The child exits: its address space (and with it its files, see the callers) goes. */
function child_exit(c: Ctx, child: number): void {
  exit_mmap(c.w, mm_of(c, child));
}

// ---- do_test_cow_in_parent() with child_memcmp_fn / child_vmsplice_memcmp_fn ----

function do_test_cow_in_parent(c: Ctx, do_mprotect: boolean, vmsplice_in_child: boolean): void {
  const { w, parent, mem, size } = c;
  const child = fork_mm(w, parent);

  // child: back up the original content (and for vmsplice, R/O-"pin" it in a pipe and unmap it).
  w.current = child;
  const old = uread(w, child, mem, size);
  const pipe = pipe_create();
  let transferred = 0;
  let newbuf = 0;
  if (vmsplice_in_child) {
    newbuf = malloc(c, child, size);
    transferred = vmsplice_to_pipe(w, pipe, [{ iov_base: mem, iov_len: size }]);
    expect(transferred, "vmsplice() in the child").toBeGreaterThan(0);
    expect(munmap(w, mm_of(c, child), mem, size), "munmap() in the child").toBe(0);
  }

  // parent: optionally R/O then R/W again, then modify the page.
  w.current = parent;
  if (do_mprotect) mprotect_ro_rw(c, parent);
  expect(umemset(w, parent, mem, 0xff, size)).toBe(0);

  // child: see if we still read the old values (via the pipe for vmsplice).
  w.current = child;
  let now: Uint8Array;
  if (vmsplice_in_child) {
    for (let total = 0, cur = 0; total < transferred; total += cur) {
      cur = pipe_read(w, pipe, iov_iter_ubuf(w, READ, newbuf + total, transferred - total));
      expect(cur, "read() from the pipe").toBeGreaterThan(0);
    }
    now = uread(w, child, newbuf, transferred);
    pipe_release(w, pipe);
  } else {
    now = uread(w, child, mem, size);
  }
  child_exit(c, child);
  w.current = parent;
  expect(memcmp(now, old.subarray(0, now.length)), "No leak from parent into child").toBe(-1);
  expect(uread(w, parent, mem, size).every((b) => b === 0xff), "the parent sees its own write").toBe(true);
}

// ---- do_test_vmsplice_in_parent() ----

function do_test_vmsplice_in_parent(c: Ctx, before_fork: boolean): void {
  const { w, parent, mem, size } = c;
  w.current = parent;
  const old = uread(w, parent, mem, size);
  const newbuf = malloc(c, parent, size);
  const pipe = pipe_create();
  const iov = [{ iov_base: mem, iov_len: size }];
  let transferred = 0;
  if (before_fork) {
    transferred = vmsplice_to_pipe(w, pipe, iov);
    expect(transferred, "vmsplice() failed").toBeGreaterThan(0);
  }
  const child = fork_mm(w, parent);
  if (!before_fork) {
    transferred = vmsplice_to_pipe(w, pipe, iov);
    expect(transferred, "vmsplice() failed").toBeGreaterThan(0);
  }
  // child is ready; the parent unmaps, then lets the child modify the page content and exit.
  expect(munmap(w, mm_of(c, parent), mem, size), "munmap() failed").toBe(0);
  w.current = child;
  expect(umemset(w, child, mem, 0xff, size)).toBe(0);
  child_exit(c, child);

  // parent: see if we still read the old values.
  w.current = parent;
  for (let total = 0, cur = 0; total < transferred; total += cur) {
    cur = pipe_read(w, pipe, iov_iter_ubuf(w, READ, newbuf + total, transferred - total));
    expect(cur, "read() failed").toBeGreaterThan(0);
  }
  const now = uread(w, parent, newbuf, transferred);
  pipe_release(w, pipe);
  expect(memcmp(now, old.subarray(0, transferred)), "No leak from child into parent").toBe(-1);
}

// ---- do_test_iouring() ----

function do_test_iouring(c: Ctx, use_fork: boolean): void {
  const { w, parent, mem, size } = c;
  w.current = parent;
  const fd = tmpfile(w);
  const tmp = malloc(c, parent, size);

  // Register the range as a fixed buffer: FOLL_WRITE | FOLL_PIN | FOLL_LONGTERM.
  const imu = io_sqe_buffer_register(w, mem, size);
  if (typeof imu === "number") throw new Error(`io_uring_register_buffers() failed: ${imu}`);

  let child = -1;
  if (use_fork) {
    // fork() and keep the child alive until we're done; the pinned page must not be shared.
    child = fork_mm(w, parent);
  } else {
    // Map the page R/O into the page table.
    mprotect_ro_softdirty_rw(c, parent);
  }

  // Modify the page and write the content as observed by the fixed buffer pin to the file.
  expect(umemset(w, parent, mem, 0xff, size)).toBe(0);
  const from = io_import_fixed(w, WRITE, imu, mem, size);
  if (typeof from === "number") throw new Error(`io_import_fixed() failed: ${from}`);
  expect(file_write_iter(w, fd, from, 0), "write_fixed failed").toBe(size);

  // Read back the file content to the temporary buffer.
  for (let total = 0, cur = 0; total < size; total += cur) {
    cur = file_read_iter(w, fd, iov_iter_ubuf(w, READ, tmp + total, size - total), total);
    expect(cur, "pread() failed").toBeGreaterThan(0);
  }
  expect(memcmp(uread(w, parent, mem, size), uread(w, parent, tmp, size)), "Longterm R/W pin is reliable").toBe(-1);

  if (use_fork) child_exit(c, child);
  io_buffer_unmap(w, imu); // io_uring_unregister_buffers()
}

// ---- do_test_ro_pin() ----

enum ro_pin_test {
  RO_PIN_TEST,
  RO_PIN_TEST_SHARED,
  RO_PIN_TEST_PREVIOUSLY_SHARED,
  RO_PIN_TEST_RO_EXCLUSIVE,
}

function do_test_ro_pin(c: Ctx, test: ro_pin_test, fast: boolean): void {
  const { w, parent, mem, size } = c;
  w.current = parent;
  const tmp = malloc(c, parent, size);
  let child = -1;
  switch (test) {
    case ro_pin_test.RO_PIN_TEST:
      break;
    case ro_pin_test.RO_PIN_TEST_SHARED:
    case ro_pin_test.RO_PIN_TEST_PREVIOUSLY_SHARED:
      // Share the pages with our child. As the pages are not pinned, this should just work.
      child = fork_mm(w, parent);
      if (test === ro_pin_test.RO_PIN_TEST_PREVIOUSLY_SHARED) {
        // The child quits: the pages stay mapped R/O in our page tables but are no longer shared.
        child_exit(c, child);
        child = -1;
      }
      break;
    case ro_pin_test.RO_PIN_TEST_RO_EXCLUSIVE:
      // Map the page R/O into the page table.
      mprotect_ro_softdirty_rw(c, parent);
      break;
  }

  // Take a R/O pin. This should trigger unsharing.
  const gup = new GupTest();
  expect(gup.start(w, mem, size, fast ? PIN_LONGTERM_TEST_FLAG_USE_FAST : 0), "PIN_LONGTERM_TEST_START failed").toBe(0);

  // Modify the page, then read back the content via the pin.
  expect(umemset(w, parent, mem, 0xff, size)).toBe(0);
  expect(gup.read(w, tmp), "PIN_LONGTERM_TEST_READ failed").toBe(0);
  expect(memcmp(uread(w, parent, mem, size), uread(w, parent, tmp, size)), "Longterm R/O pin is reliable").toBe(-1);
  gup.stop(w);

  if (child >= 0) child_exit(c, child);
}

// ---- the test tables ----

type test_fn = (c: Ctx) => void;

// The kernel test's verdicts.
const LEAK_P2C = "No leak from parent into child";
const LEAK_C2P = "No leak from child into parent";
const RW_PIN = "Longterm R/W pin is reliable";
const RO_PIN = "Longterm R/O pin is reliable";

/** anon_test_cases[]: description, what passing means, the test. */
const anon_test_cases: [string, string, test_fn][] = [
  ["Basic COW after fork()", LEAK_P2C, (c) => do_test_cow_in_parent(c, false, false)],
  ["Basic COW after fork() with mprotect() optimization", LEAK_P2C, (c) => do_test_cow_in_parent(c, true, false)],
  ["vmsplice() + unmap in child", LEAK_P2C, (c) => do_test_cow_in_parent(c, false, true)],
  ["vmsplice() + unmap in child with mprotect() optimization", LEAK_P2C, (c) => do_test_cow_in_parent(c, true, true)],
  ["vmsplice() before fork(), unmap in parent after fork()", LEAK_C2P, (c) => do_test_vmsplice_in_parent(c, true)],
  ["vmsplice() + unmap in parent after fork()", LEAK_C2P, (c) => do_test_vmsplice_in_parent(c, false)],
  ["R/O-mapping a page registered as iouring fixed buffer", RW_PIN, (c) => do_test_iouring(c, false)],
  ["fork() with an iouring fixed buffer", RW_PIN, (c) => do_test_iouring(c, true)],
  ["R/O GUP pin on R/O-mapped shared page", RO_PIN, (c) => do_test_ro_pin(c, ro_pin_test.RO_PIN_TEST_SHARED, false)],
  ["R/O GUP-fast pin on R/O-mapped shared page", RO_PIN, (c) => do_test_ro_pin(c, ro_pin_test.RO_PIN_TEST_SHARED, true)],
  ["R/O GUP pin on R/O-mapped previously-shared page", RO_PIN, (c) => do_test_ro_pin(c, ro_pin_test.RO_PIN_TEST_PREVIOUSLY_SHARED, false)],
  ["R/O GUP-fast pin on R/O-mapped previously-shared page", RO_PIN, (c) => do_test_ro_pin(c, ro_pin_test.RO_PIN_TEST_PREVIOUSLY_SHARED, true)],
  ["R/O GUP pin on R/O-mapped exclusive page", RO_PIN, (c) => do_test_ro_pin(c, ro_pin_test.RO_PIN_TEST_RO_EXCLUSIVE, false)],
  ["R/O GUP-fast pin on R/O-mapped exclusive page", RO_PIN, (c) => do_test_ro_pin(c, ro_pin_test.RO_PIN_TEST_RO_EXCLUSIVE, true)],
];

/** A booted world with one process, and the baseline before the case allocates anything. */
function start(): { w: World; parent: number; base: Baseline } {
  const w = boot();
  const parent = mm_alloc(w);
  w.current = parent;
  return { w, parent, base: baseline(w) };
}

/**
 * do_run_with_base_page(fn, swapout): run_with_base_page() and run_with_base_page_swap(). The
 * MADV_NOHUGEPAGE is implied: a write fault without do_anonymous_folio() populates a base page.
 */
function do_run_with_base_page(fn: test_fn, swapout: boolean): void {
  const { w, parent, base } = start();
  const mm = w.mms[parent];
  const mem = mmap_anon(w, mm, pagesize, PROT_READ | PROT_WRITE);
  expect(mem).toBeGreaterThan(0);
  // Populate a base page.
  expect(umemset(w, parent, mem, 1, pagesize)).toBe(0);
  if (swapout) {
    madvise_pageout(w, mm, mem, pagesize);
    // pagemap_is_swapped(): cow.c skips ("MADV_PAGEOUT did not work, is swap enabled?"); the
    // simulation always has swap, so the page must have gone out.
    expect(follow_pte(mm, mem), "MADV_PAGEOUT did not work: the PTE is still present").toBeUndefined();
    expect(mm.swap.has(mem / pagesize), "MADV_PAGEOUT did not work: no swap PTE").toBe(true);
  }
  fn({ w, parent, mem, size: pagesize });
  expect(munmap(w, mm, mem, pagesize)).toBe(0);
  exit_mmap(w, mm); // the process's own heap (malloc()ed buffers)
  expect_released(w, base);
  if (swapout) {
    expect(w.swap.slots.size, "swap slots left behind").toBe(0);
    expect(w.swap.cache.size, "swap cache entries left behind").toBe(0);
  }
}

enum thp_run {
  THP_RUN_PTE,
  THP_RUN_SINGLE_PTE,
  THP_RUN_PARTIAL_SHARED,
}

/**
 * do_run_with_thp() for the PTE-mapped runs. The THP is populated by the first write fault with
 * the size's mTHP order enabled ("always"), do_anonymous_folio(); a PMD-sized one is PTE-mapped
 * from the start (the simulation has no PMD mappings), so the THP_RUN_PTE mprotect() dance is a
 * no-op there as for smaller sizes.
 */
function do_run_with_thp(fn: test_fn, run: thp_run, thpsize: number): void {
  const { w, parent, base } = start();
  const mm = w.mms[parent];
  const order = Math.log2(thpsize / pagesize);
  // For alignment purposes, we need twice the thp size.
  const mmap_size = 2 * thpsize;
  const mmap_mem = mmap_anon(w, mm, mmap_size, PROT_READ | PROT_WRITE);
  expect(mmap_mem).toBeGreaterThan(0);
  const mem = mmap_mem + thpsize - ((mmap_mem + thpsize) % thpsize);

  // Try to populate a THP: touch the first sub-page, and test that the last one got populated.
  expect(do_anonymous_folio(w, mm, mem, order)).toBe(0);
  expect(umemset(w, parent, mem, 1, 1)).toBe(0);
  expect(follow_pte(mm, mem + thpsize - pagesize), "Did not get a THP populated").toBeDefined();
  expect(umemset(w, parent, mem, 1, thpsize)).toBe(0);
  const folio = page_folio(w, follow_pte(mm, mem)!.pfn);
  expect(folio_order(w, folio)).toBe(order);

  let size = thpsize;
  switch (run) {
    case thp_run.THP_RUN_PTE:
      // Trigger PTE-mapping the THP by temporarily mapping a single subpage R/O.
      expect(mprotect(w, mm, mem + pagesize, pagesize, PROT_READ), "mprotect() failed").toBe(0);
      expect(mprotect(w, mm, mem + pagesize, pagesize, PROT_READ | PROT_WRITE), "mprotect() failed").toBe(0);
      break;
    case thp_run.THP_RUN_SINGLE_PTE:
      // Discard all but a single subpage of that PTE-mapped THP.
      expect(madvise_dontneed(w, mm, mem + pagesize, thpsize - pagesize), "MADV_DONTNEED failed").toBe(0);
      size = pagesize;
      break;
    case thp_run.THP_RUN_PARTIAL_SHARED: {
      // Share the first page of the THP with a child and quit the child.
      expect(madvise_dontfork(mm, mem + pagesize, thpsize - pagesize, true), "MADV_DONTFORK failed").toBe(0);
      const child = fork_mm(w, parent);
      exit_mmap(w, w.mms[child]);
      expect(madvise_dontfork(mm, mem + pagesize, thpsize - pagesize, false), "MADV_DOFORK failed").toBe(0);
      break;
    }
  }
  for (let a = mem; a < mem + size; a += pagesize) {
    expect(page_folio(w, follow_pte(mm, a)!.pfn), "still PTE-mapped from the one THP").toBe(folio);
  }

  fn({ w, parent, mem, size });
  expect(munmap(w, mm, mmap_mem, mmap_size)).toBe(0);
  exit_mmap(w, mm);
  expect_released(w, base);
}

/** The THP sizes run: 16 KiB and 64 KiB mTHP, and the PMD size (PTE-mapped here). */
const thpsizes = [16 * 1024, 64 * 1024, 2 * 1024 * 1024];

describe("selftests/mm/cow.c: anonymous memory tests in private mappings", () => {
  for (const [desc, verdict, fn] of anon_test_cases) {
    it(`${desc} ... with base page: ${verdict}`, () => do_run_with_base_page(fn, false));
    it(`${desc} ... with swapped out base page: ${verdict}`, () => do_run_with_base_page(fn, true));
    for (const thpsize of thpsizes) {
      const kb = thpsize / 1024;
      it(`${desc} ... with PTE-mapped THP (${kb} kB): ${verdict}`, () => do_run_with_thp(fn, thp_run.THP_RUN_PTE, thpsize));
      it(`${desc} ... with single PTE of THP (${kb} kB): ${verdict}`, () => do_run_with_thp(fn, thp_run.THP_RUN_SINGLE_PTE, thpsize));
      it(`${desc} ... with partially shared THP (${kb} kB): ${verdict}`, () => do_run_with_thp(fn, thp_run.THP_RUN_PARTIAL_SHARED, thpsize));
    }
  }

  // Not a cow.c case: the large-folio accounting the THP runs above rely on.
  it("a PTE-mapped THP: one reference and mapcount per PTE, per-page pins in _pincount, pinned pages copied at fork", () => {
    const thpsize = 64 * 1024;
    const nr = thpsize / pagesize;
    do_run_with_thp((c) => {
      const { w, parent, mem } = c;
      const mm = w.mms[parent];
      const folio = page_folio(w, follow_pte(mm, mem)!.pfn);
      expect(w.mem.refcount[folio]).toBe(nr);
      for (let k = 0; k < nr; k++) {
        expect(w.mem.mapcount[folio + k]).toBe(1);
        expect(w.mem.flags[folio + k] & PG_anon_exclusive).toBe(PG_anon_exclusive);
      }
      const imu = io_sqe_buffer_register(w, mem, thpsize);
      if (typeof imu === "number") throw new Error(`io_sqe_buffer_register: ${imu}`);
      // mm/gup.c try_grab_folio(): a large folio counts pins in _pincount, one reference each.
      expect(w.mem.pincount[folio]).toBe(nr);
      expect(w.mem.refcount[folio]).toBe(2 * nr);
      expect(w.mem.refcount[folio]).toBeLessThan(GUP_PIN_COUNTING_BIAS);
      // mm/memory.c copy_present_ptes(): every exclusive page of a maybe-pinned folio is copied.
      const child = fork_mm(w, parent);
      for (let k = 0; k < nr; k++) {
        const a = mem + k * pagesize;
        expect(follow_pte(mm, a)!.pfn).toBe(folio + k);
        expect(follow_pte(mm, a)!.write).toBe(true);
        expect(page_folio(w, follow_pte(w.mms[child], a)!.pfn)).not.toBe(folio);
      }
      expect(w.mem.refcount[folio]).toBe(2 * nr);
      exit_mmap(w, w.mms[child]);
      io_buffer_unmap(w, imu);
      expect(w.mem.pincount[folio]).toBe(0);
      expect(w.mem.refcount[folio]).toBe(nr);
    }, thp_run.THP_RUN_PTE, thpsize);
  });
});

// ---- non-anonymous memory ----

type non_anon_test_fn = (c: Ctx, smem: number) => void;

/** test_cow() */
function test_cow(c: Ctx, smem: number): void {
  const { w, parent, mem, size } = c;
  const old = uread(w, parent, smem, size);
  expect(umemset(w, parent, mem, 0xff, size)).toBe(0);
  expect(memcmp(uread(w, parent, smem, size), old), "Other mapping not modified").toBe(-1);
}

const non_anon_test_cases: [string, string, non_anon_test_fn][] = [
  ["Basic COW", "Other mapping not modified", test_cow],
  ["R/O longterm GUP pin", RO_PIN, (c) => do_test_ro_pin(c, ro_pin_test.RO_PIN_TEST, false)],
  ["R/O longterm GUP-fast pin", RO_PIN, (c) => do_test_ro_pin(c, ro_pin_test.RO_PIN_TEST, true)],
];

/** mem and smem are mapped; fault them in by reading, run fn, unmap, and check the baseline. */
function run_non_anon(w: World, parent: number, base: Baseline, mem: number, smem: number, fn: non_anon_test_fn): number[] {
  expect(mem).toBeGreaterThan(0);
  expect(smem).toBeGreaterThan(0);
  // Read from the pages to populate them (tmp = *mem + *smem).
  uread(w, parent, mem, 1);
  uread(w, parent, smem, 1);
  const mapped = [follow_pte(w.mms[parent], mem)!.pfn, follow_pte(w.mms[parent], smem)!.pfn];
  fn({ w, parent, mem, size: pagesize }, smem);
  expect(munmap(w, w.mms[parent], mem, pagesize)).toBe(0);
  expect(munmap(w, w.mms[parent], smem, pagesize)).toBe(0);
  exit_mmap(w, w.mms[parent]);
  expect_released(w, base);
  return mapped;
}

function run_with_zeropage(fn: non_anon_test_fn): void {
  const { w, parent, base } = start();
  const mem = mmap_anon(w, w.mms[parent], pagesize, PROT_READ | PROT_WRITE);
  const smem = mmap_anon(w, w.mms[parent], pagesize, PROT_READ);
  const mapped = run_non_anon(w, parent, base, mem, smem, fn);
  expect(mapped, "the reads mapped the shared zeropage").toEqual([ZERO_PFN, ZERO_PFN]);
}

function run_with_file(fn: non_anon_test_fn, create: (w: World) => number): void {
  const w = boot();
  const parent = mm_alloc(w);
  w.current = parent;
  const fd = create(w);
  // File consists of a single page filled with zeroes.
  expect(fallocate(w, fd, pagesize), "fallocate() failed").toBe(0);
  const base = baseline(w);
  // A private mapping of the file, and a R/O shared one to observe the page cache.
  const mem = mmap_file(w, w.mms[parent], fd, pagesize, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  const smem = mmap_file(w, w.mms[parent], fd, pagesize, PROT_READ, MAP_SHARED);
  const mapped = run_non_anon(w, parent, base, mem, smem, fn);
  expect(mapped[0], "both mappings fault in the same page-cache page").toBe(mapped[1]);
  expect(mapped[0]).not.toBe(ZERO_PFN);
}

describe("selftests/mm/cow.c: non-anonymous memory tests in private mappings", () => {
  for (const [desc, verdict, fn] of non_anon_test_cases) {
    it(`${desc} ... with shared zeropage: ${verdict}`, () => run_with_zeropage(fn));
    it(`${desc} ... with memfd: ${verdict}`, () => run_with_file(fn, memfd_create));
    it(`${desc} ... with tmpfile: ${verdict}`, () => run_with_file(fn, (w) => tmpfile(w)));
  }
});
