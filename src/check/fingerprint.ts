// 64-bit fingerprints of word encodings, as two 32-bit hashes computed by different functions
// (a MurmurHash3 lane and an xxHash32-style lane) in one pass. The explorer stores only the
// fingerprint of a visited state (hash compaction, as TLC's fingerprints or SPIN's -DHC): two
// distinct states are merged only if both lanes collide. Treating fingerprints as uniform
// 64-bit values, the chance that n states contain any collision is at most n^2 / 2^65:
// 4e-11 for the default check's 36,000 states, 2.4e-7 for 3 million states.

/** The lanes of the last fingerprint() call (module state: no allocation per state). */
export let fp_lo = 0;
export let fp_hi = 0;

const fmix = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

export function fingerprint(w: Int32Array, len: number): void {
  let a = 0x3c6ef372;
  let b = 0x165667b1;
  for (let i = 0; i < len; i++) {
    const x = w[i];
    let k = Math.imul(x, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    a ^= k;
    a = (Math.imul((a << 13) | (a >>> 19), 5) + 0xe6546b64) | 0;
    b = (b + Math.imul(x, 0x85ebca77)) | 0;
    b = Math.imul((b << 13) | (b >>> 19), 0x9e3779b1);
  }
  fp_lo = fmix(a ^ len);
  fp_hi = fmix(Math.imul(b ^ (b >>> 15), 0x27d4eb2f) ^ len);
}

/** The fingerprint of a byte buffer (a page's contents): its bytes as words. */
export function bytes_fingerprint(bytes: Uint8Array): void {
  if ((bytes.byteOffset & 3) === 0 && (bytes.length & 3) === 0) {
    fingerprint(new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2), bytes.length >> 2);
    return;
  }
  // Unaligned or ragged: copy, with the byte length as a last word (a zero tail is not zeros).
  const n = (bytes.length + 3) >> 2;
  const w = new Int32Array(n + 1);
  new Uint8Array(w.buffer, 0, bytes.length).set(bytes);
  w[n] = bytes.length;
  fingerprint(w, n + 1);
}
