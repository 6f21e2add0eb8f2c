import assert from "node:assert/strict";
import { Backlog } from "./backlog.ts";

const b = (s: string) => new TextEncoder().encode(s);
const t = (u: Uint8Array) => new TextDecoder().decode(u);

Deno.test("backlog: append, wrap, covers, from", () => {
  const bl = new Backlog(8, 0);
  assert.equal(bl.firstByteOffset, 1);
  assert.ok(bl.covers(1));
  bl.append(b("abcde"));
  assert.equal(bl.histlen, 5);
  assert.equal(t(bl.from(1)), "abcde");
  assert.equal(t(bl.from(3)), "cde");
  assert.equal(t(bl.from(6)), "");
  bl.append(b("fghij")); // 10 bytes written, 8 held: offsets 3..10
  assert.equal(bl.firstByteOffset, 3);
  assert.equal(bl.histlen, 8);
  assert.equal(t(bl.from(3)), "cdefghij");
  assert.ok(!bl.covers(2));
  assert.ok(bl.covers(11));
  assert.ok(!bl.covers(12));
  bl.append(b("0123456789xy")); // larger than the buffer
  assert.equal(bl.firstByteOffset, 23 - 8 + 0);
  assert.equal(t(bl.from(bl.firstByteOffset)), "456789xy");
});

Deno.test("backlog: starts at a later offset, resize keeps the newest bytes", () => {
  const bl = new Backlog(4, 100);
  bl.append(b("abcdef"));
  assert.equal(bl.firstByteOffset, 103);
  assert.equal(t(bl.from(103)), "cdef");
  bl.resize(2);
  assert.equal(bl.firstByteOffset, 105);
  assert.equal(t(bl.from(105)), "ef");
  bl.resize(6);
  bl.append(b("gh"));
  assert.equal(t(bl.from(105)), "efgh");
});
