/**
 * WAIT counts the replicas that acknowledged the client's offset, which Redis 7.0's call() takes
 * after each of the client's commands, reads included (`c->woff = server.master_repl_offset`;
 * Redis 7.2 takes it only after a command that propagated). Checked against redis-server 7.0.15:
 * WAIT right after the client's write counts a replica that acknowledged that write; after a read
 * that followed another client's write, it does not.
 */

import assert from "node:assert/strict";
import { RawReplica } from "./raw_replica.ts";
import { RespClient, startNode, waitFor } from "./harness.ts";

const offsetOf = async (c: RespClient) =>
  Number(/master_repl_offset:(\d+)/.exec(String(await c.call("INFO", "replication")))![1]);

Deno.test("replication: WAIT counts acks up to the client's offset after its last command", async () => {
  const master = await startNode();
  const a = await RespClient.connect(master.port);
  const b = await RespClient.connect(master.port);
  const ctl = await RespClient.connect(master.port);
  let rep: RawReplica | null = null;
  try {
    rep = await RawReplica.attach(master.port);
    await waitFor(
      "replica online",
      async () => String(await ctl.call("INFO", "replication")).includes("state=online"),
    );
    assert.equal(await a.call("SET", "a", "1"), "OK");
    const mine = await offsetOf(ctl);
    assert.equal(await b.call("SET", "b", "1"), "OK");
    assert.ok(await offsetOf(ctl) > mine);
    await rep.ack(mine);
    await waitFor(
      "ack seen",
      async () => String(await ctl.call("INFO", "replication")).includes(`offset=${mine},`),
    );
    assert.equal(await a.call("WAIT", "1", "100"), 1);
    // A read moves A's offset past B's write, which no replica acknowledged.
    assert.equal(await a.call("GET", "a"), "1");
    assert.equal(await a.call("WAIT", "1", "100"), 0);
  } finally {
    rep?.close();
    a.close();
    b.close();
    ctl.close();
    await master.stop();
  }
});
