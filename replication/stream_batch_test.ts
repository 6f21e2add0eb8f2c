import assert from "node:assert/strict";
import { StreamBatch } from "./stream_batch.ts";
import { encodeCommand } from "./propagate.ts";

/** A batch whose end-of-turn runs are held until `endTurn`, and what it delivered. */
function harness(sizeBytes: number) {
  const delivered: number[][] = [];
  const turnEnds: (() => void)[] = [];
  const batch = new StreamBatch(
    // The bytes are valid only during the call: keep a copy.
    (bytes) => delivered.push([...bytes]),
    (fn) => turnEnds.push(fn),
    sizeBytes,
  );
  const endTurn = () => {
    for (const fn of turnEnds.splice(0)) fn();
  };
  return { batch, delivered, turnEnds, endTurn };
}

const enc = (...argvs: string[][]) => argvs.flatMap((a) => [...encodeCommand(a)]);

Deno.test("StreamBatch: a turn's commands are delivered once, together, at the turn's end", () => {
  const { batch, delivered, turnEnds, endTurn } = harness(1024);
  assert.equal(batch.appendCommand(["SET", "k", "v"]), enc(["SET", "k", "v"]).length);
  batch.appendCommand(["INCR", "n"]);
  batch.appendBytes(new Uint8Array(encodeCommand(["PING"])));
  assert.equal(delivered.length, 0);
  assert.equal(batch.pendingBytes, enc(["SET", "k", "v"], ["INCR", "n"], ["PING"]).length);
  // One end-of-turn run scheduled however many commands were appended.
  assert.equal(turnEnds.length, 1);
  endTurn();
  assert.deepEqual(delivered, [enc(["SET", "k", "v"], ["INCR", "n"], ["PING"])]);
  assert.equal(batch.pendingBytes, 0);
  // The next turn schedules again; the buffer is reused without stale bytes.
  batch.appendCommand(["DEL", "k"]);
  assert.equal(turnEnds.length, 1);
  endTurn();
  assert.deepEqual(delivered[1], enc(["DEL", "k"]));
});

Deno.test("StreamBatch: flush delivers at once; the turn's end then has nothing left", () => {
  const { batch, delivered, endTurn } = harness(1024);
  batch.appendCommand(["SET", "a", "1"]);
  batch.flush();
  assert.deepEqual(delivered, [enc(["SET", "a", "1"])]);
  endTurn();
  assert.equal(delivered.length, 1);
  batch.flush();
  assert.equal(delivered.length, 1);
});

Deno.test("StreamBatch: bounded; what does not fit goes after what was held, in order", () => {
  const { batch, delivered, endTurn } = harness(64);
  const small = ["SET", "k", "x".repeat(20)]; // 37 bytes
  batch.appendCommand(small);
  batch.appendCommand(small); // does not fit: the first is delivered before it is written
  assert.deepEqual(delivered, [enc(small)]);
  const big = ["SET", "k", "y".repeat(100)]; // larger than the buffer: delivered by itself
  assert.equal(batch.appendCommand(big), enc(big).length);
  assert.deepEqual(delivered, [enc(small), enc(small), enc(big)]);
  batch.appendBytes(new Uint8Array(enc(small)));
  batch.appendBytes(new Uint8Array(200).fill(7));
  assert.deepEqual(delivered.slice(3), [enc(small), new Array(200).fill(7)]);
  endTurn();
  assert.equal(delivered.length, 5);
  assert.equal(delivered.flat().length, 3 * enc(small).length + enc(big).length + 200);
});
