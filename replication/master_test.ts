import assert from "node:assert/strict";
import { ReplicaPeer } from "./master.ts";
import type { Client } from "../server/client.ts";

Deno.test("ReplicaPeer: hard limit at once, soft limit after its seconds, RDB not counted", () => {
  let closed = "";
  const client = { close() {} } as unknown as Client;
  // A connection whose writes never complete: everything stays queued.
  const conn = { write: () => new Promise<number>(() => {}) } as unknown as Deno.Conn;
  const limits = { hardBytes: 100, softBytes: 50, softSeconds: 2 };
  const peer = new ReplicaPeer(client, conn, 1, "127.0.0.1", 0, (_p, reason) => closed = reason);
  assert.ok(peer.enqueue(new Uint8Array(1000), false, limits, 0, true)); // the RDB payload
  assert.equal(peer.pendingBytes, 0);
  assert.ok(peer.enqueue(new Uint8Array(60), true, limits, 1000)); // over soft: timer starts
  assert.ok(peer.enqueue(new Uint8Array(1), true, limits, 2500));
  assert.ok(!peer.overLimits(limits, 3000));
  assert.ok(peer.overLimits(limits, 3001)); // soft limit held for more than 2 s
  const peer2 = new ReplicaPeer(client, conn, 1, "127.0.0.1", 0, (_p, reason) => closed = reason);
  assert.ok(!peer2.enqueue(new Uint8Array(100), true, limits, 0)); // hard limit
  assert.equal(closed, "overcoming of output buffer limits");
  assert.ok(peer2.closed);
});
