// Path replay: every reachable edge of every machine replayed on the simulated kernel, with the
// abstraction of the object compared with the machine after each step; and deliberately broken
// kernel behaviour caught at the step where it happens.
import type { AnyStateMachine } from "xstate";
import { describe, expect, it } from "vitest";
import type { bio, World } from "../src/kernel/index.js";
import {
  BIO_PAGE_PINNED, bio_clear_flag, fork_mm, iomap_dio_bio_end_io, MMF_HAS_PINNED, page_add_rmap, page_remove_rmap,
  PG_anon_exclusive, put_page, register_bi_end_io, unpin_user_page,
} from "../src/kernel/index.js";
import type { Driver } from "../src/check/driver.js";
import type { DioHandle, IterHandle, PageHandle, ProcHandle } from "../src/check/drivers/index.js";
import { completion_driver, drivers, iterator_driver, mapper, page_driver, process_driver } from "../src/check/drivers/index.js";
import { covering_paths, initial_snapshot, next_snapshot, snapshot_key } from "../src/check/machine_graph.js";
import type { ReplayReport } from "../src/check/path_replay.js";
import { check_machine, format_report } from "../src/check/path_replay.js";

describe("every machine conforms to the simulation", () => {
  it.each(drivers.map((d) => [d.name, d] as const))("%s: every edge replayed, no mismatch", (_, driver) => {
    const r = check_machine(driver as Driver<unknown>);
    expect(r.mismatches, format_report(r)).toEqual([]);
    expect(r.edges_covered).toBe(r.edges_defined);
    expect(r.uncovered_edges).toEqual([]);
    expect(r.transitions_covered).toBe(r.transitions_defined);
    expect(r.edges_defined).toBeGreaterThan(r.states); // edges, not just states
  });
});

/** A driver whose step for one event is replaced by a deliberately wrong variant. */
function broken<H>(driver: Driver<H>, event: string, wrong: (w: World, h: H) => void): Driver<H> {
  return { ...driver, name: `${driver.name} (broken ${event})`, step: (w, h, e) => (e === event ? wrong(w, h) : driver.step(w, h, e)) };
}

/**
 * Where a breakage must show: in each covering path, the first step taking one of the broken
 * events from a state where the breakage matters (1-based), or none.
 */
function expected_steps(machine: AnyStateMachine, broken_events: string[], matters: (value: unknown) => boolean): (number | null)[] {
  return covering_paths(machine).map((events) => {
    let s = initial_snapshot(machine);
    for (let k = 0; k < events.length; k++) {
      if (broken_events.includes(events[k]) && matters(s.value)) return k + 1;
      s = next_snapshot(machine, s, events[k]);
    }
    return null;
  });
}

/** Exactly the paths that take a broken edge report a mismatch, at that step, with the machine's expectation. */
function expect_caught(r: ReplayReport, machine: AnyStateMachine, broken_events: string[], matters: (value: unknown) => boolean) {
  const want = expected_steps(machine, broken_events, matters).flatMap((step, path) => (step === null ? [] : [[path, step]]));
  expect(want.length).toBeGreaterThan(0);
  expect(r.mismatches.map((m) => [m.path, m.step])).toEqual(want);
  for (const m of r.mismatches) {
    let s = initial_snapshot(machine);
    for (const e of m.events.slice(0, m.step)) s = next_snapshot(machine, s, e);
    expect(m.expected).toBe(snapshot_key(s));
    expect(m.actual).not.toBe(m.expected);
  }
  expect(r.edges_covered).toBeLessThan(r.edges_defined);
}

