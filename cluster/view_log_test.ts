import assert from "node:assert/strict";
import { describeViewChange } from "./view_log.ts";
import { ID, makeState, range, T0 } from "../tests/bus_fixtures.ts";
import {
  addNode,
  assignSlots,
  createNode,
  deleteNode,
  NodeFlags,
  unassignSlots,
  updateNode,
} from "./state.ts";

const texts = (lines: { level: string; text: string }[]) =>
  lines.map((l) => `${l.level}: ${l.text}`);

Deno.test("view log: handshake started, then completed under the real name", () => {
  const s0 = makeState({ id: ID("a") });
  const hs = createNode(ID("9"), NodeFlags.MASTER | NodeFlags.HANDSHAKE, T0, {
    ip: "127.0.0.1",
    port: 30001,
    cport: 40001,
  });
  const s1 = addNode(s0, hs);
  assert.deepEqual(texts(describeViewChange(s0, s1)), [
    "notice: Handshake started with 127.0.0.1:30001",
  ]);
  const real = createNode(ID("b"), NodeFlags.MASTER, T0, {
    ip: "127.0.0.1",
    port: 30001,
    cport: 40001,
  });
  const s2 = addNode(deleteNode(s1, ID("9")), real);
  assert.deepEqual(texts(describeViewChange(s1, s2)), [
    `notice: Handshake with node ${ID("b")} (127.0.0.1:30001) completed`,
  ]);
  // Nothing changed: no lines.
  assert.deepEqual(describeViewChange(s2, s2), []);
  // A handshake that went away without a real node: verbose.
  assert.deepEqual(texts(describeViewChange(s1, s0)), [
    "verbose: Handshake with 127.0.0.1:30001 dropped",
  ]);
});

Deno.test("view log: nodes added and removed, PFAIL and back, FAIL left to the bus's lines", () => {
  const s0 = makeState({ id: ID("a") });
  const s1 = makeState({ id: ID("a") }, [{ id: ID("b") }]);
  assert.deepEqual(texts(describeViewChange(s0, s1)), [
    `notice: Node ${ID("b")} (127.0.0.1:30001) added to the cluster view`,
  ]);
  const pfail = updateNode(s1, ID("b"), { flags: NodeFlags.MASTER | NodeFlags.PFAIL });
  assert.deepEqual(texts(describeViewChange(s1, pfail)), [
    `notice: Node ${
      ID("b")
    } (127.0.0.1:30001) is not reachable (PFAIL: no reply within node-timeout)`,
  ]);
  assert.deepEqual(texts(describeViewChange(pfail, s1)), [
    `verbose: Node ${ID("b")} (127.0.0.1:30001) is reachable again`,
  ]);
  const fail = updateNode(s1, ID("b"), { flags: NodeFlags.MASTER | NodeFlags.FAIL });
  assert.deepEqual(describeViewChange(pfail, fail), []);
  assert.deepEqual(texts(describeViewChange(s1, s0)), [
    `notice: Node ${ID("b")} (127.0.0.1:30001) removed from the cluster view`,
  ]);
});

Deno.test("view log: slot ownership and roles", () => {
  const s0 = makeState({ id: ID("a"), slotRange: [0, 99] }, [{ id: ID("b") }, { id: ID("c") }]);
  const s1 = assignSlots(unassignSlots(s0, range([50, 99])), ID("b"), [...range([50, 60]), 70]);
  assert.deepEqual(texts(describeViewChange(s0, s1)), [
    `notice: Slots 50-60,70 now served by node ${ID("b")} (127.0.0.1:30001)`,
    "notice: Slots 61-69,71-99 now unassigned",
  ]);
  const s2 = updateNode(s1, ID("c"), { flags: NodeFlags.SLAVE, masterId: ID("b") });
  assert.deepEqual(texts(describeViewChange(s1, s2)), [
    `notice: Node ${ID("c")} (127.0.0.1:30002) is now a replica of node ${
      ID("b")
    } (127.0.0.1:30001)`,
  ]);
  assert.deepEqual(texts(describeViewChange(s2, s1)), [
    `notice: Node ${ID("c")} (127.0.0.1:30002) is now a master`,
  ]);
  const me = updateNode(s1, ID("a"), {
    flags: NodeFlags.SLAVE | NodeFlags.MYSELF,
    masterId: ID("b"),
  });
  assert.deepEqual(texts(describeViewChange(s1, me)), [
    `notice: Myself ${ID("a")} (127.0.0.1:30000) is now a replica of node ${
      ID("b")
    } (127.0.0.1:30001)`,
  ]);
});
