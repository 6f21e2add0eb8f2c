import assert from "node:assert/strict";
import { EffectSink } from "./bus_effects.ts";
import { CFG, ID, linkClockAt, makeState, T0 } from "../tests/bus_fixtures.ts";
import {
  addFailureReport,
  applyFailMessage,
  clearNodeFailureIfNeeded,
  delFailureReport,
  failureReportCount,
  markNodeAsFailingIfNeeded,
} from "./failure_detection.ts";
import { type ClusterState, NodeFlags } from "./state.ts";

const PFAIL_MASTER = NodeFlags.MASTER | NodeFlags.PFAIL;

/** Myself + 4 other masters with slots (size 5), node x PFAIL. */
function five(meFlags = NodeFlags.MYSELF | NodeFlags.MASTER): ClusterState {
  const s = makeState({ id: ID("a"), flags: meFlags, slotRange: [0, 99] }, [
    { id: ID("b"), slotRange: [100, 199] },
    { id: ID("c"), slotRange: [200, 299] },
    { id: ID("d"), slotRange: [300, 399] },
    { id: ID("x"), slotRange: [400, 499], flags: PFAIL_MASTER },
  ]);
  return { ...s, size: 5 };
}

Deno.test("failure reports: add refreshes, delete, expire after 2 x node timeout", () => {
  let s = five();
  let r = addFailureReport(s, ID("x"), ID("b"), T0);
  assert.equal(r.added, true);
  r = addFailureReport(r.state, ID("x"), ID("b"), T0 + 1000);
  assert.equal(r.added, false);
  s = r.state;
  assert.deepEqual(s.nodes.get(ID("x"))!.failReports, [{ reporterId: ID("b"), timeMs: T0 + 1000 }]);
  s = addFailureReport(s, ID("x"), ID("c"), T0).state;
  // At T0 + 4001 the report from c (T0) is older than 4000 ms; b's (T0+1000) is not.
  const c = failureReportCount(s, ID("x"), T0 + 4001, CFG.nodeTimeoutMs);
  assert.equal(c.count, 1);
  assert.equal(failureReportCount(s, ID("x"), T0 + 4000, CFG.nodeTimeoutMs).count, 2);
  const d = delFailureReport(s, ID("x"), ID("b"), T0, CFG.nodeTimeoutMs);
  assert.equal(d.removed, true);
  assert.equal(d.state.nodes.get(ID("x"))!.failReports.length, 1);
  assert.equal(delFailureReport(d.state, ID("x"), ID("b"), T0, CFG.nodeTimeoutMs).removed, false);
});

Deno.test("PFAIL -> FAIL needs reports + (me master ? 1 : 0) >= size/2 + 1, then broadcasts FAIL", () => {
  // size 5 -> quorum 3: master myself + 1 report is not enough, + 2 is.
  let s = five();
  s = addFailureReport(s, ID("x"), ID("b"), T0).state;
  let sink = new EffectSink();
  s = markNodeAsFailingIfNeeded(s, ID("x"), T0, { ...CFG, ...linkClockAt(T0) }, sink);
  assert.ok(s.nodes.get(ID("x"))!.flags & NodeFlags.PFAIL);
  assert.equal(sink.effects.length, 0);
  s = addFailureReport(s, ID("x"), ID("c"), T0 + 10).state;
  sink = new EffectSink();
  s = markNodeAsFailingIfNeeded(s, ID("x"), T0 + 10, { ...CFG, ...linkClockAt(T0 + 10) }, sink);
  const x = s.nodes.get(ID("x"))!;
  assert.equal(x.flags, NodeFlags.MASTER | NodeFlags.FAIL);
  assert.equal(x.failTimeMs, T0 + 10);
  assert.deepEqual(sink.effects[0], {
    kind: "log",
    level: "notice",
    text: `Marking node ${ID("x")} as failing (quorum reached).`,
  });
  const b = sink.effects[1];
  assert.ok(b.kind === "broadcast" && b.message.type === "FAIL" && b.message.nodename === ID("x"));
  assert.ok(sink.saveConfig && sink.updateState);

  // A replica does not count itself: needs 3 reports.
  let r = five(NodeFlags.MYSELF | NodeFlags.SLAVE);
  r = addFailureReport(r, ID("x"), ID("b"), T0).state;
  r = addFailureReport(r, ID("x"), ID("c"), T0).state;
  r = markNodeAsFailingIfNeeded(r, ID("x"), T0, { ...CFG, ...linkClockAt(T0) }, new EffectSink());
  assert.ok(r.nodes.get(ID("x"))!.flags & NodeFlags.PFAIL);
  r = addFailureReport(r, ID("x"), ID("d"), T0).state;
  r = markNodeAsFailingIfNeeded(r, ID("x"), T0, { ...CFG, ...linkClockAt(T0) }, new EffectSink());
  assert.ok(r.nodes.get(ID("x"))!.flags & NodeFlags.FAIL);

  // Stale reports don't count; a node not PFAIL locally is never marked.
  let t = five();
  t = addFailureReport(t, ID("x"), ID("b"), T0).state;
  t = addFailureReport(t, ID("x"), ID("c"), T0).state;
  t = markNodeAsFailingIfNeeded(
    t,
    ID("x"),
    T0 + 4001,
    { ...CFG, ...linkClockAt(T0 + 4001) },
    new EffectSink(),
  );
  assert.ok(t.nodes.get(ID("x"))!.flags & NodeFlags.PFAIL);
  let u = five();
  u = addFailureReport(u, ID("b"), ID("c"), T0).state;
  u = addFailureReport(u, ID("b"), ID("d"), T0).state;
  u = markNodeAsFailingIfNeeded(u, ID("b"), T0, { ...CFG, ...linkClockAt(T0) }, new EffectSink());
  assert.equal(u.nodes.get(ID("b"))!.flags, NodeFlags.MASTER);
});

