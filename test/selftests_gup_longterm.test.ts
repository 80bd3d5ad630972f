// tools/testing/selftests/mm/gup_longterm.c (GUP long-term page pinning tests, David
// Hildenbrand, Red Hat), transcribed onto the simulated kernel: the policy table of which
// long-term pins must succeed and which must fail with -EFAULT.
//
// do_test(): R/O pinning, or any pinning in a MAP_PRIVATE mapping, is always expected to work;
// a writable long-term pin (FOLL_WRITE, including io_uring's fixed buffers, which always pin
// writable) of a MAP_SHARED file mapping only on file systems that need no dirty tracking
// (fs_supports_writable_longterm_pinning(): tmpfs and hugetlbfs), and fails with -EFAULT
// everywhere else (ext4, xfs, btrfs: mm/gup.c writable_file_mapping_allowed()).
//
// The kernel's file sources map onto the simulation's two file systems:
//   run_with_memfd          -> memfd_create(): tmpfs (TMPFS_MAGIC)
//   run_with_tmpfile        -> tmpfile(): "ext4" (the selftest's tmpfile() is in /tmp, whose type
//                              decides; on tmpfs /tmp it behaves like memfd, run below as well)
//   run_with_local_tmpfile  -> tmpfile(): "ext4" (a file in the selftest's directory, EXT4_SUPER_MAGIC)
// No counterpart: run_with_memfd_hugetlb (no hugetlbfs), xfs/btrfs (same policy as ext4), and the
// "Unknown filesystem" skips.
// Not in gup_longterm.c, added with the same rule (a private mapping always pins): private
// anonymous memory.
import { describe, expect, it } from "vitest";
import type { FsKind, World } from "../src/kernel/index.js";
import {
  boot, create_file, EFAULT, errname, exit_mmap, fallocate, io_buffer_unmap, io_sqe_buffer_register, MAP_PRIVATE,
  MAP_SHARED, memfd_create, mm_alloc, mmap_anon, mmap_file, mprotect, munmap, PAGE_SIZE, PROT_READ, PROT_WRITE,
  tmpfile,
} from "../src/kernel/index.js";
import {
  baseline, expect_released, GupTest, PIN_LONGTERM_TEST_FLAG_USE_FAST, PIN_LONGTERM_TEST_FLAG_USE_WRITE, umemset,
} from "./helpers/selftests_mm.js";

const pagesize = PAGE_SIZE;

/** fs_supports_writable_longterm_pinning(): TMPFS_MAGIC and HUGETLBFS_MAGIC only. */
const fs_supports_writable_longterm_pinning = (fs: FsKind | "anon"): boolean => fs === "tmpfs";

enum test_type {
  TEST_TYPE_RO,
  TEST_TYPE_RO_FAST,
  TEST_TYPE_RW,
  TEST_TYPE_RW_FAST,
  TEST_TYPE_IOURING,
}

/** The memory under test: a file's pages, or (the added case) anonymous memory. */
interface Backing {
  desc: string;
  fs: FsKind | "anon";
  /** Creates the backing object and maps size bytes of it; returns the address. */
  map(w: World, shared: boolean, size: number): number;
}

function file_backing(desc: string, fs: FsKind, create: (w: World) => number): Backing {
  return {
    desc,
    fs,
    map(w, shared, size) {
      const fd = create(w);
      expect(w.inodes[fd].fs).toBe(fs);
      // ftruncate() + fallocate()
      expect(fallocate(w, fd, size), "fallocate() failed").toBe(0);
      return mmap_file(w, w.mms[w.current], fd, size, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE);
    },
  };
}

const backings: Backing[] = [
  file_backing("memfd", "tmpfs", memfd_create),
  file_backing("tmpfile", "ext4", (w) => tmpfile(w)),
  file_backing("tmpfile (/tmp on tmpfs)", "tmpfs", (w) => create_file(w, "tmpfs")),
  file_backing("local tmpfile", "ext4", (w) => tmpfile(w)),
];

const anon_backing: Backing = {
  desc: "private anonymous memory (not in gup_longterm.c)",
  fs: "anon",
  map: (w, _shared, size) => mmap_anon(w, w.mms[w.current], size, PROT_READ | PROT_WRITE),
};

