// The iterator-layer bug switches (kernel-semantics §10 H4, H5 d, H6): the exhaustive iterator
// check finds, under each, a short violation of exactly the property its BUGS entry names and
// none under the current kernel; and the simulated functions behave as the buggy kernels did
// (counts after get and put, the extract_iter_to_sg() error path).
import { describe, expect, it } from "vitest";
import type { iovec, KernelConfig, Mm, sg_table, World } from "../src/kernel/index.js";
import {
  alloc_pages, boot, BUGS, bvec_set_page, config_for, CURRENT_CONFIG, do_anonymous_folio, EFAULT, ERAS,
  extract_iter_to_sg, follow_pte, get_page_refs, GUP_PIN_COUNTING_BIAS, iov_iter_bvec, iov_iter_get_pages2,
  iov_iter_init, iov_iter_kvec, kmalloc, mm_alloc, mmap_anon, PAGE_SIZE, put_page, put_page_refs, PROT_READ,
  PROT_WRITE, READ, user_access, virt_to_page, vmalloc, vmalloc_to_page, WRITE,
} from "../src/kernel/index.js";
import { explore } from "../src/check/explore.js";
import { describe_action, iter_model } from "../src/check/iter_model.js";
import { HOLE_SCENARIO } from "../src/check/iter_scenarios.js";
import { expected_counts } from "../src/check/iter_state.js";

const P = PAGE_SIZE;
/** An address no VMA covers (the process's mappings start at 0x7f0000000000). */
const UNMAPPED = 0x10000000;
const SWITCHES = ["put-page-on-pins", "bvec-get-pages-first-folio", "kvec-refs"] as const;
const cfg = (bug?: string): KernelConfig => config_for(bug)!;

/** A process with npages of private anonymous memory, all written (present, order-0 folios). */
function user_setup(config: KernelConfig, npages: number): { w: World; mm: Mm; addr: number; pages: number[] } {
  const w = boot(config);
  w.current = mm_alloc(w);
  const mm = w.mms[w.current];
  const addr = mmap_anon(w, mm, npages * P, PROT_READ | PROT_WRITE);
  expect(user_access(w, mm, addr, new Uint8Array(npages * P).fill(0x5a), true)).toBe(0);
  const pages = Array.from({ length: npages }, (_, k) => follow_pte(mm, addr + k * P)!.pfn);
  return { w, mm, addr, pages };
}

const empty_sgt = (): sg_table => ({ sgl: [], nents: 0, orig_nents: 0 });

describe("BUGS entries for the iterator layer", () => {
  it.each(SWITCHES)("%s names its era, reference and property, and its switch is off in every era", (id) => {
    const b = BUGS.find((x) => x.id === id)!;
    expect(b).toBeDefined();
    for (const field of [b.title, b.era, b.reference, b.breaks]) expect(field.length).toBeGreaterThan(10);
    const keys = Object.keys(b.config) as (keyof KernelConfig)[];
    expect(keys).toHaveLength(1);
    expect(b.config[keys[0]]).toBe(true);
    expect(CURRENT_CONFIG[keys[0]]).toBe(false);
    for (const era of ERAS) expect(era.config[keys[0]], era.id).toBe(false);
  });
});

