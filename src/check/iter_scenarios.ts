// The initial states of the iterator-layer check: each current iterator type over memory of
// its kind, in each direction. Segment layouts include an in-page start offset, a multi-page
// segment, an empty segment, a gap, and (for folio types) a large folio.
import type { iov_iter, World } from "../kernel/index.js";
import {
  alloc_pages, boot, folioq_from, ITER_DEST, ITER_SOURCE, ITER_TYPE_NAMES, iov_iter_bvec, iov_iter_folio_queue,
  iov_iter_init, iov_iter_kvec, iov_iter_ubuf, iov_iter_xarray, kwrite, mm_alloc, mmap_anon, PAGE_SIZE, PROT_READ,
  PROT_WRITE, user_access, vmalloc, xa_init, xa_store,
} from "../kernel/index.js";
import type { IterState } from "./iter_state.js";

const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => (k * 7 + seed) & 0xff);

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
}

function setup(): Memory {
  const w = boot();
  w.current = mm_alloc(w);
  const ubuf = mmap_anon(w, w.mms[w.current], 4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
  user_access(w, w.mms[w.current], ubuf, pattern(4 * PAGE_SIZE, 1), true); // populate: no zero-page pins
  const kbuf = vmalloc(w, 4 * PAGE_SIZE);
  kwrite(w, kbuf, pattern(4 * PAGE_SIZE, 2));
  const scratch = vmalloc(w, 4 * PAGE_SIZE);
  kwrite(w, scratch, pattern(4 * PAGE_SIZE, 3));
  const large = alloc_pages(w.mem, 2);
  const small = alloc_pages(w.mem, 0);
  const pair = alloc_pages(w.mem, 1);
  const single = alloc_pages(w.mem, 0);
  const xpages = [0, 1, 2].map(() => alloc_pages(w.mem, 0));
  return { w, ubuf, kbuf, scratch, large, small, pair, single, xpages };
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
      { bv_page: m.large + 3, bv_offset: 0, bv_len: 0x800 },
      { bv_page: m.small, bv_offset: 0x400, bv_len: 0x400 },
    ];
    return { iter: iov_iter_bvec(m.w, dir, bvec, 3, 0x2700), total: 0x2700 };
  },
  (m, dir) => ({ iter: iov_iter_kvec(m.w, dir, vec_layout(m.kbuf), 3, 0x2200), total: 0x2200 }),
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

export function iter_scenarios(): IterState[] {
  const out: IterState[] = [];
  builders.forEach((build, type) => {
    for (const dir of [ITER_DEST, ITER_SOURCE]) {
      const m = setup();
      const { iter, total } = build(m, dir);
      const folios = new Set<number>();
      for (let pfn = 1; pfn < m.w.mem.nr_frames; pfn++) if (m.w.mem.head[pfn] === pfn) folios.add(pfn);
      const baseline = new Map([...folios].map((f) => [f, { refcount: m.w.mem.refcount[f], pincount: m.w.mem.pincount[f] }]));
      out.push({
        scenario: `${ITER_TYPE_NAMES[type]}/${dir === ITER_DEST ? "ITER_DEST" : "ITER_SOURCE"}`,
        w: m.w, iter, total, held: [], scratch: m.scratch, baseline,
      });
    }
  });
  return out;
}
