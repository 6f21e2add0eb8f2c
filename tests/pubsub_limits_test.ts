/**
 * Slow subscribers and `client-output-buffer-limit pubsub` (Redis 7.0's
 * checkClientOutputBufferLimits), on a spawned node and on a real redis-server the same way: a
 * subscriber that never reads while a publisher publishes 1 MiB messages.
 *
 * - the default limits (hard 32mb): the subscriber is dropped once its pending output reaches the
 *   hard limit, not before (at least 32 messages were published), it leaves CLIENT LIST and
 *   PUBSUB NUMSUB, its socket is closed, the server logs the reason;
 * - a small hard limit set with CONFIG SET (4mb): dropped well before the default would;
 * - the soft limit: over soft but under hard, kept while soft-seconds have not passed (3600),
 *   dropped once they have (CONFIG SET to 1 second, then polled while publishing tiny messages:
 *   the limits are checked when output is added, in Redis as here).
 *
 * Throughout, another client is served (PING after every PUBLISH) and the server's RSS
 * (/proc/<pid>/status VmRSS, sampled after every PUBLISH) stays below its size before the burst
 * plus the hard limit plus 200 MB. A server without the limit would hold every message: the burst
 * goes on up to 400 MiB, so that shows in RSS and in the subscriber still being there.
 */

import assert from "node:assert/strict";
import {
  encodeCommand,
  RespClient,
  type SpawnedProcess,
  spawnNode,
  spawnRedis,
  waitFor,
} from "./harness.ts";
import { toPlain } from "../protocol/resp_value.ts";

type Backend = "ours" | "redis";
const BACKENDS: Backend[] = ["ours", "redis"];

const MB = 1024 * 1024;
const CHANNEL = "slow";
const MESSAGE = new Uint8Array(MB).fill(0x78);
/** Messages published at most while waiting for the drop (a server without limits holds them). */
const MAX_MESSAGES = 400;
const RSS_SLACK = 200 * MB;

function spawn(backend: Backend): Promise<SpawnedProcess> {
  return backend === "ours" ? spawnNode() : spawnRedis();
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  assert.ok(m !== null, "VmRSS in /proc/<pid>/status");
  return Number(m[1]) * 1024;
}

/** A client that subscribes to CHANNEL and then never reads; its CLIENT ID. */
async function slowSubscriber(port: number): Promise<{ sub: RespClient; id: number }> {
  const sub = await RespClient.connect(port);
  const id = await sub.call("CLIENT", "ID") as number;
  await sub.writeRaw(encodeCommand(["SUBSCRIBE", CHANNEL]));
  assert.deepEqual(toPlain((await sub.readValue())!), ["subscribe", CHANNEL, 1]);
  return { sub, id };
}

async function numsub(c: RespClient): Promise<number> {
  const r = await c.call("PUBSUB", "NUMSUB", CHANNEL) as [string, number];
  return r[1];
}

/** Read the subscriber's socket to its end: true once the server has closed it. */
async function drainsToEof(sub: RespClient): Promise<boolean> {
  const buf = new Uint8Array(MB);
  for (;;) {
    const n = await sub.conn.read(buf);
    if (n === null) return true;
  }
}

interface Burst {
  /** Messages published until the subscriber was gone (MAX_MESSAGES when it never was). */
  published: number;
  dropped: boolean;
  /** Largest RSS growth over the RSS before the burst. */
  maxRssGrowth: number;
  /** PUBLISH replies (receivers). */
  receivers: number[];
}

/**
 * Publish 1 MiB messages (PING from another client after each, RSS sampled) until PUBSUB NUMSUB
 * shows the subscriber gone, or MAX_MESSAGES.
 */
async function publishUntilDropped(
  pid: number,
  pub: RespClient,
  other: RespClient,
): Promise<Burst> {
  const base = rssBytes(pid);
  const out: Burst = { published: 0, dropped: false, maxRssGrowth: 0, receivers: [] };
  while (out.published < MAX_MESSAGES) {
    out.receivers.push(await pub.call("PUBLISH", CHANNEL, MESSAGE) as number);
    out.published++;
    assert.equal(await other.call("PING"), "PONG", "another client is served meanwhile");
    out.maxRssGrowth = Math.max(out.maxRssGrowth, rssBytes(pid) - base);
    if (await numsub(other) === 0) {
      out.dropped = true;
      break;
    }
  }
  return out;
}

/** The subscriber is gone everywhere: CLIENT LIST, NUMSUB, its socket, the server's log. */
async function assertDropped(
  node: SpawnedProcess,
  other: RespClient,
  sub: RespClient,
  id: number,
): Promise<void> {
  assert.equal(await numsub(other), 0);
  const list = await other.call("CLIENT", "LIST") as string;
  assert.ok(!list.split("\n").some((l) => l.startsWith(`id=${id} `)), `id=${id} left:\n${list}`);
  assert.equal(await drainsToEof(sub), true);
  await waitFor(
    "the server logs why it closed the client",
    () => node.output().includes("for overcoming of output buffer limits."),
  );
  // The others go on: PUBLISH reaches nobody now, PING answers.
  assert.equal(await other.call("PUBLISH", CHANNEL, "after"), 0);
  assert.equal(await other.call("PING"), "PONG");
}

