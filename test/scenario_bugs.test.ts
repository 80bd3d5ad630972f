// Five historical-bug switches of issue 6 (kernel-semantics §10 H2, H3, H5 c, H8, H9): the exhaustive
// check that `pincheck check --bug ID` runs finds a violation of exactly the property the BUGS
// entry names, and the current kernel none; then the simulated kernel behaviour each switch
// changes, on its own.
import { describe, expect, it } from "vitest";
import { world_properties } from "../properties/index.js";
import { default_catalog_bounds } from "../src/check/catalog.js";
import { compile_litmus, display_path, litmus_verdicts, load_litmus, SCENARIO_DIR } from "../src/check/litmus.js";
import { scenario_targets } from "../src/check/targets.js";
import { explore } from "../src/check/explore.js";
import { DEFAULT_DEPTH, exhaustive_check } from "../src/check/exhaustive.js";
import type { World } from "../src/kernel/index.js";
import {
  __kernel_read, aio_read, aio_write, blk_dev_run_all, boot, BUGS, config_for, create_file, EFAULT, EIOCBQUEUED,
  EOPNOTSUPP, era_ids, errname, fat_get_block, FOLL_LONGTERM, folio_add_pin, folio_end_writeback, folio_start_writeback, fork_mm,
  GUP_PIN_COUNTING_BIAS,
  init_async_kiocb, io_buffer_unmap, io_read_fixed, io_sqe_buffer_register, iov_iter_ubuf, kmalloc, kread,
  do_anonymous_folio, MAP_SHARED, mm_alloc, mmap_anon, mmap_file, munmap, PAGE_SIZE, pin_user_pages, pipe_create, PROT_READ, PROT_WRITE,
  READ, run_work, unpin_user_page, user_access, vmsplice_to_pipe, WRITE, ZERO_PFN,
} from "../src/kernel/index.js";
import { clone_world, follow_pte, madvise_pageout } from "../src/kernel/index.js";
import { pipe_snapshot, splice_outcome, splice_watch_drain, splice_watch_step, splice_watches } from "../src/check/splice_watch.js";
import { spawn } from "./helpers/proc.js";

const SWITCHES = ["cow-either-way", "direction-confusion", "zero-page-pin-accounting", "longterm-file-write-pins", "bio-release-unaligned"] as const;
const bug = (id: string) => BUGS.find((b) => b.id === id)!;

