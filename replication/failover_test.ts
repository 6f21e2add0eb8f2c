import assert from "node:assert/strict";
import { Failover, type FailoverHost, type FailoverReplica, parseFailover } from "./failover.ts";

const b = (...words: string[]) => words.map((w) => new TextEncoder().encode(w));

Deno.test("parseFailover: options once each, in any order, as failoverCommand reads them", () => {
  assert.deepEqual(parseFailover(b("FAILOVER")), {
    kind: "start",
    timeoutMs: 0,
    target: null,
    force: false,
  });
  assert.deepEqual(parseFailover(b("failover", "abort")), { kind: "abort" });
  assert.deepEqual(parseFailover(b("FAILOVER", "TIMEOUT", "50", "FORCE", "TO", "h", "7")), {
    kind: "start",
    timeoutMs: 50,
    target: { host: "h", port: 7 },
    force: true,
  });
  const err = (e: string) => ({ error: e });
  assert.deepEqual(parseFailover(b("FAILOVER", "ABORT", "x")), err("ERR syntax error"));
  assert.deepEqual(parseFailover(b("FAILOVER", "TIMEOUT")), err("ERR syntax error"));
  assert.deepEqual(
    parseFailover(b("FAILOVER", "TIMEOUT", "0")),
    err("ERR FAILOVER timeout must be greater than 0"),
  );
  assert.deepEqual(
    parseFailover(b("FAILOVER", "TIMEOUT", "+5")),
    err("ERR value is not an integer or out of range"),
  );
  assert.deepEqual(parseFailover(b("FAILOVER", "TO", "h")), err("ERR syntax error"));
  assert.deepEqual(
    parseFailover(b("FAILOVER", "TO", "h", "1", "TO", "h", "2")),
    err("ERR syntax error"),
  );
});

/** A node as the failover sees it, recording what was done to it. */
function fakeNode(replicas: FailoverReplica[], offset: number) {
  const did: string[] = [];
  let nowMs = 1000;
  const soon: (() => void)[] = [];
  let timer: { at: number; fn: () => void } | null = null;
  let replica = false;
  const host: FailoverHost = {
    clusterMode: () => false,
    isReplica: () => replica,
    replicas: () => replicas,
    masterOffset: () => offset,
    becomeReplicaOf: (h, p) => {
      replica = true;
      did.push(`replicaof ${h}:${p}`);
    },
    becomeMaster: () => {
      replica = false;
      did.push("master");
    },
    pauseWrites: () => did.push("pause"),
    resumeWrites: () => did.push("resume"),
    log: () => {},
    now: () => nowMs,
    soon: (fn) => soon.push(fn),
    after: (ms, fn) => {
      timer = { at: nowMs + ms, fn };
      return () => timer = null;
    },
  };
  return {
    host,
    did,
    /** Run what was deferred to the end of the turn. */
    turn: () => soon.splice(0).forEach((fn) => fn()),
    /** Advance the clock, firing the timer if due. */
    advance: (ms: number) => {
      nowMs += ms;
      const t = timer;
      if (t !== null && t.at <= nowMs) {
        timer = null;
        t.fn();
      }
    },
  };
}

const online = (ip: string, port: number, ackOffset: number): FailoverReplica => ({
  ip,
  listeningPort: port,
  state: "online",
  ackOffset,
});

Deno.test("Failover: the first replica that acknowledged the whole offset is the target", () => {
  const reps = [online("10.0.0.1", 1, 90), online("10.0.0.2", 2, 100)];
  const n = fakeNode(reps, 100);
  const f = new Failover(n.host);
  assert.equal(f.command(b("FAILOVER")), null);
  assert.equal(f.state, "waiting-for-sync");
  assert.deepEqual(n.did, ["pause"]);
  n.turn();
  assert.equal(f.state, "failover-in-progress");
  assert.deepEqual(n.did, ["pause", "replicaof 10.0.0.2:2"]);
  // The target's +CONTINUE ends it.
  f.psyncAnswered(true);
  assert.equal(f.state, "no-failover");
  assert.deepEqual(n.did, ["pause", "replicaof 10.0.0.2:2", "resume"]);
});

Deno.test("Failover: a named target is waited for; acks of others do not count", () => {
  const reps: FailoverReplica[] = [online("a", 1, 100), online("b", 2, 50)];
  const n = fakeNode(reps, 100);
  const f = new Failover(n.host);
  assert.equal(f.command(b("FAILOVER", "TO", "B", "2")), null);
  n.turn();
  assert.equal(f.state, "waiting-for-sync");
  reps[1] = online("b", 2, 100);
  f.updateSoon();
  n.turn();
  assert.equal(f.state, "failover-in-progress");
  assert.deepEqual(n.did, ["pause", "replicaof B:2"]);
  // A refused PSYNC aborts: a master again, writes resume.
  f.psyncAnswered(false);
  assert.equal(f.state, "no-failover");
  assert.deepEqual(n.did, ["pause", "replicaof B:2", "master", "resume"]);
});

Deno.test("Failover: TIMEOUT aborts without FORCE and fails over with it", () => {
  const reps = [online("a", 1, 10)];
  const n = fakeNode(reps, 100);
  const f = new Failover(n.host);
  assert.equal(f.command(b("FAILOVER", "TIMEOUT", "500")), null);
  n.turn();
  n.advance(499);
  assert.equal(f.state, "waiting-for-sync");
  n.advance(1);
  assert.equal(f.state, "no-failover");
  assert.deepEqual(n.did, ["pause", "resume"]);

  const m = fakeNode(reps, 100);
  const g = new Failover(m.host);
  assert.equal(g.command(b("FAILOVER", "TO", "a", "1", "FORCE", "TIMEOUT", "500")), null);
  m.turn();
  m.advance(500);
  assert.equal(g.state, "failover-in-progress");
  assert.deepEqual(m.did, ["pause", "replicaof a:1"]);
  // ABORT in progress: a master again.
  assert.equal(g.command(b("FAILOVER", "ABORT")), null);
  assert.equal(g.state, "no-failover");
  assert.deepEqual(m.did, ["pause", "replicaof a:1", "master", "resume"]);
  assert.equal(g.command(b("FAILOVER", "ABORT")), "ERR No failover in progress.");
});

Deno.test("Failover: refused in a cluster, on a replica, without replicas, twice", () => {
  const n = fakeNode([], 0);
  const f = new Failover(n.host);
  assert.equal(f.command(b("FAILOVER")), "ERR FAILOVER requires connected replicas.");
  const c = new Failover({ ...n.host, clusterMode: () => true });
  assert.equal(
    c.command(b("FAILOVER", "BOGUS")),
    "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.",
  );
  const r = new Failover({ ...n.host, isReplica: () => true });
  assert.equal(r.command(b("FAILOVER")), "ERR FAILOVER is not valid when server is a replica.");
  const m = fakeNode([online("a", 1, 0)], 5);
  const g = new Failover(m.host);
  assert.equal(g.command(b("FAILOVER")), null);
  assert.equal(g.command(b("FAILOVER")), "ERR FAILOVER already in progress.");
  assert.deepEqual(m.did, ["pause"]);
});
