/**
 * HyperLogLog commands against a real redis-server 7.0: a seeded differential fuzz (PFADD with
 * few and many elements so keys cross the sparse -> dense threshold, PFCOUNT of one and several
 * keys, PFMERGE, PFDEBUG, CONFIG SET hll-sparse-max-bytes, GET/DUMP/OBJECT ENCODING of HLL keys,
 * corrupted HLL strings, wrong types, WATCH) whose raw reply bytes must be identical, in RESP2
 * and RESP3, with DEBUG DIGEST and DEBUG DIGEST-VALUE compared after each script; DUMP payloads
 * restored across both servers; keyspace events, dirty counts and the replication stream
 * (PFCOUNT refreshing its cache propagates itself); COMMAND INFO/DOCS; the error texts.
 */

import assert from "node:assert/strict";
import { RawReplica } from "./raw_replica.ts";
import { decodeValue } from "../protocol/resp_value.ts";
import {
  encodeCommand,
  haveRedisServer,
  RespClient,
  type SpawnedProcess,
  spawnRedis,
  startNode,
} from "./harness.ts";
import { type Cmd, cmdText, show, untilMarker } from "./compare.ts";
import {
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  hllAdd,
  HllBuf,
  hllPatLen,
  hllSparseToDense,
  setCachedCard,
} from "../keyspace/hyperloglog.ts";
import { prng } from "./prng.ts";

const te = new TextEncoder();
const latin1 = (b: Uint8Array) => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
};

/** A connection that returns each reply's raw bytes (framed by the RESP decoder). */
class RawConn {
  private buf = new Uint8Array(0);
  private readonly chunk = new Uint8Array(1 << 16);
  private constructor(private readonly conn: Deno.TcpConn) {}