describe("exhaustive iterator check under each switch", () => {
  const expected: Record<(typeof SWITCHES)[number], { initial: string; ops: string[] }> = {
    "put-page-on-pins": { initial: HOLE_SCENARIO, ops: ["extract_to_sg"] },
    "bvec-get-pages-first-folio": { initial: "ITER_BVEC/ITER_DEST", ops: ["advance", "advance", "get_pages"] },
    "kvec-refs": { initial: "ITER_KVEC/ITER_DEST", ops: ["get_pages"] },
  };

  it.each(SWITCHES)("%s: a short violation of exactly the property its BUGS entry names", (id) => {
    const r = explore(iter_model(cfg(id)), 5);
    expect(r.result).toBe("violation");
    expect(r.violation!.property).toBe(BUGS.find((b) => b.id === id)!.breaks);
    expect(r.trace!.initial.scenario).toBe(expected[id].initial);
    expect(r.trace!.actions.map((a) => a.op)).toEqual(expected[id].ops);
  });

  it("current kernel: no violation at depth 5, with the new actions and the hole scenario reached", () => {
    const m = iter_model(CURRENT_CONFIG);
    expect(m.initial().map((s) => s.scenario)).toContain(HOLE_SCENARIO);
    const r = explore(m, 5);
    expect(r.result).toBe("ok");
    expect(r.states).toBeGreaterThan(15000);
  });

  it("current kernel: the extract_iter_to_sg error path leaves every count at its baseline", () => {
    const m = iter_model(CURRENT_CONFIG);
    const s0 = m.initial().find((s) => s.scenario === HOLE_SCENARIO)!;
    const a = m.actions(s0).find((x) => x.op === "extract_to_sg")!;
    expect(describe_action(a)).toMatch(/^extract_iter_to_sg/);
    const s1 = m.step(s0, a);
    expect(s1.held).toEqual([]);
    expect(s0.baseline.size).toBeGreaterThan(0);
    for (const [folio, c] of s0.baseline) {
      expect(s1.w.mem.refcount[folio], `refcount of folio ${folio}`).toBe(c.refcount);
      expect(s1.w.mem.pincount[folio], `pincount of folio ${folio}`).toBe(c.pincount);
    }
    expect(s1.w.vmstat.nr_foll_pin_acquired).toBe(1); // page 0, before the fault at page 1
    expect(s1.w.vmstat.nr_foll_pin_released).toBe(1);
    expect(s1.iter.count).toBe(s0.iter.count - (P - 0x100)); // the kernel does not revert
    expect(s1.w.events).toEqual([]);
    expect(m.check(s1)).toBeNull();
    // The same step under the switch leaves page 0 with the bias less one reference.
    const b = iter_model(cfg("put-page-on-pins"));
    const t0 = b.initial().find((s) => s.scenario === HOLE_SCENARIO)!;
    const t1 = b.step(t0, a);
    const page0 = [...t0.baseline.keys()].find((f) => t1.w.mem.refcount[f] !== t0.baseline.get(f)!.refcount)!;
    expect(t1.w.mem.refcount[page0]).toBe(t0.baseline.get(page0)!.refcount + GUP_PIN_COUNTING_BIAS - 1);
    expect(expected_counts(t1).get(page0)!.refcount).toBe(t0.baseline.get(page0)!.refcount);
    expect(b.check(t1)!.property).toBe("release-matches-acquire");
  });
});

describe("H4 put-page-on-pins: extract_iter_to_sg()'s error path", () => {
  const failing_iovec = (w: World, addr: number): ReturnType<typeof iov_iter_init> => {
    const iov: iovec[] = [
      { iov_base: addr + 0x800, iov_len: P }, // pages 0-1: pinned by the first extraction call
      { iov_base: UNMAPPED, iov_len: P }, // the second call fails with -EFAULT
    ];
    return iov_iter_init(w, WRITE, iov, 2, 2 * P);
  };

  it("current: the pages it pinned are unpinned, back to one reference each", () => {
    const { w, addr, pages } = user_setup(cfg(), 2);
    expect(extract_iter_to_sg(w, failing_iovec(w, addr), 2 * P, empty_sgt(), 8, 0)).toBe(-EFAULT);
    expect(pages.map((p) => w.mem.refcount[p])).toEqual([1, 1]);
    expect(w.vmstat).toMatchObject({ nr_foll_pin_acquired: 2, nr_foll_pin_released: 2 });
  });

  it("switch on: put_page drops one reference of each pin, leaving GUP_PIN_COUNTING_BIAS - 1 (maybe-pinned for good)", () => {
    const { w, addr, pages } = user_setup(cfg("put-page-on-pins"), 2);
    const sgt = empty_sgt();
    expect(extract_iter_to_sg(w, failing_iovec(w, addr), 2 * P, sgt, 8, 0)).toBe(-EFAULT);
    expect(sgt.nents).toBe(0);
    expect(pages.map((p) => w.mem.refcount[p])).toEqual([GUP_PIN_COUNTING_BIAS, GUP_PIN_COUNTING_BIAS]);
    expect(w.vmstat).toMatchObject({ nr_foll_pin_acquired: 2, nr_foll_pin_released: 0 });
    expect(w.events).toEqual([]); // nothing in the kernel notices
  });

  it("switch on, large folio: the references balance but the pincount stays", () => {
    for (const [bug, pincount] of [[undefined, 0], ["put-page-on-pins", 2]] as const) {
      const w = boot(cfg(bug));
      w.current = mm_alloc(w);
      const mm = w.mms[w.current];
      const addr = mmap_anon(w, mm, 4 * P, PROT_READ | PROT_WRITE);
      expect(do_anonymous_folio(w, mm, addr, 2)).toBe(0);
      const folio = follow_pte(mm, addr)!.pfn;
      expect(w.mem.order[folio]).toBe(2);
      expect(extract_iter_to_sg(w, failing_iovec(w, addr), 2 * P, empty_sgt(), 8, 0)).toBe(-EFAULT);
      expect(w.mem.refcount[folio], bug ?? "current").toBe(4);
      expect(w.mem.pincount[folio], bug ?? "current").toBe(pincount);
    }
  });
});

