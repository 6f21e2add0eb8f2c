/**
 * What an idle connection holds (issue 18): no reply buffer between its requests, and reads that
 * go from a small buffer to the shared 16 KiB ones and 64 KiB and back keep every request whole
 * and in order (server/read_buffer.ts, protocol/reply.ts, protocol/buffer_pool.ts).
 */
import assert from "node:assert/strict";
import { RespClient, startNode } from "./harness.ts";
import { IDLE_READ_BYTES } from "../server/read_buffer.ts";

const enc = new TextEncoder();

function setCmd(key: string, value: string): string {
  return `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
}

Deno.test("idle connections hold no reply buffer between requests", async () => {
  const node = await startNode();
  const conns: RespClient[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const c = await RespClient.connect(node.port);
      conns.push(c);
      assert.equal(await c.call("PING"), "PONG");
      assert.equal(await c.call("SET", `k${i}`, "v"), "OK");
    }
    // Each connection's last reply is on the wire (its client read it), and nothing is pending.
    for (const client of node.server.clients.values()) {
      assert.equal(client.reply.len, 0);
      assert.equal(client.reply.buf.length, 0, `client ${client.id} holds a reply buffer`);
    }
  } finally {
    for (const c of conns) c.close();
    await node.stop();
  }
});

Deno.test("pipelined batches of every size between the read buffers' sizes arrive whole and in order", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    // One request per batch, then batches around 1 KiB, 16 KiB and 64 KiB, then small again:
    // every transition of the read buffer, with requests cut across reads.
    const sizes = [1, 5, IDLE_READ_BYTES / 64, 40, 400, 1500, 3000, 1, 2];
    let n = 0;
    for (const count of sizes) {
      let batch = "";
      const want: string[] = [];
      for (let i = 0; i < count; i++, n++) {
        const value = "x".repeat(n % 97) + String(n);
        batch += setCmd(`key:${n}`, value) +
          `*2\r\n$3\r\nGET\r\n$${`key:${n}`.length}\r\nkey:${n}\r\n`;
        want.push(value);
      }
      await c.writeRaw(enc.encode(batch));
      for (let i = 0; i < count; i++) {
        assert.deepEqual(await c.readValue(), { type: "simple", value: "OK" });
        const got = await c.readValue();
        assert.equal(got?.type, "bulk");
        assert.equal(new TextDecoder().decode((got as { value: Uint8Array }).value), want[i]);
      }
    }
    assert.equal(await c.call("DBSIZE"), n);
  } finally {
    c.close();
    await node.stop();
  }
});