  static async connect(port: number): Promise<RawConn> {
    return new RawConn(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  private async reply(): Promise<string> {
    for (;;) {
      const r = decodeValue(this.buf, 0);
      if (r !== null) {
        const out = latin1(this.buf.subarray(0, r[1]));
        this.buf = this.buf.slice(r[1]);
        return out;
      }
      const n = await this.conn.read(this.chunk);
      if (n === null) throw new Error("connection closed");
      const next = new Uint8Array(this.buf.length + n);
      next.set(this.buf);
      next.set(this.chunk.subarray(0, n), this.buf.length);
      this.buf = next;
    }
  }

  /** Send the commands at once and read one raw reply per command. */
  async pipeline(cmds: Cmd[]): Promise<string[]> {
    const parts = cmds.map((c) => encodeCommand(c));
    let n = 0;
    for (const p of parts) n += p.length;
    const all = new Uint8Array(n);
    n = 0;
    for (const p of parts) {
      all.set(p, n);
      n += p.length;
    }
    const writing = this.write(all);
    const out: string[] = [];
    for (let i = 0; i < cmds.length; i++) out.push(await this.reply());
    await writing;
    return out;
  }

  async call(...c: (string | Uint8Array)[]): Promise<string> {
    return (await this.pipeline([c]))[0];
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

const KEYS = ["{h}a", "{h}b", "{h}c", "{h}d", "{h}e"];
const OTHER = ["{h}list", "{h}str", "{h}int"];

/** The bytes of a sparse HLL holding `elements` (built by our own code: inputs only). */
function sparseOf(elements: Uint8Array[]): Uint8Array {
  const h = HllBuf.create();
  for (const e of elements) hllAdd(h, e, 1 << 30);
  h.invalidateCache();
  return h.bytes();
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

const HEADER_SPARSE = [72, 89, 76, 76, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];
const HEADER_DENSE = [72, 89, 76, 76, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];

/** Sparse opcodes covering exactly `total` registers, in non-canonical random forms. */
function opcodeSoup(rnd: () => number, total: number): number[] {
  const ops: number[] = [];
  let left = total;
  while (left > 0) {
    const k = rnd();
    if (k < 0.3) {
      const n = Math.min(left, 1 + Math.floor(rnd() * 4));
      ops.push(0x80 | (Math.floor(rnd() * 32) << 2) | (n - 1));
      left -= n;
    } else if (k < 0.45) {
      const n = Math.min(left, 1 + Math.floor(rnd() * 4));
      ops.push(0x80 | (31 << 2) | (n - 1)); // value 32: the next larger count promotes
      left -= n;
    } else if (k < 0.75) {
      const n = Math.min(left, 1 + Math.floor(rnd() * 64));
      ops.push(n - 1);
      left -= n;
    } else {
      const n = Math.min(left, 1 + Math.floor(rnd() * (rnd() < 0.5 ? 70 : 3000)));
      ops.push(0x40 | ((n - 1) >> 8), (n - 1) & 0xff);
      left -= n;
    }
  }
  return ops;
}

/** A random broken or unusual HLL-ish string value. */
function oddValue(rnd: () => number, pick: () => Uint8Array): Uint8Array {
  const few = () => Array.from({ length: 1 + Math.floor(rnd() * 8) }, pick);
  const valid = sparseOf(few());
  switch (Math.floor(rnd() * 17)) {
    case 0: {
      const v = valid.slice();
      v[3] = 88; // "HYLX"
      return v;
    }
    case 1: {
      const v = valid.slice();
      v[4] = rnd() < 0.5 ? 2 : 255;
      return v;
    }
    case 2: { // dense of the wrong length
      const v = new Uint8Array(HLL_DENSE_SIZE + (rnd() < 0.5 ? -1 : 1));
      v.set(HEADER_DENSE);
      return v;
    }
    case 3:
      return concat(HEADER_SPARSE.slice(0, 5 + Math.floor(rnd() * 10)));
    case 4: // the last opcode dropped: fewer than 16384 registers
      return valid.subarray(0, valid.length - 1);
    case 5: // an XZERO too many
      return concat(valid, [0x40 | Math.floor(rnd() * 64), Math.floor(rnd() * 256)]);
    case 6: // header only
      return concat(HEADER_SPARSE);
    case 7: { // a valid cache with a random value
      const v = valid.slice();
      setCachedCard(v, BigInt(Math.floor(rnd() * 2 ** 31)) << BigInt(Math.floor(rnd() * 32)));
      return v;
    }
    case 8:
    case 9: // non-canonical but complete
      return concat(HEADER_SPARSE, opcodeSoup(rnd, 16384));
    case 10: // complete, then a lone XZERO first byte (its second byte is the terminator)
      return concat(HEADER_SPARSE, opcodeSoup(rnd, 16384 - 1), [0x40]);
    case 11: { // dense with random registers (values up to 63)
      const v = new Uint8Array(HLL_DENSE_SIZE);
      v.set(HEADER_DENSE);
      const density = rnd();
      for (let i = HLL_HDR_SIZE; i < v.length; i++) {
        if (rnd() < density) v[i] = Math.floor(rnd() * 256);
      }
      return v;
    }
    case 12: { // dense with every register 63, or 51, or a mix
      const v = new Uint8Array(HLL_DENSE_SIZE);
      v.set(HEADER_DENSE);
      const r = rnd();
      // 51 = 0b110011: the 3-byte group 0xf3 0x3c 0xcf holds four registers of 51.
      const group = r < 0.4 ? [0xff, 0xff, 0xff] : [0xf3, 0x3c, 0xcf];
      for (let i = HLL_HDR_SIZE; i < v.length; i++) v[i] = group[(i - HLL_HDR_SIZE) % 3];
      if (r > 0.7) { for (let i = HLL_HDR_SIZE; i < v.length; i += 7) v[i] = 0; }
      return v;
    }
    case 13: { // a valid dense one with a valid cache
      const h = HllBuf.from(valid);
      hllSparseToDense(h);
      const v = h.bytes();
      setCachedCard(v, BigInt(Math.floor(rnd() * 1000)));
      return v;
    }
    case 14: // sparse covering fewer registers, then more VALs
      return concat(HEADER_SPARSE, opcodeSoup(rnd, 1 + Math.floor(rnd() * 16000)));
    case 15: // a huge cached value, top bit clear
      return concat(HEADER_SPARSE.slice(0, 8), [1, 2, 3, 4, 5, 6, 7, 0x7f], [0x7f, 0xff]);
    default:
      return te.encode(["HYLL", "abc", "", "HYLL\x01\x00\x00\x00"][Math.floor(rnd() * 4)]);
  }
}

const MAX_BYTES = ["0", "1", "20", "64", "300", "3000", "3000", "3000", "12000", "100000"];

/** Seeded random commands over a few HLL keys. */
function randomScript(seed: number, n: number): Cmd[] {
  const rnd = prng(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const key = () => KEYS[int(KEYS.length)];
  let unique = 0;
  const pick = (): Uint8Array => {
    const r = rnd();
    if (r < 0.7) return te.encode(`e${int(400)}`);
    if (r < 0.95) return te.encode(`u${seed}:${unique++}`);
    const b = new Uint8Array(int(20));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b;
  };
  const keysArg = (min: number) => Array.from({ length: min + int(4) }, key);
  const out: Cmd[] = [["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]];
  while (out.length < n) {
    const r = rnd();
    if (r < 0.2) out.push(["PFADD", key(), ...Array.from({ length: int(6) }, pick)]);
    else if (r < 0.26) {
      const els: Uint8Array[] = [];
      const count = 20 + int(rnd() < 0.3 ? 2500 : 400);
      for (let i = 0; i < count; i++) els.push(te.encode(`b${seed}:${unique++}`));
      out.push(["PFADD", key(), ...els]);
    } else if (r < 0.38) out.push(["PFCOUNT", key()]);
    else if (r < 0.45) out.push(["PFCOUNT", ...keysArg(2)]);
    else if (r < 0.52) out.push(["PFMERGE", ...keysArg(1)]);
    else if (r < 0.55) {
      const sub = ["ENCODING", "DECODE", "TODENSE", "encoding", "decode", "Todense", "nosuch"][
        int(7)
      ];
      out.push(["PFDEBUG", sub, key()]);
    } else if (r < 0.56) out.push(["PFDEBUG", "GETREG", key()]);
    else if (r < 0.64) out.push([["GET", "DUMP", "STRLEN"][int(3)], key()]);
    else if (r < 0.68) out.push(["OBJECT", "ENCODING", key()]);
    else if (r < 0.73) out.push(["SET", key(), oddValue(rnd, pick)]);
    else if (r < 0.75) {
      const tails = [[0x78], [0x40], [0x80], [0xc2, 0x80], [0x61, 0x62], [0]];
      out.push(["APPEND", key(), new Uint8Array(tails[int(tails.length)])]);
    } else if (r < 0.77) out.push(["CONFIG", "SET", "hll-sparse-max-bytes", MAX_BYTES[int(10)]]);
    else if (r < 0.79) out.push(["DEL", key()]);
    else if (r < 0.8) out.push(["COPY", key(), key(), "REPLACE"]);
    else if (r < 0.81) out.push(["PEXPIREAT", key(), "99999999999999"], ["PEXPIRETIME", key()]);
    else if (r < 0.82) out.push(["EXPIRE", key(), "-1"]);
    else if (r < 0.84) {
      const k = key();
      const op: Cmd = [
        ["PFADD", k, pick()],
        ["PFCOUNT", k],
        ["PFDEBUG", "TODENSE", k],
        ["PFDEBUG", "ENCODING", k],
        ["PFMERGE", k],
      ][int(5)];
      out.push(["WATCH", k], op, ["MULTI"], ["PING"], ["EXEC"]);
    } else if (r < 0.86) {
      out.push(["MULTI"], ["PFADD", key(), pick()], ["PFCOUNT", key()], ["EXEC"]);
    } else if (r < 0.88) {
      const o = OTHER[int(3)];
      out.push(
        [["PFADD", o, pick()], ["PFCOUNT", o], ["PFCOUNT", o, key()], ["PFMERGE", key(), o], [
          "PFDEBUG",
          "ENCODING",
          o,
        ], ["PFMERGE", o, key()]][int(6)],
      );
    } else if (r < 0.89) out.push(["PFADD", key()]);
    else if (r < 0.9) out.push(["PFCOUNT", `{h}missing${int(3)}`, `{h}missing${int(3)}`]);
    else if (r < 0.91) out.push(["PFDEBUG", "ENCODING", `{h}missing`]);
    else if (r < 0.92) out.push(["TYPE", key()]);
    else out.push(["PFCOUNT", key()], ["GET", key()]);
  }
  return out;
}

async function spawnDebugRedis(): Promise<SpawnedProcess> {
  return await spawnRedis({ "enable-debug-command": "yes", "repl-diskless-sync-delay": "0" });
}

/** DEBUG DIGEST and per-key DEBUG DIGEST-VALUE, GET, DUMP and OBJECT ENCODING. */
function stateCommands(): Cmd[] {
  const out: Cmd[] = [["DEBUG", "DIGEST"]];
  for (const k of [...KEYS, ...OTHER]) {
    out.push(["DEBUG", "DIGEST-VALUE", k], ["GET", k], ["DUMP", k], ["OBJECT", "ENCODING", k]);
  }
  return out;
}

function clip(s: string): string {
  return JSON.stringify(s.length > 300 ? s.slice(0, 300) + "..." : s);
}

/** Run `script` in batches on both servers, comparing every raw reply. */
async function compareScript(a: RawConn, b: RawConn, script: Cmd[], what: string): Promise<void> {
  const BATCH = 64;
  for (let i = 0; i < script.length; i += BATCH) {
    const part = script.slice(i, i + BATCH);
    const [ra, rb] = await Promise.all([a.pipeline(part), b.pipeline(part)]);
    for (let j = 0; j < part.length; j++) {
      if (ra[j] !== rb[j]) {
        const ctx = script.slice(Math.max(0, i + j - 8), i + j).map((c) =>
          cmdText(c).slice(0, 120)
        );
        assert.fail(
          `${what} #${i + j}: ${cmdText(part[j]).slice(0, 200)}\n ours:  ${clip(ra[j])}\n redis: ${
            clip(rb[j])
          }\n after:\n  ${ctx.join("\n  ")}`,
        );
      }
    }
  }
}

Deno.test({
  name: "hyperloglog: seeded differential fuzz vs redis-server, RESP2 and RESP3, digests",
  ignore: !haveRedisServer(),
  fn: async () => {
    const node = await startNode();
    const redis = await spawnDebugRedis();
    const a = await RawConn.connect(node.port);
    const b = await RawConn.connect(redis.port);
    try {
      const base = Number(Deno.env.get("HLL_FUZZ_SEED") ?? 20250);
      const scripts = Number(Deno.env.get("HLL_FUZZ_SCRIPTS") ?? 4);
      for (let s = 0; s < scripts; s++) {
        const seed = base + s;
        const proto = seed % 2 === 0 ? "2" : "3"; // even seeds in RESP2, odd ones in RESP3
        const what = `seed ${seed} (HLL_FUZZ_SEED=${seed} HLL_FUZZ_SCRIPTS=1) RESP${proto}`;
        const prelude: Cmd[] = [
          ["HELLO", proto],
          ["FLUSHALL"],
          ["RPUSH", OTHER[0], "x"],
          ["SET", OTHER[1], "HYLL-not-really-a-hll"],
          ["SET", OTHER[2], "12345"],
        ];
        await Promise.all([a.pipeline(prelude), b.pipeline(prelude)]);
        await compareScript(a, b, randomScript(seed, 900), what);
        await compareScript(a, b, stateCommands(), `${what}, final state`);
      }
    } finally {
      a.close();
      b.close();
      await node.stop();
      await redis.stop();
    }
  },
});

/** Commands building HLLs of every kind on a server (sparse, dense, merged, cached, corrupt). */
function buildScript(): Cmd[] {
  const els = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  return [
    ["FLUSHALL"],
    ["PFADD", "{r}small", "a", "b", "c"],
    ["PFADD", "{r}sparse", ...els("s", 300)],
    ["PFADD", "{r}dense", ...els("d", 4000)],
    ["PFCOUNT", "{r}dense"],
    ["PFMERGE", "{r}merged", "{r}small", "{r}dense"],
    ["PFADD", "{r}empty"],
    ["SET", "{r}corrupt", concat(HEADER_SPARSE, [0x7f, 0xff, 0x80])],
  ];
}

const RESTORED = ["{r}small", "{r}sparse", "{r}dense", "{r}merged", "{r}empty", "{r}corrupt"];

Deno.test({
  name: "hyperloglog: DUMP payloads equal redis-server's and restore across both servers",
  ignore: !haveRedisServer(),
  fn: async () => {
    const node = await startNode();
    const redis = await spawnDebugRedis();
    const a = await RawConn.connect(node.port);
    const b = await RawConn.connect(redis.port);
    try {
      await compareScript(a, b, buildScript(), "build");
      const dumps: Cmd[] = RESTORED.map((k) => ["DUMP", k]);
      const [da, db] = await Promise.all([a.pipeline(dumps), b.pipeline(dumps)]);
      assert.deepEqual(da, db, "DUMP payloads");
      // Each server restores the other's payloads under new names.
      const payload = (raw: string): Uint8Array => {
        const v = decodeValue(Uint8Array.from(raw, (c) => c.charCodeAt(0)), 0)![0];
        assert.equal(v.type, "bulk");
        return v.type === "bulk" ? v.value : new Uint8Array(0);
      };
      const restores = (dumpsOf: string[]): Cmd[] =>
        RESTORED.map((k, i) => ["RESTORE", `${k}:x`, "0", payload(dumpsOf[i])]);
      const ra = await a.pipeline(restores(db));
      const rb = await b.pipeline(restores(da));
      assert.deepEqual(ra, rb, "RESTORE replies");
      const after: Cmd[] = [];
      for (const k of RESTORED) {
        after.push(
          ["GET", `${k}:x`],
          ["PFCOUNT", `${k}:x`],
          ["PFCOUNT", `${k}:x`, k],
          ["PFADD", `${k}:x`, "new1", "new2"],
          ["PFCOUNT", `${k}:x`],
          ["DUMP", `${k}:x`],
          ["DEBUG", "DIGEST-VALUE", `${k}:x`],
        );
      }
      after.push(["DEBUG", "DIGEST"]);
      await compareScript(a, b, after, "after RESTORE");
    } finally {
      a.close();
      b.close();
      await node.stop();
      await redis.stop();
    }
  },
});

/** Two elements whose registers are below `limit`, then one whose register is not. */
function partlyApplied(limit: number): string[] {
  const under: string[] = [];
  for (let i = 0;; i++) {
    const e = `bad${i}`;
    const index = hllPatLen(te.encode(e)) >> 6;
    if (index < limit && under.length < 2) under.push(e);
    else if (index >= limit && under.length === 2) return [...under, e];
  }
}

const indexOf = (e: string) => hllPatLen(te.encode(e)) >> 6;

/** The first element `x<n>` whose register index is in [from, to]. */
function inRange(from: number, to: number): string {
  for (let i = 0;; i++) {
    const index = indexOf(`x${i}`);
    if (index >= from && index <= to) return `x${i}`;
  }
}

/** Keyspace events, dirty counts and the propagated stream that a fixed script produces. */
async function sideEffects(port: number, script: Cmd[]) {
  const c = await RawConn.connect(port);
  const ic = await RawConn.connect(port); // INFO outside c's MULTI
  const sub = await RespClient.connect(port);
  const rep = await RawReplica.attach(port);
  try {
    await c.call("CONFIG", "SET", "notify-keyspace-events", "KEAmn");
    await sub.call("PSUBSCRIBE", "__key*__:*");
    const dirty = async () => {
      const info = await ic.call("INFO", "persistence");
      const m = /rdb_changes_since_last_save:(\d+)/.exec(info);
      if (m === null) throw new Error(`INFO persistence: ${info.slice(0, 200)}`);
      return Number(m[1]);
    };
    const steps: string[] = [];
    for (const cmd of script) {
      const before = await dirty();
      const r = await c.call(...cmd);
      steps.push(
        `${cmdText(cmd).slice(0, 60)} -> ${r.slice(0, 40)} dirty+${(await dirty()) - before}`,
      );
    }
    await c.call("SET", "{k}end-marker", "1");
    const stream = await rep.textUntil("{k}end-marker");
    const events = (await untilMarker(sub, "end")).map((v) => show(v));
    return { steps, stream, events };
  } finally {
    c.close();
    ic.close();
    sub.close();
    rep.close();
  }
}

Deno.test({
  name: "hyperloglog: keyspace events, dirty counts and the replication stream as redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    const big = Array.from({ length: 3000 }, (_, i) => `big${i}`);
    const script: Cmd[] = [
      ["PFADD", "{k}a", "x", "y", "z"],
      ["PFADD", "{k}a", "x"],
      ["PFADD", "{k}a", "q", "r", "s"],
      ["PFCOUNT", "{k}a"], // stale cache: refreshed, propagated although a read command
      ["PFCOUNT", "{k}a"], // valid cache: nothing
      ["PFCOUNT", "{k}a", "{k}b"],
      ["PFMERGE", "{k}c", "{k}a", "{k}b"],
      ["PFDEBUG", "ENCODING", "{k}c"],
      ["PFDEBUG", "TODENSE", "{k}c"], // converts: dirty, propagated, no event
      ["PFDEBUG", "TODENSE", "{k}c"],
      ["PFDEBUG", "DECODE", "{k}a"],
      ["PFDEBUG", "GETREG", "{k}a"],
      ["PFCOUNT", "{k}c"],
      ["SET", "{k}s", HllBuf.create().bytes()],
      ["OBJECT", "ENCODING", "{k}s"],
      ["PFCOUNT", "{k}s"], // unshared: raw, but unchanged
      ["OBJECT", "ENCODING", "{k}s"],
      ["PFADD", "{k}big", ...big],
      ["PFCOUNT", "{k}big"],
      ["MULTI"],
      ["PFADD", "{k}big", "one-more"],
      ["PFCOUNT", "{k}big"],
      ["EXEC"],
      [
        "EVAL",
        "redis.call('pfadd', KEYS[1], 'e'); return redis.call('pfcount', KEYS[1])",
        "1",
        "{k}ev",
      ],
      ["EVAL", "return redis.call('pfcount', KEYS[1])", "1", "{k}c"],
      // PFCOUNT is MAY_REPLICATE: a read-only script may not call it.
      ["EVAL_RO", "return redis.call('pfcount', KEYS[1])", "1", "{k}c"],
      ["SET", "{k}bad", concat(HEADER_SPARSE, [0x40, 0x63])], // XZERO:100, then nothing
      ["PFADD", "{k}bad", ...partlyApplied(100)], // the first elements change it, then an error
      ["GET", "{k}bad"],
      ["OBJECT", "ENCODING", "{k}bad"],
      ["PFMERGE", "{k}m"],
      ["PFADD", "{k}m"],
    ];
    const node = await startNode();
    const redis = await spawnDebugRedis();
    try {
      const ours = await sideEffects(node.port, script);
      const real = await sideEffects(redis.port, script);
      assert.deepEqual(ours.steps, real.steps, "replies and dirty counts");
      assert.deepEqual(ours.events, real.events, "keyspace events");
      assert.equal(ours.stream, real.stream, "replication stream");
      assert.match(real.stream, /PFCOUNT\r\n\$4\r\n\{k\}a/, "PFCOUNT is propagated");
    } finally {
      await node.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "hyperloglog: error texts, arity, odd subcommands, COMMAND INFO/DOCS/GETKEYS as redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    const bytes = (...b: number[]) => new Uint8Array(b);
    const script: Cmd[] = [
      ["FLUSHALL"],
      ["PFADD"],
      ["PFCOUNT"],
      ["PFMERGE"],
      ["PFDEBUG", "GETREG"],
      ["PFDEBUG", "GETREG", "k", "extra"],
      ["PFSELFTEST", "x"],
      ["PFDEBUG", "nosuch", "missing"],
      ["PFDEBUG", "ENCODING", "missing"],
      ["PFADD", "k", ""],
      ["PFADD", "k", "", "a"],
      ["PFDEBUG", "nosuch", "k"],
      ["PFDEBUG", concat(te.encode("decode"), [0], te.encode("junk")), "k"],
      ["PFDEBUG", concat(te.encode("zz"), [0], te.encode("yy")), "k"],
      ["PFDEBUG", bytes(0xff, 0xfe, 0x41), "k"],
      ["PFDEBUG", "a\r\nb", "k"],
      ["PFDEBUG", "", "k"],
      ["PFDEBUG", "GETREG", "k"],
      ["PFDEBUG", "DECODE", "k"],
      ["PFDEBUG", "ENCODING", "k"],
      ["PFCOUNT", "k"],
      ["PFCOUNT", "k", "k"],
      ["SET", "int", "12345"],
      ["PFADD", "int", "a"],
      ["PFCOUNT", "int"],
      ["PFDEBUG", "ENCODING", "int"],
      ["SADD", "set", "a"],
      ["PFADD", "set", "a"],
      ["PFCOUNT", "set"],
      ["PFCOUNT", "k", "set"],
      ["PFMERGE", "set", "k"],
      ["PFMERGE", "k", "set"],
      ["PFDEBUG", "GETREG", "set"],
      ["PFMERGE", "empty"],
      ["GET", "empty"],
      ["PFCOUNT", "empty"],
      ["GET", "empty"],
      ["PFCOUNT", "nokey", "nokey2"],
      ["PFMERGE", "k2", "nokey", "k"],
      ["PFDEBUG", "ENCODING", "k2"],
      // A lone XZERO first byte at the end reads the byte past the end: 0, until a split of it
      // leaves its last new byte there (Redis keeps that byte with the string).
      ["SET", "lone", concat(HEADER_SPARSE, [0x7b, 0xfe, 0x44])], // Z:15359, then Z:(4<<8|0)+1
      ["PFCOUNT", "lone"],
      ["PFADD", "lone", inRange(15359 + 70, 15700)],
      ["GET", "lone"],
      ["PFDEBUG", "DECODE", "lone"],
      ["PFCOUNT", "lone", "k"],
      ["PFCOUNT", "lone"],
      ["PFMERGE", "lone2", "lone"],
      ["GET", "lone2"],
      ["PFADD", "lone", inRange(indexOf(inRange(15359 + 70, 15700)) + 2, 16383)], // in the suffix
      ["GET", "lone"],
      ["RENAME", "lone", "lone4"],
      ["PFDEBUG", "DECODE", "lone4"],
      ["COPY", "lone4", "lone3"],
      ["PFCOUNT", "lone3"], // the copy's byte past the end is 0 again
      ["PFDEBUG", "TODENSE", "lone4"],
      ["PFDEBUG", "GETREG", "lone4"],
      ["COMMAND", "GETKEYS", "PFMERGE", "d", "s1", "s2"],
      ["COMMAND", "GETKEYS", "PFCOUNT", "a", "b"],
      ["COMMAND", "GETKEYS", "PFDEBUG", "GETREG", "k"],
      ["COMMAND", "GETKEYS", "PFADD", "k", "e"],
      ["COMMAND", "INFO", "pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"],
      ["COMMAND", "DOCS", "pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"],
    ];
    const node = await startNode();
    const redis = await spawnDebugRedis();
    const a = await RawConn.connect(node.port);
    const b = await RawConn.connect(redis.port);
    try {
      await compareScript(a, b, script, "RESP2");
      await Promise.all([a.call("HELLO", "3"), b.call("HELLO", "3")]); // client ids differ
      await compareScript(a, b, script, "RESP3");
    } finally {
      a.close();
      b.close();
      await node.stop();
      await redis.stop();
    }
  },
});
