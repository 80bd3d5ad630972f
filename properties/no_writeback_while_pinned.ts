import type { WorldProperty } from "./world_property.js";

export const no_writeback_while_pinned: WorldProperty = {
  id: "no-writeback-while-pinned",
  statement: "No byte a device wrote into a page-cache page through a pin is lost: once the I/O is over and everything dirty is written back, the disk holds it, even if writeback cleaned the page while the pin was held.",
  rule: "W1/W2/B3: writeback does not wait for pins, so the pin holder must re-dirty the pages it wrote when it lets go (bio_check_pages_dirty, unpin_user_pages_dirty_lock)",
  source: "mm/page-writeback.c (folio_clear_dirty_for_io), block/bio.c (bio_check_pages_dirty), mm/gup.c",
  guarded: (v) => v.persisted.some((p) => p.ok !== null),
  check(v) {
    const bad = v.persisted.find((p) => p.ok === false);
    return bad ? `${bad.what}: ${bad.detail}` : null;
  },
};
