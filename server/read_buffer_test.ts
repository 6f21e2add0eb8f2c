import assert from "node:assert/strict";
import { BIG_READ_BYTES, IDLE_READ_BYTES, READ_BYTES, ReadBuffer } from "./read_buffer.ts";
import { giveBuffer, pooledBuffers, takeBuffer } from "../protocol/buffer_pool.ts";

Deno.test("ReadBuffer: a connection waits with a small buffer while its reads fit in it", () => {
  const r = new ReadBuffer();
  assert.equal(READ_BYTES, 16 * 1024);
  assert.equal(IDLE_READ_BYTES, 1024);
  assert.equal(r.buf.length, IDLE_READ_BYTES);
  const small = r.buf;
  r.filled(14);
  r.filled(IDLE_READ_BYTES - 1);
  assert.equal(r.buf, small);
});

Deno.test("ReadBuffer: a full small read grows to 16 KiB, a full 16 KiB one to 64 KiB; a read that fits the small buffer goes back to it", () => {
  const r = new ReadBuffer();
  const small = r.buf;
  r.filled(IDLE_READ_BYTES);
  assert.equal(r.buf.length, READ_BYTES);
  const mid = r.buf;
  r.filled(IDLE_READ_BYTES + 1);
  assert.equal(r.buf, mid, "a pipelining client keeps its 16 KiB while reads exceed the small one");
  r.filled(READ_BYTES);
  assert.equal(r.buf.length, BIG_READ_BYTES);
  const big = r.buf;
  r.filled(BIG_READ_BYTES);
  assert.equal(r.buf, big, "the big buffer is kept while reads fill it");
  r.filled(READ_BYTES + 1);
  assert.equal(r.buf.length, READ_BYTES, "a short read into 64 KiB goes back to 16 KiB");
  r.filled(100);
  assert.equal(r.buf, small, "an idle connection waits with the small buffer only");
});

Deno.test("ReadBuffer: the 16 KiB buffer comes from the shared pool and goes back to it", () => {
  const r = new ReadBuffer();
  r.filled(IDLE_READ_BYTES);
  const mid = r.buf;
  const before = pooledBuffers();
  // While reads go into it, no one else can take it.
  const taken = Array.from({ length: before + 1 }, () => takeBuffer());
  assert.ok(!taken.includes(mid), "a buffer in use is not in the pool");
  for (const b of taken) giveBuffer(b);
  r.filled(10);
  assert.equal(pooledBuffers(), before + 2, "given back when reads fit the small buffer again");
  assert.equal(takeBuffer(), mid, "the next connection that needs one gets it");
  r.filled(IDLE_READ_BYTES);
  r.release();
  assert.equal(pooledBuffers(), before + 1, "a closed connection gives its 16 KiB back");
  assert.equal(r.buf.length, IDLE_READ_BYTES);
});

Deno.test("ReadBuffer: a read that finishes a request an earlier read began keeps the 16 KiB buffer", () => {
  // 16 pipelined ZADDs of redis-benchmark (1,152 B): the first read fills the small buffer, the
  // second brings the rest. The next batch must be read whole, not split again at 1 KiB.
  const r = new ReadBuffer();
  const small = r.buf;
  r.filled(IDLE_READ_BYTES);
  const mid = r.buf;
  assert.equal(mid.length, READ_BYTES);
  r.filled(128, true);
  assert.equal(r.buf, mid, "the tail of a batch bigger than the small buffer keeps 16 KiB");
  r.filled(1152);
  assert.equal(r.buf, mid, "the next batch arrives in one read");
  r.filled(128);
  assert.equal(r.buf, small, "a small read that starts afresh goes back to the small buffer");
  r.filled(100, true);
  assert.equal(r.buf, small, "a continuing read into the small buffer stays there");
  r.filled(IDLE_READ_BYTES);
  r.filled(READ_BYTES);
  assert.equal(r.buf.length, BIG_READ_BYTES);
  r.filled(10, true);
  assert.equal(r.buf.length, READ_BYTES, "a short continuing read into 64 KiB goes to 16 KiB");
  r.release();
});
