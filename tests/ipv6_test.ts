/**
 * Listening as `bind` says, IPv6 included, against real redis-server 7.0.15 with the same bind:
 * - which addresses take connections (127.0.0.1, ::1, and the machine's non-loopback address when
 *   it has one) and what they answer (PONG, or protected mode's -DENIED, or refused);
 * - CLIENT INFO's addr/laddr as Redis prints them (`[::1]:port`, IPv4 peers of a dual-stack
 *   listener as plain IPv4);
 * - the cluster bus over ::1: a real node and ours (both `bind 127.0.0.1 ::1`) meet at ::1, agree
 *   on a two-node cluster and print the same CLUSTER SLOTS.
 * Skipped without redis-server.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, spawnRedis, startNode, waitFor } from "./harness.ts";
import { show } from "./compare.ts";

const HAVE_REDIS = haveRedisServer();

/** A non-loopback address of this machine (IPv4 and IPv6), if any. */
function outsideAddrs(): string[] {
  const out: string[] = [];
  for (const i of Deno.networkInterfaces()) {
    if (i.address.startsWith("127.") || i.address === "::1" || i.address.startsWith("fe80")) {
      continue;
    }
    out.push(i.address);
  }
  return out.slice(0, 2);
}

/**
 * What connecting to host:port and sending PING gives: PONG, an error's first words, or "not
 * served" (refused, or, for an IPv4 connection our dual-stack `::` listener took where Redis's
 * IPv6-only one would not, closed at once: Deno cannot set IPV6_V6ONLY).
 */
async function probe(host: string, port: number): Promise<string> {
  let c: RespClient;
  try {
    c = await RespClient.connect(port, host);
  } catch {
    return "not served";
  }
  try {
    const v = await c.callRaw("PING");
    if (v.type !== "error") return show(v);
    return `-${v.value.split(" ").slice(0, 3).join(" ")}`;
  } catch {
    return "not served";
  } finally {
    c.close();
  }
}

/** CLIENT INFO's addr and laddr with the ports masked. */
async function addrs(host: string, port: number): Promise<string> {
  const c = await RespClient.connect(port, host);
  try {
    const line = String(await c.call("CLIENT", "INFO"));
    const f = line.split(" ").filter((w) => w.startsWith("addr=") || w.startsWith("laddr="));
    return f.join(" ").replace(/:\d+(?= |$)/g, ":P");
  } finally {
    c.close();
  }
}

Deno.test({
  name: "ipv6: bind addresses, protected mode and CLIENT INFO addresses as redis-server",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const outside = outsideAddrs();
    for (
      const bind of [
        "* -::*",
        "127.0.0.1 ::1",
        "0.0.0.0",
        "::1 127.0.0.1",
        "-10.255.255.1 127.0.0.1 -::*",
      ]
    ) {
      const ours = await startNode({ bind });
      const real = await spawnRedis({ bind });
      try {
        for (const host of ["127.0.0.1", "::1", ...outside]) {
          const [a, b] = [await probe(host, ours.port), await probe(host, real.port)];
          assert.equal(a, b, `bind ${bind}: PING over ${host}`);
          if (a === "+PONG") {
            assert.equal(
              await addrs(host, ours.port),
              await addrs(host, real.port),
              `bind ${bind}: CLIENT INFO over ${host}`,
            );
          }
        }
        // Without protected mode the outside addresses are served wherever bound.
        for (const port of [ours.port, real.port]) {
          const c = await RespClient.connect(port);
          assert.equal(await c.call("CONFIG", "SET", "protected-mode", "no"), "OK");
          c.close();
        }
        for (const host of outside) {
          assert.equal(
            await probe(host, ours.port),
            await probe(host, real.port),
            `bind ${bind}, protected-mode no: PING over ${host}`,
          );
        }
      } finally {
        await ours.stop();
        await real.stop();
      }
    }
  },
});

for (
  const [host, realBind] of [["::1", "127.0.0.1 ::1"], ["127.0.0.1", "127.0.0.1"]] as const
) {
  Deno.test({
    name: `ipv6: a real node and ours (bind * -::*) meet and talk over ${host}`,
    ignore: !HAVE_REDIS,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const cluster = { "cluster-enabled": "yes", "cluster-node-timeout": "3000" };
      const real = await spawnRedis({ ...cluster, bind: realBind });
      // Ours on every address: the dual-stack `::` listener, IPv4 peers unmapped.
      const ours = await startNode({ ...cluster, bind: "* -::*" });
      const r = await RespClient.connect(real.port, host);
      const o = await RespClient.connect(ours.port, host);
      try {
        assert.equal(await r.call("CLUSTER", "MEET", host, String(ours.port)), "OK");
        assert.equal(await r.call("CLUSTER", "ADDSLOTSRANGE", "0", "8191"), "OK");
        assert.equal(await o.call("CLUSTER", "ADDSLOTSRANGE", "8192", "16383"), "OK");
        let last: string[] = [];
        const quoted = `"${host}"`;
        await waitFor(`both nodes agree on the two-node cluster over ${host}`, async () => {
          last = [
            show(await r.callRaw("CLUSTER", "SLOTS")),
            show(await o.callRaw("CLUSTER", "SLOTS")),
            String(await r.call("CLUSTER", "INFO")),
            String(await o.call("CLUSTER", "INFO")),
          ];
          return last[0] === last[1] && last[0].split(quoted).length === 3 &&
            last[2].includes("cluster_state:ok") && last[3].includes("cluster_state:ok");
        }, 20_000).catch((e) => {
          throw new Error(`${e.message}; last seen:\n${last.join("\n")}`);
        });
        // Each prints the other (and ours itself) at `host`, as `ip:port@cport`.
        const theirs = String(await r.call("CLUSTER", "NODES"));
        const mine = String(await o.call("CLUSTER", "NODES"));
        const at = (p: number) => ` ${host}:${p}@${p + 10000} `;
        assert.ok(theirs.includes(`${at(ours.port)}master - `), theirs);
        assert.ok(mine.includes(`${at(real.port)}master - `), mine);
        assert.ok(mine.includes(`${at(ours.port)}myself,master - `), mine);
        // CLIENT LIST addresses of our node as the real one prints them.
        assert.equal(
          await addrs(host, ours.port),
          (await addrs(host, real.port)).replaceAll(String(real.port), String(ours.port)),
        );
      } finally {
        r.close();
        o.close();
        await ours.stop();
        await real.stop();
      }
    },
  });
}
