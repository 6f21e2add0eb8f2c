/**
 * CLUSTER SLOTS / CLUSTER SHARDS metadata and MOVED/ASK endpoints against real redis-server
 * 7.0.15, in one mixed cluster: real master R1 (slots 0-8191) with our replica O2, our master O1
 * (8192-16383) with a real replica R2. R1 and O1 announce hostnames (`cluster-announce-hostname`,
 * carried by the bus ping extension both ways), R2 and O2 none. For each
 * `cluster-preferred-endpoint-type` (ip, hostname, unknown-endpoint), in RESP2 and RESP3:
 * - CLUSTER SLOTS is byte-identical on all four nodes;
 * - CLUSTER SHARDS is identical (shards sorted by id, replication offsets masked);
 * - MOVED from a node equals MOVED from the other node of the same shard (R1 vs O2, O1 vs R2);
 * - ASK from a migrating master names the target's endpoint as Redis does (R1 -> O1, O1 -> R1).
 * Then R1 drops its hostname and every node forgets it (the extension's absence clears it).
 * Skipped without redis-server.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, spawnRedis, startNode, waitFor } from "./harness.ts";
import { show } from "./compare.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";

const HAVE_REDIS = haveRedisServer();
const CLUSTER = { "cluster-enabled": "yes", "cluster-node-timeout": "3000" };

function keyIn(lo: number, hi: number): string {
  for (let i = 0;; i++) {
    const k = `k${i}`;
    const s = keyHashSlotBinary(k);
    if (s >= lo && s <= hi) return k;
  }
}

/** SHARDS rendered with every replication-offset masked and shards sorted by their first id. */
function shardsText(v: RespValue): string {
  const text = show(v).replace(/(\$"replication-offset"[,:]):\d+/g, "$1:N");
  if (v.type !== "array") return text;
  return v.value.map((s) => show(s).replace(/(\$"replication-offset"[,:]):\d+/g, "$1:N"))
    .sort().join("\n");
}

