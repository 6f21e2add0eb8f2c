/**
 * FAILOVER (replication/failover.ts): a standalone master hands its role to a replica.
 * - Its error replies, compared with a real redis-server's, with a replica attached to each.
 * - A failover between two of our nodes, from our node to a real redis-server replica, and from
 *   a real redis-server master to our replica: the roles swap, the new master continues the
 *   old one's history (a partial resync), and a write held during the failover meets a replica.
 * - TIMEOUT without FORCE aborts; FORCE fails over anyway; ABORT in progress makes a master
 *   again; a target that refuses the PSYNC FAILOVER aborts it.
 */

import assert from "node:assert/strict";
import {
  encodeCommand,
  haveRedisServer,
  RespClient,
  spawnRedis,
  startNode,
  waitFor,
} from "./harness.ts";
import { show } from "./compare.ts";
import { RawReplica } from "./raw_replica.ts";
import { infoField } from "./rdb_helpers.ts";
import { fakeTarget } from "./fake_migrate_target.ts";

/** An INFO field (replication and stats here). */
function info(c: RespClient, field: string): Promise<string> {
  return infoField(c, field, "all");
}

async function role(c: RespClient): Promise<string> {
  const r = await c.call("ROLE");
  assert.ok(Array.isArray(r));
  return String(r[0]);
}

/** Wait until `replica` is an online replica of `master` with everything acknowledged. */
async function synced(master: RespClient, replica: RespClient): Promise<void> {
  await waitFor("the replica is online and caught up", async () => {
    if (await info(replica, "master_link_status") !== "up") return false;
    const slave0 = await info(master, "slave0").catch(() => "");
    const offset = await info(master, "master_repl_offset");
    return slave0.includes("state=online") && slave0.includes(`offset=${offset},`);
  });
}

Deno.test("FAILOVER: error replies as redis-server's, with and without a replica", async () => {
  if (!haveRedisServer()) return;
  const oursMaster = await startNode();
  const oursReplica = await startNode({ replicaof: `127.0.0.1 ${oursMaster.port}` });
  const redisMaster = await spawnRedis();
  const redisReplica = await spawnRedis({ replicaof: `127.0.0.1 ${redisMaster.port}` });
  const lone = await startNode();
  const redisLone = await spawnRedis();
  const clients: RespClient[] = [];
  const connect = async (port: number) => {
    const c = await RespClient.connect(port);
    clients.push(c);
    return c;
  };
  try {
    const om = await connect(oursMaster.port);
    const orp = await connect(oursReplica.port);
    const rm = await connect(redisMaster.port);
    const rrp = await connect(redisReplica.port);
    await synced(om, orp);
    await synced(rm, rrp);
    const cases = (replicaPort: number) => [
      ["FAILOVER", "ABORT"],
      ["FAILOVER", "ABORT", "x"],
      ["FAILOVER", "TIMEOUT", "0"],
      ["FAILOVER", "TIMEOUT", "-5"],
      ["FAILOVER", "TIMEOUT", "x"],
      ["FAILOVER", "TIMEOUT", "1.5"],
      ["FAILOVER", "TIMEOUT"],
      ["FAILOVER", "TIMEOUT", "5", "TIMEOUT", "5"],
      ["FAILOVER", "TO", "127.0.0.1"],
      ["FAILOVER", "TO", "127.0.0.1", "x"],
      ["FAILOVER", "TO", "127.0.0.1", "1", "TO", "127.0.0.1", "1"],
      ["FAILOVER", "FORCE", "FORCE"],
      ["FAILOVER", "FORCE"],
      ["FAILOVER", "FORCE", "TIMEOUT", "100"],
      ["FAILOVER", "FORCE", "TO", "127.0.0.1", String(replicaPort)],
      ["FAILOVER", "TO", "127.0.0.1", "1"],
      ["FAILOVER", "TO", "127.0.0.2", String(replicaPort)],
      ["FAILOVER", "BOGUS"],
    ];
    const ask = async (c: RespClient, cmds: string[][]) => {
      const out: string[] = [];
      for (const cmd of cmds) out.push(`${cmd.join(" ")} -> ${show(await c.callRaw(...cmd))}`);
      return out;
    };
    // The replica's own port differs between the two setups; the case texts do not name it.
    const norm = (lines: string[], port: number) =>
      lines.map((l) => l.replaceAll(String(port), "<replica>"));
    assert.deepEqual(
      norm(await ask(om, cases(oursReplica.port)), oursReplica.port),
      norm(await ask(rm, cases(redisReplica.port)), redisReplica.port),
    );
    // A replica, and a master without replicas.
    const onReplica = [["FAILOVER"], ["FAILOVER", "TIMEOUT", "10"]];
    assert.deepEqual(await ask(orp, onReplica), await ask(rrp, onReplica));
    const ol = await connect(lone.port);
    const rl = await connect(redisLone.port);
    const alone = [["FAILOVER"], ["FAILOVER", "ABORT"], ["FAILOVER", "TO", "127.0.0.1", "1"]];
    assert.deepEqual(await ask(ol, alone), await ask(rl, alone));
    // PSYNC ... FAILOVER to a master, and to a replica with another replid.
    const psyncs = [["PSYNC", "0123456789012345678901234567890123456789", "1", "FAILOVER"]];
    assert.deepEqual(await ask(ol, psyncs), await ask(rl, psyncs));
    const ours2 = await connect(oursReplica.port);
    const redis2 = await connect(redisReplica.port);
    assert.deepEqual(await ask(ours2, psyncs), await ask(redis2, psyncs));
    // Nothing of this changed a role or left a failover behind.
    assert.equal(await info(om, "master_failover_state"), "no-failover");
    assert.equal(await role(om), "master");
    assert.equal(await role(orp), "slave");
  } finally {
    for (const c of clients) c.close();
    await oursReplica.stop();
    await oursMaster.stop();
    await lone.stop();
    await redisReplica.stop();
    await redisMaster.stop();
    await redisLone.stop();
  }
});

