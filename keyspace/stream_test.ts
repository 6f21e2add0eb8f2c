import assert from "node:assert/strict";
import {
  cmpId,
  decrId,
  FLAG_DELETED,
  FLAG_SAMEFIELDS,
  idKey,
  idOfKey,
  idText,
  incrId,
  MAX_ID,
  parseStreamId,
  Pel,
  raxNodeCount,
  readNode,
  Stream,
  type StreamId,
  ZERO_ID,
} from "./stream.ts";
import { Listpack, lpStringToInt64 } from "./stream_listpack.ts";
import { listpackDecode, listpackEncode } from "../protocol/listpack.ts";

const te = new TextEncoder();
const b = (s: string) => te.encode(s);
const id = (ms: number | bigint, seq: number | bigint): StreamId => ({
  ms: BigInt(ms),
  seq: BigInt(seq),
});
const LIMITS = { maxBytes: 4096, maxEntries: 100 };

Deno.test("stream IDs: parsing follows string2ull and Redis's special forms", () => {
  const p = (s: string, strict = false, star = false) => {
    const r = parseStreamId(b(s), 0n, strict, star);
    return r === null ? null : `${idText(r.id)}${r.seqGiven ? "" : "*"}`;
  };
  assert.equal(p("5"), "5-0");
  assert.equal(p("5-3"), "5-3");
  assert.equal(p("-"), "0-0");
  assert.equal(p("+"), "18446744073709551615-18446744073709551615");
  assert.equal(p("-", true), null);
  assert.equal(p("+", true), null);
  // strtoull's fallback: leading white space, '+', leading zeros, "-0", negation modulo 2^64.
  assert.equal(p(" 5"), "5-0");
  assert.equal(p("+5"), "5-0");
  assert.equal(p("007-01"), "7-1");
  assert.equal(p("-0"), null); // the '-' is the separator: "" is not a number
  assert.equal(p("1- 2"), "1-2");
  assert.equal(p("1- -1"), "1-18446744073709551615");
  assert.equal(p("1--1"), null); // string2ll reads -1: negative fails
  assert.equal(
    p("18446744073709551615-18446744073709551615"),
    "18446744073709551615-18446744073709551615",
  );
  assert.equal(p("18446744073709551616"), null);
  assert.equal(p("5 "), null);
  assert.equal(p("abc"), null);
  assert.equal(p(""), null);
  assert.equal(p("5-*"), null);
  assert.equal(p("5-*", true, true), "5-0*");
  assert.equal(p("5-**", true, true), null);
  // C string semantics: what follows a NUL is not seen.
  assert.equal(p("7\x00junk"), "7-0");
  assert.equal(p("-\x00x"), "0-0");
  assert.equal(p("1".repeat(128)), null);
});

Deno.test("stream IDs: order of keys, increments at the edges", () => {
  const ids = [id(0, 0), id(0, 1), id(1, 0), id(255, 7), id(256, 0), MAX_ID];
  for (let i = 1; i < ids.length; i++) {
    assert.ok(idKey(ids[i - 1]) < idKey(ids[i]));
    assert.equal(cmpId(ids[i - 1], ids[i]), -1);
  }
  for (const x of ids) assert.deepEqual(idOfKey(idKey(x)), x);
  assert.equal(incrId(MAX_ID), null);
  assert.deepEqual(incrId(id(3, 18446744073709551615n)), id(4, 0));
  assert.equal(decrId(ZERO_ID), null);
  assert.deepEqual(decrId(id(4, 0)), id(3, 18446744073709551615n));
});

Deno.test("stream listpack: appends and integer replacements are lpAppend's bytes", () => {
  const items = ["1", "0", "-5", "127", "128", "-4096", "4096", "40000", "-9000000", "3000000000"];
  items.push(
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "x".repeat(70),
    "y".repeat(5000),
  );
  items.push("007", "-0", "18446744073709551615");
  const lp = Listpack.empty();
  for (const s of items) lp.append(b(s));
  assert.deepEqual(lp.toBytes(), listpackEncode(items.map(b)));
  assert.deepEqual(listpackDecode(lp.toBytes()).map((x) => new TextDecoder().decode(x)), items);
  // Growing and shrinking replacements move what follows.
  let p = lp.first();
  lp.replaceInt(p, 1000000n);
  p = lp.next(p);
  lp.replaceInt(p, 5n);
  const expect = ["1000000", "5", ...items.slice(2)];
  assert.deepEqual(lp.toBytes(), listpackEncode(expect.map(b)));
  // Cursors both ways.
  const seen: string[] = [];
  for (let q = lp.last(); q !== -1; q = lp.prev(q)) {
    seen.push(new TextDecoder().decode(lp.getBytes(q)));
  }
  assert.deepEqual(seen.reverse(), expect);
  assert.equal(lpStringToInt64(b("-0")), null);
  assert.equal(lpStringToInt64(b("12345678901234567890")), null);
});

/** The listpack of a stream's only node as element texts. */
function nodeElements(s: Stream, i = 0): string[] {
  return listpackDecode(s.nodes[i].lp.toBytes()).map((x) => new TextDecoder().decode(x));
}

