import assert from "node:assert/strict";
import { verifyConfigWithData } from "./verify_data.ts";
import { addNode, addSlots, createNode, createState, NodeFlags } from "./state.ts";

const ME = "a".repeat(40);
const B = "b".repeat(40);

Deno.test("data check: keys in an unowned slot claim it; in another's slot, import it; owned or importing slots stay", () => {
  let s = createState(ME, 0);
  s = addNode(s, createNode(B, NodeFlags.MASTER, 0));
  const mine = addSlots(s, [[0, 9]]);
  assert.ok("state" in mine);
  s = mine.state;
  const slotOwner = s.slotOwner.withOwner([20], B);
  s = { ...s, slotOwner, importingSlotsFrom: new Map([[30, B]]) };
  const r = verifyConfigWithData(s, [5, 15, 20, 30]);
  assert.equal(r.state.slotOwner.get(5), ME);
  assert.equal(r.state.slotOwner.get(15), ME);
  assert.equal(r.state.slotOwner.get(20), B);
  assert.equal(r.state.importingSlotsFrom.get(20), B);
  assert.equal(r.state.importingSlotsFrom.get(30), B);
  assert.deepEqual(r.logs, [
    "I have keys for unassigned slot 15. Taking responsibility for it.",
    "I have keys for slot 20, but the slot is assigned to another node. Setting it to importing state.",
  ]);
  assert.equal(verifyConfigWithData(r.state, [5, 15, 20, 30]).logs.length, 0);
});

Deno.test("data check: a replica is left alone", () => {
  let s = createState(ME, 0);
  s = addNode(s, createNode(B, NodeFlags.MASTER, 0));
  const me = { ...s.nodes.get(ME)!, flags: NodeFlags.MYSELF | NodeFlags.SLAVE, masterId: B };
  s = { ...s, nodes: new Map([...s.nodes, [ME, me]]) };
  const r = verifyConfigWithData(s, [1, 2, 3]);
  assert.equal(r.state, s);
  assert.deepEqual(r.logs, []);
});
