import type { WorldProperty } from "./world_property.js";

/** Every page an in-flight bio points at is still allocated. */
export const no_free_while_pinned: WorldProperty = {
  id: "no-free-while-pinned",
  statement: "No page that a bio in flight will DMA to or from has been freed.",
  rule: "P1/B4: a pin is a counted reference, and pins outlive the DMA",
  source: "include/linux/mm.h (GUP_PIN_COUNTING_BIAS), block/bio.c",
  guarded: (v) => v.w.block.in_flight.length > 0,
  check(v) {
    for (const id of v.w.block.in_flight) {
      const bio = v.w.block.bios[id];
      if (!bio) return `bio ${id} is in flight but freed`;
      for (let i = 0; i < bio.bi_vcnt; i++) {
        const page = bio.bi_io_vec[i].bv_page;
        if (v.w.mem.head[page] < 0) return `bio ${id} will DMA to page ${page}, which is free`;
      }
    }
    return null;
  },
};
