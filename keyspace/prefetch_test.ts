import assert from "node:assert/strict";
import { hashKey, hashKeyBytes, KeyTable } from "./key_table.ts";
import { firstArgSpans, PREFETCH_MAX_REQUESTS, prefetchPipelinedKeys } from "./prefetch.ts";
import { RespParser } from "../protocol/resp_parser.ts";
import { Hash } from "./hash.ts";
import { MemberSet } from "./member_set.ts";
import { ZSet } from "./zset.ts";
import { Db } from "./db.ts";
import { storedValue, valueSlab } from "./value_slab.ts";

const te = new TextEncoder();

function resp(...cmds: string[][]): Uint8Array {
  let s = "";
  for (const c of cmds) {
    s += `*${c.length}\r\n`;
    for (const a of c) s += `$${a.length}\r\n${a}\r\n`;
  }
  return te.encode(s);
}

/** The first arguments firstArgSpans finds in `buf` from `pos`, as text. */
function spans(buf: Uint8Array, pos = 0, max = PREFETCH_MAX_REQUESTS): string[] {
  const starts = new Int32Array(max);
  const ends = new Int32Array(max);
  const n = firstArgSpans(buf, pos, starts, ends, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(String.fromCharCode(...buf.subarray(starts[i], ends[i])));
  }
  return out;
}

Deno.test("prefetch: hashKeyBytes is hashKey of the bytes' binary string, for every byte value", () => {
  const bytes = new Uint8Array(300);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
  for (const seed of [0, 1, 0x9e3779b9 | 0]) {
    for (let start = 0; start < 280; start += 7) {
      for (const len of [0, 1, 2, 15, 16, 17]) {
        const key = String.fromCharCode(...bytes.subarray(start, start + len));
        assert.equal(hashKeyBytes(bytes, start, start + len, seed), hashKey(key, seed));
      }
    }
  }
});

/** `table.prefetchSpans` over the keys `keys`, laid out one after another in one buffer. */
function prefetchKeys<V>(table: KeyTable<V>, keys: string[]): number {
  const buf = te.encode("xx" + keys.join(""));
  const starts = new Int32Array(keys.length);
  const ends = new Int32Array(keys.length);
  let at = 2;
  keys.forEach((k, j) => {
    starts[j] = at;
    at += k.length;
    ends[j] = at;
  });
  return table.prefetchSpans(buf, starts, ends, keys.length, new Int32Array(keys.length));
}

Deno.test("prefetch: prefetchSpans reads the keys' home slots and changes nothing", () => {
  const t = new KeyTable<string>(1234);
  const key = "key:000000012345";
  const i = t.insert(key, "value", 77);
  // One key: it sits in its home slot, whose hash, key and value the read-ahead reads.
  const read = hashKey(key, 1234) ^ key.charCodeAt(0) ^ "value".length;
  assert.equal(prefetchKeys(t, [key]), read);
  // A missing key reads an empty slot (and its key is not there: `undefined`, counted as 1).
  assert.equal(prefetchKeys(t, [key, "nokey"]), read ^ 1);
  assert.equal(t.find(key), i);
  assert.equal(t.valueAt(i), "value");
  assert.equal(t.fieldAt(i), 77);
  assert.equal(t.size, 1);
  // A deleted key, and a table without values or fields: nothing changes.
  t.delete(key);
  prefetchKeys(t, [key]);
  assert.equal(t.size, 0);
  const set = KeyTable.keysOnly(5);
  set.put("m", true);
  assert.equal(prefetchKeys(set, ["m"]), hashKey("m", 5) ^ "m".charCodeAt(0));
  assert.deepEqual([...set.keys()], ["m"]);
});

Deno.test("prefetch: a value that is a handle is followed to its record (the key space's slab)", () => {
  const db = new Db();
  const key = "key:000000012345";
  db.set(key, storedValue(te.encode("seven b")));
  const t = db.dict;
  const i = t.find(key);
  const handle = t.valueAt(i);
  assert.equal(typeof handle, "number");
  // The record's first byte is the value's length: read with the key, as a string's length is.
  const read = prefetchKeys(t, [key]);
  const peek = t.peekHandle;
  t.peekHandle = null;
  assert.equal(read ^ prefetchKeys(t, [key]), "seven b".length);
  t.peekHandle = peek;
  // Nothing changed: the value is still there, its record still in use.
  assert.equal(valueSlab.string(handle as number), "seven b");
});

Deno.test("prefetch: firstArgSpans finds each complete request's first argument", () => {
  const buf = resp(["GET", "k1"], ["SET", "k2", "v"], ["PING"], ["INCR", "k3"], ["ECHO", ""]);
  assert.deepEqual(spans(buf), ["k1", "k2", "k3", ""]);
  // From a request boundary other than the first.
  const second = resp(["GET", "k1"]).length;
  assert.deepEqual(spans(buf, second), ["k2", "k3", ""]);
  // At most `max`.
  assert.deepEqual(spans(buf, 0, 2), ["k1", "k2"]);
  // Binary keys: any byte, CRLF included.
  const bin = new Uint8Array([...te.encode("*2\r\n$3\r\nGET\r\n$4\r\n"), 13, 10, 0, 255, 13, 10]);
  assert.deepEqual(spans(bin), ["\r\n\x00\xff"]);
});

