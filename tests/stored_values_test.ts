/**
 * Request arguments are views into their connection's input arena (protocol/resp_parser.ts);
 * whatever the keyspace keeps from them must be its own copy, or one stored byte would hold a
 * whole arena (up to 64 KiB) alive. Every command family that stores an argument is sent here,
 * pipelined, and every stored buffer is checked to own its memory.
 */

import { Hash } from "../keyspace/hash.ts";
import assert from "node:assert/strict";
import { encodeCommand, RespClient, startNode } from "./harness.ts";
import { Deque } from "../keyspace/deque.ts";
import type { Value } from "../keyspace/db.ts";

const COMMANDS: string[][] = [
  ["SET", "s1", "v1"],
  ["SET", "s2", "v2", "EX", "100"],
  ["SET", "s3", "v3", "GET"],
  ["SETNX", "s4", "v4"],
  ["SETEX", "s5", "100", "v5"],
  ["PSETEX", "s6", "100000", "v6"],
  ["GETSET", "s7", "v7"],
  ["MSET", "s8", "v8", "s9", "v9"],
  ["MSETNX", "s10", "v10", "s11", "v11"],
  ["APPEND", "s12", "v12"],
  ["SET", "s13", "x".repeat(1100)], // above STRING_TEXT_MAX_BYTES: kept as bytes
  ["RPUSH", "l1", "a", "b", "c"],
  ["LPUSH", "l1", "d"],
  ["RPUSHX", "l1", "e"],
  ["LPUSHX", "l1", "f"],
  ["LSET", "l1", "0", "g"],
  ["LINSERT", "l1", "BEFORE", "a", "h"],
  // Above STRING_TEXT_MAX_BYTES: kept as bytes, by each way a list stores an element.
  ["RPUSH", "l2", "z".repeat(1100)],
  ["LPUSH", "l2", "w".repeat(1100)],
  ["LSET", "l2", "0", "v".repeat(1100)],
  ["LINSERT", "l2", "BEFORE", "v".repeat(1100), "u".repeat(1100)],
  ["HSET", "h1", "f1", "x1", "f2", "x2"],
  ["HMSET", "h1", "f3", "x3"],
  ["HSETNX", "h1", "f4", "x4"],
  ["HSET", "h2", "big", "y".repeat(1100)], // above STRING_TEXT_MAX_BYTES: kept as bytes
];

/**
 * The buffers a value keeps (string value, list elements, hash values). A small string value,
 * list element or hash value is a binary string (keyspace/string_value.ts) and keeps none.
 */
function storedBuffers(v: Value): Uint8Array[] {
  if (typeof v === "string") return [];
  if (v instanceof Uint8Array) return [v];
  if (v instanceof Deque) return v.toArray().filter((x) => x instanceof Uint8Array);
  if (v instanceof Hash) return [...v.values()].filter((x) => x instanceof Uint8Array);
  return [];
}

Deno.test("stored values own their bytes instead of viewing a request's input arena", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    // One write: every request shares one read, hence one arena.
    const parts = COMMANDS.map((cmd) => encodeCommand(cmd));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) all.set(p, (o += p.length) - p.length);
    await c.writeRaw(all);
    for (const cmd of COMMANDS) {
      const r = await c.readValue();
      assert.ok(r !== null && r.type !== "error", `${cmd.join(" ")}: ${JSON.stringify(r)}`);
    }
    let checked = 0;
    let texts = 0;
    for (const [key, v] of node.server.db.dict) {
      // A small value in the value slab holds no buffer of its own either.
      if (typeof v === "string" || typeof v === "number") texts++;
      if (typeof v === "number") continue;
      if (v instanceof Hash) { for (const x of v.values()) if (typeof x === "string") texts++; }
      if (v instanceof Deque) { for (const x of v) if (typeof x === "string") texts++; }
      for (const b of storedBuffers(v)) {
        assert.ok(
          b.buffer.byteLength - b.length <= 2,
          `${key}: a ${b.length}-byte value holds a ${b.buffer.byteLength}-byte buffer`,
        );
        checked++;
      }
    }
    assert.equal(texts, 12 + 7 + 4);
    assert.equal(checked, 1 + 3 + 1);
  } finally {
    c.close();
    await node.stop();
  }
});
