import assert from "node:assert/strict";
import { decodeBusMessage, encodeBusMessage, type PingMessage } from "../protocol/bus.ts";
import { buildFailMessage, buildPingMessage } from "../cluster/bus_header_build.ts";
import { addNode, createNode, createState, NodeFlags, updateNode } from "../cluster/state.ts";
import { Prng } from "../cluster/prng.ts";
import {
  peekConfigEpoch,
  peekFlags,
  peekGossipFlagged,
  peekSender,
  peekType,
} from "./packet_peek.ts";

const ID = (k: number) => k.toString(16).padStart(40, "0");
const CFG = { announcedIp: "", replOffset: 7, paused: false };

Deno.test("packet peek: type, sender, flags, config epoch and failing gossip as the decoder reads them", () => {
  let s = createState(ID(1), 1000);
  s = updateNode(s, ID(1), { configEpoch: 42, port: 7000, cport: 17000 });
  for (let k = 2; k <= 40; k++) {
    const flags = NodeFlags.MASTER | (k % 3 === 0 ? NodeFlags.PFAIL : 0) |
      (k % 7 === 0 ? NodeFlags.FAIL : 0);
    s = addNode(
      s,
      createNode(ID(k), flags, 1000, { ip: "10.0.0.1", port: 7000 + k, cport: 17000 + k }),
    );
    s = updateNode(s, ID(k), { linkState: "connected" });
  }
  const rng = new Prng(3);
  const messages = [
    buildPingMessage(s, "PING", rng, CFG),
    buildPingMessage(s, "PONG", rng, CFG),
    buildPingMessage(s, "MEET", rng, CFG),
    buildFailMessage(s, ID(7), CFG),
  ];
  let failing = 0;
  for (const m of messages) {
    const bytes = encodeBusMessage(m);
    const d = decodeBusMessage(bytes);
    assert.ok(d.ok);
    assert.equal(peekType(bytes), d.message.type);
    assert.equal(peekSender(bytes), d.message.header.sender);
    assert.equal(peekFlags(bytes), d.message.header.flags);
    assert.equal(peekConfigEpoch(bytes), Number(d.message.header.configEpoch));
    if (d.message.type === "FAIL") continue;
    const want = (d.message as PingMessage).gossip
      .filter((g) => g.flags & (NodeFlags.PFAIL | NodeFlags.FAIL))
      .map((g) => g.nodename);
    assert.deepEqual(peekGossipFlagged(bytes, NodeFlags.PFAIL | NodeFlags.FAIL), want);
    failing += want.length;
  }
  assert.ok(failing > 0, "some gossip flagged a node failing");
  assert.equal(peekConfigEpoch(encodeBusMessage(messages[0])), 42);
});
