/**
 * Resharding a cluster of our nodes (cli.ts processes talking over the cluster bus):
 * - CLUSTER SETSLOT's checks and error texts, the open-slot tokens in CLUSTER NODES, and the
 *   redirections while a slot is open (ASK on the source for missing keys, TRYAGAIN for partial
 *   multi-key requests, MOVED on the target without ASKING, service with ASKING), MIGRATE in
 *   cluster mode (RESTORE-ASKING, keyed form routed like any keyed command), SETSLOT NODE's epoch
 *   bump and its spread by gossip;
 * - `redis-cli --cluster reshard` moving slots with keys while ioredis clients keep writing and
 *   reading: no error reaches them, every key keeps its latest acknowledged value, `--cluster
 *   check` is clean; a master that gives away its last slot becomes a replica of the new owner;
 * - a node killed mid-migration comes back with its migrating/importing state (nodes.conf), and
 *   `redis-cli --cluster fix` completes the move.
 */

import assert from "node:assert/strict";
import { Cluster as RedisCluster } from "ioredis";
import { haveRedisServer, RespClient, run, sleep, spawnNode, waitFor } from "./harness.ts";
import { readKey } from "./rdb_helpers.ts";
import {
  call,
  clusterCheck,
  createCluster,
  errText,
  keyInSlot,
  myLine,
  nodesOf,
  ownerSeenBy,
  stopAll,
  waitAllKnow,
  waitAllOk,
  waitChecked,
} from "./cluster_fixture.ts";

