/**
 * Unit tests of the HLL representation (keyspace/hyperloglog.ts), with vectors taken from
 * redis-server 7.0.15: GET after PFADD, PFDEBUG DECODE of one-element HLLs (register index and
 * run length, hence the hash), PFCOUNT of fixed sets and of crafted dense strings.
 */

import assert from "node:assert/strict";
import {
  cachedCard,
  denseGet,
  denseRegisters,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  HllBuf,
  hllCount,
  hllCountRaw,
  hllMerge,
  hllPatLen,
  hllSelfTest,
  hllSparseSet,
  hllSparseToDense,
  isHllString,
  setCachedCard,
  sparseDecode,
} from "./hyperloglog.ts";

const te = new TextEncoder();
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** PFADD of each element in turn (hll-sparse-max-bytes 3000), as Redis's PFADD loop. */
function pfadd(h: HllBuf, elements: string[], maxBytes = 3000): number {
  let updated = 0;
  for (const e of elements) {
    const r = hllAdd(h, te.encode(e), maxBytes);
    assert.notEqual(r, -1);
    updated += r;
  }
  if (updated) h.invalidateCache();
  return updated;
}

/** PFCOUNT of one key: the cache, refreshed when stale. */
function pfcount(h: HllBuf): bigint {
  const v = h.buf.subarray(0, h.len);
  let card = cachedCard(v);
  if (card === null) {
    card = hllCount(v)!;
    setCachedCard(v, card);
  }
  return card;
}

async function sha256(b: Uint8Array): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", b.slice())));
}

Deno.test("hll: hllPatLen (MurmurHash64A, seed 0xadc83b19) as PFDEBUG DECODE shows it", () => {
  // redis-server: PFADD k <e>; PFDEBUG DECODE k -> "Z:<index> v:<count>,1 Z:..."
  const vectors: [string, number, number][] = [
    ["", 5938, 2],
    ["a", 12711, 2],
    ["foo", 7348, 5],
    ["hello world", 9399, 4],
    ["0123456789abcdef-long-element", 15684, 2],
    ["12345678", 10579, 3],
  ];
  for (const [e, index, count] of vectors) {
    const pat = hllPatLen(te.encode(e));
    assert.deepEqual([pat >> 6, pat & 63], [index, count], e);
    const h = HllBuf.create();
    pfadd(h, [e]);
    assert.equal(sparseDecode(h.bytes()), `Z:${index} v:${count},1 Z:${16384 - index - 1}`);
  }
});

