/** Server commands: INFO, CONFIG, COMMAND, DBSIZE/FLUSH*, TIME, ROLE, DEBUG, SLOWLOG, MEMORY... */
import assert from "node:assert/strict";
import { haveRedisServer, RespClient, sleep, spawnRedis, startNode } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";

Deno.test("INFO: sections, CRLF, cluster_enabled, db0 only with keys, verbatim in RESP3", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const text = await c.call("INFO") as string;
    const headers = text.split("\r\n").filter((l) => l.startsWith("# "));
    assert.deepEqual(headers, [
      "# Server",
      "# Clients",
      "# Memory",
      "# Persistence",
      "# Stats",
      "# Replication",
      "# CPU",
      "# Modules",
      "# Errorstats",
      "# Cluster",
      "# Keyspace",
    ]);
    assert.ok(text.startsWith("# Server\r\nredis_version:7.0.15\r\n"));
    assert.ok(!/[^\r]\n/.test(text), "every line ends in CRLF");
    assert.match(text, /\r\ncluster_enabled:0\r\n/);
    assert.match(text, /\r\nloading:0\r\n/);
    assert.match(text, /\r\nrole:master\r\n/);
    assert.match(text, /\r\nmaster_replid:[0-9a-f]{40}\r\n/);
    assert.match(text, /\r\nmaster_repl_offset:0\r\n/);
    assert.match(text, /\r\nconnected_slaves:0\r\n/);
    assert.match(text, new RegExp(`\\r\\ntcp_port:${node.port}\\r\\n`));
    assert.ok(!text.includes("db0:"));
    assert.ok(text.endsWith("# Keyspace\r\n"));
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "2", "EX", "100");
    const ks = await c.call("INFO", "keyspace") as string;
    assert.match(ks, /^# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=\d+\r\n$/);
    const two = await c.call("INFO", "SERVER", "cluster") as string;
    assert.deepEqual(two.split("\r\n").filter((l) => l.startsWith("# ")), [
      "# Server",
      "# Cluster",
    ]);
    assert.equal(await c.call("INFO", "nosuchsection"), "");
    const all = await c.call("INFO", "all") as string;
    assert.ok(all.includes("# Commandstats\r\ncmdstat_"));
    assert.match(
      all,
      /cmdstat_set:calls=2,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0\r\n/,
    );
    await c.call("GET");
    await c.call("HELLO", "9");
    const es = await c.call("INFO", "errorstats") as string;
    assert.match(es, /errorstat_ERR:count=1\r\n/);
    assert.match(es, /errorstat_NOPROTO:count=1\r\n/);
    await c.call("HELLO", "3");
    const v = await c.callRaw("INFO", "server");
    assert.equal(v.type, "verbatim");
    assert.equal((v as { format: string }).format, "txt");
  } finally {
    c.close();
    await node.stop();
  }
  const cl = await startNode({ "cluster-enabled": "yes" });
  const d = await RespClient.connect(cl.port);
  try {
    const text = await d.call("INFO") as string;
    assert.match(text, /\r\ncluster_enabled:1\r\n/);
    assert.match(text, /\r\nredis_mode:cluster\r\n/);
  } finally {
    d.close();
    await cl.stop();
  }
});

