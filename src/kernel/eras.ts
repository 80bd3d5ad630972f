// Kernel behaviour that changed over time, as switches of the simulation. The defaults are the
// current kernel; a historical bug is a named set of switches plus the kernel history it
// refers to (../shared/spec/kernel-semantics.md §9-§10).
export interface KernelConfig {
  /**
   * Block direct I/O takes FOLL_GET references through iov_iter_get_pages2() and drops them with
   * put_page(), as before v6.5; fork cannot see such pages as pinned.
   */
  dio_get_refs: boolean;
  /** fork copies maybe-pinned pages of COW mappings for the child (70e806e4e645, v5.9/5.10). */
  fork_early_cow: boolean;
  /**
   * How a write fault decides to reuse a possibly shared anonymous page: "mapcount" (before
   * 09854ba94c6a, v5.9: reuse when mapped once, whatever other references exist) or "refcount"
   * (the sole reference).
   */
  cow_reuse: "mapcount" | "refcount";
  /**
   * PageAnonExclusive and GUP-triggered unsharing (6c287605fd56 and the FAULT_FLAG_UNSHARE
   * series, v5.19): R/O pins of a possibly shared anonymous page unshare it first, and fork
   * refuses to share an exclusive pinned page. Without it, fork decides on the pin alone.
   */
  anon_exclusive: boolean;
  /**
   * Reclaim keeps a maybe-pinned anonymous folio out of the swap cache ("mm: don't put pinned
   * pages into the swap cache", feb889fb40fa, v5.11; the 5.9-5.18 era folds in 5.9 and 5.10,
   * which lacked it); before, it was added to the swap cache and unmapped like any other. The
   * check after unmapping that then keeps it (d824ec2a1546 "mm: do not reclaim private data from
   * pinned page", v6.4, backported to the stable trees) is applied in every era: without it a
   * pinned folio would be paged out and then kept as referenced, which no property tells apart
   * (with it removed from the older eras, every era's check result and scenario verdict stayed).
   */
  swapcache_skips_pinned: boolean;
  /**
   * do_swap_page() maps an exclusive page writable on a read fault too (c18160dba5ff, v6.11);
   * before, only a write fault did (from v5.19, where swap PTEs carry the exclusive bit).
   */
  swapin_exclusive_writable: boolean;
  /**
   * ext4 lets an O_DIRECT write that overwrites written blocks but is not block-aligned run
   * asynchronously under the shared inode lock (310ee0902b8d, v6.5). Before, from ext4's iomap
   * DIO in v5.5 on, every unaligned write waited for its own completion (IOMAP_DIO_FORCE_WAIT),
   * io_submit() included, so its pages were released before the call returned.
   */
  ext4_unaligned_overwrite_async: boolean;
  /**
   * iomap DIO flushes and invalidates the page cache for writes only, and a write over a range it
   * cannot invalidate falls back to buffered I/O (-ENOTBLK): 54752de928c4 and 60263d5889e6, v5.9.
   * Before (ext4 on iomap from v5.5), reads were flushed and invalidated too, and a range that
   * could not be invalidated only warned (dio_warn_stale_pagecache) while the I/O went ahead.
   */
  iomap_dio_invalidates_writes_only: boolean;
  /** Pinning the shared zero page records nothing (c8070b787519, v6.5); before, it counted. */
  zero_page_pin_noop: boolean;
  /** Writable FOLL_LONGTERM pins of dirty-tracked shared file mappings are refused (8ac268436e6d, v6.5). */
  longterm_file_write_refused: boolean;
  /**
   * io_uring refuses to register a fixed buffer in file-backed memory other than shmem and
   * hugetlbfs itself, with -EOPNOTSUPP (io_sqe_buffer_register()/io_pin_pages(), from the first
   * fixed buffers in v5.1 until "io_uring: rsrc: delegate VMA file-backed check to GUP" (Lorenzo
   * Stoakes, v6.5) left the decision to GUP's FOLL_LONGTERM rule above).
   */
  io_uring_file_buffers_refused: boolean;
  /**
   * H3: a kernel reader builds the iterator of the buffer it will fill with WRITE (ITER_SOURCE)
   * instead of READ (ITER_DEST), as the call sites fixed in Al Viro's 2022 direction audit did
   * (xen, vhost, target, s390, fsi, infiniband, tipc); modelled at __kernel_read() draining a
   * pipe. Off: ITER_DEST, as every fixed call site does.
   */
  dest_iter_as_source: boolean;
  /**
   * A DMA writer re-dirties the pages when it drops its pins (W2): bio_check_pages_dirty()'s
   * deferred re-dirty, unpin_user_pages_dirty_lock(). Off: pins are dropped without it.
   */
  dma_redirty: boolean;
  /**
   * H4: extract_iter_to_sg()'s error path for user iterators drops the pins it took with
   * put_page() instead of unpin_user_page() (lib/scatterlist.c, v6.3-6.5, before "crypto, cifs:
   * Fix error handling in extract_iter_to_sg()"). Off: the pins are dropped with unpin_user_page().
   */
  sg_error_put_page: boolean;
  /**
   * H5 d: iov_iter_get_pages2() on ITER_BVEC takes every page's reference on the folio of the
   * first page of the run (b9c0e49abfca, 2025, until "lib/iov_iter: fix to increase non slab folio
   * refcount"). Off: page k's reference goes to page k's own folio.
   */
  bvec_get_pages_first_folio: boolean;
  /**
   * H5 c: __bio_release_pages() unpins one page per PAGE_SIZE of a folio segment's length,
   * counting from the page the segment starts in, so a segment that starts part-way into a page
   * and spans one page more than its length in pages keeps that page's pin (from 1b151e2435fc,
   * v6.8-rc1 and the stable 6.1.75 and 6.6.14, until "block: Fix page refcounts for unaligned
   * buffers in __bio_release_pages()", Feb 2024). Off: every page the segment spans is unpinned.
   */
  bio_release_by_length: boolean;
  /**
   * H6: a caller that turns an iterator into a referenced page list for async I/O (the pre-6.3
   * cifs/ceph pattern) also does so for ITER_KVEC, looking the pages up behind the kernel
   * addresses and taking get_page() on each, although references cannot keep kmalloc'd (slab) or
   * vmalloc'd memory alive. Off: KVEC is refused with -EFAULT, as iov_iter_get_pages2() does.
   */
  kvec_refs: boolean;
  /**
   * H7: afs_read_dir() (fs/afs/dir.c, ~5.14-6.13) builds an ITER_DEST ITER_XARRAY over the
   * directory's own page cache and unlocks the folios it created, keeping only references, before
   * the FetchData reply is copied in; ITER_XARRAY finds each folio by index at copy time, so an
   * invalidation that removes one sends the bytes elsewhere or nowhere. Off: the creator keeps
   * every covered folio locked until the reply is in (what a correct ITER_XARRAY user must do;
   * afs itself moved to a private folio_queue buffer in ~6.14).
   */
  xarray_unlocked_folios: boolean;
}

