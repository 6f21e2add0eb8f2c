/**
 * Scripts on a six-node cluster of ours (3 masters, 3 replicas): ioredis defineCommand and
 * node-redis defineScript, the redirections a script's keys get (MOVED, CROSSSLOT, ASK,
 * TRYAGAIN, undeclared keys), effects replicated to the replica, and two script-heavy npm
 * libraries run unmodified through ioredis cluster mode: rate-limiter-flexible (its
 * RateLimiterRedis counts points with a Lua INCR+PEXPIRE script) and redlock (its locks are
 * Lua scripts over SET NX PX / compare-and-delete).
 */

import assert from "node:assert/strict";
import { Cluster as IoCluster } from "ioredis";
import { createCluster as createNodeRedisCluster, defineScript } from "redis";
import { RateLimiterRedis } from "rate-limiter-flexible";
import Redlock from "redlock";
import { haveRedisServer, RespClient } from "./harness.ts";
import {
  call,
  createCluster,
  errText,
  keyInSlot,
  nodesOf,
  stopAll,
  waitChecked,
  waitRolesSeen,
} from "./cluster_fixture.ts";
import { keyHashSlot } from "../protocol/slot.ts";

const te = new TextEncoder();
const slotOf = (k: string) => keyHashSlot(te.encode(k));

interface Topology {
  /** Port of the master serving each slot range start. */
  masters: { port: number; id: string; first: number; last: number }[];
  replicaOf: Map<string, number>;
}

async function topology(port: number): Promise<Topology> {
  const ls = await nodesOf(port);
  const masters = ls.filter((l) => l.flags.includes("master")).map((l) => {
    const [a, b] = l.slots[0].split("-").map(Number);
    return { port: Number(l.addr.split(":")[1].split("@")[0]), id: l.id, first: a, last: b ?? a };
  }).sort((x, y) => x.first - y.first);
  const replicaOf = new Map<string, number>();
  for (const l of ls) {
    if (l.flags.includes("slave")) {
      replicaOf.set(l.master, Number(l.addr.split(":")[1].split("@")[0]));
    }
  }
  return { masters, replicaOf };
}

function ownerPort(t: Topology, slot: number): number {
  return t.masters.find((m) => slot >= m.first && slot <= m.last)!.port;
}