const DIRECTIVES = {
  "cluster-enabled": "yes",
  "cluster-node-timeout": "3000",
};
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "SETSLOT checks, open-slot tokens, ASK/TRYAGAIN/ASKING, MIGRATE in cluster mode, epoch bump",
  ...opts,
  fn: async () => {
    const cl = await createCluster(3);
    const [pa, pb, pc] = cl.ports;
    const [ida, idb, idc] = cl.ids;
    try {
      // Slot 100 belongs to A (0-5460), slot 12182 ("foo") to C.
      const slot = 100;
      const k1 = "k2136"; // slot 100
      const k2 = "{k2136}two";
      const missing = "{k2136}missing";
      assert.equal(await call(pa, "CLUSTER", "KEYSLOT", k1), slot);
      await call(pa, "SET", k1, "v1");
      await call(pa, "SET", k2, "v2");

      // SETSLOT checks (texts as in Redis 7.0.15).
      const bogus = "0".repeat(40);
      assert.equal(
        errText(await call(pb, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", idc)),
        `ERR I'm not the owner of hash slot ${slot}`,
      );
      assert.equal(
        errText(await call(pa, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", idb)),
        `ERR I'm already the owner of hash slot ${slot}`,
      );
      assert.equal(
        errText(await call(pa, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", bogus)),
        `ERR I don't know about node ${bogus}`,
      );
      assert.equal(
        errText(await call(pb, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", bogus)),
        `ERR I don't know about node ${bogus}`,
      );
      assert.equal(
        errText(await call(pa, "CLUSTER", "SETSLOT", String(slot), "NODE", bogus)),
        `ERR Unknown node ${bogus}`,
      );
      assert.equal(
        errText(await call(pa, "CLUSTER", "SETSLOT", String(slot), "NODE", idb)),
        `ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`,
      );
      assert.equal(
        errText(await call(pa, "CLUSTER", "SETSLOT", String(slot), "BOGUS")),
        "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
      );
      assert.equal(
        errText(await call(pa, "CLUSTER", "SETSLOT", String(slot), "MIGRATING")),
        "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
      );
      assert.equal(
        errText(await call(pa, "CLUSTER", "SETSLOT", "16384", "STABLE")),
        "ERR Invalid or out of range slot",
      );

      // Open the slot (reshard's order: importing on the target first).
      assert.equal(await call(pb, "cluster", "setslot", String(slot), "importing", ida), "OK");
      assert.equal(await call(pa, "cluster", "setslot", String(slot), "migrating", idb), "OK");
      assert.ok((await myLine(pa)).slots.includes(`[${slot}->-${idb}]`));
      assert.ok((await myLine(pb)).slots.includes(`[${slot}-<-${ida}]`));
      // Only on the myself line.
      for (const l of await nodesOf(pc)) assert.ok(!l.slots.some((s) => s.startsWith("[")));

      // Source: present keys served, missing -> ASK (reads and writes), partial -> TRYAGAIN.
      assert.equal(await call(pa, "GET", k1), "v1");
      assert.equal(errText(await call(pa, "GET", missing)), `ASK ${slot} 127.0.0.1:${pb}`);
      assert.equal(errText(await call(pa, "SET", missing, "x")), `ASK ${slot} 127.0.0.1:${pb}`);
      assert.equal(
        errText(await call(pa, "MGET", k1, missing)),
        "TRYAGAIN Multiple keys request during rehashing of slot",
      );
      assert.deepEqual(await call(pa, "MGET", k1, k2), ["v1", "v2"]);
      // Target without ASKING: MOVED to the owner.
      assert.equal(errText(await call(pb, "GET", k1)), `MOVED ${slot} 127.0.0.1:${pa}`);

      // Keyed MIGRATE of a slot this node does not own is routed: MOVED.
      assert.equal(
        errText(await call(pa, "MIGRATE", "127.0.0.1", String(pb), "foo", "0", "1000")),
        `MOVED 12182 127.0.0.1:${pc}`,
      );
      // MIGRATE (KEYS form, as redis-cli sends it) one of the two keys.
      assert.equal(
        await call(pa, "MIGRATE", "127.0.0.1", String(pb), "", "0", "5000", "KEYS", k1),
        "OK",
      );
      assert.equal(errText(await call(pa, "GET", k1)), `ASK ${slot} 127.0.0.1:${pb}`);
      assert.equal(await call(pa, "CLUSTER", "COUNTKEYSINSLOT", String(slot)), 1);
      const tb = await RespClient.connect(pb);
      try {
        assert.equal(await tb.call("ASKING"), "OK");
        assert.equal(await tb.call("GET", k1), "v1");
        // ASKING is one-shot.
        assert.equal(errText(await tb.call("GET", k1)), `MOVED ${slot} 127.0.0.1:${pa}`);
        // Multi-key on the importing node with some keys still on the source: TRYAGAIN.
        assert.equal(await tb.call("ASKING"), "OK");
        assert.equal(
          errText(await tb.call("MGET", k1, k2)),
          "TRYAGAIN Multiple keys request during rehashing of slot",
        );
        // A new key can be created on the target with ASKING.
        assert.equal(await tb.call("ASKING"), "OK");
        assert.equal(await tb.call("SET", missing, "created-on-target"), "OK");
      } finally {
        tb.close();
      }
      // The source sent RESTORE-ASKING (cluster mode), with SELECT 0 first.
      const stats = await call(pb, "INFO", "commandstats") as string;
      assert.match(stats, /cmdstat_restore-asking:calls=1,/);
      assert.match(stats, /cmdstat_select:calls=1,/);

      // The rest, then close the slot: NODE on the target bumps its epoch.
      assert.equal(
        await call(pa, "MIGRATE", "127.0.0.1", String(pb), "", "0", "5000", "KEYS", k2),
        "OK",
      );
      assert.equal(await call(pa, "CLUSTER", "COUNTKEYSINSLOT", String(slot)), 0);
      const before = await nodesOf(pb);
      const infoB = await call(pb, "CLUSTER", "INFO") as string;
      const currentEpoch = Number(/cluster_current_epoch:(\d+)/.exec(infoB)![1]);
      assert.ok(before.find((l) => l.id === idb)!.epoch < currentEpoch, "B's epoch is not the max");
      assert.equal(await call(pb, "CLUSTER", "SETSLOT", String(slot), "NODE", idb), "OK");
      // The OK came after the bump reached B's nodes.conf.
      const confAtOk = await Deno.readTextFile(`${cl.nodes[1].dir}/nodes.conf`);
      const meB = await myLine(pb);
      assert.match(confAtOk, new RegExp(`^${idb} .*myself,master - \\d+ \\d+ ${meB.epoch} `, "m"));
      assert.equal(meB.epoch, currentEpoch + 1, "configEpoch = ++currentEpoch");
      assert.ok(before.every((l) => l.epoch < meB.epoch), "bumped past every known epoch");
      assert.ok(!meB.slots.some((s) => s.startsWith("[")), "importing state cleared");
      assert.equal(await call(pa, "CLUSTER", "SETSLOT", String(slot), "NODE", idb), "OK");
      assert.ok(!(await myLine(pa)).slots.some((s) => s.startsWith("[")), "migrating cleared");
      // C learns the new owner by gossip alone (no SETSLOT sent to it).
      await waitFor("C sees B own the slot", async () => await ownerSeenBy(pc, slot) === idb);
      assert.equal(errText(await call(pc, "GET", k1)), `MOVED ${slot} 127.0.0.1:${pb}`);
      assert.equal(errText(await call(pa, "GET", k1)), `MOVED ${slot} 127.0.0.1:${pb}`);
      assert.deepEqual(await call(pb, "MGET", k1, k2, missing), ["v1", "v2", "created-on-target"]);
      await waitChecked(pa);
      // The new epoch is saved in B's nodes.conf.
      const conf = await Deno.readTextFile(`${cl.nodes[1].dir}/nodes.conf`);
      assert.match(conf, new RegExp(`^${idb} .*myself,master - \\d+ \\d+ ${meB.epoch} `, "m"));
    } finally {
      await stopAll(cl.nodes);
    }
  },
});

Deno.test({
  name:
    "redis-cli --cluster reshard with ioredis clients writing and reading: no errors, latest values kept",
  ...opts,
  fn: async () => {
    const cl = await createCluster(3);
    const [pa] = cl.ports;
    const [ida, idb] = cl.ids;
    // No auto-pipelining for the live traffic: ioredis pipelines fail as a whole ("All keys in
    // the pipeline should belong to the same slots allocation group", or a MOVED surfaced) when
    // slots move under them, which is client behaviour, whatever the server.
    const client = new RedisCluster([{ host: "127.0.0.1", port: pa }], {
      slotsRefreshTimeout: 5000,
    });
    const errors: string[] = [];
    client.on("error", (e: Error) => errors.push(`client: ${e.message}`));
    let stop = false;
    try {
      const KEYS = 20_000;
      const WRITERS = 8;
      const latest = new Map<string, string>();
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < KEYS; i++) {
        const k = `key:${i}`;
        latest.set(k, `${i}:0`);
        batch.push(client.set(k, `${i}:0`));
        if (batch.length === 1000) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
      // Each writer owns the keys i % WRITERS === w and runs one command at a time, so the last
      // acknowledged value of every key is known exactly; each read must return it.
      let ops = 0;
      const writer = async (w: number) => {
        let version = 0;
        while (!stop) {
          const i = w + WRITERS * Math.floor(Math.random() * (KEYS / WRITERS));
          const k = `key:${i}`;
          const v = `${i}:${++version}`;
          try {
            assert.equal(await client.set(k, v), "OK");
            latest.set(k, v);
            const j = w + WRITERS * Math.floor(Math.random() * (KEYS / WRITERS));
            const got = await client.get(`key:${j}`);
            if (got !== latest.get(`key:${j}`)) {
              errors.push(`stale read key:${j}: ${got} != ${latest.get(`key:${j}`)}`);
            }
            ops++;
          } catch (e) {
            errors.push(`${k}: ${(e as Error).message}`);
            await sleep(10);
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      await waitFor("the writers are running", () => Promise.resolve(ops >= 50), 30_000, 10);
      const opsBefore = ops;
      const r = await run("redis-cli", [
        "--cluster",
        "reshard",
        `127.0.0.1:${pa}`,
        "--cluster-from",
        ida,
        "--cluster-to",
        idb,
        "--cluster-slots",
        "1500",
        "--cluster-yes",
      ], { timeoutMs: 300_000 });
      assert.equal(r.code, 0, `reshard failed:\n${r.stdout.slice(-3000)}\n${r.stderr}`);
      // The clients go on against the new layout for a while before they stop.
      const opsAfter = ops;
      await waitFor(
        "writes after the reshard",
        () => Promise.resolve(ops >= opsAfter + 50),
        30_000,
        10,
      );
      stop = true;
      await Promise.all(writers);
      assert.ok(ops - opsBefore > 100, `clients kept working during the reshard (${ops} ops)`);
      assert.deepEqual(errors.slice(0, 20), []);
      // Slots moved: A 0-5460 gave its first 1500 slots to B.
      const meA = await myLine(pa);
      assert.deepEqual(meA.slots, ["1500-5460"]);
      // Every key has its latest acknowledged value, and lives on exactly one node.
      const keys = [...latest.keys()];
      for (let i = 0; i < keys.length; i += 1000) {
        const part = keys.slice(i, i + 1000);
        const vals = await Promise.all(part.map((k) => client.get(k)));
        for (let j = 0; j < part.length; j++) {
          assert.equal(vals[j], latest.get(part[j]), part[j]);
        }
      }
      let total = 0;
      for (const p of cl.ports) total += await call(p, "DBSIZE") as number;
      assert.equal(total, KEYS);
      await clusterCheck(pa);
    } finally {
      stop = true;
      client.disconnect();
      await stopAll(cl.nodes);
    }
  },
});

Deno.test({
  name: "a master resharding away its last slot becomes a replica of the new owner",
  ...opts,
  fn: async () => {
    const cl = await createCluster(3);
    const [pa] = cl.ports;
    const [ida] = cl.ids;
    const extra = await spawnNode(DIRECTIVES);
    cl.nodes.push(extra);
    try {
      const add = await run("redis-cli", [
        "--cluster",
        "add-node",
        `127.0.0.1:${extra.port}`,
        `127.0.0.1:${pa}`,
      ], { timeoutMs: 60_000 });
      assert.equal(add.code, 0, add.stdout + add.stderr);
      const idd = await call(extra.port, "CLUSTER", "MYID") as string;
      // add-node returns after the MEET; reshard names D to every master, so all must know it.
      await waitAllKnow([...cl.ports, extra.port], idd);
      await waitChecked(pa);
      // The new master serves (RESTORE-ASKING included) once its cluster_state is ok.
      await waitAllOk([...cl.ports, extra.port]);
      for (let s = 0; s < 5; s++) await call(pa, "SET", keyInSlot(s), `v${s}`);
      const reshard = (from: string, to: string, n: number) =>
        run("redis-cli", [
          "--cluster",
          "reshard",
          `127.0.0.1:${pa}`,
          "--cluster-from",
          from,
          "--cluster-to",
          to,
          "--cluster-slots",
          String(n),
          "--cluster-yes",
        ], { timeoutMs: 120_000 });
      let r = await reshard(ida, idd, 5);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual((await myLine(extra.port)).slots, ["0-4"]);
      assert.equal(await call(extra.port, "DBSIZE"), 5);
      await waitChecked(pa);
      // Back: the last slot leaves D, which turns itself into A's replica (redis-cli accepts
      // "Please use SETSLOT only with masters." from it).
      r = await reshard(idd, ida, 5);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const meD = await myLine(extra.port);
      assert.deepEqual(meD.flags, ["myself", "slave"]);
      assert.equal(meD.master, ida);
      assert.equal(
        errText(await call(extra.port, "CLUSTER", "SETSLOT", "0", "STABLE")),
        "ERR Please use SETSLOT only with masters.",
      );
      for (let s = 0; s < 5; s++) assert.equal(await call(pa, "GET", keyInSlot(s)), `v${s}`);
      // Everyone learns D's new role by gossip.
      await waitFor("D shown as A's replica everywhere", async () => {
        for (const p of cl.ports) {
          const d = (await nodesOf(p)).find((l) => l.id === idd);
          if (d === undefined || !d.flags.includes("slave") || d.master !== ida) return false;
        }
        return true;
      });
      // SETSLOT refuses a replica as target/source/owner.
      const pb = cl.ports[1];
      for (
        const [port, action] of [[pa, "MIGRATING"], [pb, "IMPORTING"], [pa, "NODE"]] as const
      ) {
        assert.equal(
          errText(await call(port, "CLUSTER", "SETSLOT", "0", action, idd)),
          "ERR Target node is not a master",
          action,
        );
      }
      await waitChecked(pa);
    } finally {
      await stopAll(cl.nodes);
    }
  },
});

Deno.test({
  name:
    "a node killed mid-migration keeps its migrating/importing state; --cluster fix completes it",
  ...opts,
  fn: async () => {
    const cl = await createCluster(3);
    const [pa, pb] = cl.ports;
    const [ida, idb] = cl.ids;
    try {
      const slot = 200;
      const keys = Array.from({ length: 10 }, (_, i) => keyInSlot(slot, `m${i}`));
      for (const k of keys) await call(pa, "SET", k, `val-${k}`);
      assert.equal(await call(pb, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", ida), "OK");
      assert.equal(await call(pa, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", idb), "OK");
      assert.equal(
        await call(
          pa,
          "MIGRATE",
          "127.0.0.1",
          String(pb),
          "",
          "0",
          "5000",
          "KEYS",
          ...keys.slice(0, 4),
        ),
        "OK",
      );
      // The SETSLOT replies came after nodes.conf was saved: kill both ends with SIGKILL.
      const confA = await Deno.readTextFile(`${cl.nodes[0].dir}/nodes.conf`);
      assert.match(confA, new RegExp(` \\[${slot}->-${idb}\\]`));
      const confB = await Deno.readTextFile(`${cl.nodes[1].dir}/nodes.conf`);
      assert.match(confB, new RegExp(` \\[${slot}-<-${ida}\\]`));
      // These nodes do not persist keys (no RDB/AOF yet): a killed node comes back empty, with
      // its cluster state. Kill the target first: it loses the 4 keys it had received.
      await cl.nodes[1].kill();
      cl.nodes[1] = await spawnNode(DIRECTIVES, { port: pb, dir: cl.nodes[1].dir });
      const meB = await myLine(pb);
      assert.equal(meB.id, idb);
      assert.ok(meB.slots.includes(`[${slot}-<-${ida}]`), meB.slots.join(" "));
      await waitAllOk(cl.ports, 30_000);
      // The importing state works after the restart: RESTORE-ASKING accepted, ASKING served.
      assert.equal(
        await call(
          pa,
          "MIGRATE",
          "127.0.0.1",
          String(pb),
          "",
          "0",
          "5000",
          "KEYS",
          ...keys.slice(4, 6),
        ),
        "OK",
      );
      const tb = await RespClient.connect(pb);
      try {
        assert.equal(await tb.call("ASKING"), "OK");
        assert.equal(await tb.call("GET", keys[4]), `val-${keys[4]}`);
      } finally {
        tb.close();
      }
      assert.equal(errText(await call(pa, "GET", keys[4])), `ASK ${slot} 127.0.0.1:${pb}`);
      assert.equal(await call(pa, "GET", keys[9]), `val-${keys[9]}`);
      // Now the source.
      await cl.nodes[0].kill();
      cl.nodes[0] = await spawnNode(DIRECTIVES, { port: pa, dir: cl.nodes[0].dir });
      const meA = await myLine(pa);
      assert.equal(meA.id, ida);
      assert.ok(meA.slots.includes(`[${slot}->-${idb}]`), meA.slots.join(" "));
      await waitAllOk(cl.ports, 30_000);
      // Redirection resumes as before the crash (the source restarted empty).
      assert.equal(errText(await call(pa, "GET", keys[9])), `ASK ${slot} 127.0.0.1:${pb}`);
      // check reports the open slot; fix closes it.
      const check = await run("redis-cli", ["--cluster", "check", `127.0.0.1:${pa}`], {
        timeoutMs: 60_000,
      });
      assert.notEqual(check.code, 0);
      assert.match(
        check.stdout,
        new RegExp(`\\[WARNING\\] Node 127\\.0\\.0\\.1:${pa} has slots in migrating state ${slot}`),
      );
      const fix = await run("redis-cli", ["--cluster", "fix", `127.0.0.1:${pa}`], {
        timeoutMs: 120_000,
        stdin: "yes\n",
      });
      assert.equal(fix.code, 0, fix.stdout + fix.stderr);
      // The target holds keys of the slot, so redis-cli counts two "owners" and picks the one
      // with most keys (MULTI/DELSLOTS/ADDSLOTS/BUMPEPOCH/EXEC on it), then its "Case 2".
      assert.match(fix.stdout, /Configuring 127\.0\.0\.1:\d+ as the slot owner/);
      assert.match(fix.stdout, /Case 2: Moving all the 200 slot keys to its owner/);
      await waitChecked(pa, 30_000);
      for (const k of keys.slice(4, 6)) assert.equal(await call(pb, "GET", k), `val-${k}`, k);
      for (const p of cl.ports) assert.equal(await ownerSeenBy(p, slot), idb);
      assert.ok(!(await myLine(pa)).slots.some((x) => x.startsWith("[")));
      assert.ok(!(await myLine(pb)).slots.some((x) => x.startsWith("[")));
    } finally {
      await stopAll(cl.nodes);
    }
  },
});

Deno.test({
  name:
    "mixed cluster: --cluster reshard moves keys of every type from a real Redis 7 master to ours and back",
  ignore: !haveRedisServer(),
  ...opts,
  fn: async () => {
    const cl = await createCluster(3, { realFirst: true });
    const [preal, pours] = cl.ports;
    const [idreal, idours] = cl.ids;
    try {
      // Keys of every type in the first 20 slots (owned by the real node).
      const rc = await RespClient.connect(preal);
      const expected = new Map<string, string>();
      try {
        for (let s = 0; s < 20; s++) {
          const t = `{${keyInSlot(s, "t")}}`;
          await rc.call("SET", `${t}:s`, `str-${s}`);
          await rc.call("SET", `${t}:n`, String(s * 1000));
          await rc.call("RPUSH", `${t}:l`, "a", "b", String(s));
          await rc.call("HSET", `${t}:h`, "f", "v", "n", String(s));
          await rc.call("SADD", `${t}:i`, "1", "2", String(s + 3));
          await rc.call("SADD", `${t}:set`, "x", "y", `m${s}`);
          await rc.call("ZADD", `${t}:z`, "1", "a", "2.5", `b${s}`);
          await rc.call("PEXPIRE", `${t}:s`, "100000");
          for (const suffix of ["s", "n", "l", "h", "i", "set", "z"]) {
            expected.set(`${t}:${suffix}`, await readKey(rc, `${t}:${suffix}`));
          }
        }
      } finally {
        rc.close();
      }
      const reshard = (from: string, to: string) =>
        run("redis-cli", [
          "--cluster",
          "reshard",
          `127.0.0.1:${pours}`,
          "--cluster-from",
          from,
          "--cluster-to",
          to,
          "--cluster-slots",
          "20",
          "--cluster-yes",
        ], { timeoutMs: 120_000 });
      // Real -> ours: the real node MIGRATEs with RESTORE-ASKING and real DUMP payloads.
      let r = await reshard(idreal, idours);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok((await myLine(pours)).slots.includes("0-19"));
      const oc = await RespClient.connect(pours);
      try {
        for (const [k, v] of expected) assert.equal(await readKey(oc, k), v, k);
        const ttl = await oc.call("PTTL", [...expected.keys()][0]) as number;
        assert.ok(ttl > 50_000 && ttl <= 100_000, `ttl ${ttl}`);
        assert.equal(await oc.call("DBSIZE"), expected.size);
      } finally {
        oc.close();
      }
      assert.equal(await call(preal, "DBSIZE"), 0);
      await waitChecked(pours);
      // Ours -> real: our MIGRATE, our payloads, into the real node's importing slots.
      r = await reshard(idours, idreal);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const rc2 = await RespClient.connect(preal);
      try {
        for (const [k, v] of expected) assert.equal(await readKey(rc2, k), v, k);
        assert.equal(await rc2.call("DBSIZE"), expected.size);
      } finally {
        rc2.close();
      }
      assert.equal(await call(pours, "DBSIZE"), 0);
      await waitChecked(pours);
    } finally {
      await stopAll(cl.nodes);
    }
  },
});
