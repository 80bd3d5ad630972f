// Kernel behaviour that changed over time, as switches of the simulation. The defaults are the
// current kernel; a historical bug is a named set of switches plus the kernel history it
// refers to (../shared/spec/kernel-semantics.md §9-§10).
export interface KernelConfig {
  /**
   * Block direct I/O takes FOLL_GET references through iov_iter_get_pages2() and drops them with
   * put_page() (BIO_PAGE_REFFED), as before v6.4; fork cannot see such pages as pinned.
   */
  dio_get_refs: boolean;
  /** fork copies maybe-pinned anonymous pages for the child (70e806e4e645, v5.9/5.10). */
  fork_early_cow: boolean;
  /**
   * How a write fault decides to reuse a possibly shared anonymous page: "mapcount" (before
   * 09854ba94c6a, v5.9: reuse when mapped once, whatever other references exist) or "refcount"
   * (the sole reference).
   */
  cow_reuse: "mapcount" | "refcount";
  /**
   * PageAnonExclusive and GUP-triggered unsharing (6c287605fd56 and the FAULT_FLAG_UNSHARE
   * series, v5.19/6.0): R/O pins of a possibly shared anonymous page unshare it first, and fork
   * refuses to share an exclusive pinned page. Without it, fork decides on the pin alone.
   */
  anon_exclusive: boolean;
  /** Pinning the shared zero page records nothing (c8070b787519, v6.5); before, it counted. */
  zero_page_pin_noop: boolean;
  /** Writable FOLL_LONGTERM pins of dirty-tracked shared file mappings are refused (8ac268436e6d, v6.5). */
  longterm_file_write_refused: boolean;
  /**
   * A DMA writer re-dirties the pages when it drops its pins (W2): bio_check_pages_dirty()'s
   * deferred re-dirty, unpin_user_pages_dirty_lock(). Off: pins are dropped without it.
   */
  dma_redirty: boolean;
}

export const CURRENT_CONFIG: KernelConfig = Object.freeze({
  dio_get_refs: false,
  fork_early_cow: true,
  cow_reuse: "refcount",
  anon_exclusive: true,
  zero_page_pin_noop: true,
  longterm_file_write_refused: true,
  dma_redirty: true,
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
    title: "<= 5.8: DIO and GUP users take FOLL_GET references; fork shares every anon page; COW reuse by mapcount",
    config: Object.freeze({ dio_get_refs: true, fork_early_cow: false, cow_reuse: "mapcount", anon_exclusive: false, zero_page_pin_noop: false, longterm_file_write_refused: false, dma_redirty: true }),
  },
  {
    id: "5.9-5.18",
    title: "5.9-5.18: refcount-based COW reuse, fork copies pinned pages early; DIO still on references",
    config: Object.freeze({ dio_get_refs: true, fork_early_cow: true, cow_reuse: "refcount", anon_exclusive: false, zero_page_pin_noop: false, longterm_file_write_refused: false, dma_redirty: true }),
  },
  {
    id: "6.0-6.4",
    title: "6.0-6.4: PageAnonExclusive and unsharing before R/O pins; DIO still on references (block DIO pins from 6.4, fs/direct-io.c from 6.5)",
    config: Object.freeze({ dio_get_refs: true, fork_early_cow: true, cow_reuse: "refcount", anon_exclusive: true, zero_page_pin_noop: false, longterm_file_write_refused: false, dma_redirty: true }),
  },
  { id: "current", title: "6.5+: DIO pins via iov_iter_extract_pages, no-op zero-page pins, writable long-term file pins refused", config: CURRENT_CONFIG },
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
    era: "before v6.4 (block DIO), before v6.5 (fs/direct-io.c)",
    reference:
      "fixed by FOLL_PIN early COW at fork (70e806e4e645), PageAnonExclusive (6c287605fd56) and DIO pinning via iov_iter_extract_pages (e51bab4e2058, fd363244e883, v6.4)",
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
