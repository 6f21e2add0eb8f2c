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

Deno.test("ReplicaPeer: the stream is copied (callers reuse their buffer), in order, none lost while a write is in flight", async () => {
  const client = { close() {} } as unknown as Client;
  const written: number[] = [];
  let release = null as (() => void) | null;
  // Each write takes a copy (as the kernel does), then completes when the test says so.
  const conn = {
    write: (b: Uint8Array) => {
      written.push(...b);
      return new Promise<number>((resolve) => release = () => resolve(b.length));
    },
  } as unknown as Deno.Conn;
  const limits = { hardBytes: 0, softBytes: 0, softSeconds: 0 };
  const peer = new ReplicaPeer(client, conn, 1, "127.0.0.1", 0, () => {});
  const turn = () => new Promise((r) => setTimeout(r, 0));
  const buf = new Uint8Array(3);
  const expected: number[] = [];
  const feed = (...bytes: number[]) => {
    buf.set(bytes); // the caller's buffer, reused for every call
    assert.ok(peer.enqueue(buf.subarray(0, bytes.length), true, limits, 0));
    expected.push(...bytes);
  };
  assert.ok(peer.enqueue(new Uint8Array([9, 9]), false, limits, 0, true)); // an RDB payload
  expected.push(9, 9);
  feed(1, 2, 3);
  feed(4, 5);
  await turn(); // one write: the payload and both commands
  assert.deepEqual(written, expected);
  feed(6); // while that write is in flight
  feed(7, 8);
  assert.equal(peer.pendingBytes, 8);
  release!();
  await turn();
  assert.deepEqual(written, expected);
  release!();
  await turn();
  // Reusing the written block: more than a block's worth, over several turns.
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      const r = release;
      release = null;
      r?.();
      await turn();
    }
  };
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 7000; i++) feed(round, i & 0xff, (i >> 8) & 0xff);
    await turn();
    feed(round, 1, 1); // while the first write is in flight
    await settle();
  }
  assert.deepEqual(written, expected);
  assert.equal(peer.pendingBytes, 0);
  assert.equal(peer.state, "online");
});
