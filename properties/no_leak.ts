import { PG_anon, PG_swapcache } from "../src/kernel/index.js";
import type { WorldProperty } from "./world_property.js";

/** At quiescence every user and cache folio is held only by its mappings and its cache. */
export const no_leak: WorldProperty = {
  id: "no-leak",
  statement: "When nothing is in flight, every anonymous or page-cache folio's refcount is its mappings plus its page/swap cache reference, with no pin left.",
  rule: "P2/E1: every reference and pin taken for I/O is dropped once, the way it was taken",
  source: "mm/gup.c (gup_put_folio), block/bio.c (bio_release_pages)",
  guarded: (v) => v.quiescent,
  check(v) {
    if (!v.quiescent) return null;
    const m = v.w.mem;
    for (let f = 1; f < m.nr_frames; f++) {
      if (m.head[f] !== f) continue;
      const user = (m.flags[f] & (PG_anon | PG_swapcache)) !== 0 || m.mapping[f] >= 0;
      if (!user) continue;
      let want = (m.mapping[f] >= 0 ? 1 : 0) + (m.flags[f] & PG_swapcache ? 1 : 0);
      for (let k = 0; k < 1 << m.order[f]; k++) want += m.mapcount[f + k];
      if (m.refcount[f] !== want || m.pincount[f] !== 0)
        return `folio ${f}: refcount ${m.refcount[f]}, pincount ${m.pincount[f]} with nothing in flight; its mappings and caches account for ${want}`;
    }
    // folio_add_pin()'s additional pins are released like any other but not counted as acquired.
    const { nr_foll_pin_acquired: a, nr_foll_pin_released: r, foll_pin_added: added = 0 } = v.w.vmstat;
    return a + added === r ? null : `${a} pins acquired${added ? ` and ${added} added` : ""} but ${r} released`;
  },
};
