import assert from "node:assert/strict";
import { Reply } from "./reply.ts";
import { POOLED_BUFFER_BYTES, pooledBuffers } from "./buffer_pool.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("reply: take() hands out the bytes and keeps them intact until the next take()", () => {
  const r = new Reply(16);
  r.status("first");
  const a = r.take();
  // Replies written after a take go to the other buffer: the taken bytes are still being sent.
  r.status("second, and longer than the first");
  assert.equal(text(a), "+first\r\n");
  const b = r.take();
  assert.equal(text(b), "+second, and longer than the first\r\n");
  r.int(42);
  assert.equal(text(b), "+second, and longer than the first\r\n");
  assert.equal(text(r.take()), ":42\r\n");
  assert.equal(r.len, 0);
});

Deno.test("reply: a buffer grown past 1 MiB is not kept for reuse", () => {
  const r = new Reply(16);
  r.bulk(new Uint8Array(2 * 1024 * 1024));
  const big = r.take();
  assert.equal(big.length, 2 * 1024 * 1024 + 12); // "$2097152\r\n" + the bytes + "\r\n"
  r.ok();
  assert.equal(text(r.take()), "+OK\r\n");
  // The big buffer was dropped: the writer is back to a small one.
  r.ok();
  assert.ok(r.buf.length < 1024 * 1024);
});

Deno.test("reply: bulkBinary writes a binary string's chars as bytes, as bulk() writes them", () => {
  const all = new Uint8Array(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  let s = "";
  for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
  const ascii = all.subarray(0, 128);
  const cases: [string, Uint8Array][] = [["", new Uint8Array(0)], ["abc", all.subarray(97, 100)]];
  // Long ones: all ASCII (encodeInto), and with a byte above 0x7F at the start, middle or end.
  for (const n of [128, 129, 1000]) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = ascii[(i * 7) % 128];
    cases.push([String.fromCharCode(...b), b.slice()]);
    for (const at of [0, n >> 1, n - 1]) {
      const c = b.slice();
      c[at] = 0x80 + (at % 128);
      cases.push([String.fromCharCode(...c), c]);
    }
  }
  cases.push([s, all]);
  for (const [text, bytes] of cases) {
    const a = new Reply(16);
    a.bulkBinary(text as string);
    const b = new Reply(16);
    b.bulk(bytes as Uint8Array);
    assert.deepEqual(a.take(), b.take());
  }
  const r = new Reply(8);
  r.bulkBinary("\x00\xff\r\n");
  r.bulkBinary("0123456789");
  assert.deepEqual(
    [...r.take()],
    [...new TextEncoder().encode("$4\r\n"), 0, 255, 13, 10, ...new TextEncoder().encode("\r\n")]
      .concat([...new TextEncoder().encode("$10\r\n0123456789\r\n")]),
  );
});

Deno.test("reply: a connection's writer holds no buffer until its first write, and none once its reply is written", () => {
  const r = new Reply();
  assert.equal(r.buf.length, 0, "no buffer before the first write");
  r.status("OK");
  assert.equal(r.buf.length, POOLED_BUFFER_BYTES, "the first write takes a pooled buffer");
  const out = r.take();
  assert.equal(r.buf.length, 0, "none after a take");
  const before = pooledBuffers();
  assert.equal(text(out), "+OK\r\n");
  r.written();
  assert.equal(pooledBuffers(), before + 1, "the written buffer goes back to the pool");
  r.written();
  assert.equal(pooledBuffers(), before + 1, "only once");
  // The next writer to need one gets it, and its bytes are its own.
  const other = new Reply();
  other.int(7);
  assert.equal(other.buf.buffer, out.buffer);
  assert.equal(text(other.take()), ":7\r\n");
});

Deno.test("reply: bytes taken and not yet written are never handed to another writer", () => {
  const r = new Reply();
  r.status("in flight");
  const out = r.take();
  // No written(): a second take (a client dropped while its write is in progress) keeps them.
  r.status("dropped");
  r.take();
  const others = [new Reply(), new Reply(), new Reply()];
  for (const o of others) o.status("someone else's reply, long enough to overwrite");
  assert.equal(text(out), "+in flight\r\n");
  for (const o of others) assert.notEqual(o.buf.buffer, out.buffer);
});

Deno.test("reply: a writer whose replies outgrew the pooled size keeps its own pair", () => {
  const r = new Reply();
  r.bulk(new Uint8Array(POOLED_BUFFER_BYTES * 2));
  const first = r.take();
  r.written();
  r.bulk(new Uint8Array(POOLED_BUFFER_BYTES * 2));
  const second = r.take();
  r.written();
  r.ok();
  assert.equal(r.buf.buffer, first.buffer, "the grown buffers alternate, none is reallocated");
  assert.notEqual(second.buffer, first.buffer);
});
