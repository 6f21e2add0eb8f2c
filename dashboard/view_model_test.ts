import assert from "node:assert/strict";
import { parseClusterNodes } from "../manager/nodes_text.ts";
import {
  addressesToWatch,
  buildView,
  expandRanges,
  type NodeReport,
  parseInfo,
  parseInfoFields,
  parseLinkMachines,
  peerState,
  slotRanges,
  unreachableView,
} from "./view_model.ts";

// Three masters (A, B, C) with one replica each (D of A, E of B, F of C), as CLUSTER NODES
// prints them; `me` names the reporter, `flags` overrides flags of other lines.
const ID = {
  A: "a".repeat(40),
  B: "b".repeat(40),
  C: "c".repeat(40),
  D: "d".repeat(40),
  E: "e".repeat(40),
  F: "f".repeat(40),
};
type Name = keyof typeof ID;
const PORT: Record<Name, number> = { A: 7000, B: 7001, C: 7002, D: 7003, E: 7004, F: 7005 };
const SLOTS: Partial<Record<Name, string>> = { A: "0-5460", B: "5461-10922", C: "10923-16383" };
const MASTER: Partial<Record<Name, Name>> = { D: "A", E: "B", F: "C" };
const EPOCH: Record<Name, number> = { A: 1, B: 2, C: 3, D: 1, E: 2, F: 3 };

function nodesText(
  me: Name,
  opts: {
    flags?: Partial<Record<Name, string>>;
    slots?: Partial<Record<Name, string>>;
    epoch?: Partial<Record<Name, number>>;
    master?: Partial<Record<Name, Name | null>>;
    link?: Partial<Record<Name, string>>;
    extra?: string[];
  } = {},
): string {
  const lines: string[] = [];
  for (const n of Object.keys(ID) as Name[]) {
    const m = n in (opts.master ?? {}) ? opts.master![n] : MASTER[n];
    let flags = opts.flags?.[n] ?? (m ? "slave" : "master");
    if (n === me) flags = `myself,${flags}`;
    const slots = opts.slots?.[n] ?? (m ? "" : SLOTS[n] ?? "");
    lines.push(
      [
        ID[n],
        `127.0.0.1:${PORT[n]}@${PORT[n] + 10000}`,
        flags,
        m ? ID[m] : "-",
        "0",
        "0",
        String(opts.epoch?.[n] ?? EPOCH[m ?? n]),
        opts.link?.[n] ?? "connected",
        ...(slots === "" ? [] : slots.split(" ")),
      ].join(" "),
    );
  }
  return [...lines, ...(opts.extra ?? [])].join("\n") + "\n";
}

function report(me: Name, text: string, info: Record<string, string> = {}): NodeReport {
  return {
    addr: `127.0.0.1:${PORT[me]}`,
    polled: true,
    reachable: true,
    error: null,
    lines: parseClusterNodes(text),
    info: new Map(Object.entries(info)),
    links: null,
    machines: null,
    rttMs: 0.5,
    opsHistory: [1, 2],
    rttHistory: [0.5],
  };
}

function down(me: Name): NodeReport {
  return {
    addr: `127.0.0.1:${PORT[me]}`,
    polled: true,
    reachable: false,
    error: "connection refused",
    lines: null,
    info: null,
    links: null,
    machines: null,
    rttMs: null,
    opsHistory: [],
    rttHistory: [],
  };
}

const all = (Object.keys(ID) as Name[]).map((n) => report(n, nodesText(n)));

Deno.test("buildView: a healthy cluster: every slot owned, masters before their replicas", () => {
  const v = buildView(all, 1000);
  assert.equal(v.covered, 16384);
  assert.deepEqual(v.slots, [
    [0, 5460, ID.A],
    [5461, 10922, ID.B],
    [10923, 16383, ID.C],
  ]);
  assert.deepEqual(v.slotCounts, { [ID.A]: 5461, [ID.B]: 5462, [ID.C]: 5461 });
  assert.deepEqual(v.nodes.map((n) => n.addr.slice(-4)), [
    "7000",
    "7003",
    "7001",
    "7004",
    "7002",
    "7005",
  ]);
  const d = v.nodes.find((n) => n.id === ID.D)!;
  assert.equal(d.role, "replica");
  assert.equal(d.masterId, ID.A);
  assert.ok(v.nodes.every((n) => n.failState === "ok" && n.reachable));
  assert.equal(v.links.length, 30);
  assert.ok(v.links.every((l) => l.state === "connected" && l.outbound === null));
  assert.equal(v.open.length, 0);
  assert.equal(v.timeMs, 1000);
});

