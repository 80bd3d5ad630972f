// An invariant: an id, what it states, the kernel rule it encodes and the file that states it,
// and a check that returns why a state breaks it (or null).
export interface Property<S> {
  id: string;
  statement: string;
  rule: string;
  source: string;
  check(s: S): string | null;
  /** Whether the situation the property guards arises in s (so a run can tell vacuous passes). */
  guarded(s: S): boolean;
}

/** The first of the properties that s breaks, as the explorer reports it (a Violation), or null. */
export function first_broken<S>(properties: readonly Property<S>[], s: S): { property: string; message: string } | null {
  for (const p of properties) {
    const why = p.check(s);
    if (why) return { property: p.id, message: why };
  }
  return null;
}

/** The ids of the properties whose guarded situation arises in s, in their order. */
export function guarded_ids<S>(properties: readonly Property<S>[], s: S): string[] {
  const out: string[] = [];
  for (const p of properties) if (p.guarded(s)) out.push(p.id);
  return out;
}