Deno.test("hll: sparse bytes equal redis-server's GET after PFADD", () => {
  const empty = HllBuf.create();
  assert.equal(hex(empty.bytes()), "48594c4c0100000000000000000000007fff");
  const h = HllBuf.create();
  assert.equal(pfadd(h, ["a", "b", "c"]), 3);
  // GET after PFADD h a b c (the cache marked stale), then PFCOUNT h (the cache is 3).
  assert.equal(hex(h.bytes()), "48594c4c01000000000000000000008060f38050b1844bfb80425a");
  assert.equal(pfcount(h), 3n);
  assert.equal(hex(h.bytes()), "48594c4c01000000030000000000000060f38050b1844bfb80425a");
  assert.equal(sparseDecode(h.bytes()), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
  // PFADD s e0 .. PFADD s e199 one by one, then PFCOUNT s: 200, 513 bytes.
  const s = HllBuf.create();
  for (let i = 0; i < 200; i++) pfadd(s, [`e${i}`]);
  assert.equal(pfcount(s), 200n);
  assert.equal(s.len, 513);
  assert.equal(s.encoding, HLL_SPARSE);
  assert.ok(
    hex(s.bytes()).startsWith("48594c4c01000000c800000000000000368421801980409f8408a40e88"),
  );
  assert.ok(
    hex(s.bytes()).endsWith("8040578419844048800e9022840a80406a840d8039801380409a8828804046844044"),
  );
});

Deno.test("hll: 5000 elements promote to dense; bytes and estimate equal redis-server's", async () => {
  const d = HllBuf.create();
  for (let i = 0; i < 5000; i++) pfadd(d, [`e${i}`]);
  assert.equal(d.encoding, HLL_DENSE);
  assert.equal(d.len, HLL_DENSE_SIZE);
  assert.equal(pfcount(d), 4968n);
  assert.equal(
    await sha256(d.bytes()),
    "bd470063c39f632ff0572b22d3ae558cdc523a5ae6f47e7324ed636dcc84e2ec",
  );
});

Deno.test("hll: the sparse -> dense promotion happens past the byte limit, not before", () => {
  const els = Array.from({ length: 300 }, (_, i) => `p${i}`);
  const sparse = HllBuf.create();
  pfadd(sparse, els, 1 << 30);
  const limit = sparse.len;
  const exact = HllBuf.create();
  pfadd(exact, els, limit);
  assert.equal(exact.encoding, HLL_SPARSE, "a string of exactly the limit stays sparse");
  assert.deepEqual(exact.bytes(), sparse.bytes());
  const under = HllBuf.create();
  pfadd(under, els, limit - 1);
  assert.equal(under.encoding, HLL_DENSE);
  // Same registers either way.
  const dense = HllBuf.from(sparse.bytes());
  assert.ok(hllSparseToDense(dense));
  assert.deepEqual(denseRegisters(under.bytes()), denseRegisters(dense.bytes()));
  assert.equal(hllCount(under.bytes()), hllCount(sparse.bytes()));
});

Deno.test("hll: a count over 32 promotes a sparse HLL to dense", () => {
  const h = HllBuf.create();
  assert.equal(hllSparseSet(h, 100, 32, 3000), 1);
  assert.equal(h.encoding, HLL_SPARSE);
  assert.equal(sparseDecode(h.bytes()), "Z:100 v:32,1 Z:16283");
  assert.equal(hllSparseSet(h, 100, 32, 3000), 0);
  assert.equal(hllSparseSet(h, 101, 33, 3000), 1);
  assert.equal(h.encoding, HLL_DENSE);
  assert.equal(denseGet(h.buf, HLL_HDR_SIZE, 100), 32);
  assert.equal(denseGet(h.buf, HLL_HDR_SIZE, 101), 33);
});

Deno.test("hll: sparse splits and merges of adjacent VAL opcodes", () => {
  const h = HllBuf.create();
  for (const i of [10, 12, 11, 13]) hllSparseSet(h, i, 3, 3000);
  assert.equal(sparseDecode(h.bytes()), "z:10 v:3,4 Z:16370");
  hllSparseSet(h, 11, 5, 3000);
  assert.equal(sparseDecode(h.bytes()), "z:10 v:3,1 v:5,1 v:3,2 Z:16370");
  hllSparseSet(h, 0, 1, 3000);
  hllSparseSet(h, 16383, 1, 3000);
  assert.equal(sparseDecode(h.bytes()), "v:1,1 z:9 v:3,1 v:5,1 v:3,2 Z:16369 v:1,1");
  const v = h.bytes();
  assert.ok(isHllString(v));
  assert.equal(v[15] & 0x80, 0x80, "the cache is marked stale");
});

Deno.test("hll: corrupted sparse strings are reported, never thrown on", () => {
  const header = [72, 89, 76, 76, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];
  const short = new Uint8Array([...header, 0x40 | 0x0f, 0xff]); // XZERO:4096 only
  assert.equal(hllCount(short), null);
  assert.equal(hllMerge(new Uint8Array(HLL_REGISTERS), short), false);
  assert.equal(hllSparseToDense(HllBuf.from(short)), false);
  const h = HllBuf.from(short);
  assert.equal(hllSparseSet(h, 5000, 1, 3000), -1, "past the last opcode");
  assert.equal(hllSparseSet(h, 5, 1, 3000), 1, "inside it: changed as Redis does");
  // A complete string followed by a VAL run: invalid (CVE-2025-32023 checks).
  const over = new Uint8Array([...header, 0x7f, 0xff, 0x80]);
  assert.equal(hllCount(over), null);
  assert.equal(hllMerge(new Uint8Array(HLL_REGISTERS), over), false);
  // A trailing XZERO first byte reads the terminator: Z:1.
  const lone = new Uint8Array([...header, 0x7f, 0xfe, 0x40]);
  assert.equal(sparseDecode(lone), "Z:16383 Z:1");
  assert.notEqual(hllCount(lone), null);
  assert.equal(sparseDecode(new Uint8Array(header)), "");
  assert.equal(hllCount(new Uint8Array(header)), null);
});

Deno.test("hll: isHllString checks magic, encoding and the dense length", () => {
  const ok = HllBuf.create().bytes();
  assert.ok(isHllString(ok));
  assert.ok(!isHllString(ok.subarray(0, 15)));
  const bad = ok.slice();
  bad[0] = 104;
  assert.ok(!isHllString(bad));
  const enc = ok.slice();
  enc[4] = 2;
  assert.ok(!isHllString(enc));
  const dense = new Uint8Array(HLL_DENSE_SIZE);
  dense.set([72, 89, 76, 76, 0]);
  assert.ok(isHllString(dense));
  assert.ok(!isHllString(dense.subarray(0, HLL_DENSE_SIZE - 1)));
});

Deno.test("hll: estimates of crafted dense strings equal redis-server's PFCOUNT", () => {
  const mk = (group: number[], zeroEvery = 0) => {
    const v = new Uint8Array(HLL_DENSE_SIZE);
    v.set([72, 89, 76, 76, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
    for (let i = HLL_HDR_SIZE; i < v.length; i++) v[i] = group[(i - HLL_HDR_SIZE) % 3];
    if (zeroEvery) { for (let i = HLL_HDR_SIZE; i < v.length; i += zeroEvery) v[i] = 0; }
    return v;
  };
  const all63 = [0xff, 0xff, 0xff];
  const all51 = [0xf3, 0x3c, 0xcf];
  // An infinite estimate: llroundl overflows to LLONG_MIN, 2^63 as uint64 (PFCOUNT replies
  // -9223372036854775808).
  assert.equal(hllCount(mk(all63)), 1n << 63n);
  assert.equal(hllCount(mk(all51)), 1n << 63n);
  assert.equal(hllCount(mk(all51, 7)), 138133n);
  assert.equal(hllCount(mk(all63, 7)), 145734n);
  assert.equal(hllCount(mk(all63, 1000)), 20371795n);
  assert.equal(hllCountRaw(denseRegisters(mk(all63, 7))), 145734n);
  assert.equal(hllCount(HllBuf.create().bytes()), 0n);
});

Deno.test("hll: the cached cardinality and its stale bit", () => {
  const v = HllBuf.create().bytes();
  assert.equal(cachedCard(v), 0n);
  setCachedCard(v, 0x0102030405060708n);
  assert.equal(hex(v.subarray(8, 16)), "0807060504030201");
  assert.equal(cachedCard(v), 0x0102030405060708n);
  v[15] |= 0x80;
  assert.equal(cachedCard(v), null);
});

Deno.test("hll: PFSELFTEST's checks pass (fewer rounds and elements)", () => {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 1);
  assert.equal(hllSelfTest(3000, rand, 3, 100000), null);
  assert.equal(hllSelfTest(0, rand, 1, 1000), null, "no sparse check below the limit");
});

Deno.test("hll: splitting a lone trailing XZERO byte leaves the last new byte past the end", () => {
  const header = [72, 89, 76, 76, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];
  // Z:15359, then a lone XZERO first byte whose second byte is the terminator: Z:1025.
  const v = new Uint8Array([...header, 0x7b, 0xfe, 0x44]);
  assert.equal(sparseDecode(v), "Z:15359 Z:1025");
  const h = HllBuf.from(v);
  assert.equal(hllSparseSet(h, 15500, 1, 3000), 1);
  // XZERO:141 VAL:1,1 XZERO:883 is written at the lone byte: its last byte lands past the end.
  const out = h.bytes();
  assert.equal(hex(out.subarray(16)), "7bfe408c8043");
  assert.equal(h.terminator, 882 & 0xff);
  assert.equal(sparseDecode(out), "Z:15359 Z:141 v:1,1 Z:769");
  assert.equal(sparseDecode(out, h.terminator), "Z:15359 Z:141 v:1,1 Z:883");
  assert.equal(hllCount(out), null, "read with a zero terminator: 16270 registers");
  const clean = HllBuf.create();
  hllSparseSet(clean, 15500, 1, 3000);
  assert.equal(hllCount(out, h.terminator), hllCount(clean.bytes()));
  // The byte is read back by the next change (and kept when the buffer grows).
  const next = HllBuf.from(out, h.terminator);
  assert.equal(hllSparseSet(next, 16000, 2, 3000), 1);
  assert.equal(
    sparseDecode(next.bytes(), next.terminator),
    "Z:15359 Z:141 v:1,1 Z:499 v:2,1 Z:383",
  );
});
