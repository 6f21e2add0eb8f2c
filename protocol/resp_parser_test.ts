import assert from "node:assert/strict";
import { DEFAULT_LIMITS, type ParseResult, RespParser, splitArgs } from "./resp_parser.ts";

const te = new TextEncoder();
const td = new TextDecoder();

function all(p: RespParser): ParseResult[] {
  const out: ParseResult[] = [];
  for (;;) {
    const r = p.next();
    if (r === null) return out;
    out.push(r);
    if ("error" in r) return out;
  }
}

function args(r: ParseResult): string[] {
  assert.ok("argv" in r, JSON.stringify(r));
  return r.argv.map((a) => td.decode(a));
}

Deno.test("multibulk requests, pipelined and split at every byte", () => {
  const wire = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
  for (let cut = 0; cut <= wire.length; cut++) {
    const p = new RespParser();
    p.feed(te.encode(wire.slice(0, cut)));
    const got = all(p);
    p.feed(te.encode(wire.slice(cut)));
    got.push(...all(p));
    assert.deepEqual(got.map(args), [["PING"], ["SET", "k", "hello"]]);
  }
});

Deno.test("inline requests with quotes and escapes", () => {
  const p = new RespParser();
  p.feed(te.encode('PING\r\nset "a b" \'c\\\'d\' "\\x41\\n"\nECHO x\r\n'));
  const got = all(p).map(args);
  assert.deepEqual(got, [["PING"], ["set", "a b", "c'd", "A\n"], ["ECHO", "x"]]);
  assert.equal(splitArgs(te.encode('"unbalanced')), null);
  assert.equal(splitArgs(te.encode('"a"b')), null);
});

Deno.test("binary-safe bulk arguments", () => {
  const p = new RespParser();
  const bin = new Uint8Array([0, 13, 10, 255, 36]);
  p.feed(te.encode("*2\r\n$3\r\nGET\r\n$5\r\n"));
  p.feed(bin);
  p.feed(te.encode("\r\n"));
  const [r] = all(p);
  assert.ok("argv" in r);
  assert.deepEqual([...r.argv[1]], [...bin]);
});

Deno.test("a large bulk arrives in many chunks", () => {
  const p = new RespParser();
  const size = 300_000;
  p.feed(te.encode(`*2\r\n$3\r\nSET\r\n$${size}\r\n`));
  const body = new Uint8Array(size).fill(97);
  for (let i = 0; i < size; i += 7000) p.feed(body.subarray(i, i + 7000));
  assert.equal(p.next(), null);
  p.feed(te.encode("\r\n*1\r\n$4\r\nPING\r\n"));
  const got = all(p);
  assert.equal(got.length, 2);
  assert.ok("argv" in got[0] && got[0].argv[1].length === size);
  assert.deepEqual(args(got[1]), ["PING"]);
});

Deno.test("protocol errors have Redis's texts", () => {
  const cases: [string, string][] = [
    ["*abc\r\n", "Protocol error: invalid multibulk length"],
    ["*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'"],
    ["*1\r\n$-5\r\n", "Protocol error: invalid bulk length"],
    ["*1\r\n$x\r\n", "Protocol error: invalid bulk length"],
    ["*1\r\n$9999999999\r\n", "Protocol error: invalid bulk length"],
    ['SET "a\r\n', "Protocol error: unbalanced quotes in request"],
  ];
  for (const [wire, err] of cases) {
    const p = new RespParser();
    p.feed(te.encode(wire));
    const r = p.next();
    assert.ok(r !== null && "error" in r, wire);
    assert.equal(r.error, err, wire);
  }
  const big = new RespParser();
  big.feed(te.encode("X".repeat(70 * 1024)));
  const r = big.next();
  assert.ok(r !== null && "error" in r);
  assert.equal(r.error, "Protocol error: too big inline request");
});