/** The switches only bug entries turn: every era, the current one included, has them so. */
const NO_BUG_SWITCHES = {
  dest_iter_as_source: false,
  dma_redirty: true,
  sg_error_put_page: false,
  bvec_get_pages_first_folio: false,
  bio_release_by_length: false,
  kvec_refs: false,
  xarray_unlocked_folios: false,
} as const;

export const CURRENT_CONFIG: KernelConfig = Object.freeze({
  dio_get_refs: false,
  fork_early_cow: true,
  cow_reuse: "refcount",
  anon_exclusive: true,
  swapcache_skips_pinned: true,
  swapin_exclusive_writable: true,
  ext4_unaligned_overwrite_async: true,
  iomap_dio_invalidates_writes_only: true,
  zero_page_pin_noop: true,
  longterm_file_write_refused: true,
  io_uring_file_buffers_refused: false,
  ...NO_BUG_SWITCHES,
} as const);

export interface Era {
  id: string;
  title: string;
  config: KernelConfig;
}

/** The kernel eras that matter for pinning (kernel-semantics §9), oldest first. */
export const ERAS: readonly Era[] = [
  {
    id: "pre-pin",
    title: "<= 5.7: DIO and GUP users take FOLL_GET references; fork shares every anon page; COW reuse by mapcount",
    config: Object.freeze({ dio_get_refs: true, fork_early_cow: false, cow_reuse: "mapcount", anon_exclusive: false, swapcache_skips_pinned: false, swapin_exclusive_writable: false, ext4_unaligned_overwrite_async: false, iomap_dio_invalidates_writes_only: false, zero_page_pin_noop: false, longterm_file_write_refused: false, io_uring_file_buffers_refused: true, ...NO_BUG_SWITCHES }),
  },
  {
    id: "5.9-5.18",
    title: "5.9-5.18: refcount-based COW reuse, fork copies pinned pages early; DIO still on references",
    config: Object.freeze({ dio_get_refs: true, fork_early_cow: true, cow_reuse: "refcount", anon_exclusive: false, swapcache_skips_pinned: true, swapin_exclusive_writable: false, ext4_unaligned_overwrite_async: false, iomap_dio_invalidates_writes_only: true, zero_page_pin_noop: false, longterm_file_write_refused: false, io_uring_file_buffers_refused: true, ...NO_BUG_SWITCHES }),
  },
  {
    id: "6.0-6.4",
    title: "6.0-6.4: PageAnonExclusive and unsharing before R/O pins; DIO still on references (block and fs/direct-io.c DIO pin from 6.5)",
    config: Object.freeze({ dio_get_refs: true, fork_early_cow: true, cow_reuse: "refcount", anon_exclusive: true, swapcache_skips_pinned: true, swapin_exclusive_writable: false, ext4_unaligned_overwrite_async: false, iomap_dio_invalidates_writes_only: true, zero_page_pin_noop: false, longterm_file_write_refused: false, io_uring_file_buffers_refused: true, ...NO_BUG_SWITCHES }),
  },
  { id: "current", title: "6.5+: DIO pins via iov_iter_extract_pages, no-op zero-page pins, writable long-term file pins refused (swap-in as in 6.11+)", config: CURRENT_CONFIG },
];

