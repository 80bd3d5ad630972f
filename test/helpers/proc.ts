// Fixtures for the block-layer and direct-I/O suites: a process with a populated private
// anonymous buffer, an ext4-like file with known disk bytes, and state snapshots for checking
// that every count returns to its baseline.
import type { Mm, World } from "../../src/kernel/index.js";
import {
  fallocate, follow_pte, MAP_SHARED, mm_alloc, mmap_anon, mmap_file, PAGE_SIZE, PROT_READ, PROT_WRITE, tmpfile, user_access,
} from "../../src/kernel/index.js";
import { peek_disk } from "../../src/check/peek.js";

export interface Proc {
  id: number;
  mm: Mm;
  buf: number;
}

/** A process (made current) with `pages` pages of private anonymous memory, all written with `fill`. */
export function spawn(w: World, pages: number, fill = 0xaa): Proc {
  const id = mm_alloc(w);
  w.current = id;
  const mm = w.mms[id];
  const buf = mmap_anon(w, mm, pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
  expect_ok(user_access(w, mm, buf, new Uint8Array(pages * PAGE_SIZE).fill(fill), true));
  return { id, mm, buf };
}

function expect_ok(left: number): void {
  if (left) throw new Error(`user access left ${left} bytes`);
}

export const pfn_at = (mm: Mm, addr: number): number => follow_pte(mm, addr)!.pfn;

/** What the CPU reads at user addresses [addr, addr + len) of mm. */
export function uread(w: World, mm: Mm, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  expect_ok(user_access(w, mm, addr, out, false));
  return out;
}

export function uwrite(w: World, mm: Mm, addr: number, bytes: Uint8Array): void {
  expect_ok(user_access(w, mm, addr, bytes, true));
}

/**
 * Page 0 of file ino mapped MAP_SHARED (read-write) into p and written with `fill` by the CPU:
 * a dirty, mapped page-cache folio. Returns the user address and the folio. A shorter file is
 * grown to the page first (faulting a page past the end is SIGBUS).
 */
export function map_shared_written(w: World, p: Proc, ino: number, fill: number): { addr: number; folio: number } {
  if (w.inodes[ino].i_size < PAGE_SIZE) fallocate(w, ino, PAGE_SIZE);
  const addr = mmap_file(w, p.mm, ino, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
  uwrite(w, p.mm, addr, new Uint8Array(PAGE_SIZE).fill(fill));
  return { addr, folio: pfn_at(p.mm, addr) };
}

/** n recognisable bytes: seed, seed+1, ... (mod 256), never 0xaa-filled. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 7) & 0xff;
  return b;
}

/** An ext4-like file whose disk holds `pages` pages of pattern bytes; i_size as given. */
export function ext4_file(w: World, pages: number, i_size = pages * PAGE_SIZE, seed = 0x31): number {
  const ino = tmpfile(w);
  const bytes = pattern(pages * PAGE_SIZE, seed);
  for (let k = 0; k < pages; k++) w.inodes[ino].disk.set(k, bytes.slice(k * PAGE_SIZE, (k + 1) * PAGE_SIZE));
  w.inodes[ino].i_size = i_size;
  return ino;
}

/** The bytes the disk holds for [pos, pos + len) of file ino, holes as zeros: the checker's peek_disk(). */
export const disk_bytes: (w: World, ino: number, pos: number, len: number) => Uint8Array = peek_disk;

/** Per-frame counts of every allocated frame: refcount, pincount, mapcount. */
export function counts(w: World): Map<number, [number, number, number]> {
  const m = new Map<number, [number, number, number]>();
  for (let pfn = 0; pfn < w.mem.nr_frames; pfn++)
    if (w.mem.head[pfn] >= 0) m.set(pfn, [w.mem.refcount[pfn], w.mem.pincount[pfn], w.mem.mapcount[pfn]]);
  return m;
}

/** No bio, dio, queued work or device activity is left, and no WARN/BUG was recorded. */
export function quiescent(w: World): string[] {
  const bad: string[] = [];
  if (w.block.bios.some((b) => b)) bad.push("live bios");
  if (w.block.dios.some((d) => d)) bad.push("live dios");
  if (w.block.netfs.some((r) => r)) bad.push("live netfs requests");
  if (w.block.in_flight.length || w.block.transferred.length) bad.push("device busy");
  if (w.block.work.length) bad.push("work pending");
  if (w.block.bio_dirty_list.length) bad.push("bio_dirty_list not empty");
  const { nr_foll_pin_acquired, nr_foll_pin_released, foll_pin_added = 0 } = w.vmstat;
  if (nr_foll_pin_acquired + foll_pin_added !== nr_foll_pin_released) bad.push("pins acquired != released"); // folio_add_pin()'s count as taken
  for (const e of w.events) bad.push(`${e.kind} in ${e.fn}: ${e.what}`);
  return bad;
}