Deno.test("proto-max-bulk-len and the query buffer limit are enforced", () => {
  const p = new RespParser({ maxBulkLen: 1024 * 1024, queryBufferLimit: 2 * 1024 * 1024 });
  p.feed(te.encode(`*1\r\n$${1024 * 1024 + 1}\r\n`));
  const r = p.next();
  assert.ok(r !== null && "error" in r && r.error === "Protocol error: invalid bulk length");
  const q = new RespParser({ maxBulkLen: 8 * 1024 * 1024, queryBufferLimit: 1024 * 1024 });
  q.feed(te.encode(`*1\r\n$${4 * 1024 * 1024}\r\n`));
  q.feed(new Uint8Array(2 * 1024 * 1024));
  const r2 = q.next();
  assert.ok(r2 !== null && "error" in r2 && r2.closeWithoutReply === true);
});

Deno.test("empty multibulk and blank inline lines are ignored", () => {
  const p = new RespParser();
  p.feed(te.encode("*0\r\n\r\n*-1\r\nPING\r\n"));
  assert.deepEqual(all(p).map(args), [["PING"]]);
});

Deno.test("arguments are views that later input never overwrites", () => {
  const p = new RespParser();
  const te = new TextEncoder();
  const kept: Uint8Array[][] = [];
  // Many small reads (one arena holds several), one split across an arena's end, one big read.
  let chunk = "";
  for (let i = 0; i < 2000; i++) {
    chunk += `*3\r\n$3\r\nSET\r\n$${String(i).length}\r\n${i}\r\n$1\r\n${i % 10}\r\n`;
    if (i % 7 === 0 || i === 1999) {
      const bytes = te.encode(chunk);
      // Feed it in two pieces so a request also straddles feeds.
      const cut = Math.floor(bytes.length / 2);
      for (const piece of [bytes.subarray(0, cut), bytes.subarray(cut)]) {
        p.feed(piece.slice());
        for (let r = p.next(); r !== null; r = p.next()) {
          assert.ok("argv" in r);
          kept.push(r.argv);
        }
      }
      chunk = "";
    }
  }
  assert.equal(kept.length, 2000);
  const td = new TextDecoder();
  kept.forEach((argv, i) => {
    assert.deepEqual(argv.map((a) => td.decode(a)), ["SET", String(i), String(i % 10)]);
    // A view into a shared buffer, not a copy of its own (the keyspace copies what it keeps).
    assert.ok(argv[1].buffer.byteLength > argv[1].length);
  });
});

