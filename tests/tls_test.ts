/**
 * TLS as Redis 7.0 does it (server/tls.ts): `redis-cli --tls` against one node (client
 * certificates required by default, refused without one or from another CA, `optional`, CONFIG
 * SET of the tls-* directives with Redis's errors, `tls-protocols`, `port 0` for TLS only); then a
 * six-node cluster of ours with TLS on clients, replication and the bus, made and checked with
 * `redis-cli --tls --cluster create/check`, the ports it announces (TLS ports to TLS clients,
 * plaintext ports to plain ones, as Redis's use_pport), ioredis and node-redis over TLS, and a
 * real redis-server 7.0.15 (Debian's is built with TLS) joining it over the TLS bus and
 * replicating from one of our masters over TLS.
 */

import assert from "node:assert/strict";
import { Cluster as RedisCluster } from "ioredis";
import { createCluster as createNodeRedisCluster } from "redis";
import {
  freePort,
  pipelined,
  RespClient,
  run,
  type SpawnedProcess,
  spawnNode,
  spawnRedis,
  startNode,
} from "./harness.ts";
import { show } from "./compare.ts";
import { call, keyInSlot, stopAll, waitAllKnow, waitAllOk } from "./cluster_fixture.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";
import {
  cli,
  cliTlsArgs,
  testTlsFiles,
  tlsDirectives,
  tlsProbe,
  untrustedTlsFiles,
} from "./tls_helpers.ts";
import { waitFor } from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "tls: one node: redis-cli --tls, client certificates, CONFIG SET tls-*, port 0",
  ...opts,
  fn: async () => {
    const f = await testTlsFiles();
    const bad = await untrustedTlsFiles();
    const T = cliTlsArgs(f);
    const tlsPort = freePort();
    const node = await startNode({ ...tlsDirectives(f), "tls-port": String(tlsPort) });
    try {
      assert.equal((await cli(tlsPort, T, "PING")).out, "PONG");
      assert.equal((await cli(tlsPort, T, "SET", "k", "v")).out, "OK");
      assert.equal((await cli(tlsPort, T, "GET", "k")).out, "v");
      // The plain port still serves (port and tls-port side by side).
      assert.equal((await cli(node.port, [], "GET", "k")).out, "v");

      // tls-auth-clients yes (the default): no certificate, or one from another CA, is refused
      // in the handshake, and redis-cli says what it says against Redis.
      const noCert = await cli(tlsPort, ["--tls", "--cacert", f.caCert], "PING");
      assert.notEqual(noCert.code, 0);
      assert.equal(noCert.out, "");
      // (The same TLS 1.3 race as below: a SIGPIPE on the PING's write prints nothing.)
      if (!(noCert.code === 141 && noCert.err === "")) {
        assert.match(noCert.err, /Server closed the connection/);
      }
      const wrongCa = await cli(
        tlsPort,
        ["--tls", "--cacert", f.caCert, "--cert", bad.cert, "--key", bad.key],
        "PING",
      );
      assert.notEqual(wrongCa.code, 0);
      assert.equal(wrongCa.out, "");
      // With TLS 1.3 the client has sent its PING by the time the refusal arrives: redis-cli then
      // reads the close (its texts below) or, when the close came first, dies of SIGPIPE on the
      // write (exit 141, nothing printed). Which one is a race of the two sockets (seen under
      // parallel tests); either way nothing was served.
      if (!(wrongCa.code === 141 && wrongCa.err === "")) {
        assert.match(wrongCa.err, /Connection reset by peer|Server closed the connection/);
      }

      // optional: no certificate is fine, a bad one is not; no: anything goes.
      assert.equal(
        (await cli(node.port, [], "CONFIG", "SET", "tls-auth-clients", "optional")).out,
        "OK",
      );
      assert.equal((await cli(tlsPort, ["--tls", "--cacert", f.caCert], "PING")).out, "PONG");
      assert.equal(
        await tlsProbe(tlsPort, bad, { cert: true }).then((r) => r.startsWith("PONG")),
        false,
      );
      assert.equal((await cli(node.port, [], "CONFIG", "SET", "tls-auth-clients", "no")).out, "OK");
      assert.equal((await cli(tlsPort, ["--tls", "--cacert", f.caCert], "PING")).out, "PONG");
      assert.equal(
        (await cli(node.port, [], "CONFIG", "SET", "tls-auth-clients", "maybe")).out,
        "ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - argument(s) must be one of the following: no, yes, optional",
      );
      assert.equal(
        (await cli(node.port, [], "CONFIG", "SET", "tls-auth-clients", "yes")).out,
        "OK",
      );
      assert.notEqual((await cli(tlsPort, ["--tls", "--cacert", f.caCert], "PING")).code, 0);

      // A certificate that cannot be loaded is refused and the old one stays (applyTlsCfg).
      assert.equal(
        (await cli(node.port, [], "CONFIG", "SET", "tls-cert-file", "/nonexistent.crt")).out,
        "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.",
      );
      assert.equal(
        (await cli(node.port, [], "CONFIG", "GET", "tls-cert-file")).out,
        `tls-cert-file\n${f.cert}`,
      );
      assert.equal(
        (await cli(node.port, [], "CONFIG", "SET", "tls-protocols", "TLSv1.4")).out,
        "ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS configuration. Check server logs.",
      );
      assert.equal(
        (await cli(node.port, [], "CONFIG", "SET", "tls-port", String(node.port))).out,
        "ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to listen on this port. Check server logs.",
      );
      // tls-protocols narrows what the node speaks, from the next handshake on.
      assert.equal(await tlsProbe(tlsPort, f, { minVersion: "TLSv1.3" }), "PONG TLSv1.3");
      assert.equal(
        (await cli(node.port, [], "CONFIG", "SET", "tls-protocols", "TLSv1.2")).out,
        "OK",
      );
      assert.equal(await tlsProbe(tlsPort, f), "PONG TLSv1.2");
      assert.match(await tlsProbe(tlsPort, f, { minVersion: "TLSv1.3" }), /^error/);
      assert.equal((await cli(tlsPort, T, "PING")).out, "PONG");
    } finally {
      await node.stop();
    }

    // port 0 with tls-port: TLS only.
    const onlyTls = freePort();
    const tlsOnly = await startNode({
      ...tlsDirectives(f),
      port: "0",
      "tls-port": String(onlyTls),
    });
    try {
      assert.equal(tlsOnly.server.port, 0);
      assert.equal((await cli(onlyTls, T, "CONFIG", "GET", "port")).out, "port\n0");
      assert.equal((await cli(onlyTls, T, "PING")).out, "PONG");
    } finally {
      await tlsOnly.stop();
    }
  },
});

