import assert from "node:assert/strict";
import { atoiPort, NodeConnection, NodeConnectionCache, NodeIoError } from "./node_client.ts";

/** A listener answering every read with "+OK\r\n" (or nothing when `silent`). */
function listen(silent = false): { port: number; accepted: () => number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let accepted = 0;
  (async () => {
    try {
      for await (const c of l) {
        accepted++;
        conns.push(c);
        (async () => {
          const buf = new Uint8Array(1024);
          try {
            while ((await c.read(buf)) !== null) {
              if (!silent) await c.write(new TextEncoder().encode("+OK\r\n"));
            }
          } catch { /* closed */ }
        })();
      }
    } catch { /* closed */ }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    accepted: () => accepted,
    close() {
      l.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

Deno.test("NodeConnectionCache: reuse by host:port, idle close after 10 s, bounded size", async () => {
  const srv = [listen(), listen(), listen()];
  let now = 1_000_000;
  const cache = new NodeConnectionCache(() => now, 2);
  try {
    const a = await cache.get("127.0.0.1", String(srv[0].port), 1000);
    assert.equal(a.lastDbId, -1);
    a.lastDbId = 0;
    await a.conn.writeAll(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n"), 1000);
    assert.deepEqual(await a.conn.readReply(1000), { type: "simple", value: "OK" });
    now += 5000;
    const again = await cache.get("127.0.0.1", String(srv[0].port), 1000);
    assert.equal(again, a);
    assert.equal(again.lastDbId, 0);
    assert.equal(srv[0].accepted(), 1);
    // A third address evicts one of the two.
    await cache.get("127.0.0.1", String(srv[1].port), 1000);
    await cache.get("127.0.0.1", String(srv[2].port), 1000);
    assert.equal(cache.size, 2);
    // 10 s is kept, more than 10 s is closed.
    now += 10_000;
    assert.equal(cache.closeIdle(), 0);
    now += 1;
    assert.equal(cache.closeIdle(), 2);
    assert.equal(cache.size, 0);
  } finally {
    cache.closeAll();
    for (const s of srv) s.close();
  }
});

Deno.test("NodeConnection: phases and timeouts of failures", async () => {
  const silent = listen(true);
  try {
    const c = await NodeConnection.connect("127.0.0.1", silent.port, 1000);
    const t0 = Date.now();
    await assert.rejects(c.readReply(150), (e: unknown) => {
      assert.ok(e instanceof NodeIoError);
      assert.equal(e.phase, "read");
      assert.equal(e.timedOut, true);
      return true;
    });
    assert.ok(Date.now() - t0 >= 140);
    assert.equal(c.closed, true);
    await assert.rejects(c.writeAll(new Uint8Array(1), 100), NodeIoError);
  } finally {
    silent.close();
  }
  // Refused: "connect", not a timeout.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await assert.rejects(NodeConnection.connect("127.0.0.1", port, 1000), (e: unknown) => {
    assert.ok(e instanceof NodeIoError);
    assert.equal(e.phase, "connect");
    assert.equal(e.timedOut, false);
    return true;
  });
  await assert.rejects(NodeConnection.connect("no-such-host.invalid", 6379, 2000), (e: unknown) => {
    assert.ok(e instanceof NodeIoError);
    assert.equal(e.phase, "resolve");
    return true;
  });
});

Deno.test("atoiPort parses like C atoi", () => {
  assert.equal(atoiPort("6379"), 6379);
  assert.equal(atoiPort("123abc"), 123);
  assert.equal(atoiPort("x"), 0);
  assert.equal(atoiPort(" 42"), 42);
});
