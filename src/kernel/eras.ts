// Kernel behaviour that changed over time, as switches of the simulation. The defaults are the
// current kernel; a historical bug is a named set of switches plus the kernel history it
// refers to (../shared/spec/kernel-semantics.md §9-§10).
export interface KernelConfig {
  /**
   * Block direct I/O takes FOLL_GET references through iov_iter_get_pages2() and drops them with
   * put_page() (BIO_PAGE_REFFED), as before v6.4; fork cannot see such pages as pinned.
   */
  dio_get_refs: boolean;
}

export const CURRENT_CONFIG: KernelConfig = Object.freeze({ dio_get_refs: false });

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
];

export const bug_ids = (): string[] => BUGS.map((b) => b.id);

/** The configuration for a bug switch id (or the current kernel); undefined for an unknown id. */
export function config_for(bug?: string): KernelConfig | undefined {
  if (bug === undefined) return CURRENT_CONFIG;
  const b = BUGS.find((x) => x.id === bug);
  return b ? Object.freeze({ ...CURRENT_CONFIG, ...b.config }) : undefined;
}
