import assert from "node:assert/strict";
import { KeyLocks } from "./key_locks.ts";
import { keyIndices } from "./dispatch.ts";
import { fromTable } from "../commands/types.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const set = fromTable("set", () => {});
const get = fromTable("get", () => {});
const mset = fromTable("mset", () => {});

Deno.test("KeyLocks: counted locks, only writes to locked keys block, waiters wake on unlock", async () => {
  const l = new KeyLocks();
  const q = (def: typeof set, ...args: string[]) => ({
    def,
    fullname: def.name,
    argv: [enc(def.name), ...args.map(enc)],
  });
  assert.equal(l.size, 0);
  l.lock(["a", "b"]);
  l.lock(["a"]);
  assert.equal(l.size, 2);
  assert.equal(l.blocks([q(set, "a", "1")], keyIndices), true);
  assert.equal(l.blocks([q(get, "a")], keyIndices), false);
  assert.equal(l.blocks([q(set, "c", "1")], keyIndices), false);
  // MSET's values are not keys: "a" as a value does not block.
  assert.equal(l.blocks([q(mset, "c", "a", "d", "b")], keyIndices), false);
  assert.equal(l.blocks([q(mset, "c", "1", "b", "2")], keyIndices), true);
  // EXEC: any queued write on a locked key.
  assert.equal(l.blocks([q(get, "a"), q(set, "b", "x")], keyIndices), true);
  let woke = 0;
  const w = l.wait().then(() => woke++);
  l.unlock(["a"]);
  await w;
  assert.equal(woke, 1);
  assert.equal(l.isLocked("a"), true); // locked twice
  l.unlock(["a", "b"]);
  assert.equal(l.size, 0);
  assert.throws(() => l.unlock(["a"]));
});
