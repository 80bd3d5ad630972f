// Reading a process's memory the way a property may: without faulting anything in, so that
// checking a state never changes it.
import type { Mm, World } from "../kernel/index.js";
import { follow_pte, PAGE_SIZE } from "../kernel/index.js";

/** The bytes the CPU would read at [addr, addr+len) of mm, or null where a page is not present. */
export function peek_user(w: World, mm: Mm, addr: number, len: number): Uint8Array | null {
  const out = new Uint8Array(len);
  for (let done = 0; done < len; ) {
    const a = addr + done;
    const off = a % PAGE_SIZE;
    const n = Math.min(len - done, PAGE_SIZE - off);
    const pte = follow_pte(mm, a);
    if (!pte) return null;
    out.set(w.mem.data.read(pte.pfn).subarray(off, off + n), done);
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