Deno.test({
  name: "endpoints: CLUSTER SLOTS/SHARDS, MOVED and ASK equal redis-server 7.0.15's",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const r1 = await spawnRedis({ ...CLUSTER, "cluster-announce-hostname": "r1.example.com" });
    const r2 = await spawnRedis(CLUSTER);
    const o1 = await startNode({ ...CLUSTER, "cluster-announce-hostname": "o1.example.com" });
    const o2 = await startNode(CLUSTER);
    const ports = [r1.port, o1.port, r2.port, o2.port];
    const clients: RespClient[] = [];
    const conn = async (p: number) => {
      const c = await RespClient.connect(p);
      clients.push(c);
      return c;
    };
    try {
      const [c1, d1, c2, d2] = await Promise.all(ports.map(conn));
      const all = [c1, d1, c2, d2];
      const id = async (c: RespClient) => String(await c.call("CLUSTER", "MYID"));
      const [idR1, idO1] = [await id(c1), await id(d1)];
      for (const c of [d1, c2, d2]) {
        assert.equal(await c.call("CLUSTER", "MEET", "127.0.0.1", String(r1.port)), "OK");
      }
      assert.equal(await c1.call("CLUSTER", "ADDSLOTSRANGE", "0", "8191"), "OK");
      assert.equal(await d1.call("CLUSTER", "ADDSLOTSRANGE", "8192", "16383"), "OK");
      await waitFor("all four nodes know each other", async () => {
        for (const c of all) {
          const t = String(await c.call("CLUSTER", "NODES"));
          if (t.split("\n").filter((l) => l !== "" && !l.includes("handshake")).length !== 4) {
            return false;
          }
        }
        return true;
      }, 20_000);
      assert.equal(await c2.call("CLUSTER", "REPLICATE", idO1), "OK");
      assert.equal(await d2.call("CLUSTER", "REPLICATE", idR1), "OK");
      await waitFor("cluster_state:ok everywhere", async () => {
        for (const c of all) {
          if (!String(await c.call("CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
        }
        return true;
      }, 20_000);
      // Writes so that every replication offset is past 0 ("online", not "loading").
      assert.equal(await c1.call("SET", keyIn(0, 8191), "v"), "OK");
      assert.equal(await d1.call("SET", keyIn(8192, 16383), "v"), "OK");

      const slotsOf = async (c: RespClient) => show(await c.callRaw("CLUSTER", "SLOTS"));
      const shardsOf = async (c: RespClient) => shardsText(await c.callRaw("CLUSTER", "SHARDS"));
      let last: string[] = [];
      await waitFor("every node shows the same CLUSTER SLOTS and SHARDS, all online", async () => {
        const s = await Promise.all(all.map(slotsOf));
        const h = await Promise.all(all.map(shardsOf));
        last = [...s, ...h];
        return s.every((x) => x === s[0]) && h.every((x) => x === h[0]) &&
          s[0].includes("o1.example.com") && s[0].includes("r1.example.com") &&
          (h[0].match(/"online"/g) ?? []).length === 4;
      }, 20_000).catch((e) => {
        throw new Error(`${e.message}; last seen (R1, O1, R2, O2):\n${last.join("\n\n")}`);
      });

      const kLow = keyIn(0, 8191);
      const kHigh = keyIn(8192, 16383);
      for (const type of ["ip", "hostname", "unknown-endpoint"]) {
        for (const c of all) {
          assert.equal(
            await c.call("CONFIG", "SET", "cluster-preferred-endpoint-type", type),
            "OK",
          );
        }
        for (const proto of ["2", "3"]) {
          for (const c of all) await c.callRaw("HELLO", proto);
          const what = `(${type}, RESP${proto})`;
          const s = await Promise.all(all.map(slotsOf));
          for (let i = 1; i < 4; i++) {
            assert.equal(s[i], s[0], `CLUSTER SLOTS of node ${i} vs R1 ${what}`);
          }
          const h = await Promise.all(all.map(shardsOf));
          for (let i = 1; i < 4; i++) {
            assert.equal(h[i], h[0], `CLUSTER SHARDS of node ${i} vs R1 ${what}`);
          }
          // MOVED: the two nodes of a shard redirect to the other shard's master alike.
          assert.equal(show(await d2.callRaw("GET", kHigh)), show(await c1.callRaw("GET", kHigh)));
          assert.equal(show(await c2.callRaw("GET", kLow)), show(await d1.callRaw("GET", kLow)));
          assert.match(show(await c1.callRaw("GET", kHigh)), /^-MOVED \d+ /);
        }
      }
      for (const c of all) await c.callRaw("HELLO", "2");

      // ASK: R1 migrates a slot to O1, O1 one to R1; each names its target's endpoint.
      const expectEndpoint = (type: string, ip: string, host: string) =>
        type === "ip" ? ip : type === "hostname" ? host : "";
      const sLow = keyHashSlotBinary(kLow) === 100 ? 101 : 100;
      const sHigh = keyHashSlotBinary(kHigh) === 9000 ? 9001 : 9000;
      const askLow = keyIn(sLow, sLow);
      const askHigh = keyIn(sHigh, sHigh);
      assert.equal(await c1.call("CLUSTER", "SETSLOT", String(sLow), "MIGRATING", idO1), "OK");
      assert.equal(await d1.call("CLUSTER", "SETSLOT", String(sHigh), "MIGRATING", idR1), "OK");
      for (const type of ["ip", "hostname", "unknown-endpoint"]) {
        for (const c of all) {
          assert.equal(
            await c.call("CONFIG", "SET", "cluster-preferred-endpoint-type", type),
            "OK",
          );
        }
        assert.equal(
          show(await c1.callRaw("GET", askLow)),
          `-ASK ${sLow} ${expectEndpoint(type, "127.0.0.1", "o1.example.com")}:${o1.port}`,
        );
        assert.equal(
          show(await d1.callRaw("GET", askHigh)),
          `-ASK ${sHigh} ${expectEndpoint(type, "127.0.0.1", "r1.example.com")}:${r1.port}`,
        );
        // MOVED from a replica to a master without a hostname shows "?" as hostname.
        if (type === "hostname") {
          assert.match(show(await d2.callRaw("GET", kHigh)), / o1\.example\.com:/);
        }
      }
      for (const c of all) {
        assert.equal(await c.call("CONFIG", "SET", "cluster-preferred-endpoint-type", "ip"), "OK");
      }

      // R1 drops its hostname: the extension is no longer sent, every node forgets it; O1 too.
      assert.equal(await c1.call("CONFIG", "SET", "cluster-announce-hostname", ""), "OK");
      assert.equal(await d1.call("CONFIG", "SET", "cluster-announce-hostname", ""), "OK");
      await waitFor("every node forgot the hostnames", async () => {
        const s = await Promise.all(all.map(slotsOf));
        return s.every((x) => x === s[0]) && !s[0].includes("example.com");
      }, 20_000);
      const h = await Promise.all(all.map(shardsOf));
      for (let i = 1; i < 4; i++) assert.equal(h[i], h[0], `CLUSTER SHARDS of node ${i} vs R1`);
    } finally {
      for (const c of clients) c.close();
      await o1.stop();
      await o2.stop();
      await r1.stop();
      await r2.stop();
    }
  },
});

Deno.test({
  name: "endpoints: cluster-link-sendbuf-limit frees a link to a stalled peer, as redis-server",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const real = await spawnRedis(CLUSTER);
    const stalled = await spawnRedis(CLUSTER);
    const ours = await startNode(CLUSTER);
    const r = await RespClient.connect(real.port);
    const o = await RespClient.connect(ours.port);
    try {
      for (const c of [o, r]) {
        assert.equal(await c.call("CLUSTER", "MEET", "127.0.0.1", String(stalled.port)), "OK");
      }
      const linked = async (c: RespClient) => {
        const t = String(await c.call("CLUSTER", "NODES")).split("\n").filter((l) => l !== "");
        return t.length === 3 && t.every((l) => l.includes(" connected") && !l.includes("handsh"));
      };
      await waitFor("three nodes linked", async () => await linked(o) && await linked(r), 20_000);
      const limitBytes = 1024 * 1024;
      for (const c of [o, r]) {
        assert.equal(await c.call("CONFIG", "SET", "cluster-link-sendbuf-limit", "1mb"), "OK");
      }
      const exceeded = async (c: RespClient) =>
        Number(
          /total_cluster_links_buffer_limit_exceeded:(\d+)/.exec(
            String(await c.call("CLUSTER", "INFO")),
          )![1],
        );
      assert.equal(await exceeded(o), 0);
      stalled.child.kill("SIGSTOP");
      const payload = "x".repeat(256 * 1024);
      let maxUsed = 0;
      try {
        // PUBLISH is broadcast on the bus: the links to the stalled node fill up.
        for (let i = 0; i < 400 && (await exceeded(o) === 0 || await exceeded(r) === 0); i++) {
          await o.call("PUBLISH", "ch", payload);
          await r.call("PUBLISH", "ch", payload);
          const links = await o.callRaw("CLUSTER", "LINKS");
          for (const m of /"send-buffer-used",:(\d+)/g[Symbol.matchAll](show(links))) {
            maxUsed = Math.max(maxUsed, Number(m[1]));
          }
        }
      } finally {
        stalled.child.kill("SIGCONT");
      }
      assert.ok(await exceeded(r) >= 1, "redis-server freed a link");
      assert.ok(await exceeded(o) >= 1, "our node freed a link");
      // Ours never held more than the limit plus the one packet an empty buffer takes.
      assert.ok(maxUsed <= limitBytes + payload.length + 4096, `send buffer reached ${maxUsed}`);
    } finally {
      r.close();
      o.close();
      await ours.stop();
      await real.stop();
      await stalled.stop();
    }
  },
});
