// A state's canonical encoding as int32 words, appended to one reusable buffer: the explorer
// hashes the words instead of building and storing a string key per state. Encoders write
// length prefixes and tags so that concatenated parts stay unambiguous.

export class Words {
  buf = new Int32Array(1024);
  len = 0;

  reset(): void {
    this.len = 0;
  }

  push(x: number): void {
    if (this.len === this.buf.length) this.grow(this.len + 1);
    this.buf[this.len++] = x;
  }

  push2(x: number, y: number): void {
    if (this.len + 2 > this.buf.length) this.grow(this.len + 2);
    this.buf[this.len++] = x;
    this.buf[this.len++] = y;
  }

  /** Room for n more words: the buffer to write them to, from len on (then set len). */
  reserve(n: number): Int32Array {
    if (this.len + n > this.buf.length) this.grow(this.len + n);
    return this.buf;
  }

  /** Words written before (a copy kept from an earlier view()). */
  append(words: Int32Array): void {
    this.reserve(words.length).set(words, this.len);
    this.len += words.length;
  }

  /** A string: its length, then its UTF-16 code units two to a word. */
  str(s: string): void {
    const n = s.length;
    this.push(n);
    for (let k = 0; k < n; k += 2) this.push(s.charCodeAt(k) | ((k + 1 < n ? s.charCodeAt(k + 1) : 0) << 16));
  }

  /** The words written so far (a view, valid until the next write). */
  view(): Int32Array {
    return this.buf.subarray(0, this.len);
  }

  private grow(need: number): void {
    const b = new Int32Array(Math.max(need, this.buf.length * 2));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
}

// Tags of the JSON encoding. A non-negative int32 is its own word; everything else starts with
// a negative tag, so a value's first word says what it is.
const NULL = -1, FALSE = -2, TRUE = -3, NEG = -4, FLOAT = -5, STR = -6, ARR = -7, OBJ = -8, END = -9, SPELLED = -10, UNDEFINED = -11;

const f64 = new Float64Array(1);
const f64_words = new Int32Array(f64.buffer);

/** A number as JSON writes it (so -0 is 0 and non-finite numbers are null), in one to three words. */
export function num_words(out: Words, v: number): void {
  if ((v | 0) === v) {
    if (v >= 0) out.push(v);
    else out.push2(NEG, v);
  } else if (Number.isFinite(v)) {
    f64[0] = v;
    out.push(FLOAT);
    out.push2(f64_words[0], f64_words[1]);
  } else out.push(NULL);
}

/**
 * Strings as one word: a 31-bit hash of their text, checked against every string seen so far.
 * Property names and enum-like values come from a small set, so a collision is very unlikely;
 * a string whose hash another string already has is spelled out instead (SPELLED), from its
 * first use on, so each string keeps one encoding through a run.
 */
const string_ids = new Map<string, number>();
const id_owner = new Map<number, string>();

function string_id(s: string): number {
  let id = string_ids.get(s);
  if (id !== undefined) return id;
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193);
  id = (h ^ (h >>> 15)) & 0x7fffffff;
  if (id_owner.has(id)) id = -1;
  else id_owner.set(id, s);
  string_ids.set(s, id);
  return id;
}

function key_words(out: Words, key: string): void {
  const id = string_id(key);
  if (id >= 0) out.push(id);
  else {
    out.push(SPELLED);
    out.str(key);
  }
}

/** Marks a value JSON.stringify leaves out (undefined, a function, a symbol), after toJSON. */
const ABSENT: unique symbol = Symbol("absent");
function json_value(v: unknown): unknown {
  if (typeof v === "object" && v !== null && typeof (v as { toJSON?: unknown }).toJSON === "function") v = (v as { toJSON(): unknown }).toJSON();
  return v === undefined || typeof v === "function" || typeof v === "symbol" ? ABSENT : v;
}

/**
 * A value the way JSON.stringify sees it: equal words exactly when the JSON texts are equal
 * (toJSON honoured; undefined, functions and symbols left out of objects, null in arrays, and
 * a word of their own at the top, where JSON.stringify gives no text; non-finite numbers null,
 * -0 as 0, Maps and Sets as {}; boxed primitives, which no model holds, are not unboxed).
 */
export function json_words(out: Words, v: unknown): void {
  const x = json_value(v);
  if (x === ABSENT) out.push(UNDEFINED);
  else plain_words(out, x, false);
}

/** Like json_words with object keys in sorted order: equal words for equal values whatever the key order (canonical JSON). */
export function canonical_words(out: Words, v: unknown): void {
  const x = json_value(v);
  if (x === ABSENT) out.push(UNDEFINED);
  else plain_words(out, x, true);
}

/** The words of a value json_value() has resolved (not ABSENT). */
function plain_words(out: Words, v: unknown, sorted: boolean): void {
  switch (typeof v) {
    case "number":
      return num_words(out, v);
    case "string":
      out.push(STR);
      key_words(out, v);
      return;
    case "boolean":
      out.push(v ? TRUE : FALSE);
      return;
  }
  if (v === null) return out.push(NULL);
  if (Array.isArray(v)) {
    out.push2(ARR, v.length);
    for (let k = 0; k < v.length; k++) {
      const x = json_value(v[k]);
      if (x === ABSENT) out.push(NULL);
      else plain_words(out, x, sorted);
    }
    return;
  }
  out.push(OBJ);
  const o = v as Record<string, unknown>;
  if (sorted) {
    for (const key of Object.keys(o).sort()) member_words(out, key, o[key], sorted);
  } else {
    // for-in visits what Object.keys lists for data objects (nothing enumerable is inherited), without an array.
    for (const key in o) member_words(out, key, o[key], sorted);
  }
  out.push(END);
}

function member_words(out: Words, key: string, v: unknown, sorted: boolean): void {
  const x = json_value(v);
  if (x === ABSENT) return;
  key_words(out, key);
  plain_words(out, x, sorted);
}