Deno.test("buildView: PFAIL and FAIL come from the other nodes' flags; unreachable from the poller", () => {
  const pfail = buildView([
    ...all.slice(1, 3),
    report("D", nodesText("D", { flags: { A: "master,fail?" }, link: { A: "disconnected" } })),
    down("A"),
  ], 0);
  const a = pfail.nodes.find((n) => n.id === ID.A)!;
  assert.equal(a.failState, "pfail");
  assert.equal(a.failReports, 1);
  assert.equal(a.reachable, false);
  assert.equal(a.slots, 5461, "its slots are still its own");
  assert.equal(pfail.links.find((l) => l.from === ID.D && l.to === ID.A)!.state, "pfail");
  assert.equal(pfail.links.find((l) => l.from === ID.B && l.to === ID.A)!.state, "connected");
  const fail = buildView([
    report("B", nodesText("B", { flags: { A: "master,fail" } })),
    report("C", nodesText("C", { flags: { A: "master,fail?" } })),
    down("A"),
  ], 0);
  assert.equal(fail.nodes.find((n) => n.id === ID.A)!.failState, "fail");
  assert.equal(fail.nodes.find((n) => n.id === ID.A)!.failReports, 2);
});

Deno.test("buildView: the highest configEpoch wins a slot claimed by two masters", () => {
  // After a failover D (epoch 7) owns A's slots; B has not heard yet.
  const promoted = {
    master: { D: null, A: "D" as Name },
    flags: { D: "master", A: "slave" },
    slots: { D: "0-5460", A: "" },
    epoch: { D: 7, A: 7 },
  };
  const v = buildView([
    report("B", nodesText("B")),
    report("D", nodesText("D", promoted)),
  ], 0);
  assert.equal(v.slotCounts[ID.D], 5461);
  assert.equal(v.slotCounts[ID.A], undefined);
  assert.equal(v.nodes.find((n) => n.id === ID.D)!.role, "master");
  assert.equal(v.covered, 16384);
});

Deno.test("buildView: open slots from each node's own line; uncovered slots have no owner", () => {
  const v = buildView([
    report("A", nodesText("A", { slots: { A: `1-5460 [0->-${ID.B}]` } })),
    report("B", nodesText("B", { slots: { A: "1-5460", B: `5461-10922 [0-<-${ID.A}]` } })),
  ], 0);
  assert.deepEqual(v.open, [
    { slot: 0, nodeId: ID.B, kind: "importing", peerId: ID.A },
    { slot: 0, nodeId: ID.A, kind: "migrating", peerId: ID.B },
  ]);
  assert.equal(v.covered, 16383);
  assert.deepEqual(v.slots[0], [0, 0, null]);
});

Deno.test("buildView: handshake and noaddr links; CLUSTER LINKS connections", () => {
  const r = report(
    "A",
    nodesText("A", {
      flags: { B: "master,noaddr" },
      extra: [`${"9".repeat(40)} 127.0.0.1:7009@17009 handshake - 0 0 0 connected`],
    }),
  );
  r.links = [
    { direction: "to", nodeId: ID.C, createTimeMs: 1 },
    { direction: "from", nodeId: ID.C, createTimeMs: 2 },
    { direction: "from", nodeId: ID.D, createTimeMs: 2 },
  ];
  const v = buildView([r], 0);
  const link = (to: string) => v.links.find((l) => l.to === to)!;
  assert.equal(link(ID.B).state, "noaddr");
  assert.equal(link("9".repeat(40)).state, "handshake");
  assert.equal(link("9".repeat(40)).toAddr, "127.0.0.1:7009");
  assert.deepEqual([link(ID.C).outbound, link(ID.C).inbound], [true, true]);
  assert.deepEqual([link(ID.D).outbound, link(ID.D).inbound], [false, true]);
  assert.deepEqual([link(ID.E).outbound, link(ID.E).inbound], [false, false]);
  assert.ok(!v.nodes.some((n) => n.id === "9".repeat(40)), "a handshake is not a node yet");
});

