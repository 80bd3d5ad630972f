// Reading a process's memory the way a property may: without faulting anything in, so that
// checking a state never changes it.
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
  if (pte) return w.mem.data.read(pte.pfn);
  const swp = mm.swap.get(Math.floor(addr / PAGE_SIZE));
  if (swp) {
    const cached = w.swap.cache.get(swp.slot);
    return cached !== undefined ? w.mem.data.read(cached) : w.swap.slots.get(swp.slot)?.bytes ?? new Uint8Array(PAGE_SIZE);
  }
  if (vma.file >= 0) {
    const index = linear_page_index(vma, addr);
    const folio = filemap_get_folio(w, w.inodes[vma.file], index, false);
    return folio >= 0 ? w.mem.data.read(folio) : w.inodes[vma.file].disk.get(index) ?? new Uint8Array(PAGE_SIZE);
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

/** Whether mm holds at addr the bytes the device delivered, and if not, where they differ. */
export function read_outcome(w: World, mm: number, addr: number, device: Uint8Array): { ok: boolean; detail?: string } {
  const mine = peek_user(w, w.mms[mm], addr, device.length);
  if (!mine) return { ok: false, detail: "completed, but the reader's buffer is no longer mapped" };
  const at = mine.findIndex((b, i) => b !== device[i]);
  return at < 0 ? { ok: true } : { ok: false, detail: `completed, but the reader's byte ${at} is 0x${mine[at].toString(16)}, not the device's 0x${device[at].toString(16)}` };
}