/** CLUSTER NODES lines as [id, "ip:port@cport"], in order. */
function addrs(nodesText: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of nodesText.split("\n")) {
    const f = l.split(" ");
    if (f.length > 2) m.set(f[0], f[1]);
  }
  return m;
}

Deno.test({
  name:
    "tls: six nodes with TLS clients, replication and bus; ioredis, node-redis; a real redis-server joins",
  ...opts,
  fn: async (t) => {
    const f = await testTlsFiles();
    const T = cliTlsArgs(f);
    const tlsPorts = Array.from({ length: 6 }, () => freePort());
    const directives = (i: number) => ({
      ...tlsDirectives(f),
      "tls-port": String(tlsPorts[i]),
      "tls-cluster": "yes",
      "tls-replication": "yes",
      "cluster-enabled": "yes",
      "cluster-node-timeout": "3000",
    });
    const nodes: SpawnedProcess[] = await Promise.all(
      tlsPorts.map((_, i) => spawnNode(directives(i))),
    );
    const ports = nodes.map((n) => n.port);
    let real: SpawnedProcess | null = null;
    try {
      await t.step("redis-cli --tls --cluster create and check", async () => {
        const r = await run("redis-cli", [
          ...T,
          "--cluster",
          "create",
          ...tlsPorts.map((p) => `127.0.0.1:${p}`),
          "--cluster-replicas",
          "1",
          "--cluster-yes",
        ], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, `create failed:\n${r.stdout}\n${r.stderr}`);
        await waitAllOk(ports);
        const check = await run("redis-cli", [
          ...T,
          "--cluster",
          "check",
          `127.0.0.1:${tlsPorts[0]}`,
        ]);
        assert.equal(check.code, 0, check.stdout);
        assert.match(check.stdout, /\[OK\] All 16384 slots covered\./);
        assert.doesNotMatch(check.stdout, /\[WARNING\]|\[ERR\]/);
      });

      const ids = await Promise.all(
        ports.map(async (p) => await call(p, "CLUSTER", "MYID") as string),
      );
      const tlsPortOf = new Map(ids.map((id, i) => [id, tlsPorts[i]]));
      const plainPortOf = new Map(ids.map((id, i) => [id, ports[i]]));

      await t.step(
        "TLS clients see TLS ports, plain clients plaintext ports (use_pport)",
        async () => {
          const overTls = addrs((await cli(tlsPorts[0], T, "CLUSTER", "NODES")).out);
          const overPlain = addrs(await call(ports[0], "CLUSTER", "NODES") as string);
          for (const id of ids) {
            // The bus port is the TLS port + 10000 (deriveAnnouncedPorts with tls-cluster).
            assert.equal(
              overTls.get(id),
              `127.0.0.1:${tlsPortOf.get(id)}@${tlsPortOf.get(id)! + 10000}`,
            );
            assert.equal(
              overPlain.get(id),
              `127.0.0.1:${plainPortOf.get(id)}@${tlsPortOf.get(id)! + 10000}`,
            );
          }
          // The port of each node entry: the line after its IP (the slot numbers around them may
          // equal a port: ports are drawn from 10000-22000, slot bounds such as 10922 too).
          const slotPorts = (out: string) => {
            const lines = out.split("\n");
            return lines.flatMap((l, i) => l === "127.0.0.1" ? [Number(lines[i + 1])] : []);
          };
          // A replica is listed once its replication offset is not 0 (isReplicaAvailable): a write
          // to each master moves it (else only the replication PING would, every 10 s), and the
          // replicas say so in their next bus pings.
          for (const slot of [0, 5461, 10923]) {
            const w = await cli(tlsPorts[0], [...T, "-c"], "SET", keyInSlot(slot), "v");
            assert.equal(w.out, "OK");
          }
          let slotsTls: number[] = [];
          let slotsPlain: number[] = [];
          await waitFor("CLUSTER SLOTS lists the three replicas", async () => {
            slotsTls = slotPorts((await cli(tlsPorts[0], T, "CLUSTER", "SLOTS")).out);
            slotsPlain = slotPorts((await cli(ports[0], [], "CLUSTER", "SLOTS")).out);
            return slotsTls.length === 6 && slotsPlain.length === 6;
          });
          assert.equal(slotsTls.length, 6);
          assert.deepEqual(slotsTls.filter((p) => !tlsPorts.includes(p)), []);
          assert.equal(slotsPlain.length, 6);
          assert.deepEqual(slotsPlain.filter((p) => !ports.includes(p)), []);
          // MOVED: a slot node 0 does not serve.
          const mine = (await call(ports[0], "CLUSTER", "NODES") as string).split("\n")
            .find((l) => l.includes("myself"))!;
          const firstRange = mine.split(" ")[8];
          const otherSlot = Number(firstRange.split("-")[1]) + 1;
          const key = keyInSlot(otherSlot);
          const movedTls = (await cli(tlsPorts[0], T, "GET", key)).out;
          const movedPlain = (await cli(ports[0], [], "GET", key)).out;
          const m1 = /^MOVED (\d+) 127\.0\.0\.1:(\d+)$/.exec(movedTls);
          const m2 = /^MOVED (\d+) 127\.0\.0\.1:(\d+)$/.exec(movedPlain);
          assert.ok(m1 !== null && m2 !== null, `${movedTls} / ${movedPlain}`);
          assert.equal(Number(m1[1]), keyHashSlotBinary(key));
          assert.ok(tlsPorts.includes(Number(m1[2])), movedTls);
          assert.equal(ports[tlsPorts.indexOf(Number(m1[2]))], Number(m2[2]), movedPlain);
          // CLUSTER SHARDS names both.
          const shards = (await cli(ports[0], [], "CLUSTER", "SHARDS")).out;
          assert.match(shards, new RegExp(`port\\n${ports[0]}\\ntls-port\\n${tlsPorts[0]}\\n`));
        },
      );

      await t.step("replicas follow their masters over TLS; the bus speaks TLS only", async () => {
        for (const p of ports) {
          const info = await call(p, "INFO", "replication") as string;
          if (!info.includes("role:slave")) continue;
          assert.match(info, /master_link_status:up/);
          const masterPort = Number(/master_port:(\d+)/.exec(info)![1]);
          assert.ok(tlsPorts.includes(masterPort), `replica of ${masterPort}: not a TLS port`);
        }
        assert.equal(await tlsProbe(tlsPorts[0] + 10000, f, { ping: false }), "handshake TLSv1.3");
        // The bus always asks for a certificate (clusterAcceptHandler: TLS_CLIENT_AUTH_YES).
        assert.doesNotMatch(
          await tlsProbe(tlsPorts[0] + 10000, f, { cert: false }),
          /^handshake|^PONG/,
        );
      });

      await t.step("ioredis Cluster with TLS options reads and writes", async () => {
        const tlsOpts = {
          ca: Deno.readTextFileSync(f.caCert),
          cert: Deno.readTextFileSync(f.clientCert),
          key: Deno.readTextFileSync(f.clientKey),
        };
        const c = new RedisCluster([{ host: "127.0.0.1", port: tlsPorts[0] }], {
          lazyConnect: true,
          redisOptions: { tls: tlsOpts },
        });
        try {
          await c.connect();
          for (let i = 0; i < 100; i++) assert.equal(await c.set(`io:${i}`, `v${i}`), "OK");
          for (let i = 0; i < 100; i++) assert.equal(await c.get(`io:${i}`), `v${i}`);
          // Every node ioredis opened is a TLS port (a plaintext one would fail its handshake).
          for (const n of c.nodes("all")) assert.ok(tlsPorts.includes(n.options.port!));
        } finally {
          c.disconnect();
        }
      });

      await t.step("node-redis createCluster with TLS options reads and writes", async () => {
        const socket = {
          tls: true as const,
          ca: Deno.readTextFileSync(f.caCert),
          cert: Deno.readTextFileSync(f.clientCert),
          key: Deno.readTextFileSync(f.clientKey),
        };
        const c = createNodeRedisCluster({
          rootNodes: [{ socket: { ...socket, host: "127.0.0.1", port: tlsPorts[0] } }],
          defaults: { socket },
        });
        c.on("error", () => {});
        try {
          await c.connect();
          for (let i = 0; i < 100; i++) assert.equal(await c.set(`nr:${i}`, `w${i}`), "OK");
          for (let i = 0; i < 100; i++) assert.equal(await c.get(`nr:${i}`), `w${i}`);
          assert.equal(await c.get("io:7"), "v7");
        } finally {
          await c.close().catch(() => {});
        }
      });

      await t.step(
        "a real redis-server joins over the TLS bus and replicates over TLS",
        async () => {
          const realTls = freePort();
          real = await spawnRedis({
            ...tlsDirectives(f),
            "tls-port": String(realTls),
            "tls-cluster": "yes",
            "tls-replication": "yes",
            "cluster-enabled": "yes",
            "cluster-node-timeout": "3000",
          });
          // The same tls-* directives read back the same from both (names, defaults, values).
          const ours = await call(ports[0], "CONFIG", "GET", "tls-*") as string[];
          const theirs = await call(real.port, "CONFIG", "GET", "tls-*") as string[];
          const asMap = (a: string[]) => {
            const m = new Map<string, string>();
            for (let i = 0; i + 1 < a.length; i += 2) {
              if (a[i] !== "tls-port") m.set(a[i], a[i + 1]);
            }
            return m;
          };
          assert.deepEqual(asMap(ours), asMap(theirs));

          // We MEET it: our bus dials its TLS bus; it dials ours back.
          assert.equal(
            (await cli(tlsPorts[0], T, "CLUSTER", "MEET", "127.0.0.1", String(realTls))).out,
            "OK",
          );
          const realId = (await cli(realTls, T, "CLUSTER", "MYID")).out;
          await waitAllKnow(ports, realId);
          await waitFor(
            "the real node knows our six nodes, connected",
            async () => {
              const lines = (await cli(real!.port, [], "CLUSTER", "NODES")).out.split("\n");
              return lines.length === 7 && lines.every((l) => l.includes(" connected"));
            },
            20_000,
            100,
          );
          // It shows our TLS ports to TLS clients, our plaintext ports to plain ones (our pport).
          const viewTls = addrs((await cli(realTls, T, "CLUSTER", "NODES")).out);
          const viewPlain = addrs((await cli(real.port, [], "CLUSTER", "NODES")).out);
          for (const id of ids) {
            assert.equal(viewTls.get(id)!.split("@")[0], `127.0.0.1:${tlsPortOf.get(id)}`);
            assert.equal(viewPlain.get(id)!.split("@")[0], `127.0.0.1:${plainPortOf.get(id)}`);
          }
          // Ours see its plaintext port too.
          assert.equal(
            addrs(await call(ports[0], "CLUSTER", "NODES") as string).get(realId),
            `127.0.0.1:${real.port}@${realTls + 10000}`,
          );

          // It replicates from our first master over TLS.
          assert.equal((await cli(realTls, T, "CLUSTER", "REPLICATE", ids[0])).out, "OK");
          await waitFor(
            "the real replica's link is up",
            async () => {
              const info = (await cli(real!.port, [], "INFO", "replication")).out;
              return info.includes("master_link_status:up");
            },
            20_000,
            100,
          );
          const info = (await cli(real.port, [], "INFO", "replication")).out;
          assert.match(info, new RegExp(`master_port:${tlsPorts[0]}`));
          const key = keyInSlot(0, "mixed");
          assert.equal((await cli(tlsPorts[0], T, "SET", key, "from-ours")).out, "OK");
          await waitFor(
            "the write reaches the real replica",
            async () => {
              const r = await run("redis-cli", ["-p", String(realTls), ...T, "-c"], {
                stdin: `READONLY\nGET ${key}\n`,
              });
              return r.stdout.includes("from-ours");
            },
            20_000,
            100,
          );
          const masterInfo = await call(ports[0], "INFO", "replication") as string;
          assert.match(masterInfo, new RegExp(`ip=127\\.0\\.0\\.1,port=${realTls},state=online`));
          const check = await run("redis-cli", [
            ...T,
            "--cluster",
            "check",
            `127.0.0.1:${realTls}`,
          ]);
          assert.equal(check.code, 0, check.stdout);
          assert.doesNotMatch(check.stdout, /\[WARNING\]|\[ERR\]/);
        },
      );
    } finally {
      await stopAll([...nodes, real]);
    }
  },
});

