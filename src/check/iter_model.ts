// The iterator-layer check as a model for the explorer: from each scenario, every sequence of
// advance, revert, copy (in the iterator's direction), extraction and release of what was
// extracted, with the properties of properties/ checked after every step.
import { iter_properties } from "../../properties/index.js";
import {
  clone_world, copy_from_iter, copy_to_iter, iov_iter_advance, iov_iter_extract_pages, iov_iter_extract_will_pin,
  iov_iter_revert, PAGE_SIZE, unpin_user_page,
} from "../kernel/index.js";
import type { Model, Violation } from "./explore.js";
import type { IterState } from "./iter_state.js";
import { iter_scenarios } from "./iter_scenarios.js";
import { world_key } from "./world_key.js";

export type IterAction =
  | { op: "advance" | "revert" | "copy"; n: number }
  | { op: "extract"; maxsize: number; maxpages: number }
  | { op: "release" };

export interface IterBounds {
  /** Byte counts tried for advance, revert and copy. */
  sizes: readonly number[];
  /** Extraction batches held at once. */
  max_held: number;
}

export const default_iter_bounds: IterBounds = { sizes: [0x900, 0x1000], max_held: 2 };

export function describe_action(a: IterAction): string {
  switch (a.op) {
    case "extract": return `iov_iter_extract_pages(maxsize=0x${a.maxsize.toString(16)}, maxpages=${a.maxpages})`;
    case "release": return "release the oldest extracted page list";
    case "copy": return `copy 0x${a.n.toString(16)} bytes`;
    default: return `iov_iter_${a.op}(0x${a.n.toString(16)})`;
  }
}

export function iter_model(bounds: IterBounds = default_iter_bounds): Model<IterState, IterAction> {
  const initial = iter_scenarios();
  return {
    initial: () => initial,
    actions(s) {
      const consumed = s.total - s.iter.count;
      const out: IterAction[] = [];
      for (const n of bounds.sizes) {
        if (n <= s.iter.count) out.push({ op: "advance", n }, { op: "copy", n });
        if (n <= consumed) out.push({ op: "revert", n });
      }
      if (s.iter.count && s.held.length < bounds.max_held) out.push({ op: "extract", maxsize: 0x1800, maxpages: 2 });
      if (s.held.length) out.push({ op: "release" });
      return out;
    },
    step(s, a) {
      const w = clone_world(s.w);
      const iter = { ...s.iter };
      let held = s.held;
      switch (a.op) {
        case "advance": iov_iter_advance(iter, a.n); break;
        case "revert": iov_iter_revert(w, iter, a.n); break;
        case "copy":
          if (iter.data_source) copy_from_iter(w, s.scratch, a.n, iter);
          else copy_to_iter(w, s.scratch, a.n, iter);
          break;
        case "extract": {
          const pinned = iov_iter_extract_will_pin(iter);
          const r = iov_iter_extract_pages(w, iter, null, a.maxsize, a.maxpages, 0);
          const n = r.ret > 0 ? Math.ceil((r.offset0! + r.ret) / PAGE_SIZE) : 0;
          held = [...held, { pages: r.pages!.slice(0, n), pinned }];
          break;
        }
        case "release": {
          const [first, ...rest] = held;
          if (first.pinned) for (const p of first.pages) unpin_user_page(w, p);
          held = rest;
          break;
        }
      }
      return { ...s, w, iter, held };
    },
    key(s) {
      const i = s.iter;
      const q = i.folioq ? `${i.folioq.folios[0]}` : "";
      const held = s.held.map((h) => `${h.pinned ? "p" : "b"}${h.pages.join(".")}`).join(";");
      return `${s.scenario}|${i.seg},${i.nr_segs},${i.iov_offset},${i.count},${q},${i.folioq_slot}|${held}|${world_key(s.w)}`;
    },
    check(s): Violation | null {
      for (const p of iter_properties) {
        const why = p.check(s);
        if (why) return { property: p.id, message: why };
      }
      return null;
    },
  };
}
