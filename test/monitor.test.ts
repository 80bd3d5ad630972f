// Model monitors: every catalog step is checked against the page and process machines.
import { describe, expect, it } from "vitest";
import { world_properties } from "../properties/index.js";
import { process_state } from "../models/process.js";
import { catalog_model } from "../src/check/catalog.js";
import type { CatalogAction } from "../src/check/catalog.js";
import { monitor_step, new_coverage } from "../src/check/monitor.js";
import { clone_world, config_for, MMF_HAS_PINNED, PG_anon_exclusive, seal_world } from "../src/kernel/index.js";

const bounds = { processes: 2, pages: 1, in_flight: 1, fixed: 1 };

describe("model monitors", () => {
  it("pass a legal history and record the machine states and edges it used", () => {
    const cov = new_coverage();
    const m = catalog_model(config_for()!, bounds, world_properties, cov);
    let s = m.initial()[0];
    const steps: CatalogAction[] = [
      { op: "register", proc: 0, page: 0 }, { op: "fork", proc: 0 }, { op: "write", proc: 0, page: 0, half: 0 },
      { op: "unregister", proc: 0, page: 0 }, { op: "exit", proc: 1 },
    ];
    for (const a of steps) {
      expect(m.actions(s), JSON.stringify(a)).toContainEqual(a); // a history the catalog can take
      const t = m.step(s, a);
      expect(m.check_step!(s, a, t)).toBeNull();
      s = t;
    }
    expect(cov.page.edges.size).toBeGreaterThan(2);
    expect(cov.process.edges.size).toBeGreaterThan(1);
  });

  it("report a process whose MMF_HAS_PINNED was cleared (it is never cleared)", () => {
    const m = catalog_model(config_for()!, bounds, world_properties);
    const s = m.step(m.initial()[0], { op: "register", proc: 0, page: 0 });
    const after = m.step(s, { op: "unregister", proc: 0, page: 0 });
    const broken = clone_world(after.w);
    broken.mms[0].flags &= ~(1 << MMF_HAS_PINNED);
    const v = monitor_step(s.w, broken, new_coverage());
    expect(v?.property).toBe("model-conformance");
    expect(v?.message).toMatch(/^process 0 moved from .*"pinning":"ever".* to .*"pinning":"never"/);
  });

  it("judge a page whose frame alone changed, page tables and swap as they were", () => {
    const m = catalog_model(config_for()!, bounds, world_properties);
    const s = m.step(m.initial()[0], { op: "register", proc: 0, page: 0 });
    const page = s.fixed[0].imu.pages[0];
    const broken = clone_world(s.w);
    broken.mem.flags[page] &= ~PG_anon_exclusive; // shared with another mapper, as a pre-5.9 fork would
    broken.mem.mapcount[page] += 1;
    broken.mem.refcount[page] += 1;
    seal_world(broken);
    expect(broken.mms_for_read).toBe(s.w.mms_for_read);
    expect(broken.swap_for_read).toBe(s.w.swap_for_read);
    expect(monitor_step(s.w, broken, new_coverage())?.message).toMatch(/"value":"pinned".* to .*"value":"shared"/);
    // Bytes alone: nothing moved.
    const written = clone_world(s.w);
    written.data.write(page).fill(0x42);
    expect(monitor_step(s.w, seal_world(written), new_coverage())).toBeNull();
  });

  it("report a pinned page that fork shared (the pre-5.9 rule) at the fork step", () => {
    const m = catalog_model(config_for(undefined, "pre-pin")!, bounds, world_properties);
    const s = m.step(m.initial()[0], { op: "register", proc: 0, page: 0 });
    const v = m.check_step!(s, { op: "fork", proc: 0 }, m.step(s, { op: "fork", proc: 0 }));
    expect(v?.message).toMatch(/"value":"pinned".* to .*"value":"shared"/);
  });
});

describe("checker flaws the fuzzer found (fixed)", () => {
  const big = { processes: 3, pages: 2, in_flight: 2, fixed: 1 };

  /** Run actions through the catalog model (each one enabled), returning the first violation (step or state). */
  function first_violation(actions: CatalogAction[]) {
    const m = catalog_model(config_for()!, big, world_properties);
    let s = m.initial()[0];
    for (const a of actions) {
      // A disabled action would make "no violation" vacuous.
      expect(m.actions(s), JSON.stringify(a)).toContainEqual(a);
      const t = m.step(s, a);
      const v = m.check_step!(s, a, t) ?? m.check(t);
      if (v) return v;
      s = t;
    }
    return null;
  }

  it("a grandchild is not born with children, and a COW break may end sharing with two children at once", () => {
    expect(first_violation([{ op: "fork", proc: 0 }, { op: "fork", proc: 1 }])).toBeNull();
    const m = catalog_model(config_for()!, big, world_properties);
    const s = m.step(m.step(m.initial()[0], { op: "fork", proc: 0 }), { op: "fork", proc: 1 });
    expect([0, 1, 2].map((mm) => process_state(s.w, { mm }).context.children)).toEqual([1, 1, 0]);
    expect(first_violation([
      { op: "fork", proc: 0 }, { op: "fork", proc: 0 }, { op: "write", proc: 0, page: 0, half: 0 },
      { op: "dio_read", proc: 0, page: 1, half: 0 },
    ])).toBeNull();
  });

  it("a DIO read is judged by the bytes the device read at transfer, not the disk at completion", () => {
    expect(first_violation([
      { op: "dio_read", proc: 0, page: 0, half: 1 }, { op: "fork", proc: 0 },
      { op: "dio_write", proc: 1, page: 0, half: 1 },
      { op: "device_transfer", bio: 1 }, { op: "device_transfer", bio: 0 }, { op: "device_complete", bio: 0 },
    ])).toBeNull();
  });

  it("a transfer is credited to the read whose bio it is, even when two reads cover the same range", () => {
    const m = catalog_model(config_for()!, big, world_properties);
    let s = m.initial()[0];
    for (const a of [
      { op: "fork", proc: 0 }, { op: "dio_read", proc: 0, page: 0, half: 0 }, { op: "dio_read", proc: 1, page: 0, half: 0 },
      { op: "device_transfer", bio: 1 },
    ] as CatalogAction[]) {
      expect(m.actions(s), JSON.stringify(a)).toContainEqual(a);
      s = m.step(s, a);
    }
    expect(s.ios.map((io) => [io.proc, io.bios, io.expected !== null])).toEqual([[0, [0], false], [1, [1], true]]);
  });
});