/**
 * Fail `master` over to `replica` (FAILOVER, or FAILOVER TO its address), checking what both
 * sides show: the write held meanwhile meets a replica, the keys written before are on the new
 * master, the new master continued the history (partial resync) and the old one follows it.
 */
async function failOver(
  master: RespClient,
  replica: RespClient,
  replicaPort: number,
  args: string[],
): Promise<void> {
  for (let i = 0; i < 50; i++) assert.equal(await master.call("SET", `k${i}`, String(i)), "OK");
  await synced(master, replica);
  const partialBefore = Number(await info(replica, "sync_partial_ok"));
  assert.equal(await master.call("FAILOVER", ...args), "OK");
  // Writes are held from now on; this one is answered once the node is a replica.
  const writer = await RespClient.connect(await masterPortOf(master));
  try {
    await writer.writeRaw("*3\r\n$3\r\nSET\r\n$4\r\nlate\r\n$1\r\n1\r\n");
    await waitFor("the old master is a replica", async () => await role(master) === "slave");
    assert.equal(await info(master, "master_port"), String(replicaPort));
    assert.equal(
      show((await writer.readValue())!),
      "-READONLY You can't write against a read only replica.",
    );
  } finally {
    writer.close();
  }
  await waitFor(
    "the failover is over",
    async () =>
      await info(master, "master_failover_state") === "no-failover" &&
      await info(master, "master_link_status") === "up",
  );
  assert.equal(await role(replica), "master");
  assert.equal(await replica.call("GET", "k49"), "49");
  assert.equal(await replica.call("EXISTS", "late"), 0);
  // The old master continued from where it was: a partial resync on the new master.
  assert.equal(Number(await info(replica, "sync_partial_ok")), partialBefore + 1);
  // And it follows the new master's writes.
  assert.equal(await replica.call("SET", "after", "x"), "OK");
  await waitFor(
    "the old master got the new master's write",
    async () => await master.call("GET", "after") === "x",
  );
}