export const era_ids = (): string[] => ERAS.map((e) => e.id);

export interface BugSwitch {
  id: string;
  title: string;
  /** The kernels that behaved this way. */
  era: string;
  /** The commits or threads that describe the bug and its fix. */
  reference: string;
  /** The property a check finds broken under this switch. */
  breaks: string;
  config: Partial<KernelConfig>;
}

export const BUGS: readonly BugSwitch[] = [
  {
    id: "dio-read-vs-fork",
    title: "DIO read vs fork: the parent's read lands in the child (FOLL_GET references in block DIO)",
    era: "before v6.5 (block DIO and fs/direct-io.c)",
    reference:
      "fixed by FOLL_PIN early COW at fork (70e806e4e645), PageAnonExclusive (6c287605fd56) and DIO pinning via iov_iter_extract_pages (e51bab4e2058, fd363244e883, a7e689dd1c06, v6.5)",
    breaks: "no-cow-while-pinned",
    config: { dio_get_refs: true },
  },
  {
    id: "dma-no-redirty",
    title: "A DMA writer drops its pins without re-dirtying the pages: a write that landed after writeback cleaned the page is lost",
    era: "a class of driver bugs (unpin_user_pages() where unpin_user_pages_dirty_lock() was needed); the hazard Jan Kara described for pinned page-cache pages",
    reference:
      "kernel-semantics §7.2 (pinned page-cache pages modified behind the filesystem's back); bio_check_pages_dirty() defers re-dirtying for exactly this case",
    breaks: "no-writeback-while-pinned",
    config: { dma_redirty: false },
  },
  {
    id: "put-page-on-pins",
    title: "extract_iter_to_sg() fails part-way and drops the user pages it pinned with put_page(): each keeps the rest of its pin",
    era: "v6.3-v6.5 (netfs_extract_user_to_sg in fs/netfs/iterator.c, then extract_user_to_sg in lib/scatterlist.c)",
    reference:
      "H4 (kernel-semantics §10): \"crypto, cifs: Fix error handling in extract_iter_to_sg()\" (David Howells, Jul 2023; Fixes 018584697533), found by syzbot through AF_ALG hash_sendmsg(); the fix unpins instead",
    // A small page keeps GUP_PIN_COUNTING_BIAS - 1 references (maybe-pinned for good), a large folio its pincount.
    breaks: "release-matches-acquire",
    config: { sg_error_put_page: true },
  },
  {
    id: "bvec-get-pages-first-folio",
    title: "iov_iter_get_pages2() on a bvec that spans several folios takes every page's reference on the first page's folio",
    era: "2025: from b9c0e49abfca (get_page()/put_page() leave slab pages alone) until the fix",
    reference:
      "H5 d (kernel-semantics §10): \"lib/iov_iter: fix to increase non slab folio refcount\" (Sheng Yong, Apr 2025; Fixes b9c0e49abfca)",
    // The first folio gains the references of the others; their later put_page() underflows or frees them early.
    breaks: "release-matches-acquire",
    config: { bvec_get_pages_first_folio: true },
  },
  {
    id: "bio-release-unaligned",
    title: "A direct I/O segment that starts part-way into a large folio's page: __bio_release_pages() unpins as many pages as the segment is long, not every page it spans",
    era: "v6.8-rc1 to rc6, and stable 6.1.75+ and 6.6.14+ (from 1b151e2435fc until the fix of Feb 2024 reached them)",
    reference:
      "H5 c (kernel-semantics §10): \"block: Fix page refcounts for unaligned buffers in __bio_release_pages()\" (Tony Battersby, Feb 2024), after 1b151e2435fc \"block: Remove special-casing of compound pages\"",
    // An O_DIRECT read of one page's length from the middle of a page of an mTHP folio: the last page's pin stays.
    breaks: "no-leak",
    config: { bio_release_by_length: true },
  },
  {
    id: "kvec-refs",
    title: "A caller turns an ITER_KVEC over kmalloc'd memory into pages and takes references on them, as if they kept the buffer alive",
    era: "pre-6.3 callers that built referenced page lists for async I/O (cifs setup_aio_ctx_iter()/cifs_aio_ctx_release(), ceph __iter_get_bvecs()); the KVEC step is the hazard kernel-semantics H6 describes, partly unconfirmed",
    reference:
      "H6 (kernel-semantics §10); Al Viro's iov_iter audit (Sep 2022, linux-fsdevel); v6.3 netfs_extract_user_iter() leaves kernel iterators alone; b9c0e49abfca (2025) makes get_page() on a slab page WARN instead of counting; sendpage_ok() (include/linux/net.h) guards the same hazard",
    // Why no-kernel-warning: a slab object lives until kfree() whatever its page's refcount says
    // (mm/slub.c), so the reference protects nothing. Before 2025 get_page() raised the count
    // silently and the damage came later, as async I/O into a freed and reused object; the
    // simulated mm is the current one, whose get_page() (include/linux/mm.h) refuses a slab page
    // with a WARN, so the check catches the misuse on the step that takes the reference.
    breaks: "no-kernel-warning",
    config: { kvec_refs: true },
  },
  {
    id: "xarray-unlocked-folios",
    title: "afs_read_dir() reads a directory into its page cache through an ITER_XARRAY whose folios it left unlocked: an invalidation during the RPC replaces a folio and the reply lands elsewhere",
    era: "~5.14-6.13 (fs/afs/dir.c)",
    reference:
      "H7 (kernel-semantics §10, inference on the exact race): afs_read_dir() built iov_iter_xarray(ITER_DEST) over i_pages, created folios with __filemap_get_folio(FGP_LOCK | FGP_CREAT) and folio_unlock()ed them before afs_fetch_data(); Al Viro listed the call site as unverified (Sep 2022); replaced by a private folio_queue buffer in \"afs: Use netfslib for directories\" (~6.14)",
    breaks: "no-invalidate-under-iterator",
    config: { xarray_unlocked_folios: true },
  },
  {
    id: "cow-either-way",
    title: "COW can break either way: a write fault reuses a page by its mapcount, so a page a vmsplice() reference still holds takes the writer's private data into the pipe",
    era: "before v5.8 and stable 5.7.3 (mapcount-based reuse in do_wp_page()/reuse_swap_page(); 5.8 made GUP break COW first, 5.9 reuses only the sole reference)",
    reference:
      "H2 / CVE-2020-29374 (kernel-semantics §10): 17839856fd58 \"gup: document and work around 'COW can break either way' issue\" (v5.8, stable 5.7.3: every FOLL_GET or FOLL_PIN in a COW mapping broke COW as a write would), then 09854ba94c6a \"mm: do_wp_page() simplification\" (v5.9, reuse only the sole reference); reliable R/O pins via FAULT_FLAG_UNSHARE and PageAnonExclusive (2022)",
    breaks: "no-cow-while-pinned",
    config: { cow_reuse: "mapcount" },
  },
  {
    id: "direction-confusion",
    title: "A kernel reader builds the iterator of the buffer it fills as ITER_SOURCE (WRITE): copy_page_to_iter() warns and copies nothing, and the read fails with -EFAULT",
    era: "per-call-site driver bugs until Al Viro's 2022 direction audit (xen, vhost, target, s390, fsi, infiniband, tipc); since a41dad905e5a the copy refuses with WARN_ON_ONCE",
    reference:
      "H3 (kernel-semantics §10): a41dad905e5a \"iov_iter: saner checks for attempt to copy to/from iterator\", de4eda9de2d9 (ITER_SOURCE/ITER_DEST names), \"[xen] fix 'direction' argument of iov_iter_kvec()\", \"[vhost] fix 'direction' argument of iov_iter_{init,bvec}()\", \"[target] fix iov_iter_bvec() 'direction' argument\"",
    breaks: "no-kernel-warning",
    config: { dest_iter_as_source: true },
  },
  {
    id: "zero-page-pin-accounting",
    title: "Pins of the shared zero page are counted, but fs/direct-io.c puts ZERO_PAGE(0) unpinned into a pinned write bio: unpinning it takes 1024 references it never got",
    era: "the pre-v6.5 zero-page accounting combined with the v6.5 pinning fs/direct-io.c, which the same series made safe by landing c8070b787519 first (a 6.1-stable backport of it later returned failure instead of success for the zero page)",
    reference:
      "H8 (kernel-semantics §10): c8070b787519 \"mm: Don't pin ZERO_PAGE in pin_user_pages()\", a prerequisite of \"block: Use iov_iter_extract_pages() and page pinning in direct-io.c\" (David Howells, v6.5: \"allowing insertion of zero pages in with pinned pages\")",
    // The underflow is DEBUG_VM's VM_BUG_ON in the unpin (no-kernel-warning), on the write's own step.
    breaks: "no-kernel-warning",
    config: { zero_page_pin_noop: false },
  },
  {
    id: "longterm-file-write-pins",
    title: "Writable long-term pins of a MAP_SHARED ext4 page are allowed: data an io_uring fixed buffer receives after writeback cleaned the page never reaches the disk",
    era: "before v6.5 for GUP's long-term pinners (RDMA, VFIO, ...); io_uring refused file-backed buffers itself until v6.5 handed the check to GUP, so the switch sits on the current io_uring",
    reference:
      "H9 (kernel-semantics §10, §7.2): 8ac268436e6d \"mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings\", a6e79df92e4a (GUP-fast), \"io_uring: rsrc: delegate VMA file-backed check to GUP\" (Lorenzo Stoakes, v6.5)",
    breaks: "no-writeback-while-pinned",
    config: { longterm_file_write_refused: false },
  },
];

export const bug_ids = (): string[] => BUGS.map((b) => b.id);

/**
 * The configuration of an era (default: current) with a bug switch on top; undefined for an
 * unknown era or bug id.
 */
export function config_for(bug?: string, era = "current"): KernelConfig | undefined {
  const base = ERAS.find((e) => e.id === era)?.config;
  if (!base) return undefined;
  if (bug === undefined) return base;
  const b = BUGS.find((x) => x.id === bug);
  return b ? Object.freeze({ ...base, ...b.config }) : undefined;
}
