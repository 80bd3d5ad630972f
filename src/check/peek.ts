// Reading a process's memory the way a property may: without faulting anything in, so that
// checking a state never changes it.
import type { ReadOutcome } from "../../properties/world_property.js";
import type { Mm, World } from "../kernel/index.js";
import { filemap_get_folio, find_vma, follow_pte, linear_page_index, PAGE_SIZE } from "../kernel/index.js";

/**
 * The page bytes a CPU access to addr would see, without faulting anything in: the present page,
 * else what a fault would bring: the swap cache or swap slot, the file's cached folio or its disk,
 * zeros for untouched anonymous memory. null where no VMA covers addr.
 */
function page_bytes(w: World, mm: Mm, addr: number): Uint8Array | null {
  const vma = find_vma(mm, addr);
  if (!vma) return null;
  const pte = follow_pte(mm, addr);
  if (pte) return w.data_for_read.read(pte.pfn);
  const swp = mm.swap.get(Math.floor(addr / PAGE_SIZE));
  if (swp) {
    const cached = w.swap.cache.get(swp.slot);
    return cached !== undefined ? w.data_for_read.read(cached) : w.swap.slots.get(swp.slot)?.bytes ?? new Uint8Array(PAGE_SIZE);
  }
  if (vma.file >= 0) {
    const index = linear_page_index(vma, addr);
    const folio = filemap_get_folio(w, w.inodes[vma.file], index, false);
    return folio >= 0 ? w.data_for_read.read(folio) : w.inodes[vma.file].disk.get(index) ?? new Uint8Array(PAGE_SIZE);
  }
  return new Uint8Array(PAGE_SIZE);
}

/** The bytes the CPU would read at [addr, addr+len) of mm, or null where no VMA covers it. */
export function peek_user(w: World, mm: Mm, addr: number, len: number): Uint8Array | null {
  const out = new Uint8Array(len);
  for (let done = 0; done < len; ) {
    const a = addr + done;
    const off = a % PAGE_SIZE;
    const n = Math.min(len - done, PAGE_SIZE - off);
    const bytes = page_bytes(w, mm, a);
    if (!bytes) return null;
    out.set(bytes.subarray(off, off + n), done);
    done += n;
  }
  return out;
}

/** The bytes the disk holds for [pos, pos+len) of a file (holes read as zeros). */
export function peek_disk(w: World, ino: number, pos: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let done = 0; done < len; ) {
    const p = pos + done;
    const off = p % PAGE_SIZE;
    const n = Math.min(len - done, PAGE_SIZE - off);
    const page = w.inodes[ino].disk.get(Math.floor(p / PAGE_SIZE));
    if (page) out.set(page.subarray(off, off + n), done);
    done += n;
  }
  return out;
}

/** Where what a reader holds first differs from what the device delivered; mine -1: not mapped. */
export interface ReadMismatch {
  at: number;
  mine: number;
  device: number;
}

/** null when mm holds at addr exactly the bytes the device delivered. */
export function read_mismatch(w: World, mm: number, addr: number, device: Uint8Array): ReadMismatch | null {
  const mine = peek_user(w, w.mm(mm)!, addr, device.length);
  if (!mine) return { at: 0, mine: -1, device: device[0] };
  const at = mine.findIndex((b, i) => b !== device[i]);
  return at < 0 ? null : { at, mine: mine[at], device: device[at] };
}

export const read_detail = (m: ReadMismatch): string =>
  m.mine < 0 ? "completed, but the reader's buffer is no longer mapped"
    : `completed, but the reader's byte ${m.at} is 0x${m.mine.toString(16)}, not the device's 0x${m.device.toString(16)}`;

/** Whether mm holds at addr the bytes the device delivered, and if not, where they differ. */
export function read_outcome(w: World, mm: number, addr: number, device: Uint8Array): { ok: boolean; detail?: string } {
  const m = read_mismatch(w, mm, addr, device);
  return m ? { ok: false, detail: read_detail(m) } : { ok: true };
}

/** A registered fixed buffer stays what its owner maps (cow.c "fork() with an iouring fixed buffer"). */
export function fixed_buffer_outcome(w: World, mm: number, addr: number, pinned: number, what: string): ReadOutcome {
  const pte = follow_pte(w.mm(mm)!, addr);
  const ok = !pte || pte.pfn === pinned;
  return { what, ok, detail: ok ? undefined : `the owner now maps page ${pte!.pfn}, not the pinned page ${pinned}` };
}

/**
 * A FOLL_PIN holder reads what its process maps (cow.c "Longterm R/O pin is reliable"): the
 * pinned page's bytes against what a CPU access at addr in mm sees now. No claim once the
 * process maps nothing there (unmapped, or exited).
 */
export function pin_outcome(w: World, mm: number, addr: number, pinned: number, what: string): ReadOutcome {
  const page = addr - (addr % PAGE_SIZE);
  const m = read_mismatch(w, mm, page, w.data_for_read.read(pinned));
  if (!m || m.mine < 0) return { what, ok: true };
  const pte = follow_pte(w.mm(mm)!, page);
  const maps = pte ? `the process maps page ${pte.pfn}` : "the process maps no page there now";
  return {
    what, ok: false,
    detail: `the pin holder reads 0x${m.device.toString(16)} at byte ${m.at} but the process reads 0x${m.mine.toString(16)} (${maps}, the pin holds page ${pinned})`,
  };
}

/**
 * How a file's page cache compares, page by page over [0, nr_pages), with what its disk (for an
 * afs directory: the fileserver) holds: -1 the same bytes, -2 no folio cached there, j >= 0 the
 * bytes of page j instead, -3 other bytes (the first difference in `at`, `got`, `want`).
 */
export interface CachePage {
  state: number;
  at?: number;
  got?: number;
  want?: number;
}

export function cache_vs_disk(w: World, ino: number, nr_pages: number): CachePage[] {
  const inode = w.inodes[ino];
  const disk = (k: number): Uint8Array => inode.disk.get(k) ?? new Uint8Array(PAGE_SIZE);
  const out: CachePage[] = [];
  for (let k = 0; k < nr_pages; k++) {
    const folio = filemap_get_folio(w, inode, k, false);
    if (folio < 0) {
      out.push({ state: -2 });
      continue;
    }
    const got = w.data_for_read.read(folio);
    const want = disk(k);
    const at = got.findIndex((b, i) => b !== want[i]);
    if (at < 0) {
      out.push({ state: -1 });
      continue;
    }
    let from = -3;
    for (let j = 0; j < nr_pages && from === -3; j++) {
      const other = disk(j);
      if (j !== k && got.every((b, i) => b === other[i])) from = j;
    }
    out.push(from >= 0 ? { state: from } : { state: -3, at, got: got[at], want: want[at] });
  }
  return out;
}

/** cache_vs_disk() in words, for the pages that differ; "" when none does. */
export function cache_detail(file: string, pages: readonly CachePage[]): string {
  return pages.flatMap((p, k) => {
    if (p.state === -1) return [];
    if (p.state === -2) return [`${file}'s page ${k} is no longer in the page cache`];
    if (p.state >= 0) return [`${file}'s page ${k} holds the bytes the server sent for page ${p.state}`];
    return [`${file}'s page ${k} has 0x${p.got!.toString(16)} at byte ${p.at}, not the server's 0x${p.want!.toString(16)}`];
  }).join("; ");
}
