// The world value: clones share page bytes until written, and the allocator is deterministic.
import { describe, expect, it } from "vitest";
import { encode_world, world_key } from "../src/check/world_key.js";
import { Words } from "../src/check/words.js";
import {
  alloc_pages, boot, clone_world, compact_world, mm_alloc, copy_to_iter, seal_world, iov_iter_kvec, kmalloc, kread, kwrite, page_address, PAGE_SIZE,
  madvise_pageout, mmap_anon, PROT_READ, PROT_WRITE, put_page, READ, user_access, vmalloc,
} from "../src/kernel/index.js";

describe("world", () => {
  it("a clone shares every page's bytes until one side writes that page", () => {
    const w = boot();
    const src = vmalloc(w, 4 * PAGE_SIZE);
    const dst = vmalloc(w, 4 * PAGE_SIZE);
    kwrite(w, src, new Uint8Array(4 * PAGE_SIZE).fill(0x5a));
    kwrite(w, dst, new Uint8Array(4 * PAGE_SIZE).fill(0x11));
    const c = clone_world(w);
    const pages = w.kvm.areas.flatMap((a) => [...a.pages]);
    expect(pages.every((p) => c.data.shares(w.data, p))).toBe(true);

    // Copy one byte range into the clone's second destination page only.
    const iter = iov_iter_kvec(c, READ, [{ iov_base: dst + PAGE_SIZE + 10, iov_len: 100 }], 1, 100);
    expect(copy_to_iter(c, src, 100, iter)).toBe(100);

    const written = c.kvm.areas[1].pages[1];
    expect(c.data.shares(w.data, written)).toBe(false);
    expect(pages.filter((p) => p !== written).every((p) => c.data.shares(w.data, p))).toBe(true);
    expect(kread(c, dst + PAGE_SIZE + 10, 100)).toEqual(new Uint8Array(100).fill(0x5a));
    expect(kread(w, dst + PAGE_SIZE + 10, 100)).toEqual(new Uint8Array(100).fill(0x11));
  });

  it("a clone's counters and allocations are its own", () => {
    const w = boot();
    const p = alloc_pages(w.mem, 0);
    const c = clone_world(w);
    put_page(c, p);
    expect(c.mem.head[p]).toBe(-1);
    expect(w.mem.head[p]).toBe(p);
    expect(w.mem.refcount[p]).toBe(1);
  });

  it("allocation is deterministic: the same calls give the same frames and addresses", () => {
    const run = () => {
      const w = boot();
      return [alloc_pages(w.mem, 0), alloc_pages(w.mem, 2), kmalloc(w, 64), kmalloc(w, 64), vmalloc(w, 3 * PAGE_SIZE)];
    };
    expect(run()).toEqual(run());
    const w = boot();
    const a = alloc_pages(w.mem, 2);
    expect(a % 4).toBe(0); // naturally aligned
    expect(kmalloc(w, 64) + 64).toBe(kmalloc(w, 64)); // objects of one slab page are packed
    expect(page_address(a)).toBe(0x888000000000 + a * PAGE_SIZE);
  });

  it("a freed frame loses its bytes and bumps its generation", () => {
    const w = boot();
    const p = alloc_pages(w.mem, 0);
    w.data.write(p).fill(7);
    const gen = w.mem.gen[p];
    put_page(w, p);
    expect(w.mem.gen[p]).toBe(gen + 1);
    expect(w.data.read(p).every((b) => b === 0)).toBe(true);
    expect(w.data.has(p)).toBe(false); // no buffer at all: encode_world lists only frames with bytes
  });

  it("a user write to a dirty page copies the page's bytes only; a user read copies nothing", () => {
    const w = boot();
    const mm = mm_alloc(w);
    w.current = mm;
    const addr = mmap_anon(w, w.mms[mm], PAGE_SIZE, PROT_READ | PROT_WRITE);
    user_access(w, w.mms[mm], addr, new Uint8Array(8).fill(1), true); // faulted in, PTE dirty
    seal_world(w);
    const write = clone_world(w);
    expect(user_access(write, write.mms_for_read[mm], addr, new Uint8Array(8).fill(2), true)).toBe(0);
    seal_world(write);
    expect([write.inherited("mem"), write.inherited_mm(mm), write.inherited("data")]).toEqual([true, true, false]);
    const read = clone_world(write);
    const out = new Uint8Array(8);
    expect(user_access(read, read.mms_for_read[mm], addr, out, false)).toBe(0);
    seal_world(read);
    expect(out).toEqual(new Uint8Array(8).fill(2));
    expect([read.inherited("mem"), read.inherited_mm(mm), read.inherited("data")]).toEqual([true, true, true]);
    // The first write after a clean PTE sets its dirty bit: that address space is copied.
    const clean = clone_world(read);
    clean.mm(mm)!.ptes.set(addr / PAGE_SIZE, { ...clean.mms_for_read[mm].ptes.get(addr / PAGE_SIZE)!, dirty: false });
    seal_world(clean);
    const dirtied = clone_world(clean);
    user_access(dirtied, dirtied.mms_for_read[mm], addr, new Uint8Array(1), true);
    expect(dirtied.mms_for_read[mm].ptes.get(addr / PAGE_SIZE)!.dirty).toBe(true);
    expect(clean.mms_for_read[mm].ptes.get(addr / PAGE_SIZE)!.dirty).toBe(false);
  });

  it("a clone copies a part the first time it reaches for it, and either side's writes stay its own", () => {
    const w = boot();
    const p = alloc_pages(w.mem, 0);
    const c = clone_world(w);
    // The original writes first, before the clone has looked: it must write a copy of its own.
    w.mem.refcount[p] = 5;
    expect(c.mem.refcount[p]).toBe(1);
    c.mem.refcount[p] = 7;
    expect(w.mem.refcount[p]).toBe(5);
    expect(c.mem).not.toBe(w.mem); // both sides copied: the part they shared stays as it was

    const before = w.mms;
    const d = seal_world(clone_world(seal_world(w)));
    expect(d.inherited("mms")).toBe(true);
    expect(d.mms).toBe(before); // a sealed world reads its parts as they are
    const e = clone_world(d);
    e.mem.refcount[p] = 9;
    seal_world(e);
    expect(e.inherited("mem")).toBe(false);
    expect(e.inherited("mms")).toBe(true);
    expect(d.mem.refcount[p]).toBe(5);
  });

  it("address spaces are copied one at a time: a step in one process leaves the others shared", () => {
    const w = boot();
    const a = mm_alloc(w), b = mm_alloc(w);
    seal_world(w);
    const c = clone_world(w);
    // The original, still open after the clone, writes first: it must copy, not write what c shares.
    const o = clone_world(w);
    o.mm(a)!.flags = 1;
    expect(w.mms[a].flags).toBe(0);
    c.mm(a)!.flags = 2;
    expect(c.mms.length).toBe(2);
    expect(o.mm(a)!.flags).toBe(1);
    expect(w.mms[a].flags).toBe(0);
    // Cloned while open, o shares the address space it had copied: its next write copies again.
    const o2 = clone_world(o);
    o.mm(a)!.flags = 4;
    expect(o2.mm(a)!.flags).toBe(1);
    o.mm(a)!.flags = 1;
    const d = clone_world(seal_world(o));
    d.mm(b)!.flags = 3;
    seal_world(d);
    expect(d.mm(a)).toBe(o.mm(a)); // untouched: the very Mm of the world it came from
    expect(d.inherited_mm(a)).toBe(true);
    expect(d.inherited_mm(b)).toBe(false);
    expect(d.inherited("mms")).toBe(false);
    expect(o.mm(b)!.flags).toBe(0);
    // Reaching for every address space copies the ones not copied yet, and keeps the ones copied.
    const e = clone_world(d);
    const own = e.mm(b)!;
    const all = e.mms;
    expect(all[b]).toBe(own);
    expect(all[a]).not.toBe(d.mm(a));
    seal_world(e);
    expect([e.inherited_mm(a), e.inherited_mm(b)]).toEqual([false, false]);
    // mm_alloc grows the array: the world it came from keeps its own length.
    const f = clone_world(e);
    mm_alloc(f);
    expect([f.mms.length, e.mms.length]).toEqual([3, 2]);
  });

  it("compacting interns the pages a world wrote: one buffer per content, and a later write copies it", () => {
    const w = boot();
    const [a, b, c] = [alloc_pages(w.mem, 0), alloc_pages(w.mem, 0), alloc_pages(w.mem, 0)];
    w.data.write(a).fill(0x5a);
    w.data.write(b).fill(0x5a);
    w.data.write(c).fill(0x11);
    expect(w.data.read(a)).not.toBe(w.data.read(b));
    compact_world(seal_world(w));
    expect(w.data.read(a)).toBe(w.data.read(b));
    expect(w.data.read(c)).not.toBe(w.data.read(a));
    expect(w.data.read(c).every((x) => x === 0x11)).toBe(true);

    const d = clone_world(w);
    d.data.write(a).fill(0x77);
    expect(d.data.read(a).every((x) => x === 0x77)).toBe(true);
    for (const x of [w, d]) expect(x.data.read(b).every((y) => y === 0x5a)).toBe(true);
    expect(w.data.read(a).every((y) => y === 0x5a)).toBe(true);

    // An open world compacted and written again: the page it wrote is shared now, so it copies.
    const o = boot();
    const [x, y] = [alloc_pages(o.mem, 0), alloc_pages(o.mem, 0)];
    o.data.write(x).fill(0x5a);
    o.data.write(y).fill(0x5a);
    compact_world(o);
    expect(o.data.read(x)).toBe(o.data.read(y));
    o.data.write(x).fill(0x33);
    expect(o.data.read(y).every((z) => z === 0x5a)).toBe(true);
    expect(o.data.read(x).every((z) => z === 0x33)).toBe(true);
  });
});