Deno.test("stream nodes: master entry, same-fields entries and delta-encoded IDs", () => {
  const s = new Stream();
  assert.deepEqual(s.append([b("a"), b("1"), b("b"), b("2")], id(5, 3), true, 0, LIMITS), id(5, 3));
  assert.deepEqual(s.append([b("a"), b("3"), b("b"), b("4")], id(6, 1), true, 0, LIMITS), id(6, 1));
  assert.deepEqual(s.append([b("c"), b("5")], id(6, 0), false, 0, LIMITS), id(6, 2));
  assert.equal(s.append([b("c"), b("5")], id(6, 2), true, 0, LIMITS), "EDOM");
  const master = ["3", "0", "2", "a", "b", "0"]; // count, deleted, fields, terminator
  const e1 = ["2", "0", "0", "1", "2", "5"]; // same fields: flags, ms/seq diffs, values, lp-count
  const e2 = ["2", "1", "-2", "3", "4", "5"]; // a seq below the master's: a negative diff
  const e3 = ["0", "1", "-1", "1", "c", "5", "6"]; // own fields: num-fields, field, value
  assert.deepEqual(nodeElements(s), [...master, ...e1, ...e2, ...e3]);
  const entries = readNode(s.nodes[0]);
  assert.deepEqual(entries.map((e) => idText(e.id)), ["5-3", "6-1", "6-2"]);
  assert.deepEqual(entries.map((e) => e.flags), [FLAG_SAMEFIELDS, FLAG_SAMEFIELDS, 0]);
  assert.equal(s.length, 3);
  assert.equal(s.entriesAdded, 3n);
  assert.deepEqual(s.firstId, id(5, 3));
});

Deno.test("stream nodes: split by entries (deleted ones count) and by bytes", () => {
  const s = new Stream();
  const lim = { maxBytes: 4096, maxEntries: 3 };
  for (let i = 1; i <= 3; i++) s.append([b("f"), b("v")], id(i, 0), true, 0, lim);
  assert.ok(s.deleteEntry(id(2, 0)));
  s.append([b("f"), b("v")], id(4, 0), true, 0, lim);
  assert.equal(s.nodes.length, 2); // 2 live + 1 deleted reached 3
  const t = new Stream();
  const small = { maxBytes: 40, maxEntries: 0 };
  // A node takes the next entry while its bytes plus the new element bytes stay under the limit.
  t.append([b("f"), b("v".repeat(10))], id(1, 0), true, 0, small);
  t.append([b("f"), b("v".repeat(10))], id(2, 0), true, 0, small);
  assert.equal(t.nodes.length, 2);
});

Deno.test("stream deletes: flags, counters, whole-node removal, first and max-deleted IDs", () => {
  const s = new Stream();
  for (let i = 1; i <= 4; i++) s.append([b("f"), b(String(i))], id(i, 0), true, 0, LIMITS);
  assert.ok(s.deleteEntry(id(1, 0)));
  assert.ok(!s.deleteEntry(id(1, 0)));
  assert.ok(!s.deleteEntry(id(9, 0)));
  s.afterDeletes([id(1, 0)], true);
  assert.deepEqual(s.firstId, id(2, 0));
  assert.deepEqual(s.maxDeletedId, id(1, 0));
  const els = nodeElements(s);
  assert.deepEqual(els.slice(0, 2), ["3", "1"]);
  assert.equal(readNode(s.nodes[0])[0].flags, FLAG_SAMEFIELDS | FLAG_DELETED);
  assert.deepEqual(s.collect(ZERO_ID, MAX_ID, false, 0).map((e) => idText(e.id)), [
    "2-0",
    "3-0",
    "4-0",
  ]);
  assert.deepEqual(s.collect(ZERO_ID, MAX_ID, true, 2).map((e) => idText(e.id)), ["4-0", "3-0"]);
  // Tombstones are seen only when asked for.
  assert.deepEqual(s.edgeId(true, false), id(1, 0));
  assert.deepEqual(s.edgeId(true, true), id(2, 0));
  for (let i = 2; i <= 4; i++) s.deleteEntry(id(i, 0));
  assert.equal(s.nodes.length, 0);
  assert.equal(s.length, 0);
});

Deno.test("stream trims: exact marks entries, approximate removes whole nodes only", () => {
  const make = () => {
    const s = new Stream();
    for (let i = 1; i <= 10; i++) {
      s.append([b("f"), b("v")], id(i, 0), true, 0, { maxBytes: 4096, maxEntries: 4 });
    }
    return s;
  };
  const trim = (s: Stream, strategy: "maxlen" | "minid", n: number, approx: boolean) =>
    s.trim({ strategy, maxlen: n, minid: id(n, 0), approx, limit: 0 });
  let s = make();
  assert.equal(s.nodes.length, 3);
  assert.equal(trim(s, "maxlen", 5, true), 4); // only the first node of 4 can go
  assert.equal(s.length, 6);
  s = make();
  assert.equal(trim(s, "maxlen", 5, false), 5);
  assert.equal(s.nodes.length, 2);
  assert.deepEqual(nodeElements(s).slice(0, 2), ["3", "1"]);
  assert.deepEqual(s.firstId, id(6, 0));
  s = make();
  assert.equal(trim(s, "minid", 7, false), 6);
  assert.deepEqual(s.firstId, id(7, 0));
  s = make();
  assert.equal(
    s.trim({ strategy: "maxlen", maxlen: 0, minid: ZERO_ID, approx: true, limit: 5 }),
    4,
  );
});

