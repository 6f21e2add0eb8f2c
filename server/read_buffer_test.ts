import assert from "node:assert/strict";
import { BIG_READ_BYTES, READ_BYTES, ReadBuffer } from "./read_buffer.ts";

Deno.test("ReadBuffer: reads go into 16 KiB (PROTO_IOBUF_LEN) while they do not fill it", () => {
  const r = new ReadBuffer();
  assert.equal(READ_BYTES, 16 * 1024);
  assert.equal(r.buf.length, READ_BYTES);
  const small = r.buf;
  r.filled(14);
  r.filled(READ_BYTES - 1);
  assert.equal(r.buf, small);
});

Deno.test("ReadBuffer: a full read grows the next to 64 KiB; a short one goes back to 16 KiB", () => {
  const r = new ReadBuffer();
  const small = r.buf;
  r.filled(READ_BYTES);
  assert.equal(r.buf.length, BIG_READ_BYTES);
  const big = r.buf;
  r.filled(BIG_READ_BYTES);
  assert.equal(r.buf, big, "the big buffer is kept while reads fill it");
  r.filled(100);
  assert.equal(r.buf, small, "an idle connection waits with the small buffer only");
});
