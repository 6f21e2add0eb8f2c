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

Deno.test("a pipelined batch bigger than the small read buffer is read whole once the connection has seen one (INFO total_reads_processed)", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    // redis-benchmark -P 16 -r 100000 ZADD: 16 requests of 72 B, 1,152 B a batch.
    const zadd = (i: number): string => {
      const score = String(i).padStart(12, "0");
      const member = `element:${String(i * 7).padStart(12, "0")}`;
      return `*4\r\n$4\r\nZADD\r\n$6\r\nmyzset\r\n$12\r\n${score}\r\n$20\r\n${member}\r\n`;
    };
    const batch = (b: number): string =>
      Array.from({ length: 16 }, (_, i) => zadd(b * 16 + i)).join("");
    assert.ok(batch(0).length > IDLE_READ_BYTES && batch(0).length < 2 * IDLE_READ_BYTES);
    const send = async (b: number): Promise<void> => {
      await c.writeRaw(enc.encode(batch(b)));
      for (let i = 0; i < 16; i++) assert.deepEqual(await c.readValue(), { type: "int", value: 1 });
    };
    // ZADD's and INFO's modules are imported at their first use (a batch waiting on that writes
    // the replies before it first): imported before counting.
    assert.equal(await c.call("ZADD", "other", "1", "a"), 1);
    await c.call("INFO", "stats");
    // The first batches: a read that began while INFO's import was awaited went into a buffer of
    // its own, then one that fills the idle buffer and is read in two.
    await send(0);
    await send(1);
    const stats = node.server.stats;
    // A write is counted before its bytes go out; a read as it starts, so the read of the next
    // batch may or may not be counted yet when the replies are in: one either way at each end.
    const reads0 = stats.readsProcessed, writes0 = stats.writesProcessed;
    for (let b = 2; b <= 11; b++) await send(b);
    const reads = stats.readsProcessed - reads0;
    assert.ok(reads >= 9 && reads <= 11, `${reads} reads for 10 batches`);
    assert.equal(stats.writesProcessed - writes0, 10);
    // INFO shows the counts as it ran: its own read, not yet its reply's write.
    const info = String(await c.call("INFO", "stats"));
    const field = (name: string) => Number(new RegExp(`${name}:(\\d+)\r\n`).exec(info)![1]);
    assert.equal(field("total_writes_processed"), stats.writesProcessed - 1);
    const infoReads = field("total_reads_processed");
    assert.ok(infoReads === stats.readsProcessed || infoReads === stats.readsProcessed - 1);
  } finally {
    c.close();
    await node.stop();
  }
});
