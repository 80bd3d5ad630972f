import { Buffer } from "node:buffer";
import { PAGE_SIZE } from "../include/page.js";

const ZERO = new Uint8Array(PAGE_SIZE);

/**
 * Page contents, once each: interned by PageData.intern, and looked up by the checker's encoder
 * (a content's fingerprint is computed once). The simulation writes the same few patterns again
 * and again (a checker's frontier of 26,000 states held 16,000 page buffers with 28 distinct
 * contents). Key: a hash of every 16th word, then a full compare (native memcmp), which together
 * cost a fraction of hashing the whole page.
 */
const contents = new Map<number, Uint8Array[]>();
/** Per buffer looked up, its answer: the encoder and the frontier's interning ask for the same buffers. */
const interned_of = new WeakMap<Uint8Array, Uint8Array>();

function sample_hash(buf: Uint8Array): number {
  const words = new Int32Array(buf.buffer, buf.byteOffset, PAGE_SIZE >> 2);
  let h = 0x811c9dc5;
  for (let k = 0; k < words.length; k += 16) h = Math.imul(h ^ words[k], 0x01000193);
  return h;
}

/**
 * The one buffer kept for page buffer buf's contents (buf itself if it is the first). Only
 * buffers nobody writes any more may be given: those of a finished (sealed) world.
 */
export function interned_page(buf: Uint8Array): Uint8Array {
  if (buf.length !== PAGE_SIZE || buf.byteOffset & 3) return buf; // not a page: its own content
  let kept = interned_of.get(buf);
  if (kept === undefined) interned_of.set(buf, (kept = content_of(buf)));
  return kept;
}

function content_of(buf: Uint8Array): Uint8Array {
  const h = sample_hash(buf);
  const list = contents.get(h);
  if (!list) {
    contents.set(h, [buf]);
    return buf;
  }
  for (const x of list) if (x === buf || Buffer.compare(x, buf) === 0) return x;
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

  /** Whether pfn has bytes of its own (was written since it was last freed). */
  has(pfn: number): boolean {
    return this.bufs[pfn] !== undefined;
  }

  /** Every frame's buffer by frame number, undefined where it has none (reads as zeros). */
  get buffers(): readonly (Uint8Array | undefined)[] {
    return this.bufs;
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
      this.bufs[pfn] = interned_page(buf);
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
