import assert from "node:assert/strict";
import { diffViews, rangesText, Timeline, type TimelineEvent } from "./timeline.ts";
import type { ClusterView, LinkView, NodeView, OpenSlot } from "./view_model.ts";

function node(id: string, role: "master" | "replica", more: Partial<NodeView> = {}): NodeView {
  return {
    id,
    addr: `127.0.0.1:${7000 + id.charCodeAt(0) - 97}`,
    role,
    masterId: null,
    configEpoch: 1,
    flags: [role === "master" ? "master" : "slave"],
    failState: "ok",
    failReports: 0,
    reachable: true,
    slots: 0,
    replOffset: null,
    lagBytes: null,
    lagSec: null,
    masterLinkStatus: null,
    usedMemory: null,
    opsPerSec: null,
    keys: null,
    rttMs: null,
    opsHistory: [],
    rttHistory: [],
    ...more,
  };
}

const A = "a".repeat(40);
const B = "b".repeat(40);
const D = "d".repeat(40);

function view(
  nodes: NodeView[],
  slots: ClusterView["slots"] = [[0, 8191, A], [8192, 16383, B]],
  more: Partial<ClusterView> = {},
): ClusterView {
  return {
    timeMs: 5000,
    nodes,
    slots,
    slotCounts: {},
    covered: 16384,
    open: [],
    links: [],
    currentEpoch: 2,
    state: "ok",
    unknownAddrs: [],
    ...more,
  };
}

const base = [
  node(A, "master", { slots: 8192 }),
  node(B, "master", { configEpoch: 2, slots: 8192 }),
  node(D, "replica", { masterId: A }),
];

function kinds(events: TimelineEvent[]): string[] {
  return events.map((e) => `${e.kind} ${e.nodeId?.[0] ?? "-"}`);
}

Deno.test("diffViews: the first view says what is watched; no change, no event", () => {
  const first = diffViews(null, view(base));
  assert.deepEqual(kinds(first), ["watching -"]);
  assert.match(first[0].text, /watching 3 nodes \(2 masters\), 16384 of 16384 slots covered/);
  assert.deepEqual(diffViews(view(base), view(base)), []);
});

Deno.test("diffViews: a master's failure: unreachable, PFAIL, FAIL, promotion with its slots", () => {
  const steps: NodeView[][] = [
    base,
    [{ ...base[0], reachable: false }, base[1], base[2]],
    [{ ...base[0], reachable: false, failState: "pfail", failReports: 1 }, base[1], base[2]],
    [{ ...base[0], reachable: false, failState: "fail", failReports: 2 }, base[1], base[2]],
  ];
  const got: string[] = [];
  for (let i = 1; i < steps.length; i++) {
    got.push(...kinds(diffViews(view(steps[i - 1]), view(steps[i]))));
  }
  assert.deepEqual(got, ["unreachable a", "pfail a", "fail a"]);
  const failed = view(steps[3]);
  const promoted = view(
    [steps[3][0], base[1], node(D, "master", { configEpoch: 3, slots: 8192 })],
    [[0, 8191, D], [8192, 16383, B]],
  );
  const ev = diffViews(failed, promoted);
  assert.deepEqual(kinds(ev), ["promoted d", "slots-moved d"]);
  assert.match(
    ev[0].text,
    /promoted to master in place of 127\.0\.0\.1:7000 \(aaaaaaaa\) \(configEpoch 3\)/,
  );
  assert.equal(ev[1].count, 8192);
  assert.equal(ev[1].from, A);
  assert.equal(ev[1].to, D);
  assert.match(ev[1].text, /8192 slot\(s\) .* -> .*: 0-8191$/);
  // The old master comes back as a replica of D: FAIL cleared, answers again, demoted.
  const back = view(
    [node(A, "replica", { masterId: D, configEpoch: 3 }), base[1], promoted.nodes[2]],
    promoted.slots,
  );
  assert.deepEqual(kinds(diffViews(promoted, back)), ["recovered a", "reachable a", "demoted a"]);
});