describe("the replay catches a broken simulation", () => {
  it("fork that shares a pinned page instead of copying it (as before 70e806e4e645)", () => {
    const share = (w: World, h: PageHandle) => {
      const parent = mapper(w, h);
      const child = w.mms[fork_mm(w, parent)];
      const pte = child.ptes.get(h.id.vpn);
      if (!pte || pte.pfn === h.id.pfn) return; // fork shared it anyway
      // Undo copy_present_page(): the child maps the pinned page itself, both PTEs read-only.
      child.ptes.set(h.id.vpn, { pfn: h.id.pfn, write: false, dirty: pte.dirty });
      w.mms[parent].ptes.set(h.id.vpn, { ...w.mms[parent].ptes.get(h.id.vpn)!, write: false });
      w.mem.flags[h.id.pfn] &= ~PG_anon_exclusive;
      page_add_rmap(w, h.id.pfn);
      page_remove_rmap(w, pte.pfn); // frees the copy
    };
    const r = check_machine(broken(page_driver, "FORK", share));
    expect_caught(r, page_driver.machine, ["FORK"], (v) => v === "pinned");
    // The abstraction saw a pinned page mapped twice, copy-on-write.
    for (const m of r.mismatches) expect(JSON.parse(m.actual)).toMatchObject({ value: "shared", context: { maps: 2 } });
    expect(format_report(r)).toMatch(/expected .*"pinned".* got .*"shared"/);
  });

  it("release that put_page()s pages that were pinned", () => {
    const release = (w: World, h: IterHandle) => {
      if (h.took !== "pin") return iterator_driver.step(w, h, "RELEASE");
      for (const p of h.it.pages ?? []) put_page(w, p); // wrong: a pin is released with unpin_user_page()
      h.it.pages = [];
    };
    const r = check_machine(broken(iterator_driver, "RELEASE", release));
    expect_caught(r, iterator_driver.machine, ["RELEASE"], (v) => v === "pinned");
    for (const m of r.mismatches) expect(JSON.parse(m.actual).value).toBe("referenced"); // 1023 of the pin's 1024 left
  });

  it("a DIO end_io that put_page()s the pinned buffer instead of unpinning it", () => {
    register_bi_end_io("test_put_page_dio_end_io", (w: World, b: bio) => {
      for (let i = 0; i < b.bi_vcnt; i++) put_page(w, b.bi_io_vec[i].bv_page);
      bio_clear_flag(b, BIO_PAGE_PINNED); // so that the real end_io releases nothing more
      iomap_dio_bio_end_io(w, b);
    });
    const submit = (w: World, h: DioHandle) => {
      completion_driver.step(w, h, "SUBMIT");
      w.block.bios[h.bio]!.bi_end_io = "test_put_page_dio_end_io";
    };
    const r = check_machine(broken(completion_driver, "SUBMIT", submit));
    // SUBMIT itself still conforms; the damage shows where bio_endio runs.
    expect_caught(r, completion_driver.machine, ["END_IO", "DEVICE_FAIL"], () => true);
    // 1023 of the pin's 1024 references are left behind.
    for (const m of r.mismatches) expect(JSON.parse(m.actual).value).toMatch(/buffer refcount \+1023/);
    expect(r.mismatches.map((m) => JSON.parse(m.actual).value)).toContain("completed, bio freed, buffer not released (buffer refcount +1023)");
  });

  it("a kernel warning during a step is a mismatch: put_page() twice per reference", () => {
    const r = check_machine(broken(page_driver, "PUT", (w, h) => {
      put_page(w, h.id.pfn);
      put_page(w, h.id.pfn);
    }));
    for (const m of r.mismatches) expect(m.event).toBe("PUT");
    // From "held" the first put frees the page and the second is a use after free; from a mapped
    // state the page is freed under its mapping.
    expect(r.mismatches.some((m) => /^kernel BUG in put_page/.test(m.actual))).toBe(true);
    expect(r.mismatches.some((m) => JSON.parse(m.expected).value !== "freed" && /"freed"/.test(m.actual))).toBe(true);
  });

  it("unpin that clears MMF_HAS_PINNED", () => {
    const unpin = (w: World, h: ProcHandle) => {
      unpin_user_page(w, h.pinned.pop()!);
      w.mms[h.mm].flags &= ~(1 << MMF_HAS_PINNED);
    };
    const r = check_machine(broken(process_driver, "UNPIN", unpin));
    expect_caught(r, process_driver.machine, ["UNPIN"], () => true);
    for (const m of r.mismatches) expect(JSON.parse(m.actual).value.alive.pinning).toBe("never");
  });
});
