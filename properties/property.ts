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