async function withServer(
  backend: Backend,
  fn: (node: SpawnedProcess, pub: RespClient, other: RespClient) => Promise<void>,
): Promise<void> {
  const node = await spawn(backend);
  const pub = await RespClient.connect(node.port);
  const other = await RespClient.connect(node.port);
  try {
    await fn(node, pub, other);
  } finally {
    pub.close();
    other.close();
    await node.kill();
  }
}

for (const backend of BACKENDS) {
  Deno.test(`pubsub output limit (${backend}): a subscriber that never reads is dropped at the default hard limit, others served, RSS bounded`, async () => {
    await withServer(backend, async (node, pub, other) => {
      const limit = await other.call("CONFIG", "GET", "client-output-buffer-limit") as string[];
      assert.match(limit[1], /pubsub 33554432 8388608 60/);
      const { sub, id } = await slowSubscriber(node.port);
      try {
        const burst = await publishUntilDropped(node.child.pid, pub, other);
        assert.ok(
          burst.maxRssGrowth < 32 * MB + RSS_SLACK,
          `RSS grew by ${(burst.maxRssGrowth / MB).toFixed(0)} MB over ${burst.published} messages`,
        );
        assert.ok(burst.dropped, `still subscribed after ${burst.published} MiB`);
        // Not before the hard limit: 32 MiB must be pending, so at least 32 messages published.
        assert.ok(burst.published >= 32, `dropped after only ${burst.published} MiB`);
        assert.equal(burst.receivers[0], 1);
        await assertDropped(node, other, sub, id);
      } finally {
        sub.close();
      }
    });
  });

  Deno.test(`pubsub output limit (${backend}): a small hard limit set with CONFIG SET drops the slow subscriber sooner`, async () => {
    await withServer(backend, async (node, pub, other) => {
      assert.equal(
        await other.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 4mb 2mb 60"),
        "OK",
      );
      const { sub, id } = await slowSubscriber(node.port);
      try {
        const burst = await publishUntilDropped(node.child.pid, pub, other);
        assert.ok(
          burst.maxRssGrowth < 4 * MB + RSS_SLACK,
          `RSS grew by ${(burst.maxRssGrowth / MB).toFixed(0)} MB over ${burst.published} messages`,
        );
        assert.ok(burst.dropped, `still subscribed after ${burst.published} MiB`);
        assert.ok(burst.published >= 4, `dropped after only ${burst.published} MiB`);
        // The default hard limit (32mb) would have needed at least 32.
        assert.ok(burst.published < 32, `dropped only after ${burst.published} MiB`);
        await assertDropped(node, other, sub, id);
      } finally {
        sub.close();
      }
    });
  });

  for (const quiet of [false, true]) {
    Deno.test(
      `pubsub output limit (${backend}): over the soft limit but under the hard one, dropped once soft-seconds have passed (${
        quiet ? "channel quiet meanwhile" : "tiny messages meanwhile"
      })`,
      async () => {
        await withServer(backend, async (node, pub, other) => {
          const setLimit = async (v: string) =>
            assert.equal(await other.call("CONFIG", "SET", "client-output-buffer-limit", v), "OK");
          await setLimit("pubsub 256mb 1mb 3600");
          const { sub, id } = await slowSubscriber(node.port);
          try {
            // 16 MiB: the socket buffers take a few, the rest is pending, far over 1mb. An hour has
            // not passed, and 256mb is far: the subscriber stays.
            for (let i = 0; i < 16; i++) {
              assert.equal(await pub.call("PUBLISH", CHANNEL, MESSAGE), 1);
              assert.equal(await other.call("PING"), "PONG");
            }
            assert.equal(await numsub(other), 1);
            // The time over the soft limit counts from when it was first reached.
            await setLimit("pubsub 256mb 1mb 1");
            // The limits are checked when output is added and, as Redis's clientsCron does, about
            // once a second: with the channel quiet too.
            let tiny = 0;
            await waitFor(
              "the soft limit drops the subscriber",
              async () => {
                if (!quiet) {
                  await pub.call("PUBLISH", CHANNEL, "tiny");
                  tiny++;
                }
                assert.equal(await other.call("PING"), "PONG");
                return await numsub(other) === 0;
              },
              30_000,
              100,
            );
            // 16 MiB and a few bytes per poll: never near the hard limit.
            assert.ok(16 * MB + tiny * 64 < 256 * MB);
            await assertDropped(node, other, sub, id);
          } finally {
            sub.close();
          }
        });
      },
    );
  }
}
