import { PAGE_SIZE } from "../include/page.js";

const ZERO = new Uint8Array(PAGE_SIZE);

/**
 * The bytes of every physical page, shared between world states: a clone shares every buffer
 * with its original and copies a page's 4 KiB only when it first writes that page. A page that
 * was never written reads as zeros without a buffer.
 */
export class PageData {
  private constructor(
    private bufs: (Uint8Array | undefined)[],
    /** 1 where this instance made the buffer itself and may write it in place. */
    private owned: Uint8Array,
  ) {}

  static empty(): PageData {
    return new PageData([], new Uint8Array(0));
  }

  read(pfn: number): Uint8Array {
    return this.bufs[pfn] ?? ZERO;
  }

  write(pfn: number): Uint8Array {
    if (pfn >= this.owned.length) this.grow(pfn + 1);
    let buf = this.bufs[pfn];
    if (!buf || !this.owned[pfn]) {
      buf = buf ? buf.slice() : new Uint8Array(PAGE_SIZE);
      this.bufs[pfn] = buf;
      this.owned[pfn] = 1;
    }
    return buf;
  }

  /** The frame was freed: its old bytes are gone for the next user. */
  discard(pfn: number): void {
    this.bufs[pfn] = undefined;
  }

  /** Whether this and other hold the very same buffer for pfn (no copy was made). */
  shares(other: PageData, pfn: number): boolean {
    return this.bufs[pfn] !== undefined && this.bufs[pfn] === other.bufs[pfn];
  }

  clone(): PageData {
    return new PageData(this.bufs.slice(), new Uint8Array(this.owned.length));
  }

  private grow(n: number): void {
    const owned = new Uint8Array(Math.max(n, this.owned.length * 2, 64));
    owned.set(this.owned);
    this.owned = owned;
  }
}