Deno.test("stream rax: node counts of the compressed radix tree", () => {
  assert.equal(raxNodeCount([]), 1);
  assert.equal(raxNodeCount([idKey(id(1, 0))]), 2);
  // Keys differing in the last byte of ms: root chain, a branching node, 3 chains and leaves.
  assert.equal(raxNodeCount([1, 101, 201].map((ms) => idKey(id(ms, 0)))), 8);
  // Two keys sharing 15 bytes: root chain, branch, two leaves.
  assert.equal(raxNodeCount([idKey(id(1, 0)), idKey(id(1, 1))]), 4);
});

Deno.test("stream groups: lag and entries-read as 7.0 estimates them", () => {
  const s = new Stream();
  for (let i = 1; i <= 5; i++) s.append([b("f"), b("v")], id(i, 0), true, 0, LIMITS);
  const g = s.createGroup("g", ZERO_ID, 0n)!;
  assert.equal(s.createGroup("g", ZERO_ID, 0n), undefined);
  assert.equal(s.groupLag(g), 5n);
  s.advanceGroup(g, id(1, 0));
  s.advanceGroup(g, id(2, 0));
  assert.equal(g.entriesRead, 2n);
  assert.equal(s.groupLag(g), 3n);
  // A tombstone after the group's position makes the counter unknown.
  s.deleteEntry(id(4, 0));
  s.afterDeletes([id(4, 0)], false);
  assert.equal(s.groupLag(g), null);
  // Past the tombstone the counter goes on counting (7.0 does not look back).
  s.advanceGroup(g, id(5, 0));
  assert.equal(g.entriesRead, 3n);
  // An unknown counter is estimated: the last ID's is entries-added.
  g.entriesRead = -1n;
  s.advanceGroup(g, id(5, 0));
  assert.equal(g.entriesRead, 5n);
  assert.equal(s.groupLag(g), 0n);
  const h = s.createGroup("h", id(9, 0), -1n)!;
  assert.equal(s.groupLag(h), null);
});

Deno.test("stream copies: COPY's streamDup shares nothing", () => {
  const s = new Stream();
  s.append([b("f"), b("v")], id(1, 0), true, 0, LIMITS);
  const g = s.createGroup("g", ZERO_ID, 0n)!;
  const c = g.createConsumer("c", 5)!;
  const nack = { id: id(1, 0), deliveryTime: 7, deliveryCount: 1n, consumer: c };
  g.pel.tryInsert(idKey(nack.id), nack);
  c.pel.tryInsert(idKey(nack.id), nack);
  const d = s.clone();
  s.append([b("f"), b("v")], id(2, 0), true, 0, LIMITS);
  g.ack(idKey(nack.id));
  assert.equal(d.length, 1);
  const dg = d.group("g")!;
  assert.equal(dg.pel.size, 1);
  assert.equal(dg.pel.get(dg.pel.firstKey()!)!.consumer, dg.consumers.get("c"));
  assert.equal(dg.consumers.get("c")!.pel.size, 1);
});

Deno.test("stream PEL: sorted chunks stay in order through inserts and removals", () => {
  const pel = new Pel();
  const ref = new Set<string>();
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const nack = (k: string) => ({
    id: idOfKey(k),
    deliveryTime: 0,
    deliveryCount: 1n,
    consumer: null,
  });
  for (let i = 0; i < 5000; i++) {
    const k = idKey(id(Math.floor(rnd() * 3000), Math.floor(rnd() * 3)));
    if (rnd() < 0.6) {
      assert.equal(pel.tryInsert(k, nack(k)), !ref.has(k));
      ref.add(k);
    } else assert.equal(pel.remove(k), ref.delete(k));
  }
  const sorted = [...ref].sort();
  assert.equal(pel.size, sorted.length);
  assert.deepEqual([...pel.entries()].map(([k]) => k), sorted);
  assert.equal(pel.firstKey(), sorted[0]);
  assert.equal(pel.lastKey(), sorted[sorted.length - 1]);
  const mid = idKey(id(1500, 1));
  assert.equal(pel.ceilKey(mid), sorted.find((k) => k >= mid));
  assert.equal(pel.higherKey(mid), sorted.find((k) => k > mid));
  // Removing while walking from a key.
  let n = 0;
  for (const [k] of pel.from(mid)) {
    if (n++ % 2 === 0) pel.remove(k);
  }
  assert.equal(n, sorted.filter((k) => k >= mid).length);
});
