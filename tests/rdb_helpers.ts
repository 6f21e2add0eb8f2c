/**
 * Test helpers for the RDB / DUMP tests: fill a server with every type in small and large
 * encodings, and read a key back as a canonical, binary-safe description.
 */

import assert from "node:assert/strict";
import type { RespClient } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const enc = new TextEncoder();

export function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

function bulks(v: RespValue): Uint8Array[] {
  assert.equal(v.type, "array", JSON.stringify(v));
  return (v as { value: RespValue[] }).value.map((e) => {
    assert.equal(e.type, "bulk");
    return (e as { value: Uint8Array }).value;
  });
}

/** A canonical, binary-safe description of a key's value read through commands. */
export async function readKey(c: RespClient, key: string): Promise<string> {
  const t = await c.call("TYPE", key);
  switch (t) {
    case "string": {
      const v = await c.callRaw("GET", key);
      return `string:${hex((v as { value: Uint8Array }).value)}`;
    }
    case "list":
      return `list:${bulks(await c.callRaw("LRANGE", key, "0", "-1")).map(hex).join(",")}`;
    case "hash": {
      const flat = bulks(await c.callRaw("HGETALL", key)).map(hex);
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
      return `hash:${pairs.sort().join(",")}`;
    }
    case "set":
      return `set:${bulks(await c.callRaw("SMEMBERS", key)).map(hex).sort().join(",")}`;
    case "zset": {
      const flat = bulks(await c.callRaw("ZRANGE", key, "0", "-1", "WITHSCORES"));
      const out: string[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        out.push(`${hex(flat[i])}@${new TextDecoder().decode(flat[i + 1])}`);
      }
      return `zset:${out.join(",")}`;
    }
    default:
      return `none:${t}`;
  }
}

export async function dumpOf(c: RespClient, key: string): Promise<Uint8Array> {
  const v = await c.callRaw("DUMP", key);
  assert.equal(v.type, "bulk", `DUMP ${key}: ${JSON.stringify(v)}`);
  return (v as { value: Uint8Array }).value;
}

/** Every type, small and large encodings, binary and integer-looking data. */
export async function populate(c: RespClient): Promise<string[]> {
  const rnd = new Uint8Array(300);
  let x = 99;
  for (let i = 0; i < rnd.length; i++) {
    rnd[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  }
  const cmds: (string | Uint8Array)[][] = [
    ["SET", "str:int8", "-12"],
    ["SET", "str:int16", "3000"],
    ["SET", "str:int32", "-2000000000"],
    ["SET", "str:int64", "9223372036854775807"],
    ["SET", "str:zero-pad", "007"],
    ["SET", "str:short", "hello"],
    ["SET", "str:empty", ""],
    ["SET", "str:compressible", "abc".repeat(1000)],
    ["SET", "str:binary", rnd],
    [
      "RPUSH",
      "list:small",
      "a",
      "1",
      "-5000",
      "99999999999",
      "x".repeat(100),
      enc.encode("\x00\xff"),
    ],
    ["HSET", "hash:small", "f1", "v1", "n", "42", "neg", "-1"],
    ["HSET", "hash:longval", "f", "y".repeat(100)],
    ["SADD", "set:intset", "1", "-2", "70000", "5000000000", "-9223372036854775808"],
    ["SADD", "set:strings", "a", "b", "10", rnd.subarray(0, 10)],
    [
      "ZADD",
      "zset:small",
      "1",
      "a",
      "2.5",
      "b",
      "-3",
      "c",
      "1e20",
      "d",
      "inf",
      "e",
      "-inf",
      "f",
      "0",
      "g",
    ],
    ["ZADD", "zset:longmember", "1", "m".repeat(100), "2", "n"],
  ];
  for (const cmd of cmds) await c.call(...cmd);
  for (let i = 0; i < 5000; i += 500) {
    const batch: string[] = [];
    for (let j = i; j < i + 500; j++) batch.push(`element-${j}`);
    await c.call("RPUSH", "list:large", ...batch);
    await c.call(
      "RPUSH",
      "list:large-ints",
      ...batch.map((_, k) => String((i + k) * 7919 - 100000)),
    );
  }
  for (let i = 0; i < 300; i++) {
    await c.call("HSET", "hash:large", `field:${i}`, `value:${i}`);
    await c.call("SADD", "set:large-intset-overflow", String(i * 3));
    await c.call("ZADD", "zset:large", String(i / 7), `member:${i}`);
  }
  for (let i = 300; i < 600; i++) await c.call("SADD", "set:large-intset-overflow", String(i * 3));
  for (let i = 0; i < 200; i++) await c.call("SADD", "set:large-strings", `s${i}`);
  return [
    ...cmds.map((c) => String(c[1])),
    "list:large",
    "list:large-ints",
    "hash:large",
    "set:large-intset-overflow",
    "set:large-strings",
    "zset:large",
  ];
}

/** DEBUG DIGEST of the whole dataset (the same value on our node and on redis-server). */
export async function debugDigest(c: RespClient): Promise<string> {
  return String(await c.call("DEBUG", "DIGEST"));
}

/** One INFO field's value ("" when the section does not have it). */
export async function infoField(
  c: RespClient,
  field: string,
  section = "persistence",
): Promise<string> {
  const text = String(await c.call("INFO", section));
  return text.match(new RegExp(`^${field}:(.*)$`, "m"))?.[1].trim() ?? "";
}
