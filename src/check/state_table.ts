// The explorer's set of visited states: open addressing with linear probing over typed arrays,
// so a state costs a few bytes and no JavaScript object. FingerprintTable keeps 8 bytes of
// fingerprint per state (see fingerprint.ts for the collision bound); ExactTable keeps every
// encoding whole in one arena, for runs that must rule collisions out.
import { fingerprint, fp_hi, fp_lo } from "./fingerprint.js";

export interface StateTable {
  /** Add the state encoded by w[0..len); true if it was not there yet. */
  add(w: Int32Array, len: number): boolean;
  readonly size: number;
  /** Bytes of the typed arrays the table holds (allocated, not only used). */
  bytes(): number;
}

/** Grow a table when it is 3/4 full: probes stay short, the arrays stay dense. */
const full = (size: number, capacity: number): boolean => size * 4 >= capacity * 3;

export class FingerprintTable implements StateTable {
  private lo: Uint32Array;
  /** 0 marks an empty slot; stored high lanes are never 0. */
  private hi: Uint32Array;
  size = 0;

  constructor(capacity = 1 << 8) {
    this.lo = new Uint32Array(capacity);
    this.hi = new Uint32Array(capacity);
  }

  add(w: Int32Array, len: number): boolean {
    fingerprint(w, len);
    return this.insert(fp_lo, fp_hi);
  }

  /** Insert a fingerprint computed elsewhere (by a worker thread); true if new. */
  insert(lo: number, hi: number): boolean {
    if (hi === 0) hi = 1;
    const mask = this.lo.length - 1;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const h = this.hi[i];
      if (h === 0) {
        this.lo[i] = lo;
        this.hi[i] = hi;
        if (full(++this.size, this.lo.length)) this.grow();
        return true;
      }
      if (h === hi && this.lo[i] === lo) return false;
    }
  }

  bytes(): number {
    return this.lo.byteLength + this.hi.byteLength;
  }

  private grow(): void {
    const { lo, hi } = this;
    this.lo = new Uint32Array(lo.length * 2);
    this.hi = new Uint32Array(lo.length * 2);
    const mask = this.lo.length - 1;
    for (let k = 0; k < lo.length; k++) {
      if (hi[k] === 0) continue;
      let i = lo[k] & mask;
      while (this.hi[i] !== 0) i = (i + 1) & mask;
      this.lo[i] = lo[k];
      this.hi[i] = hi[k];
    }
  }
}

export class ExactTable implements StateTable {
  /** Slot -> state number + 1 (0: empty). */
  private slots: Int32Array;
  /** Per state: its hash, and where its words start in the arena (starts[n + 1] is the end). */
  private hashes = new Uint32Array(256);
  private starts = new Uint32Array(257);
  private arena = new Int32Array(1 << 12);
  size = 0;

  constructor(capacity = 1 << 8) {
    this.slots = new Int32Array(capacity);
  }

  add(w: Int32Array, len: number): boolean {
    fingerprint(w, len);
    const h = fp_lo;
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const n = this.slots[i] - 1;
      if (n < 0) {
        this.slots[i] = this.store(h, w, len) + 1;
        if (full(this.size, this.slots.length)) this.grow();
        return true;
      }
      if (this.hashes[n] === h && this.same(n, w, len)) return false;
    }
  }

  bytes(): number {
    return this.slots.byteLength + this.hashes.byteLength + this.starts.byteLength + this.arena.byteLength;
  }

  private same(n: number, w: Int32Array, len: number): boolean {
    const at = this.starts[n];
    if (this.starts[n + 1] - at !== len) return false;
    for (let k = 0; k < len; k++) if (this.arena[at + k] !== w[k]) return false;
    return true;
  }

  private store(h: number, w: Int32Array, len: number): number {
    const n = this.size++;
    if (n === this.hashes.length) {
      this.hashes = widen(this.hashes, n * 2);
      this.starts = widen(this.starts, n * 2 + 1);
    }
    const at = this.starts[n];
    if (at + len > this.arena.length) this.arena = widen(this.arena, Math.max(at + len, this.arena.length * 2));
    this.arena.set(w.subarray(0, len), at);
    this.hashes[n] = h;
    this.starts[n + 1] = at + len;
    return n;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let n = 0; n < this.size; n++) {
      let i = this.hashes[n] & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.slots[i] = n + 1;
    }
  }
}

/** A typed array grown to n elements, contents kept. */
export function widen<T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