Deno.test("diffViews: nodes added and forgotten, a replica following another master, epochs", () => {
  const e = node("e".repeat(40), "master");
  assert.deepEqual(kinds(diffViews(view(base), view([...base, e]))), ["node-added e"]);
  assert.deepEqual(kinds(diffViews(view([...base, e]), view(base))), ["node-forgotten e"]);
  // A node first asked now (reachable null before) is no "answers again".
  const unasked = [base[0], base[1], { ...base[2], reachable: null }];
  assert.deepEqual(diffViews(view(unasked), view(base)), []);
  const moved = [base[0], base[1], { ...base[2], masterId: B, configEpoch: 2 }];
  // A replica's configEpoch is its master's: no epoch event for it.
  assert.deepEqual(kinds(diffViews(view(base), view(moved))), ["replica-of d"]);
  const elected = diffViews(view(base), view(base, undefined, { currentEpoch: 3 }));
  assert.deepEqual(kinds(elected), ["election -"]);
  assert.match(elected[0].text, /currentEpoch 2 -> 3/);
  assert.deepEqual(diffViews(view(base), view(base, undefined, { currentEpoch: null })), []);
  const bumped = [base[0], { ...base[1], configEpoch: 5 }, base[2]];
  const ev = diffViews(view(base), view(bumped));
  assert.deepEqual(kinds(ev), ["epoch b"]);
  assert.match(ev[0].text, /configEpoch 2 -> 5/);
});

Deno.test("diffViews: a reshard: slots open (grouped), move, close; cluster state", () => {
  const open = (slot: number, nodeId: string, kind: OpenSlot["kind"], peerId: string) => ({
    slot,
    nodeId,
    kind,
    peerId,
  });
  const opening = view(base, undefined, {
    open: [
      open(0, A, "migrating", B),
      open(1, A, "migrating", B),
      open(2, A, "migrating", B),
      open(0, B, "importing", A),
    ],
  });
  const ev = diffViews(view(base), opening);
  assert.deepEqual(kinds(ev), ["migrating a", "importing b"]);
  assert.match(ev[0].text, /^slots 0-2 migrating from 127\.0\.0\.1:7000 .* to 127\.0\.0\.1:7001/);
  assert.match(ev[1].text, /^slot 0 importing into 127\.0\.0\.1:7001/);
  const done = view(base, [[0, 2, B], [3, 8191, A], [8192, 16383, B]]);
  const ev2 = diffViews(opening, done);
  assert.deepEqual(kinds(ev2), ["slots-moved b", "slot-closed a", "slot-closed b"]);
  assert.match(ev2[0].text, /^3 slot\(s\) .*: 0-2$/);
  assert.deepEqual(
    kinds(diffViews(done, view(base, done.slots, { state: "fail" }))),
    ["cluster-state -"],
  );
});

Deno.test("diffViews: a handshake (MEET) with a new address, once", () => {
  const hs: LinkView = {
    from: A,
    to: "9".repeat(40),
    toAddr: "127.0.0.1:7009",
    state: "handshake",
    outbound: null,
    inbound: null,
    machine: null,
  };
  const meeting = view(base, undefined, { links: [hs, { ...hs, from: B }] });
  const ev = diffViews(view(base), meeting);
  assert.deepEqual(kinds(ev), ["meet -"]);
  assert.match(ev[0].text, /handshake with 127\.0\.0\.1:7009 from 127\.0\.0\.1:7000/);
  assert.deepEqual(diffViews(meeting, meeting), []);
});

Deno.test("rangesText: runs, capped", () => {
  assert.equal(rangesText([1, 2, 3, 5, 7, 8]), "1-3, 5, 7-8");
  assert.equal(rangesText([0, 2, 4, 6], 2), "0, 2, ... (2 more runs)");
  assert.equal(rangesText([]), "");
});

Deno.test("Timeline: numbers events from 1 and keeps the last `capacity`", () => {
  const t = new Timeline(3);
  const e = diffViews(null, view(base))[0];
  const added = t.add([e, e]);
  assert.deepEqual(added.map((x) => x.seq), [1, 2]);
  t.add([e, e, e]);
  assert.deepEqual(t.all().map((x) => x.seq), [3, 4, 5]);
  assert.equal(e.seq, 0, "the input is not changed");
});
