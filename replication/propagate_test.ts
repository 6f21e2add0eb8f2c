import assert from "node:assert/strict";
import {
  commandLength,
  encodeCommand,
  encodeCommandInto,
  rewriteForPropagation,
} from "./propagate.ts";
import { Db } from "../keyspace/db.ts";

const b = (s: string) => new TextEncoder().encode(s);
const t = (u: Uint8Array | string) => typeof u === "string" ? u : new TextDecoder().decode(u);
const argvOf = (...a: string[]) => a.map(b);

Deno.test("encodeCommand / commandLength", () => {
  assert.equal(t(encodeCommand(["SELECT", "0"])), "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n");
  assert.equal(commandLength(argvOf("SELECT", "0")), 23);
  assert.equal(commandLength(argvOf("ping")), 14);
});

/** The multibulk form spelled out: `*argc`, then `$len` and the bytes of each argument. */
function referenceEncoding(argv: (string | Uint8Array)[]): number[] {
  const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
  const out = ascii(`*${argv.length}\r\n`);
  for (const a of argv) {
    const bytes = typeof a === "string" ? new TextEncoder().encode(a) : a;
    out.push(...ascii(`$${bytes.length}\r\n`));
    for (const x of bytes) out.push(x);
    out.push(13, 10);
  }
  return out;
}

Deno.test("encodeCommand: every length's digits, binary and UTF-8 arguments, a grown buffer", () => {
  const cases: (string | Uint8Array)[][] = [
    [],
    [""],
    [new Uint8Array(0), "x"],
    ["SET", new Uint8Array([0, 13, 10, 255]), "é€", "PXAT", "1700000000123"],
    Array.from({ length: 12 }, (_, i) => "a".repeat(i * 9)),
    ["SET", "k", new Uint8Array(100_000).fill(7)], // longer than the reused buffer
    ["SET", "k", "v".repeat(10_000)],
    // Each length at a change of digit count.
    [9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 999999].map((n) =>
      new Uint8Array(n).fill(97)
    ),
  ];
  for (const argv of cases) {
    const ref = new Uint8Array(referenceEncoding(argv));
    assert.deepEqual(encodeCommand(argv), ref);
    assert.equal(commandLength(argv), ref.length);
    // Into a buffer at an offset: the end, or -1 with nothing written when it does not fit.
    const out = new Uint8Array(ref.length + 3);
    assert.equal(encodeCommandInto(out, 3, argv), ref.length + 3);
    assert.deepEqual(out.subarray(3), ref);
    const short = new Uint8Array(ref.length + 2);
    assert.equal(encodeCommandInto(short, 3, argv), -1);
    assert.ok(short.every((x) => x === 0));
  }
  // encodeCommand's bytes are the caller's: the next encoding does not change them.
  const kept = encodeCommand(["PING"]);
  encodeCommand(["SELECT", "9"]);
  assert.equal(t(kept), "*1\r\n$4\r\nPING\r\n");
});

Deno.test("rewrite: relative TTLs become absolute, pops become non-blocking", () => {
  const db = new Db(() => 1000);
  db.set("k", b("v"));
  db.setExpire("k", 11000);
  const set = rewriteForPropagation(
    db,
    "set",
    argvOf("set", "k", "v", "EX", "10"),
    new Uint8Array(),
  )!;
  assert.deepEqual(set[0].map(t), ["SET", "k", "v", "PXAT", "11000"]);
  assert.equal(rewriteForPropagation(db, "set", argvOf("set", "k", "v"), new Uint8Array()), null);
  const ex = rewriteForPropagation(
    db,
    "expire",
    argvOf("expire", "k", "10", "NX"),
    new Uint8Array(),
  )!;
  assert.deepEqual(ex[0].map(t), ["PEXPIREAT", "k", "11000", "NX"]);
  assert.deepEqual(
    rewriteForPropagation(db, "expire", argvOf("expire", "gone", "-1"), new Uint8Array())![0].map(
      t,
    ),
    ["DEL", "gone"],
  );
  const pop = rewriteForPropagation(
    db,
    "blpop",
    argvOf("blpop", "a", "l", "0"),
    b("*2\r\n$1\r\nl\r\n$1\r\nx\r\n"),
  )!;
  assert.deepEqual(pop[0].map(t), ["LPOP", "l"]);
  const mpop = rewriteForPropagation(
    db,
    "blmpop",
    argvOf("blmpop", "0", "1", "l", "RIGHT", "COUNT", "5"),
    b("*2\r\n$1\r\nl\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"),
  )!;
  assert.deepEqual(mpop[0].map(t), ["RPOP", "l", "2"]);
  const spop = rewriteForPropagation(db, "spop", argvOf("spop", "s"), b("$1\r\nm\r\n"))!;
  assert.deepEqual(spop[0].map(t), ["SREM", "s", "m"]);
  const spopAll = rewriteForPropagation(
    db,
    "spop",
    argvOf("spop", "s", "5"),
    b("*1\r\n$1\r\nm\r\n"),
  )!;
  assert.deepEqual(spopAll[0].map(t), ["DEL", "s"]);
});