Deno.test({
  // server/tls.ts imports the node:tls side on first use: a node started without TLS has not.
  name: "tls: CONFIG SET turning TLS on in a node started without it, pipelined, answers in order",
  ...opts,
  fn: async () => {
    const f = await testTlsFiles();
    const tlsPort = freePort();
    const node = await startNode({});
    const c = await RespClient.connect(node.port);
    try {
      const set = ["CONFIG", "SET", ...Object.entries(tlsDirectives(f)).flat()];
      // No listen-and-close probe of the new port: a process spawned meanwhile (another test
      // file's, in this process) would inherit the probe's socket and keep the port bound.
      const listen = Deno.listen;
      const probed: number[] = [];
      Deno.listen = ((o: Deno.ListenOptions) => {
        probed.push(o.port ?? 0);
        return listen(o as Deno.TcpListenOptions);
      }) as typeof Deno.listen;
      let replies;
      try {
        replies = await pipelined(c, [[...set, "tls-port", String(tlsPort)], ["PING"]]);
      } finally {
        Deno.listen = listen;
      }
      assert.deepEqual(replies.map(show), ["+OK", "+PONG"]);
      assert.deepEqual(probed, []);
      assert.equal(
        (await cli(node.port, [], "CONFIG", "GET", "tls-port")).out,
        `tls-port\n${tlsPort}`,
      );
      // The listener is open once CONFIG SET answers, as applyTLSPort binds before the reply.
      assert.equal((await cli(tlsPort, cliTlsArgs(f), "PING")).out, "PONG");
    } finally {
      c.close();
      await node.stop();
    }
  },
});
