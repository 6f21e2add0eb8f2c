import assert from "node:assert/strict";
import { ConnectionError, encodeRequest, NodeClient, ReplyError, replyStrings } from "./client.ts";

Deno.test("encodeRequest: multibulk with strings, numbers and bytes", () => {
  const b = encodeRequest(["SET", "k", 12, new Uint8Array([0, 255])]);
  const expected = "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$2\r\n\x00\xff\r\n";
  assert.deepEqual([...b], [...expected].map((c) => c.charCodeAt(0)));
});

Deno.test({
  name: "NodeClient: pipelined replies in order, error replies, split reads, timeouts",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const served = (async () => {
      const conn = await listener.accept();
      const buf = new Uint8Array(4096);
      let seen = "";
      const enc = new TextEncoder();
      // Answer after 3 requests, the bulk split across two writes.
      while ((seen.match(/\*/g) ?? []).length < 3) {
        const n = await conn.read(buf);
        if (n === null) return;
        seen += new TextDecoder().decode(buf.subarray(0, n));
      }
      await conn.write(enc.encode("+PONG\r\n-ERR boom\r\n*2\r\n$1\r\na\r\n$"));
      await new Promise((r) => setTimeout(r, 20));
      await conn.write(enc.encode("2\r\nbc\r\n"));
      // Then never answer the 4th request.
      await conn.read(buf);
      await new Promise((r) => setTimeout(r, 400));
      conn.close();
    })();
    const c = await NodeClient.connect("127.0.0.1", port, 300);
    try {
      const [a, b, d] = await Promise.all([
        c.call("PING"),
        c.call("X").catch((e) => e),
        c.call("LIST"),
      ]);
      assert.deepEqual(a, { type: "simple", value: "PONG" });
      assert.ok(b instanceof ReplyError);
      assert.equal(b.message, "ERR boom");
      assert.deepEqual(replyStrings(d), ["a", "bc"]);
      await assert.rejects(
        c.call("SLOW"),
        (e) => e instanceof ConnectionError && /no reply .* within 300 ms/.test(e.message),
      );
      await assert.rejects(c.call("AFTER"), ConnectionError);
    } finally {
      c.close();
      listener.close();
      await served;
    }
  },
});

Deno.test("NodeClient.connect: refused is a ConnectionError", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await assert.rejects(NodeClient.connect("127.0.0.1", port, 1000), ConnectionError);
});