describe("H5 d bvec-get-pages-first-folio: iov_iter_get_pages2() on a bvec across two folios", () => {
  function across(config: KernelConfig) {
    const w = boot(config);
    const a = alloc_pages(w.mem, 1);
    const b = alloc_pages(w.mem, 1);
    expect(b).toBe(a + 2); // physically consecutive: one bvec can span both
    const len = 4 * P - 0x200;
    const iter = iov_iter_bvec(w, READ, [bvec_set_page(a, len, 0x100)], 1, len);
    const pages = new Array<number>(8).fill(-1);
    expect(iov_iter_get_pages2(w, iter, pages, 100 * 1024, 8).ret).toBe(len);
    expect(pages.slice(0, 4)).toEqual([a, a + 1, b, b + 1]);
    return { w, a, b, pages: pages.slice(0, 4) };
  }

  it("current: each page's own folio gets its reference; put_page on each restores both", () => {
    const { w, a, b, pages } = across(cfg());
    expect([w.mem.refcount[a], w.mem.refcount[b]]).toEqual([3, 3]);
    for (const p of pages) put_page(w, p);
    expect([w.mem.refcount[a], w.mem.refcount[b]]).toEqual([1, 1]);
    expect(w.events).toEqual([]);
  });

  it("switch on: all four references land on the first folio; the puts then leak it and free the second", () => {
    const { w, a, b, pages } = across(cfg("bvec-get-pages-first-folio"));
    expect([w.mem.refcount[a], w.mem.refcount[b]]).toEqual([5, 1]);
    for (const p of pages) put_page(w, p);
    expect(w.mem.refcount[a]).toBe(3); // two references leaked
    expect(w.mem.head[b]).toBe(-1); // freed while its owner still holds it
    expect(w.events.map((e) => `${e.kind} ${e.fn}`)).toEqual(["BUG put_page"]); // the second put: use after free
  });
});

describe("H6 kvec-refs: references taken on the pages of a KVEC", () => {
  function kvec(config: KernelConfig, slab: boolean) {
    const w = boot(config);
    const base = slab ? kmalloc(w, 0x1100) : vmalloc(w, 2 * P);
    const kv = [{ iov_base: base + 0x100, iov_len: 0x1000 }];
    const iter = iov_iter_kvec(w, WRITE, kv, 1, 0x1000);
    const frames = [0, 1].map((k) => (slab ? virt_to_page(base + k * P) : vmalloc_to_page(w, base + k * P)));
    return { w, iter, frames, before: frames.map((f) => w.mem.refcount[w.mem.head[f]]) };
  }

  it("current: KVEC is refused with -EFAULT, the iterator untouched, nothing taken", () => {
    for (const slab of [true, false]) {
      const { w, iter, frames, before } = kvec(cfg(), slab);
      const pages = new Array<number>(2).fill(-1);
      expect(get_page_refs(w, iter, pages, 0x1800, 2).ret).toBe(-EFAULT);
      expect(iter.count).toBe(0x1000);
      expect(frames.map((f) => w.mem.refcount[w.mem.head[f]])).toEqual(before);
      expect(w.events).toEqual([]);
    }
  });

  it("switch on, kmalloc'd buffer: get_page() on each slab page WARNs and counts nothing", () => {
    const { w, iter, frames, before } = kvec(cfg("kvec-refs"), true);
    const pages = new Array<number>(2).fill(-1);
    const r = get_page_refs(w, iter, pages, 0x1800, 2);
    expect(r.ret).toBe(0x1000);
    expect(pages).toEqual(frames);
    expect(iter.count).toBe(0);
    expect(frames.map((f) => w.mem.refcount[w.mem.head[f]])).toEqual(before);
    expect(w.events.map((e) => `${e.kind} ${e.fn}`)).toEqual(["WARN_ON_ONCE get_page", "WARN_ON_ONCE get_page"]);
    put_page_refs(w, pages); // put_page() ignores slab pages: nothing to balance, nothing kept alive
    expect(frames.map((f) => w.mem.refcount[w.mem.head[f]])).toEqual(before);
  });

  it("switch on, vmalloc'd buffer: each page gains a reference that put_page() drops again", () => {
    const { w, iter, frames, before } = kvec(cfg("kvec-refs"), false);
    const pages = new Array<number>(2).fill(-1);
    expect(get_page_refs(w, iter, pages, 0x1800, 2).ret).toBe(0x1000);
    expect(pages).toEqual(frames);
    expect(frames.map((f) => w.mem.refcount[f])).toEqual(before.map((n) => n + 1));
    put_page_refs(w, pages);
    expect(frames.map((f) => w.mem.refcount[f])).toEqual(before);
    expect(w.events).toEqual([]);
  });
});
