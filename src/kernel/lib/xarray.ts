// include/linux/xarray.h, lib/xarray.c: the subset that page-cache iterators use. An entry is a
// folio (covering 2^order consecutive indices from an aligned start) or a value entry (shadow /
// swap entry); a missing index is a hole.
export type xa_entry = { folio: number; order: number } | { value: number };

export const xa_is_value = (e: xa_entry): e is { value: number } => "value" in e;

export interface xarray {
  /** Every covered index -> its entry (a multi-index folio appears under each of its indices). */
  slots: Map<number, xa_entry>;
}

export const xa_init = (): xarray => ({ slots: new Map() });

export function xa_store(xa: xarray, index: number, entry: xa_entry): void {
  const nr = xa_is_value(entry) ? 1 : 1 << entry.order;
  const first = index - (index % nr);
  for (let k = 0; k < nr; k++) xa.slots.set(first + k, entry);
}

export const xa_load = (xa: xarray, index: number): xa_entry | undefined => xa.slots.get(index);

export function xa_erase(xa: xarray, index: number): void {
  const e = xa.slots.get(index);
  if (!e) return;
  for (const [k, v] of xa.slots) if (v === e) xa.slots.delete(k);
}

/**
 * xas_for_each(&xas, entry, ULONG_MAX) from index: each present entry once, in index order,
 * skipping holes; yields the entry and the first index at or after `index` it covers.
 */
export function* xas_for_each(xa: xarray, index: number): Generator<[xa_entry, number]> {
  const keys = [...xa.slots.keys()].filter((k) => k >= index).sort((a, b) => a - b);
  let last: xa_entry | undefined;
  for (const k of keys) {
    const e = xa.slots.get(k)!;
    if (e === last) continue;
    last = e;
    yield [e, k];
  }
}

/** xas_load() then xas_next() from index: entry per consecutive index, stopping at a hole. */
export function* xas_walk_contiguous(xa: xarray, index: number): Generator<[xa_entry, number]> {
  for (let k = index; ; k++) {
    const e = xa.slots.get(k);
    if (!e) return;
    yield [e, k];
  }
}
