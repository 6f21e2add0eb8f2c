/**
 * SHA-256 (FIPS 180-4): ACL password hashes, as Redis's sha256.c computes them (acl.c
 * ACLHashPassword), and the cluster bus MACs (cluster/bus_auth.ts, HMAC-SHA256 over each packet).
 * In plain TypeScript so that a node does not load Deno's Node compatibility layer (node:crypto:
 * ~3-4 MiB of RSS in every cluster node, which loaded it for the bus MACs even with no secret
 * set).
 *
 *   sha256(data) -> 32 bytes
 *   new Sha256().update(a).update(b).digest() -> the hash of a then b; `copy()` forks a state
 *   (an HMAC keeps its two padded-key states and copies them per message)
 */

/** The round constants (FIPS 180-4 4.2.2), as int32 bits. */
const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** The initial hash value (FIPS 180-4 5.3.3). */
const H0 = [
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
];

/** The message schedule, shared: `compress` runs to the end before anything else uses it. */
const W = new Int32Array(64);

/** One 64-byte block of `data` at `off` into the state `h` (FIPS 180-4 6.2.2). */
function compress(h: Int32Array, data: Uint8Array, off: number): void {
  const w = W;
  for (let t = 0; t < 16; t++) {
    const p = off + 4 * t;
    w[t] = (data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3];
  }
  for (let t = 16; t < 64; t++) {
    const a = w[t - 15], b = w[t - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + K[t] + w[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
  h[5] = (h[5] + f) | 0;
  h[6] = (h[6] + g) | 0;
  h[7] = (h[7] + hh) | 0;
}

/** A SHA-256 computation fed in pieces. `digest` ends it: update or digest it no more after. */
export class Sha256 {
  readonly #h = Int32Array.from(H0);
  /** The bytes of a block not complete yet. */
  readonly #pending = new Uint8Array(64);
  #pendingBytes = 0;
  /** Bytes hashed so far (exact below 2^50 bytes: the length in bits is a double). */
  #totalBytes = 0;
  #digested = false;

  /** A second computation that goes on from where this one is. */
  copy(): Sha256 {
    if (this.#digested) throw new Error("Sha256: copy after digest");
    const c = new Sha256();
    c.#h.set(this.#h);
    c.#pending.set(this.#pending);
    c.#pendingBytes = this.#pendingBytes;
    c.#totalBytes = this.#totalBytes;
    return c;
  }

  update(data: Uint8Array): this {
    if (this.#digested) throw new Error("Sha256: update after digest");
    const n = data.length;
    this.#totalBytes += n;
    let i = 0;
    if (this.#pendingBytes > 0) {
      i = Math.min(64 - this.#pendingBytes, n);
      this.#pending.set(data.subarray(0, i), this.#pendingBytes);
      this.#pendingBytes += i;
      if (this.#pendingBytes < 64) return this;
      compress(this.#h, this.#pending, 0);
      this.#pendingBytes = 0;
    }
    for (; i + 64 <= n; i += 64) compress(this.#h, data, i);
    if (i < n) {
      this.#pending.set(data.subarray(i), 0);
      this.#pendingBytes = n - i;
    }
    return this;
  }

  /** The hash (32 bytes): the data, a 0x80 byte, zeros, and its length in bits (big-endian). */
  digest(): Uint8Array {
    if (this.#digested) throw new Error("Sha256: digest twice");
    this.#digested = true;
    const bits = this.#totalBytes * 8;
    const padded = this.#pendingBytes + 9 <= 64 ? 64 : 128;
    const tail = new Uint8Array(padded);
    tail.set(this.#pending.subarray(0, this.#pendingBytes));
    tail[this.#pendingBytes] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(padded - 8, Math.floor(bits / 0x100000000));
    view.setUint32(padded - 4, bits >>> 0);
    compress(this.#h, tail, 0);
    if (padded === 128) compress(this.#h, tail, 64);
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) ov.setInt32(i * 4, this.#h[i]);
    return out;
  }
}

/** SHA-256 of `data` (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  return new Sha256().update(data).digest();
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16);
  return s;
}
