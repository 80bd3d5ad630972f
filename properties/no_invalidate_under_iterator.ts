import type { WorldProperty } from "./world_property.js";

/** H7: what an ITER_XARRAY read delivered is in the page cache when the read completes. */
export const no_invalidate_under_iterator: WorldProperty = {
  id: "no-invalidate-under-iterator",
  statement: "A read through a kernel iterator over a file's own page cache (ITER_XARRAY) lands in that page cache: when it completes, the folio cached at every index it covered holds the bytes sent for that index.",
  rule: "I3/H7: ITER_XARRAY takes no references and finds each folio by index when it copies, so its creator keeps every covered folio in the page cache and locked until the I/O is over; invalidation and truncation wait for the folio lock",
  source: "include/linux/iov_iter.h (iterate_xarray), mm/truncate.c (invalidate_inode_pages2_range), fs/afs/dir.c (afs_read_dir)",
  guarded: (v) => (v.xarray_reads ?? []).some((r) => r.ok !== null),
  check(v) {
    const bad = (v.xarray_reads ?? []).find((r) => r.ok === false);
    return bad ? `${bad.what}: ${bad.detail ?? "the page cache differs from what was sent"}` : null;
  },
};
