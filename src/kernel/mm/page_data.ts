import { PAGE_SIZE } from "../include/page.js";

const ZERO = new Uint8Array(PAGE_SIZE);

/**
 * Page contents, once each: interned by PageData.intern. The simulation writes the same few
 * patterns again and again (a checker's frontier of 26,000 states held 16,000 page buffers with
 * 28 distinct contents), so interning keeps one buffer per content. Key: hash32.
 */
const contents = new Map<number, Uint8Array[]>();

/** A 32-bit hash of a page, a word at a time. */
function hash32(words: Int32Array): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < words.length; k++) h = Math.imul(h ^ words[k], 0x01000193);
  return h;
}

function same_words(a: Int32Array, b: Int32Array): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The interned buffer holding the same bytes as buf (buf itself if none did yet). */
function interned(buf: Uint8Array): Uint8Array {
  const words = new Int32Array(buf.buffer, buf.byteOffset, PAGE_SIZE >> 2);
  const h = hash32(words);
  const list = contents.get(h);
  if (!list) {
    contents.set(h, [buf]);
    return buf;
  }
  for (const x of list) if (x === buf || same_words(new Int32Array(x.buffer, x.byteOffset, PAGE_SIZE >> 2), words)) return x;
  list.push(buf);
  return buf;
}

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

  /**
   * Give up the buffers this instance wrote for the interned ones with the same bytes: nothing
   * a reader can tell, and the next write copies as for any shared page.
   */
  intern(): void {
    for (let pfn = 0; pfn < this.owned.length; pfn++) {
      const buf = this.bufs[pfn];
      if (!this.owned[pfn] || !buf) continue;
      this.bufs[pfn] = interned(buf);
      this.owned[pfn] = 0;
    }
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
