// The initial states of the iterator-layer check: each current iterator type over memory of
// its kind, in each direction. Segment layouts include an in-page start offset, a multi-page
// segment, an empty segment, a gap, a large folio (folio types), a bvec that runs physically
// from one folio into the next, a KVEC segment in a kmalloc'd (slab) object, and one user buffer
// with a hole, where extraction fails part-way.
import type { iov_iter, KernelConfig, World } from "../kernel/index.js";
import {
  alloc_pages, boot, compact_world, current_mm, folioq_from, ITER_DEST, ITER_SOURCE, ITER_TYPE_NAMES, iov_iter_bvec,
  iov_iter_folio_queue, iov_iter_init, iov_iter_kvec, iov_iter_ubuf, iov_iter_xarray, kmalloc, kwrite,
  mmap_anon, munmap, PAGE_SIZE, PROT_READ, PROT_WRITE, seal_world, user_access, vmalloc, xa_init, xa_store,
} from "../kernel/index.js";
import { run_new_process } from "./fixtures.js";
import type { IterState } from "./iter_state.js";

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let k = 0; k < n; k++) b[k] = (k * 7 + seed) & 0xff;
  return b;
}

interface Memory {
  w: World;
  ubuf: number;
  kbuf: number;
  scratch: number;
  large: number;
  small: number;
  pair: number;
  single: number;
  xpages: number[];
  /** A kmalloc'd object of 0x1100 bytes: the 8 KiB size class, one object in an order-1 slab. */
  kobj: number;
}

function setup(config: KernelConfig): Memory {
  const w = boot(config);
  const mm = run_new_process(w);
  const ubuf = mmap_anon(w, mm, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
  user_access(w, mm, ubuf, pattern(4 * PAGE_SIZE, 1), true); // populate: no zero-page pins
  const kbuf = vmalloc(w, 4 * PAGE_SIZE);
  kwrite(w, kbuf, pattern(4 * PAGE_SIZE, 2));
  const scratch = vmalloc(w, 4 * PAGE_SIZE);
  kwrite(w, scratch, pattern(4 * PAGE_SIZE, 3));
  const large = alloc_pages(w.mem, 2);
  const small = alloc_pages(w.mem, 0);
  const pair = alloc_pages(w.mem, 1);
  const single = alloc_pages(w.mem, 0);
  const xpages = [0, 1, 2].map(() => alloc_pages(w.mem, 0));
  const kobj = kmalloc(w, 0x1100);
  kwrite(w, kobj, pattern(0x1100, 4));
  // The allocator hands out the lowest free frames, so single follows large's last page.
  if (single !== large + 4) throw new Error("iter_scenarios: expected the order-0 folio right after the order-2 one");
  return { w, ubuf, kbuf, scratch, large, small, pair, single, xpages, kobj };
}

type Builder = (m: Memory, dir: number) => { iter: iov_iter; total: number };

const vec_layout = (base: number) => [
  { iov_base: base + 0x100, iov_len: 0x1000 },
  { iov_base: base + 0x2000, iov_len: 0 },
  { iov_base: base + 0x2800, iov_len: 0x1200 },
];

const builders: Builder[] = [
  (m, dir) => ({ iter: iov_iter_ubuf(m.w, dir, m.ubuf + 0x100, 0x2e00), total: 0x2e00 }),
  (m, dir) => ({ iter: iov_iter_init(m.w, dir, vec_layout(m.ubuf), 3, 0x2200), total: 0x2200 }),
  (m, dir) => {
    const bvec = [
      { bv_page: m.large, bv_offset: 0x100, bv_len: 0x1f00 },
      // Runs from the large folio's last page into the next folio (physically contiguous, as
      // bio_add_page() merges them): two folios in one bvec, the case H5 d needs.
      { bv_page: m.large + 3, bv_offset: 0, bv_len: 0x1200 },
      { bv_page: m.small, bv_offset: 0x400, bv_len: 0x400 },
    ];
    return { iter: iov_iter_bvec(m.w, dir, bvec, 3, 0x3500), total: 0x3500 };
  },
  (m, dir) => {
    // The first segment lies in the kmalloc'd object (two pages of its slab folio), the others
    // in vmalloc'd memory: kernel buffers come from either.
    const kv = vec_layout(m.kbuf);
    kv[0] = { iov_base: m.kobj + 0x100, iov_len: 0x1000 };
    return { iter: iov_iter_kvec(m.w, dir, kv, 3, 0x2200), total: 0x2200 };
  },
  (m, dir) => {
    const q = folioq_from([{ folio: m.pair, order: 1 }, { folio: m.single, order: 0 }]);
    return { iter: iov_iter_folio_queue(m.w, dir, q, 0, 0x100, 0x2d00)!, total: 0x2d00 };
  },
  (m, dir) => {
    const xa = xa_init();
    m.xpages.forEach((p, k) => xa_store(xa, k, { folio: p, order: 0 }));
    return { iter: iov_iter_xarray(m.w, dir, xa, 0x200, 0x2c00)!, total: 0x2c00 };
  },
];

/**
 * A UBUF source (as AF_ALG's hash_sendmsg() gets one) whose second page was unmapped: extraction
 * pins page 0, then faults, so extract_iter_to_sg() takes its error path.
 */
const hole: Builder = (m, dir) => {
  munmap(m.w, current_mm(m.w)!, m.ubuf + PAGE_SIZE, PAGE_SIZE);
  return { iter: iov_iter_ubuf(m.w, dir, m.ubuf + 0x100, 0x2e00), total: 0x2e00 };
};

function initial_state(config: KernelConfig, build: Builder, dir: number, scenario: string): IterState {
  const m = setup(config);
  const { iter, total } = build(m, dir);
  const folios = new Set<number>();
  for (let pfn = 1; pfn < m.w.mem.nr_frames; pfn++) if (m.w.mem.head[pfn] === pfn) folios.add(pfn);
  const baseline = new Map([...folios].map((f) => [f, { refcount: m.w.mem.refcount[f], pincount: m.w.mem.pincount[f] }]));
  // Sealed and compacted: an initial state is kept for the whole run.
  return { scenario, w: compact_world(seal_world(m.w)), iter, total, held: [], scratch: m.scratch, baseline };
}

export const HOLE_SCENARIO = "ITER_UBUF/ITER_SOURCE (page 1 unmapped)";

/** Every initial state, each in a world booted with config. */
export function iter_scenarios(config: KernelConfig): IterState[] {
  const out: IterState[] = [];
  builders.forEach((build, type) => {
    for (const dir of [ITER_DEST, ITER_SOURCE])
      out.push(initial_state(config, build, dir, `${ITER_TYPE_NAMES[type]}/${dir === ITER_DEST ? "ITER_DEST" : "ITER_SOURCE"}`));
  });
  out.push(initial_state(config, hole, ITER_SOURCE, HOLE_SCENARIO));
  return out;
}