/** The port a RespClient is connected to (its CLIENT INFO laddr). */
async function masterPortOf(c: RespClient): Promise<number> {
  const text = String(await c.call("CLIENT", "INFO"));
  const m = text.match(/laddr=[^ ]*:(\d+) /);
  assert.ok(m);
  return Number(m[1]);
}

Deno.test("FAILOVER: between two of our nodes", async () => {
  const m = await startNode();
  const r = await startNode({ replicaof: `127.0.0.1 ${m.port}` });
  const mc = await RespClient.connect(m.port);
  const rc = await RespClient.connect(r.port);
  try {
    await failOver(mc, rc, r.port, []);
    // REPLICAOF is refused only during a failover; the node is a plain replica now.
    assert.equal(await info(mc, "master_failover_state"), "no-failover");
    // And back, naming the target.
    await failOver(rc, mc, m.port, ["TO", "127.0.0.1", String(m.port), "TIMEOUT", "5000"]);
  } finally {
    mc.close();
    rc.close();
    await r.stop();
    await m.stop();
  }
});

Deno.test("FAILOVER: our master to a redis-server replica, a redis-server master to ours", async () => {
  if (!haveRedisServer()) return;
  const ours = await startNode();
  const redis = await spawnRedis({ replicaof: `127.0.0.1 ${ours.port}` });
  const oc = await RespClient.connect(ours.port);
  const rc = await RespClient.connect(redis.port);
  try {
    await failOver(oc, rc, redis.port, ["TO", "127.0.0.1", String(redis.port)]);
    // redis-server, now our master, hands its role back to us.
    await failOver(rc, oc, ours.port, []);
  } finally {
    oc.close();
    rc.close();
    await redis.stop();
    await ours.stop();
  }
});

