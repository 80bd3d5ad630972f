import type { IterState } from "../src/check/iter_state.js";
import type { iov_iter, World } from "../src/kernel/index.js";
import { follow_pte, ITER_DISCARD, iterate_and_advance, kaddr_to_page, PAGE_SIZE } from "../src/kernel/index.js";

/**
 * A rule about one step, not a state: a page list handed out by iov_iter_extract_pages(),
 * iov_iter_get_pages2() or extract_iter_to_sg() must name, in order, the pages behind exactly the
 * bytes the iterator moved past in that call. Checked on every extraction step of the iterator
 * target; the pages behind the bytes are found by walking a copy of the iterator as it was, over
 * the world after the step (where GUP has faulted the user pages in). The walk only reads that
 * sealed world: its one write, a WARN on an xarray value entry, the step's own walk over the same
 * bytes would have made first, and a step that raised a kernel event is left to no-kernel-warning.
 */
export const extraction_matches_advance = {
  id: "extraction-matches-advance",
  statement: "A page list from extraction names, in order, the pages behind exactly the bytes the iterator advanced over in that call.",
  rule: "E1/E3: the iterator advances by the bytes returned, and those bytes start at offset0 in pages[0] and run on through pages[1..]",
  source: "lib/iov_iter.c (iov_iter_extract_pages, iov_iter_get_pages2), lib/scatterlist.c (extract_iter_to_sg)",
  check_step(s: IterState, t: IterState): string | null {
    if (t.held.length <= s.held.length || s.iter.iter_type === ITER_DISCARD) return null;
    if (t.w.events.length !== s.w.events.length) return null;
    const got = t.held[t.held.length - 1].pages;
    const moved = s.iter.count - t.iter.count;
    if (!moved && !got.length) return null;
    const behind = pages_behind(t.w, { ...s.iter }, moved);
    if (got.length === behind.length && got.every((p, k) => p === behind[k])) return null;
    return `the call advanced the iterator by ${moved} bytes, whose pages are [${behind.join(", ")}], but handed out [${got.join(", ")}]`;
  },
};

/**
 * The pages behind the next len bytes of iter, in order, one entry per run of bytes within a
 * page (two pieces meeting inside one page are one entry); -1 where nothing is mapped.
 */
function pages_behind(w: World, iter: iov_iter, len: number): number[] {
  const mm = w.mms_for_read[w.current];
  const out: number[] = [];
  let end = -1; // where in its page the last run ended
  const visit = (addr: number, n: number, user: boolean): number => {
    for (let done = 0; done < n; ) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      const k = Math.min(n - done, PAGE_SIZE - off);
      const page = user ? (follow_pte(mm, a)?.pfn ?? -1) : kaddr_to_page(w, a);
      if (page !== out[out.length - 1] || off !== end) out.push(page);
      end = off + k;
      done += k;
    }
    return 0;
  };
  iterate_and_advance(w, iter, len, (a, _p, n) => visit(a, n, true), (a, _p, n) => visit(a, n, false));
  return out;
}
