import assert from "node:assert/strict";
import { Db, newExpiryClock } from "./db.ts";

Deno.test("Db: a key expires once the clock is past its time, not at it (keyIsExpired: now > when)", () => {
  let nowMs = 1_000;
  const db = new Db(() => nowMs);
  db.set("k", "v");
  assert.equal(db.setExpire("k", 1_005), true);
  nowMs = 1_005;
  assert.equal(db.lookup("k"), "v");
  nowMs = 1_006;
  assert.equal(db.lookup("k"), undefined);
});

Deno.test("Db: while a command runs, the keyspace's clock answers its first read (fixed_time_expire)", () => {
  let nowMs = 1_000;
  const clock = newExpiryClock();
  const db = new Db(() => nowMs, 0, undefined, undefined, clock);
  db.set("k", "v");
  db.setExpire("k", 1_002);
  clock.inCommand = true;
  assert.equal(db.lookup("k"), "v"); // first read: 1000
  nowMs = 1_050;
  assert.equal(db.now(), 1_000);
  assert.equal(db.lookup("k"), "v", "the command's time, not the clock's");
  clock.inCommand = false;
  clock.commandMs = null;
  assert.equal(db.now(), 1_050);
  assert.equal(db.lookup("k"), undefined);
  // A script's start time comes first.
  db.set("s", "v");
  db.setExpire("s", 1_060);
  clock.scriptMs = 1_055;
  nowMs = 1_100;
  assert.equal(db.lookup("s"), "v");
  clock.scriptMs = null;
  assert.equal(db.lookup("s"), undefined);
});