Deno.test("FAILOVER: TIMEOUT aborts, FORCE goes on, ABORT and a refusing target make a master again", async () => {
  const m = await startNode();
  const c = await RespClient.connect(m.port);
  const writer = await RespClient.connect(m.port);
  // A replica that never acknowledges: it cannot catch up.
  const raw = await RawReplica.attach(m.port);
  const held = () => m.server.clientPause.waiting;
  try {
    assert.equal(await c.call("SET", "a", "1"), "OK");
    assert.equal(await c.call("FAILOVER", "TIMEOUT", "300"), "OK");
    assert.equal(await info(c, "master_failover_state"), "waiting-for-sync");
    await writer.writeRaw("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    await waitFor("the write is held", () => held() === 1);
    // REPLICAOF is refused meanwhile.
    assert.deepEqual(
      await c.call("REPLICAOF", "NO", "ONE"),
      new Error("ERR REPLICAOF not allowed while failing over."),
    );
    assert.deepEqual(await c.call("FAILOVER"), new Error("ERR FAILOVER already in progress."));
    // The timeout ends it: a master still, and the held write runs.
    assert.equal(show((await writer.readValue())!), "+OK");
    assert.equal(await info(c, "master_failover_state"), "no-failover");
    assert.equal(await role(c), "master");

    // FORCE: at the timeout the node fails over to the named target anyway. Nothing listens on
    // the raw replica's announced port, so it stays in progress (a replica: writes are refused
    // with READONLY before any pause holds them, as processCommand orders its checks) until
    // ABORT makes it a master again.
    assert.equal(
      await c.call("FAILOVER", "TO", "127.0.0.1", "4321", "FORCE", "TIMEOUT", "200"),
      "OK",
    );
    await waitFor(
      "in progress",
      async () => await info(c, "master_failover_state") === "failover-in-progress",
    );
    assert.equal(await role(c), "slave");
    assert.equal(await info(c, "master_port"), "4321");
    const replidBefore = await info(c, "master_replid");
    assert.deepEqual(
      await writer.call("SET", "c", "3"),
      new Error("READONLY You can't write against a read only replica."),
    );
    assert.equal(await c.call("FAILOVER", "ABORT"), "OK");
    assert.equal(await info(c, "master_failover_state"), "no-failover");
    assert.equal(await role(c), "master");
    // A master again with a new replication id (replicationUnsetMaster).
    assert.notEqual(await info(c, "master_replid"), replidBefore);
    assert.equal(await writer.call("SET", "c", "3"), "OK");
  } finally {
    raw.close();
    writer.close();
    c.close();
    await m.stop();
  }
});

Deno.test("FAILOVER: a target that refuses PSYNC ... FAILOVER aborts the failover", async () => {
  const m = await startNode();
  const c = await RespClient.connect(m.port);
  // A fake target: a server that answers the handshake and refuses the PSYNC, and a raw
  // replica attached to the node that announces the fake server's port as its own.
  const psyncLine = Promise.withResolvers<string>();
  const fake = fakeTarget((argv) => {
    const words = argv.map((a) => new TextDecoder().decode(a));
    const cmd = words[0].toUpperCase();
    if (cmd !== "PSYNC") return cmd === "PING" ? "+PONG\r\n" : "+OK\r\n";
    psyncLine.resolve(words.join(" "));
    return "-ERR no thanks\r\n";
  });
  const fakePort = fake.port;
  const raw = await RawReplica.attach(m.port, { listeningPort: fakePort });
  try {
    assert.equal(await c.call("SET", "a", "1"), "OK");
    const replid = await info(c, "master_replid");
    const offset = Number(await info(c, "master_repl_offset"));
    // The raw replica acknowledges the whole offset: the failover starts at once, to it.
    await raw.ack(offset);
    assert.equal(await c.call("FAILOVER", "TO", "127.0.0.1", String(fakePort)), "OK");
    // PSYNC <our replid> <our offset + 1> FAILOVER.
    assert.equal(await psyncLine.promise, `PSYNC ${replid} ${offset + 1} FAILOVER`);
    await waitFor(
      "aborted",
      async () =>
        await info(c, "master_failover_state") === "no-failover" && await role(c) === "master",
    );
    assert.equal(await c.call("SET", "x", "1"), "OK");
  } finally {
    raw.close();
    c.close();
    fake.stop();
    await m.stop();
  }
});

Deno.test("a master becoming a replica answers its blocked clients -UNBLOCKED and closes them, as redis-server", async () => {
  if (!haveRedisServer()) return;
  // For each kind: a master with clients blocked in BLPOP, XREAD and WAIT, then REPLICAOF.
  const run = async (master: number, other: number) => {
    const ctl = await RespClient.connect(master);
    const blocked = await Promise.all([1, 2, 3].map(() => RespClient.connect(master)));
    const cmds = [
      ["BLPOP", "l", "0"],
      ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
      ["WAIT", "1", "0"],
    ];
    try {
      for (let i = 0; i < cmds.length; i++) await blocked[i].writeRaw(encodeCommand(cmds[i]));
      await waitFor(
        "three blocked clients",
        async () => /^blocked_clients:3$/m.test(String(await ctl.call("INFO", "clients"))),
      );
      assert.equal(await ctl.call("REPLICAOF", "127.0.0.1", String(other)), "OK");
      const out: string[] = [];
      for (const c of blocked) out.push(`${show((await c.readValue())!)} ${await c.isClosed()}`);
      return out;
    } finally {
      for (const c of blocked) c.close();
      ctl.close();
    }
  };
  const ours = await startNode();
  const ours2 = await startNode();
  const redis = await spawnRedis();
  const redis2 = await spawnRedis();
  try {
    const theirs = await run(redis.port, redis2.port);
    assert.deepEqual(await run(ours.port, ours2.port), theirs);
    assert.equal(theirs.length, 3);
  } finally {
    await ours.stop();
    await ours2.stop();
    await redis.stop();
    await redis2.stop();
  }
});
