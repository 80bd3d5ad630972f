// Set-up shared by the targets and the drivers: a new running process, and a file on the
// ext4-like file system whose disk already holds known bytes, so that what a device reads can be
// recognised in memory.
import type { Mm, World } from "../kernel/index.js";
import { current_mm, mm_alloc, PAGE_SIZE, tmpfile } from "../kernel/index.js";

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