describe("pincheck check --bug: each switch breaks the property its BUGS entry names", () => {
  it.each([
    ["cow-either-way", "vmsplice-before-fork", 6],
    ["direction-confusion", "pipe-read-direction", 2],
    ["zero-page-pin-accounting", "dio-write-zero-page", 2],
    ["longterm-file-write-pins", "iouring-fixed-vs-writeback", 7],
    ["bio-release-unaligned", "dio-read-unaligned-thp", 3],
  ] as const)("%s: %s, %i steps", { timeout: 240_000 }, (id, target, steps) => {
    const r = exhaustive_check(config_for(id)!, DEFAULT_DEPTH, default_catalog_bounds);
    expect(r.story, `${id} finds nothing`).not.toBeNull();
    expect(r.story!.violation!.property).toBe(bug(id).breaks);
    expect(r.story!.target).toBe(target);
    expect(r.story!.steps).toHaveLength(steps);
  });

  // Not only the scenario written for it: the free catalog finds these two by itself.
  it.each([
    ["cow-either-way", 5],
    ["direction-confusion", 2],
  ] as const)("%s: the catalog alone, %i steps", { timeout: 240_000 }, (id, steps) => {
    const r = exhaustive_check(config_for(id)!, DEFAULT_DEPTH, default_catalog_bounds, undefined, "catalog");
    expect([r.story?.target, r.story?.violation?.property, r.story?.steps.length]).toEqual(["catalog", bug(id).breaks, steps]);
  });

  it("the current kernel: no violation in any target", { timeout: 240_000 }, () => {
    const r = exhaustive_check(config_for()!, DEFAULT_DEPTH, default_catalog_bounds);
    expect(r.story).toBeNull();
    expect(r.runs.map((x) => x.id)).toEqual(expect.arrayContaining(["catalog", "vmsplice-vs-cow", "pipe-read-direction", "dio-write-zero-page", "iouring-fixed-vs-writeback"]));
  });

  it("every switch is a BUGS entry with a title, an era, a reference and a world property", () => {
    const ids = new Set(world_properties.map((p) => p.id));
    for (const id of SWITCHES) {
      const b = bug(id);
      expect(b.title.length && b.era.length && b.reference.length).toBeTruthy();
      expect(ids.has(b.breaks), `${id} breaks ${b.breaks}`).toBe(true);
    }
  });

  it("the scenario of each switch has the bug row and holds in every era", () => {
    const files = { "cow-either-way": "vmsplice-vs-cow", "direction-confusion": "pipe-read-direction", "zero-page-pin-accounting": "dio-write-zero-page", "longterm-file-write-pins": "iouring-fixed-vs-writeback", "bio-release-unaligned": "dio-read-unaligned-thp" };
    for (const [id, name] of Object.entries(files)) {
      const p = `${SCENARIO_DIR}/${name}.json`;
      const rs = litmus_verdicts(compile_litmus(load_litmus(p, display_path(p))));
      expect(rs.find((r) => r.bug === id)?.verdict, name).toMatch(/Sometimes|Always/);
      expect(rs.find((r) => r.era === "current" && !r.bug)?.verdict, name).toBe("Never");
      for (const r of rs) expect(r.match, `${name} ${r.era} ${r.bug ?? ""}`).toBe(true);
    }
  });

  it("the other scenario targets stay quiet under each switch but the one it is about (no collateral findings)", () => {
    // H2's switch also brings back cow.c's vmsplice-before-fork and the swap-in reuse of a
    // vmspliced page; the rest are about other bugs.
    const vmsplice = ["vmsplice-vs-cow", "vmsplice-before-fork", "vmsplice-vs-swap-reuse"];
    const own: Record<string, string[]> = {
      "cow-either-way": vmsplice, "direction-confusion": ["pipe-read-direction", ...vmsplice],
      "zero-page-pin-accounting": ["dio-write-zero-page"], "longterm-file-write-pins": ["iouring-fixed-vs-writeback", "longterm-rw-pin-ext4-shared"],
      "bio-release-unaligned": ["dio-read-unaligned-thp"],
    };
    for (const id of SWITCHES) {
      const targets = scenario_targets(config_for(id)!);
      // The targets it is about are among them, and plenty of others are checked.
      expect(targets.map((t) => t.id)).toEqual(expect.arrayContaining(own[id]));
      expect(targets.length - own[id].length, id).toBeGreaterThan(10);
      for (const t of targets) {
        if (own[id].includes(t.id)) continue;
        const r = explore(t.model, 64);
        expect(r.result, `${id} in ${t.id}: ${r.violation?.message}`).toBe("ok");
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** A process (made current) with an anonymous buffer of `pages` pages filled with 0xaa; returns [mm, buf]. */
function proc(w: World, pages = 1): [number, number] {
  const { id, buf } = spawn(w, pages, 0xaa);
  return [id, buf];
}

function file(w: World, fs: "ext4" | "vfat", pages: number, byte: number): number {
  const ino = create_file(w, fs);
  for (let k = 0; k < pages; k++) w.inodes[ino].disk.set(k, new Uint8Array(PAGE_SIZE).fill(byte + k));
  w.inodes[ino].i_size = pages * PAGE_SIZE;
  return ino;
}

describe("H2 cow-either-way: mapcount-based reuse (reuse_swap_page)", () => {
  function leak(config = config_for()!) {
    const w = boot(config);
    const [p, buf] = proc(w);
    const pipe = pipe_create();
    vmsplice_to_pipe(w, pipe, [{ iov_base: buf, iov_len: PAGE_SIZE / 2 }]);
    const c = fork_mm(w, p);
    user_access(w, w.mms[p], buf, new Uint8Array(16).fill(0xb0), true); // the parent moves to a copy
    user_access(w, w.mms[c], buf, new Uint8Array(16).fill(0xb1), true); // the child is the only mapper left
    const sink = kmalloc(w, PAGE_SIZE);
    const n = __kernel_read(w, pipe, sink, PAGE_SIZE);
    return { w, n, got: kread(w, sink, 16) };
  }

  it("current: the child's write copies the page the pipe references; the pipe keeps the parent's bytes", () => {
    const r = leak();
    expect(r.n).toBe(PAGE_SIZE / 2);
    expect([...r.got]).toEqual(new Array(16).fill(0xaa));
  });

  it("switch: the child, mapping the page once, writes it in place and the pipe delivers its data", () => {
    const r = leak(config_for("cow-either-way")!);
    expect([...r.got]).toEqual(new Array(16).fill(0xb1));
    expect(r.w.events).toEqual([]);
  });

  it("swap entries count as mappings, as in reuse_swap_page(): a swapped-out sharer forces a copy", () => {
    const w = boot(config_for("cow-either-way")!);
    const [p, buf] = proc(w);
    madvise_pageout(w, w.mms[p], buf, PAGE_SIZE);
    const c = fork_mm(w, p); // both hold a swap PTE to the same slot
    user_access(w, w.mms[p], buf, new Uint8Array(16).fill(0xbb), true);
    const parent = follow_pte(w.mms[p], buf)!.pfn;
    // The page the parent swapped in stays in the swap cache for the child's entry; the parent
    // wrote to a copy (reuse would have taken the page out of the swap cache).
    const cached = [...w.swap.cache.values()];
    expect(cached).toHaveLength(1);
    expect(cached[0]).not.toBe(parent);
    user_access(w, w.mms[c], buf, new Uint8Array(1), false); // the child faults the cached page in
    expect(follow_pte(w.mms[c], buf)!.pfn).toBe(cached[0]);
    expect(w.data.read(cached[0])[0]).toBe(0xaa);
    expect(w.events).toEqual([]);
  });
});

describe("H3 direction-confusion: __kernel_read() of a pipe with a WRITE kvec", () => {
  function drain(config = config_for()!) {
    const w = boot(config);
    const [, buf] = proc(w);
    const pipe = pipe_create();
    vmsplice_to_pipe(w, pipe, [{ iov_base: buf, iov_len: PAGE_SIZE / 2 }]);
    const sink = kmalloc(w, PAGE_SIZE);
    return { w, n: __kernel_read(w, pipe, sink, PAGE_SIZE), left: pipe.bufs.length };
  }

  it("current: ITER_DEST, the half page arrives", () => {
    const r = drain();
    expect([r.n, r.left, r.w.events]).toEqual([PAGE_SIZE / 2, 0, []]);
  });

  it("switch: ITER_SOURCE, copy_page_to_iter() WARNs once and copies nothing: -EFAULT, the buffer kept whole", () => {
    const r = drain(config_for("direction-confusion")!);
    expect(r.n).toBe(-EFAULT);
    expect(r.left).toBe(1);
    expect(r.w.events).toEqual([{ kind: "WARN_ON_ONCE", fn: "copy_page_to_iter", what: "i->data_source" }]);
  });
});

describe("H8 zero-page-pin-accounting: fs/direct-io.c and ZERO_PAGE(0)", () => {
  /** A two-page O_DIRECT write to a two-page vfat file, the second source page unmapped or not. */
  function write(config: ReturnType<typeof config_for>, unmap: boolean) {
    const w = boot(config!);
    const [p, buf] = proc(w, 2);
    if (unmap) munmap(w, w.mms[p], buf + PAGE_SIZE, PAGE_SIZE);
    const ino = file(w, "vfat", 2, 0x31);
    const iocb = init_async_kiocb(w, ino, 0);
    const ret = aio_write(w, iocb, iov_iter_ubuf(w, WRITE, buf, 2 * PAGE_SIZE));
    const at_submit = w.events.slice();
    blk_dev_run_all(w);
    while (run_work(w));
    return { w, ret, at_submit, ino, res: w.block.completions.at(-1)!.res };
  }

  it("current: the fault leaves zeros on disk where the second page went, no pin is taken or dropped on the zero page", () => {
    const r = write(config_for(), true);
    expect(errname(r.ret)).toBe("-EIOCBQUEUED");
    expect(r.res).toBe(-EFAULT);
    expect(r.w.events).toEqual([]);
    expect(r.w.inodes[r.ino].disk.get(0)![0]).toBe(0xaa);
    expect([...new Set(r.w.inodes[r.ino].disk.get(1)!)]).toEqual([0]);
    expect(r.w.mem.refcount[ZERO_PFN]).toBe(1);
    const { nr_foll_pin_acquired: a, nr_foll_pin_released: rel, foll_pin_added: added = 0 } = r.w.vmstat;
    expect(a + added).toBe(rel);
  });

  it("current: a write without a fault pins both pages, one extra pin per bio holding them, and releases all", () => {
    const r = write(config_for(), false);
    expect(r.res).toBe(2 * PAGE_SIZE);
    expect(r.w.inodes[r.ino].disk.get(1)![0]).toBe(0xaa);
    expect(r.w.vmstat.foll_pin_added).toBeGreaterThan(0);
    expect(r.w.vmstat.nr_foll_pin_acquired + r.w.vmstat.foll_pin_added!).toBe(r.w.vmstat.nr_foll_pin_released);
  });

  it("switch: unpinning the zero page that was never pinned underflows its refcount on the submitting step", () => {
    const r = write(config_for("zero-page-pin-accounting"), true);
    expect(r.at_submit[0]).toEqual({ kind: "BUG", fn: "unpin_user_page", what: `VM_BUG_ON_FOLIO: refcount 1 - ${GUP_PIN_COUNTING_BIAS} underflows` });
  });

  it("before v6.5 (references): get_page() on the zero page balances the put, no warning", () => {
    for (const era of ["pre-pin", "5.9-5.18", "6.0-6.4"]) {
      const r = write(config_for(undefined, era), true);
      expect(r.w.events, era).toEqual([]);
      expect(r.w.mem.refcount[ZERO_PFN], era).toBe(1);
    }
  });

  it("folio_add_pin() leaves the zero page alone whatever the accounting, and warns when nobody pinned the folio", () => {
    const w = boot(config_for("zero-page-pin-accounting")!);
    folio_add_pin(w, ZERO_PFN);
    expect([w.mem.refcount[ZERO_PFN], w.events]).toEqual([1, []]);
    const [, buf] = proc(w);
    const page = follow_pte(w.mms[w.current], buf)!.pfn;
    folio_add_pin(w, page);
    expect(w.events[0]).toMatchObject({ kind: "WARN_ON_ONCE", fn: "folio_add_pin" });
  });

  it("a two-page O_DIRECT read on vfat lands in the reader's pages and is released in full", () => {
    const w = boot(config_for()!);
    const [p, buf] = proc(w, 2);
    const ino = file(w, "vfat", 2, 0x41);
    const iocb = init_async_kiocb(w, ino, 0);
    expect(aio_read(w, iocb, iov_iter_ubuf(w, READ, buf, 2 * PAGE_SIZE))).toBe(-EIOCBQUEUED);
    blk_dev_run_all(w);
    while (run_work(w));
    expect(w.block.completions.at(-1)!.res).toBe(2 * PAGE_SIZE);
    const back = new Uint8Array(2);
    user_access(w, w.mms[p], buf + PAGE_SIZE - 1, back, false);
    expect([...back]).toEqual([0x41, 0x42]);
    expect(w.events).toEqual([]);
  });

  it("an async read that faults part-way waits for the bio it did submit, then reports the short count", () => {
    for (const era of ["current", "6.0-6.4"]) {
      const w = boot(config_for(undefined, era)!);
      const [p, buf] = proc(w, 2);
      munmap(w, w.mms[p], buf + PAGE_SIZE, PAGE_SIZE);
      const ino = file(w, "vfat", 2, 0x41);
      const iocb = init_async_kiocb(w, ino, 0);
      // Not queued: __blockdev_direct_IO() sleeps in dio_await_completion() until the first page's bio ends.
      expect(aio_read(w, iocb, iov_iter_ubuf(w, READ, buf, 2 * PAGE_SIZE)), era).toBe(PAGE_SIZE);
      expect(w.block.completions, era).toEqual([{ iocb: iocb.id, res: PAGE_SIZE }]);
      expect(w.block.in_flight, era).toEqual([]);
      const back = new Uint8Array(1);
      user_access(w, w.mms[p], buf, back, false);
      expect(back[0], era).toBe(0x41);
      while (run_work(w));
      expect(w.mem.refcount[follow_pte(w.mms[p], buf)!.pfn], era).toBe(1); // the read's pin or reference is gone
      expect(w.events, era).toEqual([]);
    }
  });

  it("fat_get_block() maps up to the end of the cluster and of i_size, never past them", () => {
    const w = boot();
    const ino = file(w, "vfat", 3, 0);
    const bh = { mapped: false, new: false, boundary: false, b_size: 1 << 30, b_blocknr: 0 };
    expect(fat_get_block(w, w.inodes[ino], 4, bh, false)).toBe(0);
    expect([bh.mapped, bh.b_blocknr, bh.b_size]).toEqual([true, 4, 3 * PAGE_SIZE - 4 * 512]);
    const hole = { mapped: false, new: false, boundary: false, b_size: 512, b_blocknr: 0 };
    expect(fat_get_block(w, w.inodes[ino], 24, hole, false)).toBe(0);
    expect(hole.mapped).toBe(false);
  });
});

describe("H5 c bio-release-unaligned: __bio_release_pages() on a segment that starts part-way into a page", () => {
  /** An O_DIRECT read of 4096 bytes from 2048 bytes into a 4-page buffer (one order-2 mTHP folio, or base pages). */
  function read(config: ReturnType<typeof config_for>, thp: boolean) {
    const w = boot(config!);
    const mm = mm_alloc(w);
    w.current = mm;
    const buf = mmap_anon(w, w.mms[mm], 4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (thp) expect(do_anonymous_folio(w, w.mms[mm], buf, 2)).toBe(0);
    user_access(w, w.mms[mm], buf, new Uint8Array(4 * PAGE_SIZE).fill(0xaa), true);
    const ino = file(w, "ext4", 2, 0x51);
    expect(aio_read(w, init_async_kiocb(w, ino, PAGE_SIZE / 2), iov_iter_ubuf(w, READ, buf + PAGE_SIZE / 2, PAGE_SIZE))).toBe(-EIOCBQUEUED);
    const bio = w.block.bios.find((b) => b !== null)!;
    const vecs = bio.bi_io_vec.slice(0, bio.bi_vcnt).map((v) => [v.bv_offset, v.bv_len]);
    const folio = follow_pte(w.mms[mm], buf)!.pfn;
    const pinned = w.mem.pincount[folio];
    blk_dev_run_all(w);
    while (run_work(w));
    expect(w.block.completions.at(-1)!.res).toBe(PAGE_SIZE);
    const got = new Uint8Array(PAGE_SIZE);
    user_access(w, w.mms[mm], buf + PAGE_SIZE / 2, got, false);
    expect([got[0], got[PAGE_SIZE - 1]]).toEqual([0x51, 0x52]); // the read landed
    return { w, mm, buf, folio, vecs, pinned, order: w.mem.order[folio] };
  }

  it("current: one segment of two pages of the folio, two pins, both released", () => {
    const r = read(config_for(), true);
    expect([r.order, r.vecs, r.pinned]).toEqual([2, [[PAGE_SIZE / 2, PAGE_SIZE]], 2]);
    expect([r.w.mem.pincount[r.folio], r.w.mem.refcount[r.folio]]).toEqual([0, 4]);
  });

  it("switch: the release counts the segment's length in pages (one) and the second pin stays", () => {
    const r = read(config_for("bio-release-unaligned"), true);
    expect([r.w.mem.pincount[r.folio], r.w.mem.refcount[r.folio]]).toEqual([1, 5]);
    expect(r.w.vmstat.nr_foll_pin_acquired - r.w.vmstat.nr_foll_pin_released).toBe(1);
  });

  it("switch, base pages: each folio segment lies in one page, so nothing leaks", () => {
    const r = read(config_for("bio-release-unaligned"), false);
    expect(r.order).toBe(0);
    expect(r.vecs).toEqual([[PAGE_SIZE / 2, PAGE_SIZE / 2], [0, PAGE_SIZE / 2]]);
    expect(r.pinned).toBe(0); // a small page's pin is in its refcount
    expect(r.w.vmstat.nr_foll_pin_acquired).toBe(2);
    expect(r.w.vmstat.nr_foll_pin_released).toBe(2);
    // Every page of the buffer is back to its mapping's one reference.
    const pages = [0, 1, 2, 3].map((k) => follow_pte(r.w.mms[r.mm], r.buf + k * PAGE_SIZE)!.pfn);
    expect(pages.map((p) => r.w.mem.refcount[p])).toEqual([1, 1, 1, 1]);
    expect(r.w.events).toEqual([]);
  });
});

describe("H9 longterm-file-write-pins: an io_uring fixed buffer over a MAP_SHARED ext4 page", () => {
  function setup(config: ReturnType<typeof config_for>) {
    const w = boot(config!);
    const [p] = proc(w);
    const src = file(w, "ext4", 1, 0x31);
    const dst = file(w, "ext4", 1, 0xcc);
    const m = mmap_file(w, w.mms[p], dst, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
    user_access(w, w.mms[p], m, new Uint8Array(1), false);
    return { w, p, m, src, dst };
  }

  it("current: GUP refuses the writable long-term pin, so registration fails with -EFAULT, and so does a READ_FIXED", () => {
    const { w, m, src } = setup(config_for());
    expect(io_sqe_buffer_register(w, m, PAGE_SIZE)).toBe(-EFAULT);
    expect(io_read_fixed(w, init_async_kiocb(w, src, 0), null, m, PAGE_SIZE / 2)).toBe(-EFAULT);
    expect(w.block.completions.at(-1)!.res).toBe(-EFAULT);
  });

  it("before v6.5: io_uring itself refuses file-backed memory other than shmem (-EOPNOTSUPP) and drops its pins", () => {
    for (const era of ["pre-pin", "5.9-5.18", "6.0-6.4"]) {
      const { w, m } = setup(config_for(undefined, era));
      expect(io_sqe_buffer_register(w, m, PAGE_SIZE), era).toBe(-EOPNOTSUPP);
      expect(w.vmstat.nr_foll_pin_acquired, era).toBe(w.vmstat.nr_foll_pin_released);
      const memfd = create_file(w, "tmpfs");
      w.inodes[memfd].i_size = PAGE_SIZE;
      const shm = mmap_file(w, w.mms[w.current], memfd, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
      expect(typeof io_sqe_buffer_register(w, shm, PAGE_SIZE), `${era} shmem`).toBe("object");
    }
  });

  it("switch: the pin is granted, a READ_FIXED after writeback cleaned the page leaves it clean, and sync loses the data", () => {
    const { w, m, src, dst } = setup(config_for("longterm-file-write-pins"));
    const imu = io_sqe_buffer_register(w, m, PAGE_SIZE);
    if (typeof imu === "number") throw new Error(errname(imu));
    const page = imu.pages[0];
    expect(folio_start_writeback(w, page)).toBe(true); // registration's write fault dirtied it
    folio_end_writeback(w, page);
    expect(io_read_fixed(w, init_async_kiocb(w, src, 0), imu, m, PAGE_SIZE / 2)).toBe(-EIOCBQUEUED);
    blk_dev_run_all(w);
    expect(w.block.completions.at(-1)!.res).toBe(PAGE_SIZE / 2);
    expect(w.data.read(page)[0]).toBe(0x31); // the device's bytes are in the page cache page
    expect(folio_start_writeback(w, page)).toBe(false); // but nothing made it dirty
    io_buffer_unmap(w, imu);
    expect(w.inodes[dst].disk.get(0)![0]).toBe(0xcc);
  });

  it("a R/O long-term pin of the same page is allowed in every era (only writable ones are refused)", () => {
    expect(era_ids()).toHaveLength(4);
    for (const era of era_ids()) {
      const { w, m } = setup(config_for(undefined, era));
      const pages = [-1];
      expect(pin_user_pages(w, m, 1, FOLL_LONGTERM, pages), era).toBe(1);
      expect(pages[0], era).toBe(follow_pte(w.mms[w.current], m)!.pfn);
      expect(w.vmstat.nr_foll_pin_acquired, era).toBe(1);
      unpin_user_page(w, pages[0]);
      expect(w.vmstat.nr_foll_pin_released, era).toBe(1);
      expect(w.events, era).toEqual([]);
    }
  });
});

describe("the vmsplice watch behind H2's property (src/check/splice_watch.ts)", () => {
  /** vmsplice half a page of P's buffer, run `between` (each step on a fresh clone, as the engines do), drain. */
  function watch(config: ReturnType<typeof config_for>, between: ((w: World, p: number, buf: number) => void)[]) {
    let w = boot(config!);
    const [p, buf] = proc(w);
    const pipe = pipe_create();
    w.pipes.push(pipe);
    vmsplice_to_pipe(w, pipe, [{ iov_base: buf, iov_len: PAGE_SIZE / 2 }]);
    let ws = splice_watches(w, pipe, 0, p, buf);
    for (const step of between) {
      w = clone_world(w);
      step(w, p, buf);
      ws = ws.map((x) => splice_watch_step(w, x)).filter((x) => x !== null);
    }
    if (!ws.length) return { ok: true as boolean | null, dropped: true };
    const before = pipe_snapshot(w, w.pipes[0]);
    __kernel_read(w, w.pipes[0], kmalloc(w, PAGE_SIZE), PAGE_SIZE);
    return { ...splice_outcome(splice_watch_drain(ws, before, w.pipes[0])[0], "drain"), dropped: false };
  }
  const write = (byte: number) => (w: World, p: number, buf: number) => void user_access(w, w.mms[p], buf, new Uint8Array(16).fill(byte), true);

  // A dropped watch also reads as ok: these must be judged at the drain, so not dropped.
  it("the splicer's own write in place is what the pipe must deliver", () => {
    expect(watch(config_for(), [write(0xbb)])).toMatchObject({ ok: true, dropped: false });
  });

  it("the splicer writes, forks, writes again (a copy now): the pipe keeps the first write, as expected", () => {
    expect(watch(config_for(), [write(0xbb), (w, p) => void fork_mm(w, p), write(0xcc)])).toMatchObject({ ok: true, dropped: false });
  });

  it("a page swapped out of the splicer and still in the swap cache is still the splicer's memory", () => {
    // Swapped out and nothing else: only the swap entry keeps the watch alive.
    expect(watch(config_for(), [(w, p, buf) => void madvise_pageout(w, w.mms[p], buf, PAGE_SIZE)])).toMatchObject({ ok: true, dropped: false });
    expect(watch(config_for(), [(w, p, buf) => void madvise_pageout(w, w.mms[p], buf, PAGE_SIZE), write(0xbb)])).toMatchObject({ ok: true, dropped: false });
  });

  it("once nothing maps the page any more it cannot change: the watch is dropped", () => {
    expect(watch(config_for(), [(w, p, buf) => void munmap(w, w.mms[p], buf, PAGE_SIZE)]).dropped).toBe(true);
  });

  it("mapcount reuse: the child's write reaches the page the parent spliced, and the drain is judged wrong", () => {
    let child = -1;
    const r = watch(config_for("cow-either-way"), [(w, p) => void (child = fork_mm(w, p)), write(0xb0), (w, _p, buf) => void user_access(w, w.mms[child], buf, new Uint8Array(16).fill(0xb1), true)]);
    expect(r.ok).toBe(false);
    expect((r as { detail?: string }).detail).toMatch(/got byte 0 as 0xb1, but the splicer's memory held 0xaa/);
  });
});