Deno.test("clearing FAIL: replica and slot-less master at once, master with slots after 2 x timeout", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("r"), flags: NodeFlags.SLAVE | NodeFlags.FAIL, masterId: ID("a"), failTimeMs: T0 },
    { id: ID("e"), flags: NodeFlags.MASTER | NodeFlags.FAIL, failTimeMs: T0 },
    { id: ID("m"), flags: NodeFlags.MASTER | NodeFlags.FAIL, failTimeMs: T0, slotRange: [0, 9] },
  ]);
  // The links' FAIL-undo timers (opened at T0: 2 x 2000 ms) have run out (the timer clock at the
  // wall clock), or not yet (the timer clock at 1000 ms: the wall clock stepped forward).
  const ranOut = (nowMs: number) => linkClockAt(nowMs);
  const running = (_nowMs: number) => linkClockAt(T0 + 1000);
  let sink = new EffectSink();
  let n = clearNodeFailureIfNeeded(s, ID("r"), T0 + 1, running(T0 + 1), sink);
  assert.equal(n.nodes.get(ID("r"))!.flags, NodeFlags.SLAVE);
  assert.equal(
    sink.effects[0].kind === "log" && sink.effects[0].text,
    `Clear FAIL state for node ${ID("r")}: replica is reachable again.`,
  );
  sink = new EffectSink();
  n = clearNodeFailureIfNeeded(s, ID("e"), T0 + 1, running(T0 + 1), sink);
  assert.equal(n.nodes.get(ID("e"))!.flags, NodeFlags.MASTER);
  n = clearNodeFailureIfNeeded(s, ID("m"), T0 + 4000, ranOut(T0 + 4000), new EffectSink());
  assert.ok(n.nodes.get(ID("m"))!.flags & NodeFlags.FAIL);
  // Past 2 x node_timeout by the timestamps, but the peer's machine has not let the FAIL go.
  n = clearNodeFailureIfNeeded(s, ID("m"), T0 + 9000, running(T0 + 9000), new EffectSink());
  assert.ok(n.nodes.get(ID("m"))!.flags & NodeFlags.FAIL);
  sink = new EffectSink();
  n = clearNodeFailureIfNeeded(s, ID("m"), T0 + 4001, ranOut(T0 + 4001), sink);
  assert.equal(n.nodes.get(ID("m"))!.flags & ~NodeFlags.MIGRATE_TO, NodeFlags.MASTER);
  assert.ok(
    sink.effects.some((e) =>
      e.kind === "log" && e.text.endsWith("nobody is serving its slots after some time.")
    ),
  );
});

Deno.test("FAIL message: from a known sender marks the node; unknown sender or myself ignored", () => {
  const s = five();
  let sink = new EffectSink();
  let n = applyFailMessage(s, ID("b"), ID("b"), ID("x"), T0 + 5, linkClockAt(T0 + 5), sink);
  assert.equal(n.nodes.get(ID("x"))!.flags, NodeFlags.MASTER | NodeFlags.FAIL);
  assert.equal(n.nodes.get(ID("x"))!.failTimeMs, T0 + 5);
  assert.ok(sink.updateState && sink.saveConfig);
  sink = new EffectSink();
  n = applyFailMessage(s, ID("z"), null, ID("x"), T0, linkClockAt(T0), sink);
  assert.equal(n, s);
  assert.deepEqual(sink.effects, [{
    kind: "log",
    level: "notice",
    text: `Ignoring FAIL message from unknown node ${ID("z")} about ${ID("x")}`,
  }]);
  assert.equal(
    applyFailMessage(s, ID("b"), ID("b"), ID("a"), T0, linkClockAt(T0), new EffectSink()),
    s,
  );
  assert.equal(
    applyFailMessage(s, ID("b"), ID("b"), ID("q"), T0, linkClockAt(T0), new EffectSink()),
    s,
  );
});
