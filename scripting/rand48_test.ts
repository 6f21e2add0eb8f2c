import assert from "node:assert/strict";
import { Rand48 } from "./rand48.ts";

Deno.test("rand48: srand48/lrand48 as glibc computes them (the same generator Redis ships)", () => {
  // glibc: srand48(0); lrand48() three times.
  const r = new Rand48();
  r.seed(0);
  assert.deepEqual([r.next(), r.next(), r.next()], [366850414, 1610402240, 206956554]);
});

Deno.test("rand48: the unseeded state gives what a fresh redis-server's math.random gives", () => {
  // redis-server 7.0.15 just started: EVAL "return math.random(1000000)" 0, three times.
  const r = new Rand48();
  const random = (u: number) => Math.floor(((r.next() % 0x7fffffff) / 0x7fffffff) * u) + 1;
  assert.deepEqual([random(1000000), random(1000000), random(1000000)], [396465, 840486, 353337]);
});
