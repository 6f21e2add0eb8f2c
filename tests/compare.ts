/**
 * Differential testing helper: run the same command sequence against our node and a real
 * redis-server and compare the exact typed replies, command by command.
 */

import assert from "node:assert/strict";
import type { RespValue } from "../protocol/resp_value.ts";
import {
  encodeCommand,
  haveRedisServer,
  RespClient,
  sleep,
  type SpawnedProcess,
  spawnNode,
  spawnRedis,
  startNode,
} from "./harness.ts";
import { Deque } from "../keyspace/deque.ts";
import { fromLatin1, latin1 } from "../protocol/bytes.ts";

const te = new TextEncoder();
const asBytes = (a: string | Uint8Array) => typeof a === "string" ? te.encode(a) : a;

export type Cmd = (string | Uint8Array)[];

/** A compact exact rendering of a reply (bulk bytes JSON-escaped as latin1). */
export function show(v: RespValue): string {
  switch (v.type) {
    case "simple":
      return `+${v.value}`;
    case "error":
      return `-${v.value}`;
    case "int":
      return `:${v.value}`;
    case "bulk":
      return `$${JSON.stringify(String.fromCharCode(...v.value))}`;
    case "null":
      // RESP2's null bulk; its null array and RESP3's null are told apart from it.
      return v.of === "array" ? "nil*" : v.of === "resp3" ? "_" : "nil";
    case "array":
    case "set":
      return `[${v.value.map(show).join(",")}]`;
    case "push":
      return `>[${v.value.map(show).join(",")}]`;
    case "map":
      return `{${v.value.map(([k, x]) => `${show(k)}:${show(x)}`).join(",")}}`;
    case "double":
      return `,${v.text}`;
    case "bool":
      return `#${v.value}`;
    case "verbatim":
      return `=${v.format}:${v.value}`;
    case "bignum":
      return `(${v.value}`;
  }
}

export function cmdText(c: Cmd): string {
  return c.map((a) => typeof a === "string" ? a : JSON.stringify(String.fromCharCode(...a))).join(
    " ",
  );
}

/**
 * Run `script` on a fresh in-process node and a fresh redis-server (skipped when none is
 * installed); assert every reply is identical. `sortReplies` lists commands (lowercase) whose
 * array replies are compared order-insensitively (KEYS). `RPUSH key elem...` is applied to our
 * node through the keyspace, so these tests do not depend on the list commands.
 */
export async function compareWithRedis(script: Cmd[], sortReplies: string[] = []): Promise<void> {
  await withNodeAndRedis(async (a, b, node) => {
    const history: string[] = [];
    for (const c of script) {
      const name = latin1(asBytes(c[0])).toLowerCase();
      if (name === "rpush") {
        // Emulated through the keyspace so these tests do not depend on the list commands.
        const db = node.server.db;
        const key = latin1(asBytes(c[1]));
        const cur = db.lookup(key);
        let sa: string;
        if (cur === undefined) {
          db.set(key, Deque.from(c.slice(2).map(asBytes)));
          sa = `:${c.length - 2}`;
        } else if (cur instanceof Deque) {
          for (const e of c.slice(2)) cur.push(asBytes(e));
          db.signalModified(key);
          sa = `:${cur.length}`;
        } else sa = "-WRONGTYPE Operation against a key holding the wrong kind of value";
        const rb = await b.callRaw(...c);
        assert.equal(sa, show(rb), `reply to: ${cmdText(c)}`);
        continue;
      }
      const [ra, rb] = await callBoth(a, b, c);
      let sa = show(ra);
      let sb = show(rb);
      if (sortReplies.includes(name) && ra.type === "array" && rb.type === "array") {
        sa = ra.value.map(show).sort().join(",");
        sb = rb.value.map(show).sort().join(",");
      }
      // TTLs are rounded from times that differ by the few ms between the two servers' calls.
      if (
        (name === "ttl" || name === "pttl") && ra.type === "int" && rb.type === "int" &&
        ra.value >= 0 && rb.value >= 0 &&
        Math.abs(ra.value - rb.value) <= (name === "ttl" ? 1 : 1000)
      ) sa = sb;
      history.push(`${cmdText(c)} -> ${sb}`);
      if (history.length > 12) history.shift();
      assert.equal(
        sa,
        sb,
        `reply to: ${cmdText(c)}\nafter:\n  ${history.slice(0, -1).join("\n  ")}\n`,
      );
    }
  });
}

type TestNode = Awaited<ReturnType<typeof startNode>>;

/**
 * Run `fn` with a client `a` on a fresh in-process node and `b` on a fresh redis-server, skipped
 * when none is installed; everything is stopped afterwards. Each side starts with its own
 * directives: by default none for ours, and for redis-server only the one that allows DEBUG
 * (DIGEST, DIGEST-VALUE, RELOAD), which ours allows in tests already.
 */