Deno.test("prefetch: firstArgSpans stops at what the parser must deal with", () => {
  const two = resp(["GET", "k1"], ["GET", "k2"]);
  // An incomplete request: the ones before it only, whichever byte it is cut at.
  for (let cut = resp(["GET", "k1"]).length; cut < two.length; cut++) {
    assert.deepEqual(spans(two.subarray(0, cut)), ["k1"], `cut at ${cut}`);
  }
  // An inline request, a malformed header, a non-bulk argument.
  const inline = new Uint8Array([...resp(["GET", "k1"]), ...te.encode("GET k2\r\n"), ...two]);
  assert.deepEqual(spans(inline), ["k1"]);
  assert.deepEqual(spans(te.encode("*2x\r\n$3\r\nGET\r\n$2\r\nk1\r\n")), []);
  assert.deepEqual(spans(te.encode("*2\r\n$3\r\nGET\r\n:12\r\n")), []);
  assert.deepEqual(spans(te.encode("*2\r\n$-1\r\n$2\r\nk1\r\n")), []);
  // Many arguments in all: the scan stops (bounded work per batch).
  const big = resp(["GET", "k0"], ["MSET", ...Array.from({ length: 2000 }, (_, i) => `a${i}`)]);
  assert.deepEqual(spans(big), ["k0"]);
  // A first argument too long to be worth hashing twice is skipped, the scan goes on.
  assert.deepEqual(spans(resp(["GET", "x".repeat(257)], ["GET", "k2"])), ["k2"]);
});

Deno.test("prefetch: the parser's unparsed input is what follows its last request, -1 mid-request", () => {
  const p = new RespParser();
  p.feed(resp(["GET", "k1"], ["GET", "k2"], ["SET", "k3", "v"]));
  assert.deepEqual(p.next(), { argv: [te.encode("GET"), te.encode("k1")], inline: false });
  assert.deepEqual(spans(p.unparsedBuffer(), p.unparsedStart()), ["k2", "k3"]);
  p.next();
  p.next();
  assert.equal(p.next(), null);
  assert.deepEqual(spans(p.unparsedBuffer(), p.unparsedStart()), []);
  // Half a request parsed (its first arguments are taken): nothing to read ahead from.
  p.feed(te.encode("*3\r\n$3\r\nSET\r\n$2\r\nk4\r\n$5\r\nva"));
  assert.equal(p.next(), null);
  assert.equal(p.unparsedStart(), -1);
  p.feed(te.encode("lue\r\n"));
  assert.deepEqual(p.next(), {
    argv: [te.encode("SET"), te.encode("k4"), te.encode("value")],
    inline: false,
  });
  assert.equal(p.unparsedStart() >= 0, true);
});

Deno.test("prefetch: prefetchPipelinedKeys leaves the table as it was", () => {
  const t = new KeyTable<string>(9);
  for (let i = 0; i < 1000; i++) t.insert(`k${i}`, `v${i}`, i);
  const buf = resp(...Array.from({ length: 100 }, (_, i) => ["GET", `k${i * 13}`]));
  prefetchPipelinedKeys(t, buf, 0);
  prefetchPipelinedKeys(t, buf, -1);
  assert.equal(t.size, 1000);
  for (let i = 0; i < 1000; i++) {
    const s = t.find(`k${i}`);
    assert.equal(t.valueAt(s), `v${i}`);
    assert.equal(t.fieldAt(s), i);
  }
});

Deno.test("prefetch: a run of requests on one collection reads its members ahead, and changes nothing", () => {
  const t = new KeyTable<unknown>(3);
  const h = Hash.table();
  for (let i = 0; i < 300; i++) h.set(`f${i}`, `v${i}`);
  const s = MemberSet.empty();
  for (let i = 0; i < 300; i++) s.add(`m${i}`);
  const z = new ZSet(false);
  for (let i = 0; i < 300; i++) z.add(`e${i}`, i);
  const packed = new Hash(); // packed: no member table
  packed.set("f", "v");
  t.insert("h", h, 0);
  t.insert("s", s, 0);
  t.insert("z", z, 0);
  t.insert("p", packed, 0);
  t.insert("str", "value", 0);
  const hset = (i: number) => ["HSET", "h", `f${i}`, "x"];
  // Three HSETs on one hash: field and value of each (the value's read is a wasted one).
  assert.equal(prefetchPipelinedKeys(t, resp(hset(1), hset(2), hset(3)), 0), 6);
  // Runs split by another key; a run of one reads nothing; SADD has one member, ZADD score and member.
  assert.equal(
    prefetchPipelinedKeys(
      t,
      resp(hset(1), hset(2), ["SADD", "s", "m1"], ["SADD", "s", "m2"], ["GET", "h"], [
        "ZADD",
        "z",
        "1",
        "e1",
      ], ["ZADD", "z", "2", "e2"]),
      0,
    ),
    4 + 2 + 4,
  );
  // No member table: a packed hash, a string, a missing key; and keys that differ.
  assert.equal(
    prefetchPipelinedKeys(t, resp(["HSET", "p", "f", "v"], ["HSET", "p", "f", "w"]), 0),
    0,
  );
  assert.equal(
    prefetchPipelinedKeys(t, resp(["APPEND", "str", "x"], ["APPEND", "str", "y"]), 0),
    0,
  );
  assert.equal(
    prefetchPipelinedKeys(t, resp(["SADD", "nokey", "a"], ["SADD", "nokey", "b"]), 0),
    0,
  );
  assert.equal(prefetchPipelinedKeys(t, resp(["SADD", "s", "a"], ["SADD", "h", "b"]), 0), 0);
  // Nothing changed.
  assert.equal(h.size, 300);
  assert.equal(h.get("f1"), "v1");
  assert.equal(s.size, 300);
  assert.equal(z.size, 300);
  assert.equal(z.score("e2"), 2);
  assert.equal(t.size, 5);
});
