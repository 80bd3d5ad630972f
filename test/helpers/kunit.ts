// Fixtures shared by the transcriptions of lib/kunit_iov_iter.c: vmap()ed page buffers filled
// with the kunit pattern, and the range tables.
import type { World } from "../../src/kernel/index.js";
import { alloc_pages, kread, kwrite, vmap } from "../../src/kernel/index.js";

export const BUFSIZE = 0x100000;
export const NPAGES = BUFSIZE / 4096;

/** kvec_test_ranges (also used for XARRAY and FOLIOQ) */
export const kvec_test_ranges: readonly [number, number][] = [
  [0x00002, 0x00002],
  [0x00027, 0x03000],
  [0x05193, 0x18794],
  [0x20000, 0x20000],
  [0x20000, 0x24000],
  [0x24000, 0x27001],
  [0x29000, 0xffffb],
  [0xffffd, 0xffffe],
];

/** bvec_test_ranges: page, from, to */
export const bvec_test_ranges: readonly [number, number, number][] = [
  [0, 0x0002, 0x0002],
  [1, 0x0027, 0x0893],
  [2, 0x0193, 0x0794],
  [3, 0x0000, 0x1000],
  [4, 0x0000, 0x1000],
  [5, 0x0000, 0x1000],
  [6, 0x0000, 0x0ffb],
  [6, 0x0ffd, 0x0ffe],
];

export const pattern = (x: number): number => x & 0xff;

/** iov_kunit_create_buffer(): npages fresh pages vmap()ed into one buffer. */
export function create_buffer(w: World, npages = NPAGES): { addr: number; pages: number[] } {
  const pages = Array.from({ length: npages }, () => alloc_pages(w.mem, 0));
  return { addr: vmap(w, pages, true), pages };
}

export function fill_pattern(w: World, addr: number, size = BUFSIZE): void {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = pattern(i);
  kwrite(w, addr, bytes);
}

export const read_buffer = (w: World, addr: number, size = BUFSIZE): Uint8Array => kread(w, addr, size);

/** Index of the first differing byte, or -1 (a readable failure beats a 1 MiB diff). */
export function first_diff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