Deno.test("length lines read by the one-scan fast path parse as the general path does, at every split", () => {
  // Each wire, whole and split at every byte (a line not all here takes the general path),
  // gives these requests and then this error (or none).
  const cases: { wire: string; want: string[][]; error?: string; auth?: boolean; max?: number }[] =
    [
      // Leading zeros, an empty argument, a 10-digit multibulk count.
      { wire: "*03\r\n$3\r\nSET\r\n$03\r\nkey\r\n$0\r\n\r\n", want: [["SET", "key", ""]] },
      { wire: "*0000000001\r\n$4\r\nPING\r\n", want: [["PING"]] },
      // More digits than the fast path reads: the general path's parseLen.
      { wire: "*1\r\n$000000000000000004\r\nPING\r\n", want: [["PING"]] },
      { wire: "*000000000001\r\n$4\r\nPING\r\n", want: [["PING"]] },
      { wire: "*12345678901\r\n", want: [], error: "Protocol error: invalid multibulk length" },
      { wire: "*2147483648\r\n", want: [], error: "Protocol error: invalid multibulk length" },
      { wire: "*-1\r\n*1\r\n$4\r\nPING\r\n", want: [["PING"]] },
      { wire: "*1\r\n$-1\r\n", want: [], error: "Protocol error: invalid bulk length" },
      { wire: "*1\r\n$3x\r\nabc\r\n", want: [], error: "Protocol error: invalid bulk length" },
      { wire: "*1\r\n$\r\n", want: [], error: "Protocol error: invalid bulk length" },
      { wire: "*1x\r\n", want: [], error: "Protocol error: invalid multibulk length" },
      {
        wire: "*1\r\n$4\r\nPING\r\n*1\r\n$11\r\nhello world\r\n",
        want: [["PING"]],
        error: "Protocol error: invalid bulk length",
        max: 10,
      },
      {
        wire: `*1\r\n$4\r\nPING\r\n*1\r\n$16385\r\n${"x".repeat(16385)}\r\n`,
        want: [["PING"]],
        error: "Protocol error: unauthenticated bulk length",
        auth: true,
      },
      {
        wire: "*1\r\n$4\r\nPING\r\n*11\r\n",
        want: [["PING"]],
        error: "Protocol error: unauthenticated multibulk length",
        auth: true,
      },
    ];
  for (const { wire, want, error, auth, max } of cases) {
    // A long wire is cut at every byte of its head and of its tail.
    const cuts = [...Array(wire.length + 1).keys()].filter((c) => c < 64 || c > wire.length - 64);
    for (const cut of cuts) {
      const p = new RespParser({ ...DEFAULT_LIMITS, maxBulkLen: max ?? DEFAULT_LIMITS.maxBulkLen });
      p.authRequired = auth ?? false;
      p.feed(te.encode(wire.slice(0, cut)));
      const got = all(p);
      if (!got.some((r) => "error" in r)) {
        p.feed(te.encode(wire.slice(cut)));
        got.push(...all(p));
      }
      const reqs = got.filter((r) => "argv" in r).map(args);
      const errs = got.filter((r) => "error" in r).map((r) => "error" in r ? r.error : "");
      assert.deepEqual(reqs, want, `${JSON.stringify(wire.slice(0, 60))} cut ${cut}`);
      assert.deepEqual(
        errs,
        error === undefined ? [] : [error],
        `${JSON.stringify(wire.slice(0, 60))} cut ${cut}`,
      );
    }
  }
});

Deno.test("midRequest: a request begun in an earlier chunk, even when all its bytes so far were parsed", () => {
  const p = new RespParser();
  const enc = new TextEncoder();
  assert.equal(p.midRequest(), false);
  // Cut right after a whole argument: nothing is pending, but ZADD waits for its last two.
  p.feed(enc.encode("*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n"));
  assert.equal(p.next(), null);
  assert.equal(p.pendingBytes(), 0);
  assert.equal(p.midRequest(), true);
  p.feed(enc.encode("$1\r\n1\r\n$1\r\na\r\n"));
  assert.ok(p.next() !== null);
  assert.equal(p.next(), null);
  assert.equal(p.midRequest(), false);
  p.feed(enc.encode("*1\r\n$4\r\nPI"));
  assert.equal(p.next(), null);
  assert.equal(p.midRequest(), true);
});

Deno.test("inline arguments without quotes are views of the input, split as sdssplitargs splits (seeded)", () => {
  // The bytes sdssplitargs treats as spaces (isspace), letters, digits and high bytes.
  const alphabet = [32, 9, 11, 12, 13, 65, 66, 122, 48, 57, 0, 200, 255, 45];
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const isSpaceByte = (c: number) => c === 32 || (c >= 9 && c <= 13);
  for (let i = 0; i < 2000; i++) {
    const line = Uint8Array.from({ length: rnd(30) }, () => alphabet[rnd(alphabet.length)]);
    const want: number[][] = [];
    let cur: number[] | null = null;
    for (const c of line) {
      if (isSpaceByte(c)) {
        if (cur !== null) want.push(cur);
        cur = null;
      } else (cur ??= []).push(c);
    }
    if (cur !== null) want.push(cur);
    const got = splitArgs(line)!;
    assert.deepEqual(got.map((a) => [...a]), want, `line ${[...line]}`);
    for (const a of got) assert.equal(a.buffer, line.buffer, "an argument is a view, not a copy");
  }
  // A request read by the parser: its inline arguments view the parser's input.
  const p = new RespParser();
  p.feed(te.encode("SET key value\r\n"));
  const r = p.next();
  assert.ok(r !== null && "argv" in r && r.inline);
  assert.equal(new Set(r.argv.map((a) => a.buffer)).size, 1);
});
