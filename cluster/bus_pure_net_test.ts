/**
 * Whole-cluster scenarios of the pure bus rules, without sockets: several ClusterStates exchange
 * real encoded/decoded bus packets through PureBusNet (cluster/bus_pure_net.ts) on a simulated
 * clock with a fixed seed.
 */

import assert from "node:assert/strict";
import { PureBusNet } from "./bus_pure_net.ts";
import { describeNodes } from "./nodes_conf.ts";
import {
  assertInvariants,
  assignSlots,
  blacklistAdd,
  bumpEpoch,
  CLUSTER_SLOTS,
  type ClusterState,
  deleteNode,
  NodeFlags,
  ownerRuns,
  unassignSlots,
  updateNode,
} from "./state.ts";

function nodeIn(net: PureBusNet, viewer: number, subject: number) {
  return net.nodes[viewer].state.nodes.get(net.id(subject));
}

function flagsIn(net: PureBusNet, viewer: number, subject: number): number {
  const n = nodeIn(net, viewer, subject);
  assert.ok(n, `node ${viewer} does not know node ${subject}`);
  return n.flags;
}

function logTexts(net: PureBusNet, i: number): string[] {
  return net.nodes[i].logs.map((l) => l.text);
}

/** Everyone knows everyone (and nothing else), nobody in handshake. */
function assertFullMesh(net: PureBusNet): void {
  const n = net.nodes.length;
  for (let i = 0; i < n; i++) {
    const s = net.nodes[i].state;
    assert.equal(s.nodes.size, n, `node ${i} knows ${s.nodes.size} nodes`);
    for (let j = 0; j < n; j++) {
      const f = flagsIn(net, i, j);
      assert.equal(f & NodeFlags.HANDSHAKE, 0);
      assert.equal(f & (NodeFlags.PFAIL | NodeFlags.FAIL), 0, `node ${i} sees ${j} failing`);
    }
    assertInvariants(s);
  }
}

function slotTable(s: ClusterState): string {
  return JSON.stringify(ownerRuns(s));
}

function joinedCluster(count: number, seed: number): PureBusNet {
  const net = new PureBusNet(count, seed);
  const per = Math.floor(CLUSTER_SLOTS / count);
  for (let i = 0; i < count; i++) {
    net.addSlots(i, i * per, i === count - 1 ? CLUSTER_SLOTS - 1 : (i + 1) * per - 1);
  }
  for (let j = 1; j < count; j++) net.meet(0, j);
  net.run(6000);
  return net;
}

Deno.test("bus net: MEET handshakes complete and everyone learns everyone by gossip", () => {
  const net = new PureBusNet(5, 7);
  // Only node 0 is told about the others; 4 never hears of 1..3 except by gossip.
  net.meet(0, 1);
  net.meet(0, 2);
  net.meet(0, 3);
  net.meet(1, 4);
  net.run(5000);
  assertFullMesh(net);
  // Handshake nodes were renamed to the real ids (logged), and own IPs were learned.
  assert.ok(logTexts(net, 0).some((t) => t === `Handshake with node ${net.id(1)} completed.`));
  for (let i = 0; i < 5; i++) {
    assert.equal(net.nodes[i].state.nodes.get(net.id(i))!.ip, "127.0.0.1");
    assert.ok(net.nodes[i].saves > 0, "config saved");
  }
  // Addresses learned for every node match their real ports.
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      const n = nodeIn(net, i, j)!;
      assert.equal(n.port, 30000 + j);
      assert.equal(n.cport, 40000 + j);
      if (i !== j) assert.equal(n.linkState, "connected");
    }
  }
});

