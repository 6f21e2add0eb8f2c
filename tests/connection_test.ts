/** Connection commands: HELLO, AUTH, SELECT, RESET, CLIENT *, exact texts and RESP2/RESP3 shapes. */
import assert from "node:assert/strict";
import { RespClient, startNode } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const dec = new TextDecoder();

function bulkText(v: RespValue): string {
  assert.equal(v.type, "bulk");
  return dec.decode((v as { value: Uint8Array }).value);
}

Deno.test("HELLO 3: RESP3 map of 7 pairs, switches protocol; HELLO 2 back", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const v = await c.callRaw("HELLO", "3");
    assert.equal(v.type, "map");
    const pairs = (v as { value: [RespValue, RespValue][] }).value;
    assert.deepEqual(pairs.map(([k]) => bulkText(k)), [
      "server",
      "version",
      "proto",
      "id",
      "mode",
      "role",
      "modules",
    ]);
    assert.equal(bulkText(pairs[0][1]), "redis");
    assert.equal(bulkText(pairs[1][1]), "7.0.15");
    assert.deepEqual(pairs[2][1], { type: "int", value: 3 });
    assert.equal(pairs[3][1].type, "int");
    assert.equal(bulkText(pairs[4][1]), "standalone");
    assert.equal(bulkText(pairs[5][1]), "master");
    assert.deepEqual(pairs[6][1], { type: "array", value: [] });
    // Now RESP3: a missing key is `_`.
    assert.deepEqual(await c.callRaw("CLIENT", "GETNAME"), { type: "null", of: "resp3" });
    const v2 = await c.callRaw("HELLO", "2");
    assert.equal(v2.type, "array");
    assert.equal((v2 as { value: RespValue[] }).value.length, 14);
    const id = await c.call("CLIENT", "ID");
    const plain = await c.call("HELLO");
    assert.deepEqual(plain, [
      "server",
      "redis",
      "version",
      "7.0.15",
      "proto",
      2,
      "id",
      id,
      "mode",
      "standalone",
      "role",
      "master",
      "modules",
      [],
    ]);
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("HELLO: errors, AUTH and SETNAME options; mode cluster", async () => {
  const node = await startNode({ "cluster-enabled": "yes" });
  const c = await RespClient.connect(node.port);
  try {
    assert.equal(
      (await c.call("HELLO", "4") as Error).message,
      "NOPROTO unsupported protocol version",
    );
    assert.equal(
      (await c.call("HELLO", "1") as Error).message,
      "NOPROTO unsupported protocol version",
    );
    assert.equal(
      (await c.call("HELLO", "abc") as Error).message,
      "ERR Protocol version is not an integer or out of range",
    );
    assert.equal(
      (await c.call("HELLO", "3", "foo") as Error).message,
      "ERR Syntax error in HELLO option 'foo'",
    );
    assert.equal(
      (await c.call("HELLO", "3", "SETNAME", "a b") as Error).message,
      "ERR Client names cannot contain spaces, newlines or special characters.",
    );
    // No password configured: the default user is nopass, any password works (as 7.0).
    const r = await c.call(
      "HELLO",
      "3",
      "AUTH",
      "default",
      "whatever",
      "SETNAME",
      "myname",
    ) as Record<string, unknown>;
    assert.equal(r.mode, "cluster");
    assert.equal(r.proto, 3);
    assert.equal(await c.call("CLIENT", "GETNAME"), "myname");
    assert.equal(
      (await c.call("HELLO", "3", "AUTH", "bob", "x") as Error).message,
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("AUTH: without and with requirepass; NOAUTH; HELLO AUTH", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    assert.equal(
      (await c.call("AUTH", "x") as Error).message,
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    assert.equal(
      (await c.call("AUTH", "a", "b") as Error).message,
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    assert.equal(await c.call("AUTH", "default", "anything"), "OK");
    assert.equal((await c.call("AUTH", "a", "b", "c") as Error).message, "ERR syntax error");
    assert.equal(await c.call("CONFIG", "SET", "requirepass", "s3cret"), "OK");
    const d = await RespClient.connect(node.port);
    try {
      assert.equal((await d.call("GET", "k") as Error).message, "NOAUTH Authentication required.");
      assert.equal(
        (await d.call("HELLO", "3") as Error).message,
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
      );
      assert.equal(
        (await d.call("AUTH", "bad") as Error).message,
        "WRONGPASS invalid username-password pair or user is disabled.",
      );
      assert.equal(
        (await d.call("HELLO", "3", "AUTH", "default", "bad") as Error).message,
        "WRONGPASS invalid username-password pair or user is disabled.",
      );
      assert.equal(await d.call("AUTH", "s3cret"), "OK");
      assert.equal(await d.call("PING"), "PONG");
      assert.equal(await d.call("RESET"), "RESET");
      assert.equal((await d.call("GET", "k") as Error).message, "NOAUTH Authentication required.");
      const h = await d.call("HELLO", "2", "AUTH", "default", "s3cret") as unknown[];
      assert.equal(h[0], "server");
      assert.equal(await d.call("AUTH", "default", "s3cret"), "OK");
    } finally {
      d.close();
    }
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("SELECT: standalone and cluster mode", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    assert.equal(await c.call("SELECT", "0"), "OK");
    assert.equal((await c.call("SELECT", "16") as Error).message, "ERR DB index is out of range");
    assert.equal((await c.call("SELECT", "-1") as Error).message, "ERR DB index is out of range");
    assert.equal(
      (await c.call("SELECT", "x") as Error).message,
      "ERR value is not an integer or out of range",
    );
    assert.equal(await c.call("SELECT", "1"), "OK");
  } finally {
    c.close();
    await node.stop();
  }
  const cl = await startNode({ "cluster-enabled": "yes" });
  const d = await RespClient.connect(cl.port);
  try {
    assert.equal(await d.call("SELECT", "0"), "OK");
    assert.equal(
      (await d.call("SELECT", "1") as Error).message,
      "ERR SELECT is not allowed in cluster mode",
    );
    assert.equal(
      (await d.call("SELECT", "99") as Error).message,
      "ERR SELECT is not allowed in cluster mode",
    );
  } finally {
    d.close();
    await cl.stop();
  }
});

Deno.test("CLIENT SETNAME/GETNAME/ID/INFO/LIST line format (7.0: no SETINFO, no lib-name)", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  const d = await RespClient.connect(node.port);
  try {
    assert.equal(await c.call("CLIENT", "GETNAME"), null);
    assert.equal(await c.call("CLIENT", "SETNAME", "alpha"), "OK");
    assert.equal(await c.call("CLIENT", "GETNAME"), "alpha");
    assert.equal(
      (await c.call("CLIENT", "SETNAME", "a b") as Error).message,
      "ERR Client names cannot contain spaces, newlines or special characters.",
    );
    assert.equal(
      (await c.call("CLIENT", "SETINFO", "LIB-NAME", "mylib") as Error).message,
      "ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.",
    );
    const id = await c.call("CLIENT", "ID") as number;
    const idD = await d.call("CLIENT", "ID") as number;
    assert.ok(typeof id === "number" && idD > id);
    const info = await c.call("CLIENT", "INFO") as string;
    assert.match(
      info,
      new RegExp(
        `^id=${id} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${node.port} fd=\\d+ name=alpha age=\\d+ idle=\\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\\d+ qbuf-free=\\d+ argv-mem=\\d+ multi-mem=\\d+ rbs=\\d+ rbp=\\d+ obl=0 oll=0 omem=0 tot-mem=\\d+ events=r cmd=client\\|info user=default redir=-1 resp=2\\n$`,
      ),
    );
    const list = await c.call("CLIENT", "LIST") as string;
    const lines = list.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 2);
    assert.ok(lines.some((l) => l.startsWith(`id=${idD} `)));
    assert.match(lines.find((l) => l.startsWith(`id=${id} `))!, / cmd=client\|list /);
    const only = await c.call("CLIENT", "LIST", "ID", String(idD)) as string;
    assert.equal(only.split("\n").filter((l) => l).length, 1);
    assert.equal(
      (await c.call("CLIENT", "LIST", "TYPE", "foo") as Error).message,
      "ERR Unknown client type 'foo'",
    );
    assert.equal(
      (await c.call("CLIENT", "LIST", "ID", "abc") as Error).message,
      "ERR Invalid client ID",
    );
    assert.equal(
      (await c.call("CLIENT", "MAINT_NOTIFICATIONS", "ON") as Error).message,
      "ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP.",
    );
    // MULTI shows flags=x and multi=<queued>.
    await d.call("MULTI");
    await d.call("PING");
    const dl = await c.call("CLIENT", "LIST", "ID", String(idD)) as string;
    assert.match(dl, / flags=x .* multi=1 /);
    // RESP3: CLIENT LIST/INFO are verbatim strings.
    await c.call("HELLO", "3");
    const raw = await c.callRaw("CLIENT", "INFO");
    assert.equal(raw.type, "verbatim");
    assert.equal((raw as { format: string }).format, "txt");
    assert.match((raw as { value: string }).value, / resp=3\n$/);
  } finally {
    c.close();
    d.close();
    await node.stop();
  }
});

Deno.test("CLIENT KILL: old and new forms; NO-EVICT; no NO-TOUCH (7.2); HELP", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  const d = await RespClient.connect(node.port);
  const e = await RespClient.connect(node.port);
  try {
    const idD = await d.call("CLIENT", "ID") as number;
    assert.equal(await c.call("CLIENT", "KILL", "ID", "999999"), 0);
    assert.equal(
      (await c.call("CLIENT", "KILL", "ID", "0") as Error).message,
      "ERR client-id should be greater than 0",
    );
    assert.equal(
      (await c.call("CLIENT", "KILL", "ID", "x") as Error).message,
      "ERR client-id should be greater than 0",
    );
    assert.equal(
      (await c.call("CLIENT", "KILL", "1.2.3.4:5") as Error).message,
      "ERR No such client",
    );
    assert.equal(
      (await c.call("CLIENT", "KILL", "ID", "1", "SKIPME") as Error).message,
      "ERR syntax error",
    );
    assert.equal(await c.call("CLIENT", "KILL", "ID", String(idD)), 1);
    assert.ok(await d.isClosed(2000));
    // Old form by address.
    const info = await e.call("CLIENT", "INFO") as string;
    const addr = /addr=(\S+)/.exec(info)![1];
    assert.equal(await c.call("CLIENT", "KILL", addr), "OK");
    assert.ok(await e.isClosed(2000));
    // SKIPME yes (default) spares the caller.
    const myAddr = /addr=(\S+)/.exec(await c.call("CLIENT", "INFO") as string)![1];
    assert.equal(await c.call("CLIENT", "KILL", "ADDR", myAddr), 0);
    assert.equal(await c.call("CLIENT", "NO-EVICT", "on"), "OK");
    assert.equal((await c.call("CLIENT", "NO-EVICT", "x") as Error).message, "ERR syntax error");
    assert.equal(
      (await c.call("CLIENT", "NO-TOUCH", "ON") as Error).message,
      "ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.",
    );
    assert.match(await c.call("CLIENT", "INFO") as string, / flags=e /);
    const help = await c.call("CLIENT", "HELP") as string[];
    assert.equal(help[0], "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert.equal(help[help.length - 1], "    Prints this help.");
    assert.equal(
      (await c.call("CLIENT", "FOO") as Error).message,
      "ERR unknown subcommand 'FOO'. Try CLIENT HELP.",
    );
    // SKIPME no kills the caller too (after the reply).
    assert.equal(await c.call("CLIENT", "KILL", "ADDR", myAddr, "SKIPME", "no"), 1);
    assert.ok(await c.isClosed(2000));
  } finally {
    c.close();
    d.close();
    e.close();
    await node.stop();
  }
});

Deno.test("RESET: leaves MULTI, RESP2, clears name", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    await c.call("HELLO", "3", "SETNAME", "x");
    await c.call("MULTI");
    assert.equal(await c.call("RESET"), "RESET");
    assert.equal(await c.call("CLIENT", "GETNAME"), null);
    // Back to RESP2: CONFIG GET is a flat array, not a map.
    assert.equal((await c.callRaw("CONFIG", "GET", "port")).type, "array");
    assert.equal((await c.call("EXEC") as Error).message, "ERR EXEC without MULTI");
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("a command that throws drops only its own connection, logged with its stack", async () => {
  const node = await startNode();
  // A command with a bug, added to this node's table only.
  node.server.commands.set("boom", {
    ...node.server.commands.get("ping")!,
    name: "boom",
    handler: () => {
      throw new Error("a bug in a command");
    },
  });
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(node.port);
  try {
    await a.writeRaw("*1\r\n$4\r\nBOOM\r\n");
    assert.ok(await a.isClosed(5000), "the connection that ran it is closed");
    assert.equal(await b.call("PING"), "PONG", "the others are still served");
    const line = node.server.log.recent.find((l) => l.includes("dropped after an internal error"));
    assert.ok(line !== undefined && line.includes("a bug in a command"), "logged with the error");
  } finally {
    a.close();
    b.close();
    await node.stop();
  }
});
