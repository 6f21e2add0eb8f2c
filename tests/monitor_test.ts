/**
 * MONITOR against a real redis-server 7.0.15: the same command sequences (seeded commands with
 * binary arguments, MULTI/EXEC, EVAL and FCALL, errors, AUTH/HELLO/MIGRATE redaction, a blocked
 * BLPOP) run on both with a MONITOR client on each, and the lines must be the same once the
 * timestamp and the client addresses are normalized; so must the replies. Also what a monitoring
 * client may still run (its whole output compared), and a replica's MONITOR showing the stream
 * from its master. Skipped when no redis-server is installed.
 */

import assert from "node:assert/strict";
import { Prng } from "../cluster/prng.ts";
import { haveRedisServer, RespClient, spawnRedis, startNode, waitFor } from "./harness.ts";
import { cmdText, show } from "./compare.ts";
import type { RespValue } from "../protocol/resp_value.ts";

type Cmd = (string | Uint8Array)[];

/** `<sec>.<usec> [<db> <origin>] <args>` (the leading `+` is the simple-string type). */
const LINE = /^(\d+)\.(\d{6}) \[(\d+) (\S+)\] (.*)$/s;

function addrOf(c: RespClient): string {
  return `127.0.0.1:${(c.conn.localAddr as Deno.NetAddr).port}`;
}

/** A MONITOR connection's output, normalized: `[db origin] args`, origins by label. */
class MonitorReader {
  readonly lines: string[] = [];

  constructor(readonly conn: RespClient, readonly names: Map<string, string>) {}

  normalize(v: RespValue): string {
    if (v.type !== "simple") return show(v);
    const m = LINE.exec(v.value);
    if (m === null) return show(v);
    // The timestamp is the wall clock, as gettimeofday (both servers read the same clock).
    assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 3600, `timestamp of ${v.value}`);
    const origin = m[4] === "lua" ? "lua" : this.names.get(m[4]) ?? `unknown:${m[4]}`;
    return `[${m[3]} ${origin}] ${m[5]}`;
  }

  /** Read until the line `last` arrives (every line read is kept). */
  async until(last: string): Promise<void> {
    for (;;) {
      const v = await this.conn.readValue();
      if (v === null) throw new Error(`monitor closed; lines so far:\n${this.lines.join("\n")}`);
      const line = this.normalize(v);
      this.lines.push(line);
      if (line === last) return;
    }
  }
}

/** One side of a comparison: named clients on one server, a monitor, the replies in order. */
class Session {
  readonly replies: string[] = [];
  readonly names = new Map<string, string>();
  private readonly clients = new Map<string, RespClient>();
  monitor!: MonitorReader;

  constructor(readonly port: number) {}

  async open(label: string, port = this.port): Promise<RespClient> {
    const c = await RespClient.connect(port);
    this.clients.set(label, c);
    this.names.set(addrOf(c), label);
    return c;
  }

  async startMonitor(port = this.port): Promise<void> {
    const m = await this.open("monitor", port);
    this.monitor = new MonitorReader(m, this.names);
    assert.equal(show(await m.callRaw("MONITOR")), "+OK");
  }

  /** Send without waiting for the reply (a command that blocks); `reply` collects it. */
  send(label: string, ...cmd: Cmd): Promise<RespValue> {
    return this.clients.get(label)!.callRaw(...cmd);
  }

  reply(label: string, cmd: Cmd, v: RespValue): void {
    let shown = show(v);
    // HELLO's map holds the connection id, different on each server.
    if (String(cmd[0]).toLowerCase() === "hello") shown = shown.replace(/"id"[,:]:\d+/, '"id":N');
    this.replies.push(`${label}: ${cmdText(cmd)} -> ${shown}`);
  }

  async run(label: string, ...cmd: Cmd): Promise<RespValue> {
    const v = await this.send(label, ...cmd);
    this.reply(label, cmd, v);
    return v;
  }

