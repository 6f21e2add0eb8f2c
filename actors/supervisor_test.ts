import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import {
  CLUSTER_CRON_INTERVAL_MS,
  endCleanTurn,
  SAVE_FAILED_TEXT,
  startSupervisor,
  supervisorConfigDirty,
} from "./supervisor.ts";

/** SimulatedClock.increment fires only timers due before the jump: advance tick by tick. */
function advance(clock: SimulatedClock, ms: number): void {
  for (let left = ms; left > 0; left -= CLUSTER_CRON_INTERVAL_MS) {
    clock.increment(Math.min(left, CLUSTER_CRON_INTERVAL_MS));
  }
}

function harness(saveResult: () => boolean = () => true, cron: () => void = () => {}) {
  const clock = new SimulatedClock();
  const log: string[] = [];
  const actor = startSupervisor({
    cron: () => {
      log.push("cron");
      cron();
    },
    save: (fsync) => {
      log.push(fsync ? "save+fsync" : "save");
      return saveResult();
    },
    release: () => log.push("release"),
    fatal: (reason) => log.push(`fatal: ${reason}`),
  }, clock);
  return { clock, log, actor };
}

Deno.test("supervisor: cron runs every 100 ms of (simulated) time, each tick ends its turn", () => {
  const { clock, log, actor } = harness();
  try {
    assert.deepEqual(log, []);
    clock.increment(CLUSTER_CRON_INTERVAL_MS - 1);
    assert.deepEqual(log, []);
    clock.increment(1);
    assert.deepEqual(log, ["cron", "release"]);
    advance(clock, CLUSTER_CRON_INTERVAL_MS * 3);
    assert.equal(log.filter((l) => l === "cron").length, 4);
    assert.equal(log.filter((l) => l === "save").length, 0, "nothing saved while clean");
    assert.deepEqual(actor.getSnapshot().value, { running: { cron: "ticking", config: "clean" } });
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: a tick that changes nothing runs no macrostep; one that does ends with END_OF_TURN", () => {
  let change = false;
  let actorRef: ReturnType<typeof startSupervisor> | null = null;
  const h = harness(() => true, () => {
    if (change) actorRef!.send({ type: "CONFIG_CHANGED" });
  });
  actorRef = h.actor;
  const events: string[] = [];
  const sub = h.actor.system.inspect((e) => {
    if (e.type === "@xstate.event" && e.actorRef === h.actor) events.push(e.event.type);
  });
  try {
    const before = h.actor.getSnapshot();
    advance(h.clock, CLUSTER_CRON_INTERVAL_MS * 10);
    assert.equal(h.log.filter((l) => l === "cron").length, 10);
    assert.equal(h.log.filter((l) => l === "release").length, 10, "each tick ended its turn");
    assert.equal(h.actor.getSnapshot(), before, "no macrostep: the same snapshot");
    assert.deepEqual(events, []);
    assert.equal(h.actor.getSnapshot().context.stats.turns, 10);
    change = true;
    h.clock.increment(CLUSTER_CRON_INTERVAL_MS);
    assert.deepEqual(events, ["CONFIG_CHANGED", "END_OF_TURN"]);
    assert.deepEqual(h.log.slice(-3), ["cron", "save", "release"]);
    assert.ok(!supervisorConfigDirty(h.actor.getSnapshot()));
  } finally {
    sub.unsubscribe();
    h.actor.stop();
  }
});

Deno.test("supervisor: the changes of a turn are saved once, before the turn's output is released", () => {
  const { log, actor } = harness();
  try {
    for (let i = 0; i < 10; i++) actor.send({ type: "CONFIG_CHANGED" });
    assert.ok(supervisorConfigDirty(actor.getSnapshot()));
    assert.deepEqual(log, []); // nothing written before the turn ends
    actor.send({ type: "END_OF_TURN" });
    assert.deepEqual(log, ["save", "release"]);
    assert.ok(!supervisorConfigDirty(actor.getSnapshot()));
    // A clean turn only releases.
    actor.send({ type: "END_OF_TURN" });
    assert.deepEqual(log, ["save", "release", "release"]);
    assert.equal(actor.getSnapshot().context.stats.saves, 1);
    assert.equal(actor.getSnapshot().context.stats.turns, 2);
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: a change made by the cron tick is saved before that tick's output leaves", () => {
  // The cron sends CONFIG_CHANGED to the supervisor while the supervisor runs it (queued).
  let actorRef: ReturnType<typeof startSupervisor> | null = null;
  const h = harness(() => true, () => actorRef!.send({ type: "CONFIG_CHANGED" }));
  actorRef = h.actor;
  try {
    h.clock.increment(CLUSTER_CRON_INTERVAL_MS);
    assert.deepEqual(h.log, ["cron", "save", "release"]);
    assert.ok(!supervisorConfigDirty(h.actor.getSnapshot()));
  } finally {
    h.actor.stop();
  }
});

Deno.test("supervisor: CONFIG_SAVED (CLUSTER SAVECONFIG) cleans without another save", () => {
  const { log, actor } = harness();
  try {
    actor.send({ type: "CONFIG_CHANGED" });
    actor.send({ type: "CONFIG_SAVED" });
    actor.send({ type: "END_OF_TURN" });
    assert.deepEqual(log, ["release"]);
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: a failed save is fatal (clusterSaveConfigOrDie)", () => {
  const { log, actor } = harness(() => false);
  try {
    actor.send({ type: "CONFIG_CHANGED" });
    actor.send({ type: "END_OF_TURN" });
    // In production `fatal` exits the process, so "release" is never reached.
    assert.deepEqual(log.slice(0, 2), ["save", `fatal: ${SAVE_FAILED_TEXT}`]);
    assert.ok(!log.includes("release"), "nothing released after a failed save");
    assert.equal(actor.getSnapshot().context.stats.failedSaves, 1);
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: without a fatal handler a failed save stops the actor before release", () => {
  const clock = new SimulatedClock();
  const log: string[] = [];
  const actor = startSupervisor({
    cron: () => {},
    save: () => false,
    release: () => log.push("release"),
  }, clock);
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.send({ type: "CONFIG_CHANGED" });
  actor.send({ type: "END_OF_TURN" });
  assert.deepEqual(log, []);
  assert.equal(actor.getSnapshot().status, "error");
  assert.match(String(errors[0]), /can't update cluster config file/);
});

Deno.test("supervisor: SHUTDOWN saves a pending change and stops ticking", () => {
  const { clock, log, actor } = harness();
  actor.send({ type: "CONFIG_CHANGED" });
  actor.send({ type: "SHUTDOWN" });
  assert.deepEqual(log, ["save+fsync"]);
  assert.equal(actor.getSnapshot().status, "done");
  advance(clock, CLUSTER_CRON_INTERVAL_MS * 5);
  assert.deepEqual(log, ["save+fsync"]);
  // Clean at shutdown: nothing written.
  const h2 = harness();
  h2.actor.send({ type: "SHUTDOWN" });
  assert.deepEqual(h2.log, []);
});

Deno.test("supervisor: a turn is fsynced when one of its changes asks for it (CLUSTER_TODO_FSYNC_CONFIG)", () => {
  const { log, actor } = harness();
  try {
    actor.send({ type: "CONFIG_CHANGED" });
    actor.send({ type: "END_OF_TURN" });
    actor.send({ type: "CONFIG_CHANGED", fsync: true });
    actor.send({ type: "END_OF_TURN" });
    actor.send({ type: "CONFIG_CHANGED" });
    actor.send({ type: "CONFIG_CHANGED", fsync: true });
    actor.send({ type: "CONFIG_CHANGED" });
    assert.deepEqual(actor.getSnapshot().value, {
      running: { cron: "ticking", config: "dirtyFsync" },
    });
    actor.send({ type: "END_OF_TURN" });
    assert.deepEqual(log, ["save", "release", "save+fsync", "release", "save+fsync", "release"]);
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: a turn's END_OF_TURN can carry its change (one event per command), saved and fsynced as asked", () => {
  const { log, actor } = harness();
  try {
    actor.send({ type: "END_OF_TURN", changed: "save" });
    actor.send({ type: "END_OF_TURN", changed: "fsync" });
    // With changes already told by CONFIG_CHANGED: the strongest of both.
    actor.send({ type: "CONFIG_CHANGED" });
    actor.send({ type: "END_OF_TURN", changed: "fsync" });
    actor.send({ type: "CONFIG_CHANGED", fsync: true });
    actor.send({ type: "END_OF_TURN", changed: "save" });
    actor.send({ type: "CONFIG_CHANGED" });
    actor.send({ type: "END_OF_TURN", changed: "save" });
    assert.deepEqual(log, [
      "save",
      "release",
      "save+fsync",
      "release",
      "save+fsync",
      "release",
      "save+fsync",
      "release",
      "save",
      "release",
    ]);
    assert.deepEqual(actor.getSnapshot().value, { running: { cron: "ticking", config: "clean" } });
    assert.equal(actor.getSnapshot().context.stats.saves, 5);
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: endCleanTurn does what END_OF_TURN does on a clean config, and nothing on a dirty one", () => {
  const viaEvent = harness();
  const direct = harness(() => false);
  const ok = harness();
  try {
    // The same turns both ways: the same saves, releases and counters, the state left clean.
    for (const changed of [undefined, "save", "fsync"] as const) {
      viaEvent.actor.send({ type: "END_OF_TURN", changed });
      assert.ok(endCleanTurn(ok.actor, changed));
    }
    assert.deepEqual(ok.log, viaEvent.log);
    assert.deepEqual(ok.log, ["release", "save", "release", "save+fsync", "release"]);
    assert.deepEqual(
      ok.actor.getSnapshot().context.stats,
      viaEvent.actor.getSnapshot().context.stats,
    );
    assert.deepEqual(ok.actor.getSnapshot().value, {
      running: { cron: "ticking", config: "clean" },
    });
    // A failed save is fatal and releases nothing, as in the event path.
    assert.ok(endCleanTurn(direct.actor, "save"));
    assert.deepEqual(direct.log, ["save", `fatal: ${SAVE_FAILED_TEXT}`]);
    assert.equal(direct.actor.getSnapshot().context.stats.failedSaves, 1);
    // Dirty (a CONFIG_CHANGED from the cron): refused, the event must carry it.
    ok.log.length = 0;
    ok.actor.send({ type: "CONFIG_CHANGED" });
    assert.ok(!endCleanTurn(ok.actor, "save"));
    assert.deepEqual(ok.log, []);
    assert.ok(supervisorConfigDirty(ok.actor.getSnapshot()));
    // Stopped: refused.
    viaEvent.actor.stop();
    assert.ok(!endCleanTurn(viaEvent.actor, "save"));
  } finally {
    for (const h of [viaEvent, direct, ok]) h.actor.stop();
  }
});