Deno.test("bus net: slots spread by PING/PONG and all views agree; cluster_state ok", () => {
  const net = joinedCluster(4, 11);
  assertFullMesh(net);
  const t0 = slotTable(net.nodes[0].state);
  for (let i = 1; i < 4; i++) assert.equal(slotTable(net.nodes[i].state), t0);
  for (let j = 0; j < 4; j++) assert.equal(net.nodes[0].state.slotOwner[j * 4096], net.id(j));
  for (const n of net.nodes) {
    assert.equal(n.state.health, "ok");
    assert.equal(n.state.size, 4);
  }
});

Deno.test("bus net: epoch collision among 3 fresh masters ends with distinct epochs", () => {
  for (const seed of [1, 2, 3]) {
    const net = new PureBusNet(3, seed);
    net.meet(0, 1);
    net.meet(0, 2);
    net.run(6000);
    assertFullMesh(net);
    const epochs = net.nodes.map((n) => n.state.nodes.get(n.state.myselfId)!.configEpoch);
    assert.equal(new Set(epochs).size, 3, `epochs not distinct: ${epochs}`);
    // The greatest id never moves: it keeps epoch 0.
    const ids = net.nodes.map((n) => n.state.myselfId);
    const greatest = ids.indexOf([...ids].sort().at(-1)!);
    assert.equal(epochs[greatest], 0);
    assert.ok(!logTexts(net, greatest).some((t) => t.includes("configEpoch collision")));
    // Every node agrees on everybody's epoch; currentEpoch >= all.
    for (const n of net.nodes) {
      for (let j = 0; j < 3; j++) {
        assert.equal(n.state.nodes.get(net.id(j))!.configEpoch, epochs[j]);
      }
      assert.ok(n.state.currentEpoch >= Math.max(...epochs));
    }
  }
});

Deno.test("bus net: silent master goes PFAIL after node timeout, FAIL by majority, FAIL broadcast", () => {
  const net = joinedCluster(4, 21);
  assertFullMesh(net);
  const victim = 3;
  const killedAt = net.nowMs;
  net.kill(victim);
  // Before node_timeout (2000 ms) nobody suspects it.
  net.run(1500);
  for (let i = 0; i < 3; i++) {
    assert.equal(flagsIn(net, i, victim) & (NodeFlags.PFAIL | NodeFlags.FAIL), 0);
  }
  // Run until everyone sees FAIL.
  let failAt = 0;
  for (let t = 0; t < 10000 && failAt === 0; t += 100) {
    net.tick();
    if ([0, 1, 2].every((i) => flagsIn(net, i, victim) & NodeFlags.FAIL)) failAt = net.nowMs;
  }
  assert.ok(failAt > 0, "victim never marked FAIL everywhere");
  assert.ok(failAt - killedAt > 2000, "FAIL before node timeout");
  const marker = [0, 1, 2].filter((i) =>
    logTexts(net, i).includes(`Marking node ${net.id(victim)} as failing (quorum reached).`)
  );
  assert.ok(marker.length >= 1, "nobody logged the quorum");
  // The marking node broadcast FAIL; the others that didn't reach quorum themselves got it.
  for (const i of marker) assert.ok((net.nodes[i].sent.get("FAIL") ?? 0) >= 1);
  for (const i of [0, 1, 2]) {
    if (!marker.includes(i)) {
      assert.ok(
        logTexts(net, i).some((t) =>
          t.startsWith("FAIL message received from ") && t.endsWith(net.id(victim))
        ),
      );
    }
    // Slots of a FAIL master -> cluster_state fail (full coverage required).
    assert.equal(net.nodes[i].state.health, "fail");
    assert.equal(flagsIn(net, i, victim) & NodeFlags.PFAIL, 0);
    assert.ok(nodeIn(net, i, victim)!.failTimeMs > 0);
  }
});