  /** Everything up to now is on the monitor: end with an ECHO it must show. */
  async finish(): Promise<void> {
    await this.run("w", "ECHO", "monitor-end");
    await this.monitor.until('[0 w] "ECHO" "monitor-end"');
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

type Scenario = (s: Session) => Promise<void>;

/** Run `scenario` on a fresh redis-server and a fresh node of ours; compare lines and replies. */
async function sameAsRedis(scenario: Scenario): Promise<void> {
  if (!haveRedisServer()) return;
  const results: { lines: string[]; replies: string[] }[] = [];
  for (const side of ["redis", "ours"]) {
    const redis = side === "redis" ? await spawnRedis() : null;
    const node = side === "ours" ? await startNode() : null;
    const s = new Session(redis?.port ?? node!.port);
    try {
      await s.startMonitor();
      await s.open("w");
      await s.open("w2");
      await scenario(s);
      await s.finish();
      results.push({ lines: s.monitor.lines, replies: s.replies });
    } finally {
      s.close();
      await redis?.stop();
      await node?.stop();
    }
  }
  const [real, ours] = results;
  assert.deepEqual(ours.replies, real.replies, "replies");
  assert.deepEqual(ours.lines, real.lines, "monitor lines");
}

/** Bytes sdscatrepr escapes, and some it prints as they are. */
const SPECIAL = [0, 7, 8, 9, 10, 13, 32, 34, 39, 92, 0x1f, 0x7f, 0x80, 0xff, 65, 48, 49];

/** `n` commands from a seed: strings, hashes, lists, sets, with binary keys and values. */
function seededCommands(seed: number, n: number, writesOnly = false): Cmd[] {
  const r = new Prng(seed);
  const rnd = () => r.next();
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
  const bytes = (): Uint8Array => {
    const b = new Uint8Array(Math.floor(rnd() * 9));
    for (let i = 0; i < b.length; i++) b[i] = rnd() < 0.6 ? pick(SPECIAL) : Math.floor(rnd() * 256);
    return b;
  };
  const key = (): string | Uint8Array => rnd() < 0.7 ? pick(["k1", "k 2", 'k"3', "n"]) : bytes();
  const int = () => String(Math.floor(rnd() * 200) - 100);
  const writes: (() => Cmd)[] = [
    () => ["SET", key(), bytes()],
    () => ["SET", "n", int()],
    () => ["APPEND", key(), bytes()],
    () => ["INCRBY", "n", int()],
    () => ["DEL", key(), key()],
    () => ["HSET", "h", bytes(), bytes()],
    () => ["LPUSH", "l", bytes(), bytes()],
    () => ["RPOP", "l"],
    () => ["SADD", "s", bytes()],
    () => ["MSET", key(), bytes(), key(), bytes()],
  ];
  const reads: (() => Cmd)[] = [
    () => ["GET", key()],
    () => ["EXISTS", key(), key()],
    () => ["HGET", "h", bytes()],
    () => ["STRLEN", key()],
    () => ["ECHO", bytes()],
    () => ["PING", bytes()],
    () => ["TYPE", key()],
  ];
  const menu = writesOnly ? writes : [...writes, ...reads];
  const out: Cmd[] = [];
  for (let i = 0; i < n; i++) out.push(pick(menu)());
  return out;
}

Deno.test("monitor: seeded commands with binary and quoted arguments, as redis-server", async () => {
  await sameAsRedis(async (s) => {
    for (const seed of [1, 2, 3]) {
      for (const c of seededCommands(seed, 40)) await s.run("w", ...c);
    }
    // Other clients' commands show their own address.
    await s.run("w2", "SET", "from-w2", "x y");
  });
});

Deno.test("monitor: MULTI/EXEC, errors, a blocked BLPOP, admin commands", async () => {
  await sameAsRedis(async (s) => {
    const w = (...c: Cmd) => s.run("w", ...c);
    // EXEC shows after the commands it ran; a queued error aborts it (EXEC still shown).
    for (const c of ["MULTI", "SET t 1", "INCR t", "LPUSH t x", "EXEC"]) await w(...c.split(" "));
    for (const c of ["MULTI", "SET t 2", "NOSUCH", "EXEC"]) await w(...c.split(" "));
    for (const c of ["MULTI", "GET", "MULTI", "DISCARD", "EXEC", "DISCARD"]) {
      await w(...c.split(" "));
    }
    for (const c of ["MULTI", "BLPOP nq 0", "EXEC"]) await w(...c.split(" "));
    // WATCH broken by another client: EXEC answers nil.
    await w("WATCH", "t");
    await s.run("w2", "SET", "t", "3");
    for (const c of ["MULTI", "GET t", "EXEC"]) await w(...c.split(" "));
    // Refused before call (unknown, arity): not shown; errors of the command itself: shown.
    await w("NOSUCH", "x");
    await w("GET");
    await w("SET", "a", "b", "XX", "NX");
    await w("HSET", "hh", "f", "v");
    await w("INCR", "hh");
    // Administrative commands are not shown; SELECT, CLIENT SETNAME, PUBLISH are.
    await w("CONFIG", "GET", "maxmemory");
    await w("CLIENT", "NO-EVICT", "on");
    await w("CLIENT", "SETNAME", "worker");
    await w("SELECT", "0");
    await w("PUBLISH", "ch", "m\r\n");
    // A blocked command is shown as it blocks, before what serves it.
    const blocked = s.send("w", "BLPOP", "bq", "0");
    await s.monitor.until('[0 w] "BLPOP" "bq" "0"');
    await s.run("w2", "LPUSH", "bq", "x");
    s.reply("w", ["BLPOP", "bq", "0"], await blocked);
    await w("BLPOP", "bq", "0.01");
    await s.run("w2", "QUIT");
  });
});

Deno.test("monitor: EVAL, EVALSHA and FCALL come before their commands, shown as lua", async () => {
  await sameAsRedis(async (s) => {
    const w = (...c: Cmd) => s.run("w", ...c);
    const body =
      "redis.call('set',KEYS[1],ARGV[1]); redis.pcall('incr',KEYS[1]); return redis.call('get',KEYS[1])";
    await w("EVAL", body, "1", "sk", "a\tb\x00");
    await w("EVAL", "return redis.call('nosuch')", "0");
    await w("EVAL", "return redis.pcall('get')", "0");
    await w("EVAL", "return 1", "x");
    await w("EVAL_RO", "return redis.call('set','a','b')", "0");
    const sha = await w("SCRIPT", "LOAD", "return redis.call('echo', ARGV[1])");
    assert.equal(sha.type, "bulk");
    await w("EVALSHA", (sha as { value: Uint8Array }).value, "0", new Uint8Array([0, 0xff, 0x22]));
    await w("EVALSHA", "abc", "0");
    await w("EVALSHA", "0".repeat(40), "0");
    await w(
      "FUNCTION",
      "LOAD",
      "#!lua name=mlib\nredis.register_function('mf', function(keys, args) redis.call('set', keys[1], args[1]); return redis.call('get', keys[1]) end)",
    );
    await w("FCALL", "mf", "1", "fk", 'v"q');
    await w("FCALL_RO", "mf", "1", "fk", "v");
    await w("FCALL", "nosuch", "0");
    for (const c of [["MULTI"], ["EVAL", "return redis.call('incr','ei')", "0"], ["EXEC"]]) {
      await w(...c);
    }
  });
});

Deno.test("monitor: AUTH, HELLO and MIGRATE passwords are redacted", async () => {
  await sameAsRedis(async (s) => {
    const w = (...c: string[]) => s.run("w", ...c);
    await w("AUTH", "secret");
    await w("AUTH", "user", "secret");
    await w("AUTH", "a", "b", "c");
    await w("HELLO", "3", "AUTH", "default", "secret");
    await w("HELLO", "2", "SETNAME", "n", "AUTH", "user", "secret");
    await w("HELLO", "3", "AUTH", "user", "secret", "bogus");
    await w("HELLO", "3", "AUTH", "user");
    await w("HELLO", "4", "AUTH", "user", "secret");
    await w("HELLO", "x", "AUTH", "user", "secret");
    // HELLO applies each option as it parses: a failed AUTH leaves the next one unredacted.
    await w("HELLO", "3", "AUTH", "user", "secret", "AUTH", "default", "secret");
    await w("HELLO", "3", "SETNAME", "a b", "AUTH", "user", "secret");
    await w("HELLO", "3", "AUTH", "default", "secret", "AUTH", "user", "secret");
    await w("HELLO", "2", "SETNAME", "named", "AUTH", "user", "secret");
    await w("CLIENT", "GETNAME");
    await w("HELLO", "2");
    const mig = (...rest: string[]) => w("MIGRATE", "127.0.0.1", "1", "", "0", "100", ...rest);
    await mig("AUTH", "secret", "KEYS", "nokey");
    await mig("COPY", "AUTH2", "user", "secret", "KEYS", "nokey");
    await w("MIGRATE", "127.0.0.1", "1", "k", "0", "100", "AUTH", "secret", "KEYS", "nokey");
    await mig("REPLACE", "AUTH");
  });
});

/** A monitoring client's whole output for `cmds` (pipelined), normalized, until it closes. */
async function monitorClientOutput(port: number, cmds: string[]): Promise<string[]> {
  const m = await RespClient.connect(port);
  try {
    const names = new Map([[addrOf(m), "m"]]);
    const reader = new MonitorReader(m, names);
    const reqs = [...cmds, "ECHO monitor-end"].map((c) => c.split(" "));
    for (const r of reqs) await m.writeRaw(encode(r));
    await reader.until('[0 m] "ECHO" "monitor-end"');
    // QUIT: +OK and the connection closes; a monitor does not see its own QUIT.
    await m.writeRaw(encode(["QUIT"]));
    for (;;) {
      const v = await m.readValue();
      if (v === null) break;
      reader.lines.push(reader.normalize(v));
    }
    // CLIENT INFO: only the flags and the last command are comparable.
    return reader.lines.map((l) =>
      l.startsWith('$"id=') ? (l.match(/ (flags|cmd)=\S+/g) ?? []).join("") : l
    );
  } finally {
    m.close();
  }
}

function encode(args: string[]): Uint8Array {
  const te = new TextEncoder();
  return te.encode(
    `*${args.length}\r\n${args.map((a) => `$${te.encode(a).length}\r\n${a}\r\n`).join("")}`,
  );
}

Deno.test("monitor: what a monitoring client may still run, as redis-server", async () => {
  if (!haveRedisServer()) return;
  const cmds = [
    "MULTI",
    "MONITOR",
    "EXEC", // MONITOR isn't allowed for DENY BLOCKING client
    "MONITOR",
    "MONITOR", // ignored, no reply
    "CLIENT INFO",
    "GET a",
    "SET a 1",
    "EVAL return 1 0",
    "FCALL f 0",
    "PUBLISH ch m",
    "DBSIZE",
    "PING",
    "ECHO x",
    "SCRIPT FLUSH",
    "PUBSUB CHANNELS",
    "WATCH a",
    "UNWATCH",
    "MULTI",
    "SET a 1", // refused: the transaction is flagged
    "ECHO y",
    "EXEC",
    "SUBSCRIBE c",
    "ECHO z", // RESP2 Pub/Sub context
    "RESET", // leaves monitor mode
    "GET a",
    "CLIENT INFO",
    "MONITOR",
  ];
  const redis = await spawnRedis();
  const node = await startNode();
  try {
    const real = await monitorClientOutput(redis.port, cmds);
    const ours = await monitorClientOutput(node.port, cmds);
    assert.deepEqual(ours, real);
    assert.ok(real.includes(" flags=O cmd=client|info"), real.join("\n"));
    // A monitor that went away is no longer fed.
    await waitFor("monitor removed", () => node.server.monitors.size === 0);
  } finally {
    await redis.stop();
    await node.stop();
  }
});

async function linkUp(replica: RespClient): Promise<boolean> {
  const info = String(await replica.call("INFO", "replication"));
  return info.includes("master_link_status:up");
}

Deno.test("monitor: a replica's MONITOR shows its master's stream, as redis-server", async () => {
  if (!haveRedisServer()) return;
  const results: string[][] = [];
  for (const side of ["redis", "ours"]) {
    // No replication PING while the test runs (its timing would decide the lines).
    const dirs = { "repl-ping-replica-period": "3600" };
    const nodes = side === "redis"
      ? [await spawnRedis(dirs), await spawnRedis()]
      : [await startNode(dirs), await startNode()];
    const [master, replica] = nodes;
    const s = new Session(master.port);
    try {
      const r = await s.open("r", replica.port);
      await r.call("REPLICAOF", "127.0.0.1", String(master.port));
      await waitFor("link up", () => linkUp(r));
      s.names.set(`127.0.0.1:${master.port}`, "master");
      await s.startMonitor(replica.port);
      await s.open("w");
      for (const c of seededCommands(7, 30, true)) await s.run("w", ...c);
      for (const c of ["MULTI", "SET t 1", "INCR t", "EXEC"]) await s.run("w", ...c.split(" "));
      await s.run("w", "EVAL", "redis.call('set','e','1'); redis.call('incr','e')", "0");
      await s.run("w", "INCRBYFLOAT", "f", "1.5");
      await s.run("w", "DEL", "nokey");
      await s.run("w", "PUBLISH", "ch", "msg");
      await s.run("w", "SET", "monitor-end", "1");
      await s.monitor.until('[0 master] "SET" "monitor-end" "1"');
      results.push(s.monitor.lines);
    } finally {
      s.close();
      for (const n of nodes) await n.stop();
    }
  }
  const [real, ours] = results;
  assert.deepEqual(ours, real);
  assert.ok(real.length > 30, real.join("\n"));
});
