// lib/string.c: memcpy() and memset() on kernel virtual addresses, page by page. A kernel access
// to an address with no live page behind it is recorded as a BUG (what KASAN would report);
// a write to the shared zero page is one too.
import { BUG } from "../include/bug.js";
import { PAGE_SIZE } from "../include/page.js";
import { kaddr_to_page } from "../mm/kaddr.js";
import { ZERO_PFN } from "../mm/mem_map.js";
import type { World } from "../world.js";

/** Visit [addr, addr+len) one page piece at a time; false (with a BUG recorded) on a bad page. */
function each_kpage(
  w: World, fn: string, addr: number, len: number, write: boolean,
  visit: (buf: Uint8Array, off: number, n: number, progress: number) => void,
): boolean {
  let progress = 0;
  while (progress < len) {
    const a = addr + progress;
    const off = a % PAGE_SIZE;
    const n = Math.min(len - progress, PAGE_SIZE - off);
    const pfn = kaddr_to_page(w, a);
    if (pfn < 0) {
      BUG(w, fn, `kernel access to ${a.toString(16)} with no live page behind it (use-after-free or wild pointer)`);
      return false;
    }
    if (write && pfn === ZERO_PFN) {
      BUG(w, fn, "write to the shared zero page");
      return false;
    }
    visit(write ? w.data.write(pfn) : w.data_for_read.read(pfn), off, n, progress);
    progress += n;
  }
  return true;
}

/** Read len bytes of kernel memory (empty on a bad address, with the BUG recorded). */
export function kread(w: World, addr: number, len: number, fn = "memcpy"): Uint8Array {
  const out = new Uint8Array(len);
  const ok = each_kpage(w, fn, addr, len, false, (buf, off, n, p) => out.set(buf.subarray(off, off + n), p));
  return ok ? out : new Uint8Array(0);
}

export function kwrite(w: World, addr: number, bytes: Uint8Array, fn = "memcpy"): boolean {
  return each_kpage(w, fn, addr, bytes.length, true, (buf, off, n, p) => buf.set(bytes.subarray(p, p + n), off));
}

export function memcpy(w: World, dst: number, src: number, len: number): boolean {
  const bytes = kread(w, src, len);
  return bytes.length === len && kwrite(w, dst, bytes);
}

export function memset(w: World, dst: number, c: number, len: number): boolean {
  return each_kpage(w, "memset", dst, len, true, (buf, off, n) => buf.fill(c, off, off + n));
}
