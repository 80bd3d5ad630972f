// The iterator-layer check as a model for the explorer: from each scenario, every sequence of
// advance, revert, copy (in the iterator's direction), extraction (iov_iter_extract_pages, the
// legacy iov_iter_get_pages2 with references, extract_iter_to_sg) and release of what was
// extracted, with the properties of properties/ checked after every step.
import { extraction_matches_advance } from "../../properties/extraction_matches_advance.js";
import { iter_properties } from "../../properties/index.js";
import { first_broken } from "../../properties/property.js";
import type { KernelConfig, sg_table } from "../kernel/index.js";
import {
  clone_world, compact_world, copy_from_iter, copy_to_iter, DIV_ROUND_UP, extract_iter_to_sg, get_page_refs, iov_iter_advance,
  iov_iter_extract_pages, iov_iter_extract_will_pin, iov_iter_revert, PAGE_SIZE, put_page_refs, seal_world, unpin_user_page,
} from "../kernel/index.js";
import type { Model } from "./explore.js";
import type { IterState } from "./iter_state.js";
import { iter_scenarios } from "./iter_scenarios.js";
import { encode_world, world_key } from "./world_key.js";
import { json_words, num_words } from "./words.js";

export type IterAction =
  | { op: "advance" | "revert" | "copy"; n: number }
  | { op: "extract"; maxsize: number; maxpages: number }
  | { op: "get_pages"; maxsize: number; maxpages: number }
  | { op: "extract_to_sg"; maxsize: number; sg_max: number }
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
    case "get_pages": return `take a reference per page for async I/O: iov_iter_get_pages2(maxsize=0x${a.maxsize.toString(16)}, maxpages=${a.maxpages})`;
    case "extract_to_sg": return `extract_iter_to_sg(maxsize=min(0x${a.maxsize.toString(16)}, count), sg_max=${a.sg_max})`;
    case "release": return "release the oldest extracted page list (unpin, put_page or nothing, as it is held)";
    case "copy": return `copy 0x${a.n.toString(16)} bytes`;
    default: return `iov_iter_${a.op}(0x${a.n.toString(16)})`;
  }
}

export function iter_model(config: KernelConfig, bounds: IterBounds = default_iter_bounds): Model<IterState, IterAction> {
  const initial = iter_scenarios(config);
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
      // Restricted to keep the state count within about twice the old one: the legacy getter and
      // the scatterlist extraction start a ledger only while it is empty, and the latter only on
      // user iterators (on kernel ones it takes nothing the ledger could check). A list held by
      // reference is then always the oldest, so two lists differing only in "ref" against "none"
      // never need telling apart (the key encodes pinned or not; the counts show a reference).
      if (s.iter.count && s.held.length === 0) {
        out.push({ op: "get_pages", maxsize: 0x1800, maxpages: 2 });
        if (iov_iter_extract_will_pin(s.iter)) out.push({ op: "extract_to_sg", maxsize: 0x1800, sg_max: 2 });
      }
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
          held = [...held, { pages: r.pages!.slice(0, n), how: pinned ? "pin" : "none" }];
          break;
        }
        case "get_pages": {
          // User pages come with FOLL_GET references, BVEC/FOLIOQ/XARRAY pages with a folio
          // reference each; KVEC is -EFAULT unless the kvec-refs caller converts it anyway.
          const pages = new Array<number>(a.maxpages).fill(-1);
          const r = get_page_refs(w, iter, pages, a.maxsize, a.maxpages);
          if (r.ret > 0) held = [...held, { pages: pages.slice(0, DIV_ROUND_UP(r.offset0! + r.ret, PAGE_SIZE)), how: "ref" }];
          break;
        }
        case "extract_to_sg": {
          // As AF_ALG's callers set up their table: empty, orig_nents 0; maxsize no more than
          // the iterator holds. User pages come pinned, kernel pages bare.
          const pinned = iov_iter_extract_will_pin(iter);
          const sgt: sg_table = { sgl: [], nents: 0, orig_nents: 0 };
          const r = extract_iter_to_sg(w, iter, Math.min(a.maxsize, iter.count), sgt, a.sg_max, 0);
          if (r > 0) held = [...held, { pages: sgt.sgl.slice(0, sgt.nents).map((e) => e.page), how: pinned ? "pin" : "none" }];
          break;
        }
        case "release": {
          const [first, ...rest] = held;
          if (first.how === "pin") for (const p of first.pages) unpin_user_page(w, p);
          else if (first.how === "ref") put_page_refs(w, first.pages);
          held = rest;
          break;
        }
      }
      return { ...s, w: seal_world(w), iter, held };
    },
    key(s) {
      const i = s.iter;
      const q = i.folioq ? `${i.folioq.folios[0]}` : "";
      const held = s.held.map((h) => `${h.how === "pin" ? "p" : "b"}${h.pages.join(".")}`).join(";");
      return `${s.scenario}|${i.seg},${i.nr_segs},${i.iov_offset},${i.count},${q},${i.folioq_slot}|${held}|${world_key(s.w)}`;
    },
    encode(s, out) {
      const i = s.iter;
      out.str(s.scenario);
      num_words(out, i.seg);
      num_words(out, i.nr_segs);
      num_words(out, i.iov_offset);
      num_words(out, i.count);
      out.push(i.folioq ? 1 : 0);
      if (i.folioq) json_words(out, i.folioq.folios[0]);
      num_words(out, i.folioq_slot);
      out.push(s.held.length);
      for (const h of s.held) {
        out.push(h.how === "pin" ? 1 : 0);
        json_words(out, h.pages);
      }
      encode_world(s.w, out);
    },
    check: (s) => first_broken(iter_properties, s),
    check_step(s, _a, t) {
      const why = extraction_matches_advance.check_step(s, t);
      return why ? { property: extraction_matches_advance.id, message: why } : null;
    },
    retain: (s) => compact_world(s.w),
  };
}