Deno.test({
  name:
    "scripts on a six-node cluster: clients' script helpers, redirections, replication, npm libraries",
  ignore: !haveRedisServer(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cl = await createCluster(6, { replicas: 1 });
    let io: IoCluster | null = null;
    try {
      await waitRolesSeen(cl.ports, { replicas: 3 });
      await waitChecked(cl.ports[0], 30_000);
      const t = await topology(cl.ports[0]);
      assert.equal(t.masters.length, 3);

      // ---- ioredis defineCommand: EVALSHA first, EVAL after NOSCRIPT, on every master.
      io = new IoCluster([{ host: "127.0.0.1", port: cl.ports[0] }]);
      io.defineCommand("incrCapped", {
        numberOfKeys: 1,
        lua: `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v > tonumber(ARGV[2]) then redis.call('SET', KEYS[1], ARGV[2]); return tonumber(ARGV[2]) end
return v`,
      });
      io.defineCommand("swapTagged", {
        numberOfKeys: 2,
        lua: `local a = redis.call('GET', KEYS[1]); local b = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[1], b or ''); redis.call('SET', KEYS[2], a or '')
return {a or false, b or false}`,
      });
      // deno-lint-ignore no-explicit-any
      const ioc = io as any;
      const perMaster = new Map<number, number>();
      for (let i = 0; i < 60; i++) {
        const key = `cap:${i}`;
        assert.equal(await ioc.incrCapped(key, 7, 10), 7);
        assert.equal(await ioc.incrCapped(key, 7, 10), 10);
        const port = ownerPort(t, slotOf(key));
        perMaster.set(port, (perMaster.get(port) ?? 0) + 1);
      }
      assert.equal(perMaster.size, 3, "the keys spread over the three masters");
      await io.set("{sw}a", "1");
      await io.set("{sw}b", "2");
      assert.deepEqual(await ioc.swapTagged("{sw}a", "{sw}b"), ["1", "2"]);
      assert.equal(await io.get("{sw}a"), "2");

      // ---- node-redis defineScript on the same cluster.
      const nr = createNodeRedisCluster({
        rootNodes: [{ url: `redis://127.0.0.1:${cl.ports[1]}` }],
        scripts: {
          appendTwice: defineScript({
            NUMBER_OF_KEYS: 1,
            SCRIPT:
              "redis.call('APPEND', KEYS[1], ARGV[1]); return redis.call('APPEND', KEYS[1], ARGV[1])",
            // deno-lint-ignore no-explicit-any
            parseCommand(parser: any, key: string, s: string) {
              parser.pushKey(key);
              parser.push(s);
            },
            transformReply: (r: unknown) => r as number,
          }),
        },
      });
      await nr.connect();
      try {
        for (let i = 0; i < 20; i++) {
          // deno-lint-ignore no-explicit-any
          assert.equal(await (nr as any).appendTwice(`nr:${i}`, "ab"), 4);
          assert.equal(await nr.get(`nr:${i}`), "abab");
        }
      } finally {
        await nr.close();
      }

      // ---- Redirections of declared and undeclared keys.
      const m0 = t.masters[0];
      const m1 = t.masters[1];
      const c0 = await RespClient.connect(m0.port);
      try {
        const local = keyInSlot(m0.first, "loc");
        const remote = keyInSlot(m1.first, "rem");
        const moved = errText(await c0.call("EVAL", "return 1", "1", remote));
        assert.equal(moved, `MOVED ${m1.first} 127.0.0.1:${m1.port}`);
        assert.match(
          errText(await c0.call("EVAL", "return 1", "2", local, keyInSlot(m0.first + 1, "loc"))),
          /^CROSSSLOT /,
        );
        assert.match(
          errText(await c0.call("EVAL", "return redis.call('GET', ARGV[1])", "1", local, remote)),
          /^ERR Script attempted to access a non local key in a cluster node script: /,
        );
        // A script with a shebang may not touch an undeclared key of another local slot.
        const otherLocal = keyInSlot(m0.first + 1, "loc");
        assert.match(
          errText(
            await c0.call(
              "EVAL",
              "#!lua\nreturn redis.call('GET', ARGV[1])",
              "1",
              local,
              otherLocal,
            ),
          ),
          /^ERR Script attempted to access keys that do not hash to the same slot script: /,
        );
        // Without a shebang (Redis 6 scripts) it may.
        assert.equal(
          await c0.call("EVAL", "return redis.call('GET', ARGV[1])", "1", local, otherLocal),
          null,
        );
        // ... and allow-cross-slot-keys lets a shebang script do the same.
        assert.equal(
          await c0.call(
            "EVAL",
            "#!lua flags=allow-cross-slot-keys\nreturn redis.call('GET', ARGV[1])",
            "1",
            local,
            otherLocal,
          ),
          null,
        );
        assert.equal(
          errText(await c0.call("EVAL", "#!lua flags=no-cluster\nreturn 1", "0")),
          "ERR Can not run script on cluster, 'no-cluster' flag is set.",
        );

        // A migrating slot: a missing key is asked at the target, a mix gets TRYAGAIN.
        const slot = m0.first + 7;
        const present = keyInSlot(slot, "present");
        const absent = keyInSlot(slot, "absent");
        await c0.call("SET", present, "v");
        assert.equal(
          await call(m1.port, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", m0.id),
          "OK",
        );
        assert.equal(await c0.call("CLUSTER", "SETSLOT", String(slot), "MIGRATING", m1.id), "OK");
        assert.equal(await c0.call("EVAL", "return redis.call('GET', KEYS[1])", "1", present), "v");
        assert.equal(
          errText(await c0.call("EVAL", "return redis.call('GET', KEYS[1])", "1", absent)),
          `ASK ${slot} 127.0.0.1:${m1.port}`,
        );
        assert.match(
          errText(await c0.call("EVAL", "return 1", "2", present, absent)),
          /^TRYAGAIN /,
        );
        assert.equal(await c0.call("CLUSTER", "SETSLOT", String(slot), "STABLE"), "OK");
        assert.equal(await call(m1.port, "CLUSTER", "SETSLOT", String(slot), "STABLE"), "OK");

        // ---- Effects replication: the replica holds what the script wrote.
        const k = keyInSlot(m0.first, "eff");
        assert.equal(
          await c0.call(
            "EVAL",
            "redis.call('SET', KEYS[1], 'a'); redis.call('APPEND', KEYS[1], 'b'); return redis.call('GET', KEYS[1])",
            "1",
            k,
          ),
          "ab",
        );
        assert.equal(await c0.call("WAIT", "1", "5000"), 1);
        const replicaPort = t.replicaOf.get(m0.id)!;
        const r = await RespClient.connect(replicaPort);
        try {
          assert.equal(await r.call("READONLY"), "OK");
          assert.equal(await r.call("GET", k), "ab");
          // A script writing on the replica is refused there: a Redis 6 style script when it
          // calls SET; a script declaring writes is a write command, sent to the master.
          assert.equal(
            errText(await r.call("EVAL", "return redis.call('SET', KEYS[1], 'x')", "1", k)),
            `READONLY You can't write against a read only replica. script: ${await r.call(
              "SCRIPT",
              "LOAD",
              "return redis.call('SET', KEYS[1], 'x')",
            )}, on @user_script:1.`,
          );
          assert.equal(
            errText(await r.call("EVAL", "#!lua\nreturn redis.call('SET', KEYS[1], 'x')", "1", k)),
            `MOVED ${m0.first} 127.0.0.1:${m0.port}`,
          );
          assert.equal(
            await r.call(
              "EVAL",
              "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])",
              "1",
              k,
            ),
            "ab",
          );
        } finally {
          r.close();
        }
      } finally {
        c0.close();
      }

      // ---- rate-limiter-flexible through ioredis cluster mode.
      const limiter = new RateLimiterRedis({
        storeClient: io,
        keyPrefix: "rl",
        points: 5,
        duration: 60,
      });
      for (let user = 0; user < 12; user++) {
        for (let i = 1; i <= 5; i++) {
          const res = await limiter.consume(`user${user}`);
          assert.equal(res.remainingPoints, 5 - i);
        }
        await assert.rejects(limiter.consume(`user${user}`), (e: { remainingPoints: number }) => {
          assert.equal(e.remainingPoints, 0);
          return true;
        });
      }
      const ttl = await io.pttl("rl:user3");
      assert.ok(ttl > 50_000 && ttl <= 60_000, `pttl ${ttl}`);

      // ---- redlock through ioredis cluster mode.
      const redlock = new Redlock([io], { retryCount: 0 });
      const lock = await redlock.acquire(["lock:{res}"], 10_000);
      await assert.rejects(redlock.acquire(["lock:{res}"], 10_000));
      const extended = await lock.extend(20_000);
      assert.ok((await io.pttl("lock:{res}")) > 10_000);
      await extended.release();
      assert.equal(await io.exists("lock:{res}"), 0);
      const again = await redlock.acquire(["lock:{res}"], 1_000);
      await again.release();
    } finally {
      io?.disconnect();
      await stopAll(cl.nodes);
    }
  },
});