describe("world encoding", () => {
  it("lists every field of a VMA, a PTE and a swap PTE: world_key and encode_world name them one by one", () => {
    const make = () => {
      const w = boot();
      w.current = mm_alloc(w);
      const mm = w.mms[w.current];
      const addr = mmap_anon(w, mm, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
      user_access(w, mm, addr, new Uint8Array(2 * PAGE_SIZE).fill(1), true);
      madvise_pageout(w, mm, addr + PAGE_SIZE, PAGE_SIZE);
      const swp = (addr + PAGE_SIZE) / PAGE_SIZE;
      return { w, mm, vma: mm.vmas[0] as unknown as Record<string, unknown>, pte: mm.ptes.get(addr / PAGE_SIZE)! as unknown as Record<string, unknown>, swp: mm.swap.get(swp)! as unknown as Record<string, unknown> };
    };
    const { vma, pte, swp } = make();
    // A field added to one of these types must be added to both encoders (src/check/world_key.ts), then here.
    expect(Object.keys(vma).sort()).toEqual(["anon_vma", "dontcopy", "file", "vm_end", "vm_flags", "vm_pgoff", "vm_start"]);
    expect(Object.keys(pte).sort()).toEqual(["dirty", "pfn", "write"]);
    expect(Object.keys(swp).sort()).toEqual(["exclusive", "slot"]);
    // And each of them reaches both encodings: a world differing in that field alone encodes differently.
    const encodings = (w: ReturnType<typeof boot>) => {
      const out = new Words();
      encode_world(seal_world(w), out);
      return [world_key(w), [...out.view()].join()];
    };
    const base = encodings(make().w);
    const changed = (v: unknown) => (typeof v === "boolean" ? !v : (v as number) + 1);
    for (const part of ["vma", "pte", "swp"] as const)
      for (const field of Object.keys(make()[part])) {
        const m = make();
        m[part][field] = changed(m[part][field]);
        const [key, words] = encodings(m.w);
        expect(key, `${part}.${field} in world_key`).not.toBe(base[0]);
        expect(words, `${part}.${field} in encode_world`).not.toBe(base[1]);
      }
  });

  it("refuses to encode a world that is not sealed", () => {
    const w = boot();
    expect(() => encode_world(w, new Words())).toThrow("encode_world: the world is not sealed");
    expect(() => encode_world(seal_world(w), new Words())).not.toThrow();
  });
});
