// Set-up shared by the targets and the drivers: a new running process, a file on the
// ext4-like file system whose disk already holds known bytes, so that what a device reads can be
// recognised in memory, and kswapd reaching a given page.
import type { Mm, World } from "../kernel/index.js";
import { current_mm, follow_pte, mm_alloc, PAGE_SIZE, page_folio, shrink_folio, tmpfile, ZERO_PFN } from "../kernel/index.js";

/** A new process in the world, made the current task; its mm. */
export function run_new_process(w: World): Mm {
  w.current = mm_alloc(w);
  return current_mm(w)!;
}

/** The byte at offset i of page k of a disk_file(w, pages, "pattern"): never 0xaa or 0xcc runs. */
export const disk_pattern = (k: number, i: number): number => (0x31 + k + i) & 0xff;

/** A tmpfile of `pages` pages whose disk holds disk_pattern (or `fill` in every byte). */
export function disk_file(w: World, pages: number, fill?: number): number {
  const ino = tmpfile(w);
  for (let k = 0; k < pages; k++)
    w.inodes[ino].disk.set(k, fill === undefined ? Uint8Array.from({ length: PAGE_SIZE }, (_, i) => disk_pattern(k, i)) : new Uint8Array(PAGE_SIZE).fill(fill));
  w.inodes[ino].i_size = pages * PAGE_SIZE;
  return ino;
}

/**
 * kswapd takes the folio mapped at addr off the LRU (shrink_folio_list()); unlike MADV_PAGEOUT it
 * also takes a folio that other mappings share, unmapping it from all of them. Nothing mapped
 * there (or the zero page): nothing to do.
 */
export function kswapd_reclaim(w: World, mm: Readonly<Mm>, addr: number): void {
  const pte = follow_pte(mm, addr);
  if (pte && pte.pfn !== ZERO_PFN) shrink_folio(w, page_folio(w, pte.pfn));
}