Deno.test("bus net: FAIL of a master with slots clears only after 2 x node timeout; slot-less at once", () => {
  // Four slot owners and a 5th, slot-less master.
  const net5 = new PureBusNet(5, 31);
  for (let i = 0; i < 4; i++) net5.addSlots(i, i * 4096, i * 4096 + 4095);
  for (let j = 1; j < 5; j++) net5.meet(0, j);
  net5.run(6000);
  assertFullMesh(net5);
  // Kill a slot-owning master and the slot-less one.
  net5.kill(3);
  net5.kill(4);
  const allSeeFail = () =>
    [0, 1, 2].every((i) => (flagsIn(net5, i, 3) & flagsIn(net5, i, 4) & NodeFlags.FAIL) !== 0);
  for (let t = 0; t < 10_000 && !allSeeFail(); t += 100) net5.tick();
  assert.ok(allSeeFail(), "both never FAIL everywhere");
  const failTime = Math.max(...[0, 1, 2].map((i) => nodeIn(net5, i, 3)!.failTimeMs));
  // Bring both back right away: the slot-less one is cleared at its first PONG...
  net5.revive(3);
  net5.revive(4);
  net5.run(1500);
  assert.ok(net5.nowMs - failTime < 4000);
  for (const i of [0, 1, 2]) assert.equal(flagsIn(net5, i, 4) & NodeFlags.FAIL, 0);
  assert.ok(
    logTexts(net5, 0).includes(
      `Clear FAIL state for node ${net5.id(4)}: master without slots is reachable again.`,
    ),
  );
  // ...the one with slots stays FAIL until 2 x node_timeout after fail_time.
  for (const i of [0, 1, 2]) assert.ok(flagsIn(net5, i, 3) & NodeFlags.FAIL, `node ${i}`);
  net5.run(5000);
  for (const i of [0, 1, 2]) {
    assert.equal(flagsIn(net5, i, 3) & NodeFlags.FAIL, 0, `node ${i} still sees FAIL`);
    assert.equal(net5.nodes[i].state.health, "ok");
  }
  assert.ok(
    logTexts(net5, 0).includes(
      `Clear FAIL state for node ${
        net5.id(3)
      }: is reachable again and nobody is serving its slots after some time.`,
    ),
  );
});

Deno.test("bus net: an UPDATE corrects a stale slot claimer, which becomes a replica", () => {
  const net = joinedCluster(3, 41);
  assertFullMesh(net);
  const stale = 2;
  const winner = 1;
  // The stale master is cut off; meanwhile node 1 takes its slots with a newer epoch (as a
  // failover would), and node 0 learns it from node 1's pings.
  net.kill(stale);
  const slotsOf2: number[] = [];
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    if (net.nodes[winner].state.slotOwner[j] === net.id(stale)) slotsOf2.push(j);
  }
  let s1 = net.nodes[winner].state;
  s1 = unassignSlots(s1, slotsOf2);
  s1 = assignSlots(s1, s1.myselfId, slotsOf2);
  s1 = bumpEpoch(s1).state;
  net.nodes[winner].state = s1;
  net.run(3000);
  assert.equal(net.nodes[0].state.slotOwner[slotsOf2[0]], net.id(winner));
  // The stale node comes back still claiming its old slots at its old epoch.
  assert.equal(net.nodes[stale].state.slotOwner[slotsOf2[0]], net.id(stale));
  net.revive(stale);
  net.run(6000);
  // It got UPDATE(s) and reconfigured itself as a replica of the winner.
  assert.ok((net.nodes[0].sent.get("UPDATE") ?? 0) + (net.nodes[1].sent.get("UPDATE") ?? 0) >= 1);
  assert.ok(
    logTexts(net, stale).includes(
      `Configuration change detected. Reconfiguring myself as a replica of ${net.id(winner)}`,
    ),
  );
  const me = net.nodes[stale].state.nodes.get(net.id(stale))!;
  assert.ok(me.flags & NodeFlags.SLAVE);
  assert.equal(me.masterId, net.id(winner));
  assert.equal(me.numSlots, 0);
  assert.deepEqual(net.nodes[stale].replicateTo.at(-1), net.id(winner));
  // Everybody agrees on slots and sees node 2 as a replica of node 1.
  const t0 = slotTable(net.nodes[0].state);
  for (let i = 1; i < 3; i++) assert.equal(slotTable(net.nodes[i].state), t0);
  for (let i = 0; i < 2; i++) {
    assert.ok(flagsIn(net, i, stale) & NodeFlags.SLAVE);
    assert.equal(nodeIn(net, i, stale)!.masterId, net.id(winner));
  }
  for (const n of net.nodes) assertInvariants(n.state);
});

