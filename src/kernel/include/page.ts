// arch/x86/include/asm/page_types.h, include/linux/mm.h, include/linux/fs.h: sizes and limits.
// Addresses are the real x86-64 ones with the sign-extension bits 63..48 dropped, so that every
// address is an exact JavaScript number: user space is [0, TASK_SIZE_MAX), the kernel's direct map
// starts at 0x888000000000 (0xffff888000000000) and vmalloc space at 0xc90000000000.
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const TASK_SIZE_MAX = 0x7ffffffff000;
export const PAGE_OFFSET = 0x888000000000;
export const VMALLOC_START = 0xc90000000000;
export const VMALLOC_END = 0xe8ffffffffff;
export const INT_MAX = 0x7fffffff;
export const UINT_MAX = 0xffffffff;
/** include/linux/fs.h: INT_MAX & PAGE_MASK. */
export const MAX_RW_COUNT = INT_MAX - (INT_MAX % PAGE_SIZE);
/** include/uapi/linux/uio.h */
export const UIO_FASTIOV = 8;
export const UIO_MAXIOV = 1024;
/** include/linux/mm.h: one FOLL_PIN on a small folio adds this to its refcount. */
export const GUP_PIN_COUNTING_BIAS = 1 << 10;

export const offset_in_page = (addr: number): number => addr % PAGE_SIZE;
export const page_align_down = (addr: number): number => addr - (addr % PAGE_SIZE);
export const DIV_ROUND_UP = (n: number, d: number): number => Math.floor((n + d - 1) / d);

/** Bitwise OR of two non-negative integers up to 2^53 (JavaScript's | is 32-bit). */
export function or53(a: number, b: number): number {
  const hi = (Math.floor(a / 2 ** 32) | Math.floor(b / 2 ** 32)) >>> 0;
  const lo = ((a >>> 0) | (b >>> 0)) >>> 0;
  return hi * 2 ** 32 + lo;
}

/** True when a & mask != 0 for a mask below 2^32 (the masks used for alignment checks). */
export const hits_mask = (a: number, mask: number): boolean => ((a >>> 0) & mask) !== 0;
