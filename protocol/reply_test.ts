import assert from "node:assert/strict";
import { Reply } from "./reply.ts";

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