/** do_test(fd, size, type, shared): the outcome ("worked" or the errno) and what the test expects. */
function do_test(b: Backing, size: number, type: test_type, shared: boolean): { got: string; should: string } {
  const w = boot();
  const id = mm_alloc(w);
  w.current = id;
  const base = baseline(w);
  const mem = b.map(w, shared, size);
  expect(mem, "mmap() failed").toBeGreaterThan(0);

  // Fault in the page such that GUP-fast can pin it directly.
  expect(umemset(w, id, mem, 0, size)).toBe(0);

  let should_work: boolean;
  let ret: number;
  if (type === test_type.TEST_TYPE_IOURING) {
    // io_uring always pins pages writable.
    should_work = !shared || fs_supports_writable_longterm_pinning(b.fs);
    const imu = io_sqe_buffer_register(w, mem, size);
    if (typeof imu === "number") {
      ret = imu;
    } else {
      ret = 0;
      io_buffer_unmap(w, imu); // io_uring_unregister_buffers()
    }
  } else {
    const fast = type === test_type.TEST_TYPE_RO_FAST || type === test_type.TEST_TYPE_RW_FAST;
    const rw = type === test_type.TEST_TYPE_RW || type === test_type.TEST_TYPE_RW_FAST;
    // Cover more cases regarding unsharing decisions when long-term R/O pinning by mapping
    // the page R/O.
    if (!rw) expect(mprotect(w, w.mms[id], mem, size, PROT_READ), "mprotect() failed").toBe(0);
    // R/O pinning or pinning in a private mapping is always expected to work. Otherwise, we
    // expect long-term R/W pinning to only succeed for special filesystems.
    should_work = !shared || !rw || fs_supports_writable_longterm_pinning(b.fs);
    const gup = new GupTest();
    const flags = (fast ? PIN_LONGTERM_TEST_FLAG_USE_FAST : 0) | (rw ? PIN_LONGTERM_TEST_FLAG_USE_WRITE : 0);
    ret = gup.start(w, mem, size, flags);
    if (!ret) {
      expect(gup.nr_pages).toBe(size / pagesize);
      gup.stop(w);
    }
  }

  expect(munmap(w, w.mms[id], mem, size)).toBe(0);
  exit_mmap(w, w.mms[id]);
  expect_released(w, base);
  // "Should have worked" / "Should have failed": a refused pin is -EFAULT, nothing else.
  return { got: ret === 0 ? "worked" : errname(ret), should: should_work ? "worked" : errname(-EFAULT) };
}

/** test_cases[] */
const test_cases: [string, test_type, boolean][] = [
  ["R/W longterm GUP pin in MAP_SHARED file mapping", test_type.TEST_TYPE_RW, true],
  ["R/W longterm GUP-fast pin in MAP_SHARED file mapping", test_type.TEST_TYPE_RW_FAST, true],
  ["R/O longterm GUP pin in MAP_SHARED file mapping", test_type.TEST_TYPE_RO, true],
  ["R/O longterm GUP-fast pin in MAP_SHARED file mapping", test_type.TEST_TYPE_RO_FAST, true],
  ["R/W longterm GUP pin in MAP_PRIVATE file mapping", test_type.TEST_TYPE_RW, false],
  ["R/W longterm GUP-fast pin in MAP_PRIVATE file mapping", test_type.TEST_TYPE_RW_FAST, false],
  ["R/O longterm GUP pin in MAP_PRIVATE file mapping", test_type.TEST_TYPE_RO, false],
  ["R/O longterm GUP-fast pin in MAP_PRIVATE file mapping", test_type.TEST_TYPE_RO_FAST, false],
  ["io_uring fixed buffer with MAP_SHARED file mapping", test_type.TEST_TYPE_IOURING, true],
  ["io_uring fixed buffer with MAP_PRIVATE file mapping", test_type.TEST_TYPE_IOURING, false],
];

describe("selftests/mm/gup_longterm.c", () => {
  for (const [desc, type, shared] of test_cases) {
    for (const b of backings) {
      const rw = type === test_type.TEST_TYPE_RW || type === test_type.TEST_TYPE_RW_FAST || type === test_type.TEST_TYPE_IOURING;
      const verdict = !shared || !rw || fs_supports_writable_longterm_pinning(b.fs) ? "Should have worked" : "Should have failed";
      it(`${desc} ... with ${b.desc}: ${verdict}`, () => {
        const { got, should } = do_test(b, pagesize, type, shared);
        expect(got, should === "worked" ? "Should have worked" : "Should have failed").toBe(should);
      });
    }
  }
  // The added anonymous case: the private-mapping flavours only (MAP_SHARED|MAP_ANONYMOUS is
  // shmem, which memfd covers).
  for (const [desc, type, shared] of test_cases.filter(([, , s]) => !s)) {
    it(`${desc.replace("file mapping", "mapping")} ... with ${anon_backing.desc}: Should have worked`, () => {
      const { got } = do_test(anon_backing, pagesize, type, shared);
      expect(got, "Should have worked").toBe("worked");
    });
  }

  it("the policy table, as a whole", () => {
    // One row per backing: which of the 10 cases pin (W) and which are refused (-). Writable
    // long-term pins of MAP_SHARED ext4 mappings (R/W, R/W fast, io_uring) are the only refusals.
    const table = Object.fromEntries(
      backings.map((b) => [b.desc, test_cases.map(([, type, shared]) => (do_test(b, pagesize, type, shared).got === "worked" ? "W" : "-")).join("")]),
    );
    expect(table).toEqual({
      memfd: "WWWWWWWWWW",
      tmpfile: "--WWWWWW-W",
      "tmpfile (/tmp on tmpfs)": "WWWWWWWWWW",
      "local tmpfile": "--WWWWWW-W",
    });
  });
});