Deno.test("bus net: a forgotten (blacklisted) node is not re-added by gossip until the TTL ends", () => {
  const net = joinedCluster(4, 51);
  assertFullMesh(net);
  const gone = net.id(3);
  // CLUSTER FORGET on node 0 only: others keep gossiping about node 3.
  let s0 = net.nodes[0].state;
  s0 = blacklistAdd(deleteNode(s0, gone), gone, net.nowMs);
  net.nodes[0].state = s0;
  const l = net.nodes[0].outbound.get(gone);
  assert.ok(l);
  net.nodes[0].outbound.delete(gone);
  net.run(20_000);
  assert.equal(net.nodes[0].state.nodes.has(gone), false, "re-added within the TTL");
  // Node 3 itself still pings node 0: answered but ignored.
  assert.ok((net.nodes[3].sent.get("PING") ?? 0) > 0);
  net.run(45_000);
  assert.equal(net.nodes[0].state.nodes.has(gone), true, "not re-added after the TTL");
});

Deno.test("bus net: a replica is learned with its master and sends the master's slots", () => {
  const net = new PureBusNet(3, 61);
  net.addSlots(0, 0, 8191);
  net.addSlots(1, 8192, 16383);
  net.meet(0, 1);
  net.meet(0, 2);
  net.run(3000);
  // Node 2 becomes a replica of node 0 (CLUSTER REPLICATE-like direct state edit).
  let s2 = net.nodes[2].state;
  const me2 = s2.nodes.get(s2.myselfId)!;
  s2 = updateNode(s2, me2.id, {
    flags: (me2.flags & ~NodeFlags.MASTER) | NodeFlags.SLAVE,
    masterId: net.id(0),
  });
  net.nodes[2].state = s2;
  net.run(3000);
  for (const i of [0, 1]) {
    assert.ok(flagsIn(net, i, 2) & NodeFlags.SLAVE);
    assert.equal(nodeIn(net, i, 2)!.masterId, net.id(0));
    // MIGRATE_TO: a master gaining a replica.
    assert.ok(flagsIn(net, i, 0) & NodeFlags.MIGRATE_TO);
  }
  assertFullMesh(net);
});

Deno.test("bus net: without full coverage a FAIL master's slots don't fail a majority cluster", () => {
  const net = new PureBusNet(4, 71, { requireFullCoverage: false });
  for (let i = 0; i < 4; i++) net.addSlots(i, i * 4096, i * 4096 + 4095);
  for (let j = 1; j < 4; j++) net.meet(0, j);
  net.run(6000);
  assertFullMesh(net);
  net.kill(3);
  net.run(8000);
  for (const i of [0, 1, 2]) {
    assert.ok(flagsIn(net, i, 3) & NodeFlags.FAIL);
    assert.equal(net.nodes[i].state.health, "ok");
  }
  // Two of four masters gone: no majority -> fail.
  net.kill(2);
  net.run(8000);
  for (const i of [0, 1]) assert.equal(net.nodes[i].state.health, "fail");
});

Deno.test("bus net: the same seed replays the same cluster exactly", () => {
  const run = () => {
    const net = new PureBusNet(4, 99);
    net.addSlots(0, 0, 16383);
    for (let j = 1; j < 4; j++) net.meet(0, j);
    net.run(4000);
    net.kill(2);
    net.run(5000);
    return net.nodes.map((n) => describeNodes(n.state) + n.logs.length).join("|");
  };
  assert.equal(run(), run());
});
