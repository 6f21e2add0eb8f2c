/**
 * The replication stream is handed to the backlog and the replicas once per event-loop turn
 * (replication/stream_batch.ts): a replica that attaches in the turn of a write must get that
 * write in its snapshot only, never again at the head of its stream.
 */

import assert from "node:assert/strict";
import { RawReplica } from "./raw_replica.ts";
import { RespClient, startNode, waitFor } from "./harness.ts";

Deno.test("replication: a replica attaching in the turn of a write gets it once (in its snapshot)", async () => {
  const master = await startNode();
  const ctl = await RespClient.connect(master.port);
  const writer = await RespClient.connect(master.port);
  let first: RawReplica | null = null;
  let late: RawReplica | null = null;
  try {
    // A first replica: the master has a backlog and propagates.
    first = await RawReplica.attach(master.port);
    const held = () => master.server.clientPause.waiting;
    late = await RawReplica.attach(master.port, {
      // Hold a write, then the PSYNC: when the pause ends both run in one turn, in that order.
      // (CLIENT PAUSE ALL holds CLIENT UNPAUSE too, as in Redis: the pause ends on its timer.)
      beforePsync: async () => {
        assert.equal(await ctl.call("CLIENT", "PAUSE", "1000", "ALL"), "OK");
        await writer.writeRaw("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
        await waitFor("the write held", () => held() === 1);
      },
      psyncSent: async () => {
        await waitFor("the PSYNC held", () => held() === 2, 5000, 5);
      },
    });
    assert.deepEqual(await writer.readValue(), { type: "simple", value: "OK" });
    assert.equal(await ctl.call("SET", "end", "1"), "OK");
    const sets = (r: RawReplica) =>
      r.commandsUntil("end").then((cmds) => cmds.filter((c) => c.startsWith("SET")));
    // The first replica gets both writes in its stream; the late one only the later write.
    assert.deepEqual(await sets(first), ["SET a 1", "SET end 1"]);
    assert.deepEqual(await sets(late), ["SET end 1"]);
  } finally {
    first?.close();
    late?.close();
    ctl.close();
    writer.close();
    await master.stop();
  }
});