export async function withNodeAndRedis(
  fn: (a: RespClient, b: RespClient, node: TestNode, redis: SpawnedProcess) => Promise<void>,
  directives: { ours?: Record<string, string>; redis?: Record<string, string> } = {},
): Promise<void> {
  if (!haveRedisServer()) return;
  const node = await startNode(directives.ours);
  const redis = await spawnRedis(directives.redis ?? { "enable-debug-command": "yes" });
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    await fn(a, b, node, redis);
  } catch (e) {
    // A connection redis-server closed: say whether it is still running, and what it printed.
    const gone = await Promise.race([redis.child.status, sleep(100).then(() => null)]);
    if (gone === null) throw e;
    throw new Error(
      `${(e as Error).message}\nredis-server exited (${JSON.stringify(gone)}):\n${
        redis.output().slice(-4000)
      }`,
    );
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
}

/**
 * As `withNodeAndRedis`, with our node in its own process (`cli.ts`): a fresh module graph, for
 * what a node loads on first use. The node is killed afterwards (SIGKILL: nothing to save, and a
 * node a broken loader left stuck in a script would not answer SIGTERM).
 */
export async function withSpawnedNodeAndRedis(
  fn: (ours: RespClient, redis: RespClient, oursPort: number) => Promise<void>,
): Promise<void> {
  if (!haveRedisServer()) return;
  const node = await spawnNode({ save: "" });
  const redis = await spawnRedis();
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    await fn(a, b, node.port);
  } finally {
    a.close();
    b.close();
    await node.kill();
    await redis.stop();
  }
}

/** Send one command to our node (`a`) and to redis-server (`b`); a failure names the command. */
export async function callBoth(
  a: RespClient,
  b: RespClient,
  c: Cmd,
): Promise<[RespValue, RespValue]> {
  try {
    return [await a.callRaw(...c), await b.callRaw(...c)];
  } catch (e) {
    throw new Error(`${(e as Error).message} (command: ${cmdText(c)})`);
  }
}

/**
 * Send `PING marker` and return every frame read before its reply (a bulk string, or
 * `["pong", marker]` in the RESP2 Pub/Sub context): what a client received up to now.
 */
export async function untilMarker(c: RespClient, marker: string): Promise<RespValue[]> {
  await c.writeRaw(encodeCommand(["PING", marker]));
  const out: RespValue[] = [];
  for (;;) {
    const v = await c.readValue(10_000);
    if (v === null) throw new Error("connection closed");
    const text = show(v);
    if (text === `$${JSON.stringify(marker)}` || text === `[$"pong",$${JSON.stringify(marker)}]`) {
      return out;
    }
    out.push(v);
  }
}

/** rdb_changes_since_last_save of INFO persistence: the server's dirty counter. */
async function dirtyCount(c: RespClient): Promise<number> {
  const info = String(await c.call("INFO", "persistence"));
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]);
}

/**
 * Run `script` on our node (`a`) and redis-server (`b`): after each command, each server's dirty
 * counter (what a save point counts) must have grown by as much as the other's.
 */
export async function sameDirtyCounts(a: RespClient, b: RespClient, script: Cmd[]): Promise<void> {
  let da0 = await dirtyCount(a);
  let db0 = await dirtyCount(b);
  for (const c of script) {
    await callBoth(a, b, c);
    const [da, db] = [await dirtyCount(a), await dirtyCount(b)];
    assert.equal(da - da0, db - db0, `dirty after ${cmdText(c)}`);
    [da0, db0] = [da, db];
  }
}

/**
 * Run `script` on our node (`a`) and redis-server (`b`) with every keyspace event enabled (KEA)
 * and return the events a subscriber of each saw, as show() prints them: ours, then Redis's.
 */
export async function keyspaceEventsBoth(
  a: RespClient,
  b: RespClient,
  script: Cmd[],
): Promise<[string[], string[]]> {
  const subs: RespClient[] = [];
  try {
    for (const c of [a, b]) {
      const s = await RespClient.connect((c.conn.remoteAddr as Deno.NetAddr).port);
      subs.push(s);
      await s.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
      await s.callRaw("PSUBSCRIBE", "__key*__:*");
    }
    for (const c of script) await callBoth(a, b, c);
    const got: string[][] = [];
    for (const s of subs) got.push((await untilMarker(s, "end")).map(show));
    return [got[0], got[1]];
  } finally {
    for (const s of subs) s.close();
  }
}

/**
 * Split "SETBIT k 7 1" into words, each as latin1 bytes (one byte per char: "\x00" and "\xff"
 * are single bytes).
 */
export function binWords(line: string): Cmd {
  return line.split(" ").filter((w) => w !== "").map(fromLatin1);
}

/** Split "SET k v" into words (no quoting; use arrays for binary or spaced arguments). */
export function words(line: string): Cmd {
  return line.split(" ").filter((w) => w !== "");
}
