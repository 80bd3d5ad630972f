// include/linux/uaccess.h and arch/x86/lib/usercopy: the CPU touching current->mm's memory.
// Each page is resolved through the page table and faulted in as the MMU would; the functions
// return the number of bytes NOT processed, like the kernel's.
import { PAGE_SIZE, TASK_SIZE_MAX } from "../include/page.js";
import { kread, kwrite } from "../lib/string.js";
import type { World } from "../world.js";
import { FAULT_FLAG_WRITE, follow_pte, handle_mm_fault, set_pte, VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV } from "./memory.js";
import type { Mm } from "./mm_types.js";
import { find_vma, VM_EXEC, VM_READ, VM_WRITE } from "./mm_types.js";

/** access_ok(): the range lies wholly below TASK_SIZE_MAX and does not wrap. */
export const access_ok = (addr: number, len: number): boolean =>
  addr >= 0 && len >= 0 && addr + len <= TASK_SIZE_MAX;

/**
 * The frame that a CPU access to addr in address space id reaches after faulting, or -1
 * (SIGSEGV, or SIGBUS past the end of a mapped file). The page tables are read where they are
 * and copied only when a fault or the dirty bit changes them, as GUP-fast reads them.
 */
function user_page(w: World, id: number, addr: number, write: boolean): number {
  const mm = w.mms_for_read[id];
  const vma = find_vma(mm, addr);
  // x86 access_error(): a write needs VM_WRITE; a read, any access at all (vma_is_accessible()).
  if (!vma || !(vma.vm_flags & (write ? VM_WRITE : VM_READ | VM_WRITE | VM_EXEC))) return -1;
  let pte = follow_pte(mm, addr);
  if (!pte || (write && !pte.write)) {
    const own = w.mm(id)!;
    if (handle_mm_fault(w, own, addr, write ? FAULT_FLAG_WRITE : 0) & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)) return -1;
    pte = follow_pte(own, addr);
  }
  if (!pte) return -1;
  if (write && !pte.dirty) set_pte(w.mm(id)!, addr, { ...pte, dirty: true }); // the MMU sets the dirty bit on a write
  return pte.pfn;
}

/** Move len bytes between user memory at uaddr in mm and a byte buffer; returns bytes left undone. */
export function user_access(w: World, mm: Readonly<Mm>, uaddr: number, bytes: Uint8Array, write: boolean): number {
  const len = bytes.length;
  let done = 0;
  while (done < len) {
    const a = uaddr + done;
    const off = a % PAGE_SIZE;
    const n = Math.min(len - done, PAGE_SIZE - off);
    const pfn = user_page(w, mm.id, a, write);
    if (pfn < 0) break;
    if (write) w.data.write(pfn).set(bytes.subarray(done, done + n), off);
    else bytes.set(w.data_for_read.read(pfn).subarray(off, off + n), done);
    done += n;
  }
  return len - done;
}

function uaccess(w: World, uaddr: number, bytes: Uint8Array, write: boolean): number {
  const mm = w.mms_for_read[w.current];
  if (!mm || !access_ok(uaddr, bytes.length)) return bytes.length;
  return user_access(w, mm, uaddr, bytes, write);
}

/** copy_to_user(to, from, n) with a kernel source address. */
export function copy_to_user(w: World, to: number, from: number, n: number): number {
  const bytes = kread(w, from, n, "copy_to_user");
  return bytes.length === n ? uaccess(w, to, bytes, true) : n;
}

/** copy_from_user(to, from, n) with a kernel destination address. */
export function copy_from_user(w: World, to: number, from: number, n: number): number {
  const bytes = new Uint8Array(n);
  const left = uaccess(w, from, bytes, false);
  kwrite(w, to, bytes.subarray(0, n - left), "copy_from_user");
  return left;
}

export function clear_user(w: World, to: number, n: number): number {
  return uaccess(w, to, new Uint8Array(n), true);
}
