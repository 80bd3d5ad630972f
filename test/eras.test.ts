// Kernel eras as behaviour switches: the same bounded catalog, explored under each era, breaks
// the rule that era really broke, with a short trace; the current kernel breaks none.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { page_machine } from "../models/index.js";
import { world_properties } from "../properties/index.js";
import { catalog_model, describe_catalog_action } from "../src/check/catalog.js";
import { explore } from "../src/check/explore.js";
import { machine_graph } from "../src/check/machine_graph.js";
import type { MachineCoverage } from "../src/check/monitor.js";
import { new_coverage } from "../src/check/monitor.js";
import {
  boot, config_for, era_ids, fallocate, follow_pte, fork_mm, MAP_PRIVATE, mm_alloc, mmap_file, PAGE_SIZE, PG_anon, pin_user_pages_fast,
  PROT_READ, PROT_WRITE, tmpfile, user_access,
} from "../src/kernel/index.js";
import { pfn_at } from "./helpers/proc.js";

const bounds = { processes: 2, pages: 1, in_flight: 1, fixed: 1 };
const run = (era: string, coverage?: MachineCoverage) => explore(catalog_model(config_for(undefined, era)!, bounds, world_properties, coverage), 5);

describe("eras", () => {
  it("lists the eras oldest first and refuses unknown ones", () => {
    expect(era_ids()).toEqual(["pre-pin", "5.9-5.18", "6.0-6.4", "current"]);
    expect(config_for(undefined, "2.6")).toBeUndefined();
    expect(config_for("no-such-bug")).toBeUndefined();
  });

  it("pre-pin (<= 5.7): fork shares a page pinned as an io_uring fixed buffer", () => {
    const r = run("pre-pin");
    expect(r.violation!.property).toBe("model-conformance");
    expect(r.violation!.message).toMatch(/"value":"pinned".* to .*"value":"shared"/);
    expect(r.trace!.actions.map(describe_catalog_action)).toEqual([
      "process 0: io_uring register page 0 as a fixed buffer",
      "process 0: fork()",
    ]);
  });

  it.each(["5.9-5.18", "6.0-6.4"])("%s: DIO on FOLL_GET references loses the read to the child (H1)", (era) => {
    const r = run(era);
    expect(r.violation!.property).toBe("no-cow-while-pinned");
    expect(r.trace!.actions).toHaveLength(5);
  });

  it("5.9-5.18 (page_needs_cow_for_dma): fork copies a maybe-pinned page-cache page of a private file mapping for the child; from v5.19 only anonymous ones", () => {
    const child_page = (era: string) => {
      const w = boot(config_for(undefined, era));
      w.current = mm_alloc(w);
      const mm = w.mms[w.current];
      const ino = tmpfile(w);
      fallocate(w, ino, 2 * PAGE_SIZE);
      const addr = mmap_file(w, mm, ino, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
      user_access(w, mm, addr, new Uint8Array(1).fill(5), true); // page 0 COWed: the VMA has an anon_vma
      const pages = [-1];
      expect(pin_user_pages_fast(w, addr + PAGE_SIZE, 1, 0, pages)).toBe(1); // R/O pin of page 1, the page-cache page
      const cache_page = pfn_at(mm, addr + PAGE_SIZE);
      expect(pages).toEqual([cache_page]);
      const pte = follow_pte(w.mms[fork_mm(w, w.current)], addr + PAGE_SIZE)!;
      return { copied: pte.pfn !== cache_page, anon: (w.mem.flags[pte.pfn] & PG_anon) !== 0 };
    };
    expect(child_page("5.9-5.18")).toEqual({ copied: true, anon: true });
    expect(child_page("6.0-6.4")).toEqual({ copied: false, anon: false });
    expect(child_page("current")).toEqual({ copied: false, anon: false });
  });

  it("current: no violation, and the page machine's states are reached widely", () => {
    const cov = new_coverage();
    const r = run("current", cov);
    expect(r.result).toBe("ok");
    expect(r.states).toBeGreaterThan(10000);
    // Every state of the page machine is visited (by value), and most of its (value, counts) states.
    const value = (k: string) => JSON.stringify(JSON.parse(k).value);
    const all = [...machine_graph(page_machine).states.keys()];
    expect(new Set([...cov.page.states].map(value))).toEqual(new Set(all.map(value)));
    expect(cov.page.states.size).toBeGreaterThan(all.length / 2);
  });

  it("--era rejects an unknown era with one line and exit 2", () => {
    const r = spawnSync("npx", ["tsx", "src/cli/main.ts", "check", "--era", "2.6"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--era must be one of pre-pin, 5\.9-5\.18, 6\.0-6\.4, current, got '2\.6'/);
  });
});