Deno.test("buildView: INFO numbers, replication lag in bytes and seconds, cluster state", () => {
  const v = buildView([
    report("A", nodesText("A"), {
      master_repl_offset: "1000",
      used_memory: "2048",
      instantaneous_ops_per_sec: "42",
      db0: "keys=7,expires=0,avg_ttl=0",
      slave0: "ip=127.0.0.1,port=7003,state=online,offset=900,lag=1",
      cluster_state: "ok",
      cluster_current_epoch: "6",
    }),
    report("D", nodesText("D"), {
      master_repl_offset: "900",
      master_link_status: "up",
      cluster_state: "ok",
      cluster_current_epoch: "6",
    }),
  ], 0);
  const a = v.nodes.find((n) => n.id === ID.A)!;
  assert.deepEqual(
    [a.usedMemory, a.opsPerSec, a.keys, a.replOffset, a.opsHistory],
    [2048, 42, 7, 1000, [1, 2]],
  );
  const d = v.nodes.find((n) => n.id === ID.D)!;
  assert.deepEqual([d.lagBytes, d.lagSec, d.masterLinkStatus, d.keys], [100, 1, "up", 0]);
  assert.equal(v.state, "ok");
  assert.equal(v.currentEpoch, 6);
  const e = v.nodes.find((n) => n.id === ID.E)!;
  assert.deepEqual([e.reachable, e.usedMemory, e.keys], [null, null, null], "not asked");
  const failing = buildView([report("A", nodesText("A"), { cluster_state: "fail" })], 0);
  assert.equal(failing.state, "fail");
  assert.equal(buildView([], 0).state, "unknown");
});

Deno.test("slotRanges and expandRanges are inverse", () => {
  const owner = expandRanges([[0, 9, "x"], [10, 16383, null]]);
  owner[100] = "y";
  const ranges = slotRanges(owner);
  assert.deepEqual(ranges, [[0, 9, "x"], [10, 99, null], [100, 100, "y"], [101, 16383, null]]);
  assert.deepEqual(expandRanges(ranges), owner);
});

Deno.test("addressesToWatch: seeds and every address a live node names, not handshakes", () => {
  const r = report(
    "A",
    nodesText("A", {
      flags: { B: "master,noaddr" },
      extra: [`${"9".repeat(40)} 127.0.0.1:7009@17009 handshake - 0 0 0 connected`],
    }),
  );
  assert.deepEqual(addressesToWatch(["127.0.0.1:7000", "localhost:7000"], [r, down("C")]).sort(), [
    "127.0.0.1:7000",
    "127.0.0.1:7002",
    "127.0.0.1:7003",
    "127.0.0.1:7004",
    "127.0.0.1:7005",
    "localhost:7000",
  ]);
});

Deno.test("parseInfo, parseInfoFields, peerState", () => {
  const m = parseInfo("# Memory\r\nused_memory:10\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=1\r\n");
  assert.deepEqual([...m], [["used_memory", "10"], ["db0", "keys=3,expires=1"]]);
  assert.equal(parseInfoFields(m.get("db0")!).get("keys"), "3");
  const line = (flags: string, link = "connected") =>
    parseClusterNodes(`${ID.A} 127.0.0.1:1@2 ${flags} - 0 0 1 ${link}\n`)[0];
  assert.equal(peerState(line("master")), "connected");
  assert.equal(peerState(line("master", "disconnected")), "disconnected");
  assert.equal(peerState(line("master,fail?")), "pfail");
  assert.equal(peerState(line("master,fail")), "fail");
  assert.equal(peerState(line("handshake")), "handshake");
  assert.equal(peerState(line("master,noaddr")), "noaddr");
});

Deno.test("unreachableView: nobody answers: slots and roles as last seen, every node unreachable", () => {
  const prev = buildView(all, 1);
  const v = unreachableView(prev, 2);
  assert.equal(v.timeMs, 2);
  assert.deepEqual(v.slots, prev.slots);
  assert.deepEqual(v.nodes.map((n) => [n.id, n.role]), prev.nodes.map((n) => [n.id, n.role]));
  assert.ok(v.nodes.every((n) => n.reachable === false));
  assert.equal(v.state, "unknown");
  assert.deepEqual(v.links, []);
});

Deno.test("parseLinkMachines: our INFO linkmachines section; none from a real Redis", () => {
  const text = "# Memory\r\nused_memory:1\r\n\r\n# Linkmachines\r\n" +
    `${ID.B}:connected\r\n${ID.C}:pfail\r\n`;
  assert.deepEqual(
    parseLinkMachines(text),
    new Map([[ID.B, "connected"], [ID.C, "pfail"]]),
  );
  assert.equal(parseLinkMachines("# Memory\r\nused_memory:1\r\n"), null);
  // A reporter's link actors show on its links; other reporters' links show none.
  const withMachines = all.map((r, i) =>
    i === 0 ? { ...r, machines: new Map([[ID.B, "pfail"]]) } : r
  );
  const v = buildView(withMachines, 1000);
  const fromA = v.links.filter((l) => l.from === ID.A);
  assert.equal(fromA.find((l) => l.to === ID.B)?.machine, "pfail");
  assert.ok(fromA.filter((l) => l.to !== ID.B).every((l) => l.machine === null));
  assert.ok(v.links.filter((l) => l.from !== ID.A).every((l) => l.machine === null));
});