Deno.test("CONFIG GET: exact names, globs, aliases, RESP3 map", async () => {
  const node = await startNode({ "cluster-node-timeout": "5000" });
  const c = await RespClient.connect(node.port);
  try {
    assert.deepEqual(await c.call("CONFIG", "GET", "port"), ["port", String(node.port)]);
    assert.deepEqual(await c.call("CONFIG", "GET", "maxmemory", "save"), [
      "maxmemory",
      "0",
      "save",
      "3600 1 300 100 60 10000",
    ]);
    assert.deepEqual(await c.call("CONFIG", "GET", "nosuch"), []);
    const g = await c.call("CONFIG", "GET", "cluster-node-*") as string[];
    assert.deepEqual(g, ["cluster-node-timeout", "5000"]);
    const slave = await c.call("CONFIG", "GET", "slave-read-only") as string[];
    assert.deepEqual(slave, ["slave-read-only", "yes"]);
    const glob = await c.call("CONFIG", "GET", "*read-only") as string[];
    assert.deepEqual(
      new Set(glob.filter((_, i) => i % 2 === 0)),
      new Set(["replica-read-only", "slave-read-only"]),
    );
    assert.deepEqual(await c.call("CONFIG", "GET", "client-output-buffer-limit"), [
      "client-output-buffer-limit",
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ]);
    // Setting one class keeps the others' current limits (as redis-server 7.0.15).
    assert.equal(await c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 3"), "OK");
    assert.equal(
      await c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 1mb 1"),
      "OK",
    );
    assert.deepEqual(await c.call("CONFIG", "GET", "client-output-buffer-limit"), [
      "client-output-buffer-limit",
      "normal 1 2 3 slave 268435456 67108864 60 pubsub 1048576 1048576 1",
    ]);
    const dir = (await c.call("CONFIG", "GET", "dir") as string[])[1];
    assert.equal(dir, Deno.realPathSync(node.dir));
    assert.equal(
      (await c.call("CONFIG", "GET") as Error).message,
      "ERR wrong number of arguments for 'config|get' command",
    );
    await c.call("HELLO", "3");
    const m = await c.callRaw("CONFIG", "GET", "appendonly");
    assert.equal(m.type, "map");
    assert.equal((m as { value: unknown[] }).value.length, 1);
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("CONFIG SET: multiple pairs, exact errors, atomic, effects", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const err = async (...a: string[]) => ((await c.call("CONFIG", "SET", ...a)) as Error).message;
    assert.equal(
      await err("foo", "bar"),
      "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
    );
    assert.equal(
      await err("port", "abc"),
      "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer",
    );
    assert.equal(
      await err("cluster-enabled", "yes"),
      "ERR CONFIG SET failed (possibly related to argument 'cluster-enabled') - can't set immutable config",
    );
    assert.equal(
      await err("loglevel", "xx"),
      "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning",
    );
    assert.equal(
      await err("maxmemory", "abc"),
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
    );
    assert.equal(
      await err("appendonly", "maybe"),
      "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'",
    );
    assert.equal(
      await err("loglevel", "debug", "loglevel", "notice"),
      "ERR CONFIG SET failed (possibly related to argument 'loglevel') - duplicate parameter",
    );
    assert.equal(
      await err("save", "1 2 3"),
      "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
    );
    assert.equal(
      await err("proto-max-bulk-len", "10"),
      "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive",
    );
    assert.equal(
      await err("maxmemory", "1mb", "foo", "2"),
      "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
    );
    assert.equal(
      await err("dir", "/tmp"),
      "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config",
    );
    assert.equal(await err("a"), "ERR wrong number of arguments for 'config|set' command");
    assert.equal(
      await err("a", "b", "c"),
      "ERR wrong number of arguments for 'config|set' command",
    );
    // All or nothing: the good pair before a bad value is not applied.
    assert.ok((await err("maxmemory", "1mb", "hz", "-5")).includes("'hz'"));
    assert.deepEqual(await c.call("CONFIG", "GET", "maxmemory"), ["maxmemory", "0"]);
    assert.equal(
      await c.call(
        "CONFIG",
        "SET",
        "maxmemory",
        "1mb",
        "cluster-node-timeout",
        "7000",
        "loglevel",
        "warning",
      ),
      "OK",
    );
    assert.deepEqual(await c.call("CONFIG", "GET", "maxmemory"), ["maxmemory", "1048576"]);
    assert.equal(node.server.config.getNumber("cluster-node-timeout"), 7000);
    assert.equal(node.server.log.level, "warning");
    assert.equal(await c.call("CONFIG", "SET", "save", ""), "OK");
    assert.deepEqual(await c.call("CONFIG", "GET", "save"), ["save", ""]);
    // maxclients applies to new connections.
    assert.equal(await c.call("CONFIG", "SET", "maxclients", "1"), "OK");
    const d = await RespClient.connect(node.port);
    try {
      assert.equal(
        (await d.readValue() as { value: string }).value,
        "ERR max number of clients reached",
      );
    } finally {
      d.close();
    }
    assert.equal(await c.call("CONFIG", "SET", "maxclients", "100"), "OK");
    assert.equal(
      (await c.call("CONFIG", "REWRITE") as Error).message,
      "ERR The server is running without a config file",
    );
    assert.equal(await c.call("CONFIG", "RESETSTAT"), "OK");
    const st = await c.call("INFO", "commandstats") as string;
    // As Redis: the RESETSTAT call itself is counted after the reset.
    assert.match(
      st,
      /^# Commandstats\r\ncmdstat_config\|resetstat:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0\r\n$/,
    );
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("CONFIG SET hz: held within 1-500 as Redis's updateHZ, and the cron ticks at it at once", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    assert.deepEqual(node.server.cronSchedule, {
      tickMs: 100,
      ticksPerExpiry: 1,
      ticksPer100Ms: 1,
    });
    assert.equal(await c.call("CONFIG", "SET", "hz", "50"), "OK");
    assert.deepEqual(node.server.cronSchedule, { tickMs: 20, ticksPerExpiry: 1, ticksPer100Ms: 5 });
    assert.equal(await c.call("CONFIG", "SET", "hz", "0"), "OK");
    assert.deepEqual(await c.call("CONFIG", "GET", "hz"), ["hz", "1"]);
    assert.deepEqual(node.server.cronSchedule, {
      tickMs: 100,
      ticksPerExpiry: 10,
      ticksPer100Ms: 1,
    });
    assert.equal(await c.call("CONFIG", "SET", "hz", "100000"), "OK");
    assert.deepEqual(await c.call("CONFIG", "GET", "hz"), ["hz", "500"]);
    assert.deepEqual(node.server.cronSchedule, { tickMs: 2, ticksPerExpiry: 1, ticksPer100Ms: 50 });
    assert.equal(await c.call("PING"), "PONG");
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("COMMAND: COUNT, INFO shape (RESP2/RESP3), DOCS, LIST, GETKEYS, bare COMMAND", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const count = await c.call("COMMAND", "COUNT") as number;
    assert.equal(count, node.server.commands.size);
    const all = await c.call("COMMAND") as unknown[];
    assert.equal(all.length, count);
    const info = await c.call("COMMAND", "INFO", "hello", "nosuch") as unknown[];
    assert.equal(info.length, 2);
    assert.deepEqual(info[0], [
      "hello",
      -1,
      ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
      0,
      0,
      0,
      ["@fast", "@connection"],
      [],
      [],
      [],
    ]);
    assert.equal(info[1], null);
    const cfg = await c.call("COMMAND", "INFO", "config") as unknown[][];
    const subs = cfg[0][9] as unknown[][];
    assert.ok(subs.some((s) => s[0] === "config|get" && s[1] === -3));
    const one = await c.call("COMMAND", "INFO", "config|set") as unknown[][];
    assert.equal(one[0][0], "config|set");
    assert.equal(one[0][1], -4);
    await c.call("HELLO", "3");
    const raw = await c.callRaw("COMMAND", "INFO", "hello");
    const entry = (raw as { value: RespValue[] }).value[0] as { value: RespValue[] };
    assert.equal(entry.value[2].type, "set");
    assert.equal(entry.value[6].type, "set");
    assert.equal(entry.value[7].type, "set");
    assert.equal(entry.value[8].type, "set", "key specs: a set, as addReplyCommandKeySpecs");
    assert.equal(entry.value[9].type, "set", "no subcommands: an empty set");
    const docs = await c.call("COMMAND", "DOCS", "hello") as Record<string, Record<string, string>>;
    assert.equal(docs.hello.summary, "Handshake with Redis");
    assert.equal(docs.hello.since, "6.0.0");
    assert.equal(docs.hello.group, "connection");
    const docsCfg = await c.call("COMMAND", "DOCS", "config") as Record<
      string,
      Record<string, unknown>
    >;
    assert.ok("config|get" in (docsCfg.config.subcommands as Record<string, unknown>));
    await c.call("HELLO", "2");
    const list = await c.call("COMMAND", "LIST") as string[];
    assert.ok(list.includes("hello") && list.includes("config|get"));
    assert.deepEqual(
      new Set(await c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "config*") as string[]),
      new Set([
        "config",
        "config|get",
        "config|set",
        "config|rewrite",
        "config|resetstat",
        "config|help",
      ]),
    );
    assert.equal(
      (await c.call("COMMAND", "GETKEYS", "nosuch", "a") as Error).message,
      "ERR Invalid command specified",
    );
    assert.equal(
      (await c.call("COMMAND", "GETKEYS", "echo", "a") as Error).message,
      "ERR The command has no key arguments",
    );
    assert.equal(
      (await c.call("COMMAND", "GETKEYS", "hello", "a", "b", "c", "d", "e") as Error).message,
      "ERR The command has no key arguments",
    );
    assert.equal(
      (await c.call("COMMAND", "GETKEYS", "select") as Error).message,
      // COMMAND GETKEYS has arity -4 in 7.0.15 (tests/command_docs_test.ts checks it).
      "ERR wrong number of arguments for 'command|getkeys' command",
    );
    assert.deepEqual(await c.call("COMMAND", "GETKEYS", "memory", "usage", "k1"), ["k1"]);
    assert.equal(
      (await c.call("COMMAND", "FOO") as Error).message,
      "ERR unknown subcommand 'FOO'. Try COMMAND HELP.",
    );
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("DBSIZE, FLUSHDB/FLUSHALL, TIME, LASTSAVE, ROLE, SAVE/BGSAVE, FUNCTION, SLOWLOG, MEMORY", async () => {
  // The slow log is off (-1) so that a slow FLUSHALL on a loaded machine cannot land in it.
  const node = await startNode({ "slowlog-log-slower-than": "-1" });
  const c = await RespClient.connect(node.port);
  try {
    assert.equal(await c.call("DBSIZE"), 0);
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "2");
    assert.equal(await c.call("DBSIZE"), 2);
    assert.equal((await c.call("FLUSHALL", "foo") as Error).message, "ERR syntax error");
    assert.equal((await c.call("FLUSHDB", "async", "x") as Error).message, "ERR syntax error");
    assert.equal(await c.call("FLUSHDB", "ASYNC"), "OK");
    assert.equal(await c.call("DBSIZE"), 0);
    await c.call("SET", "a", "1");
    assert.equal(await c.call("FLUSHALL"), "OK");
    assert.equal(await c.call("DBSIZE"), 0);
    const t = await c.call("TIME") as string[];
    assert.equal(t.length, 2);
    assert.ok(Math.abs(Number(t[0]) - Date.now() / 1000) < 5);
    assert.ok(Number(t[1]) >= 0 && Number(t[1]) < 1e6);
    const ls = await c.call("LASTSAVE") as number;
    assert.ok(Math.abs(ls - Date.now() / 1000) < 60);
    assert.deepEqual(await c.call("ROLE"), ["master", 0, []]);
    assert.equal(await c.call("SAVE"), "OK");
    assert.ok(Deno.statSync(`${node.dir}/dump.rdb`).isFile);
    assert.deepEqual(await c.call("FUNCTION", "LIST"), []);
    // No library: the payload is only the RDB version and the checksum, as Redis's.
    const dump = await c.callRaw("FUNCTION", "DUMP");
    assert.ok(dump.type === "bulk" && dump.value.length === 10);
    assert.deepEqual(await c.call("SLOWLOG", "GET"), []);
    assert.equal(await c.call("SLOWLOG", "LEN"), 0);
    assert.equal(await c.call("SLOWLOG", "RESET"), "OK");
    assert.equal(await c.call("MEMORY", "USAGE", "nokey"), null);
    await c.call("SET", "k", "v".repeat(100));
    const mu = await c.call("MEMORY", "USAGE", "k") as number;
    assert.ok(mu > 100 && mu < 1000);
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("DEBUG: DIGEST-VALUE, DIGEST, OBJECT, SLEEP, SET-ACTIVE-EXPIRE, errors", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    await c.call("SET", "k", "v");
    const dv = await c.callRaw("DEBUG", "DIGEST-VALUE", "k", "missing");
    assert.equal(dv.type, "array");
    const items = (dv as { value: RespValue[] }).value;
    assert.equal(items[0].type, "simple");
    assert.match((items[0] as { value: string }).value, /^[0-9a-f]{40}$/);
    assert.deepEqual(items[1], { type: "simple", value: "0".repeat(40) });
    assert.deepEqual(await c.call("DEBUG", "DIGEST-VALUE"), []);
    assert.match(await c.call("DEBUG", "DIGEST") as string, /^[0-9a-f]{40}$/);
    assert.match(
      await c.call("DEBUG", "OBJECT", "k") as string,
      /^Value at:\S+ refcount:1 encoding:embstr serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+$/,
    );
    assert.equal((await c.call("DEBUG", "OBJECT", "nokey") as Error).message, "ERR no such key");
    assert.equal(
      (await c.call("DEBUG", "foo") as Error).message,
      "ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.",
    );
    assert.equal(
      (await c.call("DEBUG", "sleep") as Error).message,
      "ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP.",
    );
    const t0 = Date.now();
    assert.equal(await c.call("DEBUG", "SLEEP", "0.2"), "OK");
    assert.ok(Date.now() - t0 >= 180);
    assert.equal(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "OK");
    assert.equal(node.server.activeExpireEnabled, false);
    await c.call("SET", "e", "1", "PX", "50");
    await sleep(300);
    assert.equal(node.server.db.dict.has("e"), true, "no active expiry");
    assert.equal(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK");
    assert.equal(
      ((await c.call("DEBUG", "HELP")) as string[])[0],
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    );
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test({
  name: "DEBUG DIGEST-VALUE and INFO fields agree with a real redis-server",
  ignore: !haveRedisServer(),
  async fn() {
    const node = await startNode();
    const redis = await spawnRedis({ "enable-debug-command": "yes" });
    const ours = await RespClient.connect(node.port);
    const real = await RespClient.connect(redis.port);
    try {
      const setup = [
        ["SET", "s", "hello"],
        ["SET", "n", "42"],
        ["SET", "t", "x", "EX", "1000"],
      ];
      for (const cmd of setup) {
        await ours.call(...cmd);
        await real.call(...cmd);
      }
      const keys = ["s", "n", "t", "missing"];
      assert.deepEqual(
        await ours.call("DEBUG", "DIGEST-VALUE", ...keys),
        await real.call("DEBUG", "DIGEST-VALUE", ...keys),
      );
      assert.deepEqual(await ours.call("HELLO", "3"), {
        ...(await real.call("HELLO", "3") as Record<string, unknown>),
        id: await ours.call("CLIENT", "ID"),
      });
      // Same INFO field names in the sections tools read.
      for (const section of ["replication", "cluster", "keyspace"]) {
        const names = (t: string) => t.split("\r\n").map((l) => l.split(":")[0]).filter((n) => n);
        assert.deepEqual(
          names(await ours.call("INFO", section) as string),
          names(await real.call("INFO", section) as string),
        );
      }
    } finally {
      ours.close();
      real.close();
      await redis.stop();
      await node.stop();
    }
  },
});

Deno.test("SHUTDOWN: stops the in-process server without exiting; a save that fails keeps it up", async () => {
  const node = await startNode({ "enable-protected-configs": "yes" });
  const c = await RespClient.connect(node.port);
  let asked = -1;
  node.server.onShutdownRequest = (code) => asked = code;
  try {
    const gone = await Deno.makeTempDir();
    assert.equal(await c.call("CONFIG", "SET", "dir", gone), "OK");
    await Deno.remove(gone);
    assert.equal(
      (await c.call("SHUTDOWN", "SAVE") as Error).message,
      "ERR Errors trying to SHUTDOWN. Check logs.",
    );
    assert.equal(await c.call("PING"), "PONG");
    assert.equal((await c.call("SHUTDOWN", "SAVE", "NOSAVE") as Error).message, "ERR syntax error");
    assert.equal((await c.call("SHUTDOWN", "BOGUS") as Error).message, "ERR syntax error");
    await c.writeRaw("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    assert.equal(await c.readValue(), null);
    for (let i = 0; i < 50 && asked === -1; i++) await sleep(20);
    assert.equal(asked, 0);
    assert.equal(node.server.isStopped, true);
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("protected mode: a non-loopback client gets DENIED unless a password is set", async () => {
  const ifaces = Deno.networkInterfaces().filter((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.")
  );
  if (ifaces.length === 0) return; // no non-loopback address to test with
  const ip = ifaces[0].address;
  const node = await startNode({ bind: "0.0.0.0", "protected-mode": "yes" });
  try {
    const c = await RespClient.connect(node.port, ip);
    try {
      const v = await c.readValue();
      assert.equal(v?.type, "error");
      assert.ok((v as { value: string }).value.startsWith(
        "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.",
      ));
      assert.ok(await c.isClosed(2000));
    } finally {
      c.close();
    }
    const local = await RespClient.connect(node.port);
    try {
      assert.equal(await local.call("PING"), "PONG");
      assert.equal(await local.call("CONFIG", "SET", "protected-mode", "no"), "OK");
    } finally {
      local.close();
    }
    const c2 = await RespClient.connect(node.port, ip);
    try {
      assert.equal(await c2.call("PING"), "PONG");
    } finally {
      c2.close();
    }
  } finally {
    await node.stop();
  }
});

Deno.test({
  name: "CONFIG GET: defaults of every directive equal a real redis-server's",
  ignore: !haveRedisServer(),
  async fn() {
    const { DIRECTIVES } = await import("../server/config.ts");
    // enable-debug-command at its default (the harness allows DEBUG).
    const node = await startNode({ save: "3600 1 300 100 60 10000", "enable-debug-command": "no" });
    // spawnRedis passes bind/save/appendonly/port/dir; restore save's default for the comparison.
    const redis = await spawnRedis({ save: "3600 1 300 100 60 10000" });
    const ours = await RespClient.connect(node.port);
    const real = await RespClient.connect(redis.port);
    try {
      const skip = new Set(["port", "dir", "bind"]);
      for (const d of DIRECTIVES) {
        // The bus secret's directives are ours alone (cluster/bus_auth.ts).
        if (skip.has(d.name) || d.name.startsWith("cluster-bus-secret")) continue;
        const r = await real.call("CONFIG", "GET", d.name) as string[];
        assert.deepEqual(await ours.call("CONFIG", "GET", d.name), r, d.name);
      }
    } finally {
      ours.close();
      real.close();
      await redis.stop();
      await node.stop();
    }
  },
});

Deno.test({
  name: "SLOWLOG: entries like a real redis-server (args, truncation, order, LEN, RESET)",
  ignore: !haveRedisServer(),
  async fn() {
    const node = await startNode();
    const redis = await spawnRedis();
    const ours = await RespClient.connect(node.port);
    const real = await RespClient.connect(redis.port);
    try {
      const script: string[][] = [
        ["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        ["CLIENT", "SETNAME", "slowpoke"],
        ["SET", "a", "x".repeat(200)],
        ["DEL", ...Array.from({ length: 40 }, (_, i) => `k${i}`)],
        // Sensitive directives' values are redacted (configSetCommand), even past an unknown one.
        ["CONFIG", "SET", "masterauth", "secret"],
        ["CONFIG", "SET", "masteruser", "someone", "maxmemory-samples", "5"],
        ["CONFIG", "SET", "maxmemory-samples", "5", "requirepass", ""],
        ["CONFIG", "SET", "masterauth", "secret", "nosuchdirective", "x"],
        ["CONFIG", "SET", "nosuchdirective", "x", "masterauth", "secret"],
        ["CONFIG", "SET", "masterauth", "", "masteruser", ""],
        ["AUTH", "wrong"],
      ];
      for (const cmd of script) {
        await ours.call(...cmd);
        await real.call(...cmd);
      }
      const shape = (entries: unknown[]) =>
        (entries as unknown[][]).map((e) => {
          assert.equal(e.length, 6);
          assert.equal(typeof e[0], "number");
          assert.equal(typeof e[1], "number");
          assert.equal(typeof e[2], "number");
          return [e[3], e[5]];
        });
      const a = await ours.call("SLOWLOG", "GET", "-1") as unknown[];
      const b = await real.call("SLOWLOG", "GET", "-1") as unknown[];
      assert.deepEqual(shape(a), shape(b));
      assert.equal(await ours.call("SLOWLOG", "LEN"), await real.call("SLOWLOG", "LEN"));
      assert.deepEqual(await ours.call("SLOWLOG", "RESET"), await real.call("SLOWLOG", "RESET"));
      assert.equal(await ours.call("SLOWLOG", "LEN"), 1);
      assert.equal(
        (await ours.call("SLOWLOG", "GET", "-2") as Error).message,
        "ERR count should be greater than or equal to -1",
      );
    } finally {
      ours.close();
      real.close();
      await redis.stop();
      await node.stop();
    }
  },
});
