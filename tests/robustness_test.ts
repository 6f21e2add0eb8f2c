/**
 * Bad input never crashes a node: malformed RESP, oversized lengths, binary data, unknown
 * commands and wrong arities get Redis's exact error texts, only the offending connection is
 * closed (for protocol errors), and every other client keeps being served.
 */

import assert from "node:assert/strict";
import { RespClient, startNode, waitFor } from "./harness.ts";

const te = new TextEncoder();

/** Send raw bytes on a fresh connection; return everything the node answered before closing. */
async function rawExchange(
  port: number,
  wire: string | Uint8Array,
): Promise<{ text: string; closed: boolean }> {
  const c = await RespClient.connect(port);
  try {
    await c.writeRaw(wire);
    const text = await c.readRawText(300);
    const closed = await c.isClosed(500);
    return { text, closed };
  } finally {
    c.close();
  }
}

Deno.test("malformed RESP gets Redis's protocol errors and only that connection closes", async () => {
  const node = await startNode();
  const bystander = await RespClient.connect(node.port);
  try {
    assert.equal(await bystander.call("SET", "safe", "value"), "OK");
    const cases: [string, string][] = [
      ["*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"],
      ["*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"],
      ["*1\r\n$-3\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
      ["*2\r\n$3\r\nGET\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
      ["*3000000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n"],
      ['SET "unbalanced\r\n', "-ERR Protocol error: unbalanced quotes in request\r\n"],
    ];
    for (const [wire, expected] of cases) {
      const r = await rawExchange(node.port, wire);
      assert.equal(r.text, expected, JSON.stringify(wire));
      assert.equal(r.closed, true, `connection closed after ${JSON.stringify(wire)}`);
      // The other client is untouched.
      assert.equal(await bystander.call("GET", "safe"), "value");
    }
    // Commands before the bad bytes in the same packet are answered first.
    const r = await rawExchange(node.port, "PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n");
    assert.equal(r.text, "+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n");
  } finally {
    bystander.close();
    await node.stop();
  }
});

Deno.test("oversized lengths: proto-max-bulk-len, inline and count-string limits", async () => {
  const node = await startNode({ "proto-max-bulk-len": "1mb" });
  try {
    let r = await rawExchange(node.port, `*2\r\n$3\r\nGET\r\n$${1024 * 1024 + 1}\r\n`);
    assert.equal(r.text, "-ERR Protocol error: invalid bulk length\r\n");
    assert.equal(r.closed, true);
    r = await rawExchange(node.port, "A".repeat(70 * 1024));
    assert.equal(r.text, "-ERR Protocol error: too big inline request\r\n");
    r = await rawExchange(node.port, "*" + "1".repeat(70 * 1024));
    assert.equal(r.text, "-ERR Protocol error: too big mbulk count string\r\n");
    // A bulk of exactly the limit is accepted.
    const c = await RespClient.connect(node.port);
    try {
      const big = new Uint8Array(1024 * 1024).fill(120);
      assert.equal(await c.call("SET", "big", big), "OK");
      const v = await c.callRaw("GET", "big");
      assert.equal(v.type, "bulk");
      assert.equal(v.type === "bulk" && v.value.length, 1024 * 1024);
    } finally {
      c.close();
    }
  } finally {
    await node.stop();
  }
});

Deno.test("client-query-buffer-limit closes a client that sends too much, without a reply", async () => {
  const node = await startNode({ "client-query-buffer-limit": "1mb", "proto-max-bulk-len": "8mb" });
  const other = await RespClient.connect(node.port);
  try {
    const c = await RespClient.connect(node.port);
    await c.writeRaw(`*2\r\n$3\r\nGET\r\n$${4 * 1024 * 1024}\r\n`);
    let closed = false;
    try {
      for (let i = 0; i < 40; i++) await c.writeRaw(new Uint8Array(64 * 1024));
      closed = await c.isClosed(2000);
    } catch {
      closed = true; // reset while writing
    }
    c.close();
    assert.equal(closed, true);
    assert.equal(await other.call("PING"), "PONG");
  } finally {
    other.close();
    await node.stop();
  }
});

Deno.test("binary keys and values round-trip byte for byte", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const key = new Uint8Array([0, 255, 13, 10, 128, 159, 36, 42]);
    const value = new Uint8Array(256).map((_, i) => i);
    assert.equal(await c.call("SET", key, value), "OK");
    const v = await c.callRaw("GET", key);
    assert.equal(v.type, "bulk");
    assert.deepEqual(v.type === "bulk" ? [...v.value] : [], [...value]);
    // A key differing only in a high byte is a different key.
    const other = key.slice();
    other[1] = 254;
    assert.deepEqual(await c.callRaw("GET", other), { type: "null" });
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("unknown commands, wrong arity and wrong types keep the connection open", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const e1 = await c.call("FOO", "a", "b");
    assert.ok(e1 instanceof Error);
    assert.equal(e1.message, "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
    const e2 = await c.call("GET");
    assert.ok(e2 instanceof Error);
    assert.equal(e2.message, "ERR wrong number of arguments for 'get' command");
    const e3 = await c.call("NOPE");
    assert.ok(e3 instanceof Error);
    assert.equal(e3.message, "ERR unknown command 'NOPE', with args beginning with: ");
    // A long argument list is cut at 128 characters, as Redis does.
    const e4 = await c.call("XYZ", "a".repeat(300));
    assert.ok(e4 instanceof Error);
    assert.equal(
      e4.message,
      `ERR unknown command 'XYZ', with args beginning with: '${"a".repeat(128)}' `,
    );
    await c.call("SET", "s", "1");
    assert.equal(await c.call("PING"), "PONG");
    // Inline commands work, including an empty line between them.
    await c.writeRaw("PING\r\n\r\nECHO hi\r\n");
    assert.equal(await c.readRawText(200), "+PONG\r\n$2\r\nhi\r\n");
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("many clients with pipelines at once all get their own replies in order", async () => {
  const node = await startNode();
  try {
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => RespClient.connect(node.port)),
    );
    await Promise.all(clients.map(async (c, ci) => {
      let wire = "";
      for (let i = 0; i < 200; i++) {
        const k = `c${ci}:k${i}`;
        wire += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${String(i).length}\r\n${i}\r\n`;
        wire += `*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`;
      }
      await c.writeRaw(te.encode(wire));
      for (let i = 0; i < 200; i++) {
        assert.deepEqual(await c.readValue(), { type: "simple", value: "OK" });
        const v = await c.readValue();
        assert.equal(v?.type === "bulk" && new TextDecoder().decode(v.value), String(i));
      }
    }));
    for (const c of clients) c.close();
  } finally {
    await node.stop();
  }
});

Deno.test("random garbage never takes the node down (seeded)", async () => {
  const node = await startNode();
  const watcher = await RespClient.connect(node.port);
  try {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const alphabet = te.encode("*$\r\n0123456789-+:abcSETGET \"'\\x");
    for (let round = 0; round < 60; round++) {
      const n = 1 + Math.floor(rand() * 300);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        bytes[i] = rand() < 0.7
          ? alphabet[Math.floor(rand() * alphabet.length)]
          : Math.floor(rand() * 256);
      }
      const c = await RespClient.connect(node.port);
      try {
        await c.writeRaw(bytes);
        await c.readRawText(20);
      } catch {
        /* reset is fine */
      } finally {
        c.close();
      }
      assert.equal(await watcher.call("PING"), "PONG", `after round ${round}`);
    }
  } finally {
    watcher.close();
    await node.stop();
  }
});

Deno.test("a client that hangs up while blocked in WAIT (timeout 0) is freed at once", async () => {
  const node = await startNode();
  const watcher = await RespClient.connect(node.port);
  try {
    const clients = async () => {
      const info = await watcher.call("INFO", "clients") as string;
      return Number(/connected_clients:(\d+)/.exec(info)![1]);
    };
    const before = await clients();
    // No replica will ever acknowledge: WAIT 1 0 blocks for ever, as in Redis.
    const c = await RespClient.connect(node.port);
    await c.writeRaw(new TextEncoder().encode("*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n"));
    await waitFor("the WAIT to block", async () => (await clients()) === before + 1);
    c.close();
    // Redis frees a blocked client when its connection closes; so do we (this was for ever).
    await waitFor("the hung-up client freed", async () => (await clients()) === before, 10_000);
    assert.equal(await watcher.call("PING"), "PONG");
  } finally {
    watcher.close();
    await node.stop();
  }
});
