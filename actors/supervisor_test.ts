import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import { CLUSTER_CRON_INTERVAL_MS, startSupervisor } from "./supervisor.ts";

/** SimulatedClock.increment fires only timers due before the jump: advance tick by tick. */
function advance(clock: SimulatedClock, ms: number): void {
  for (let left = ms; left > 0; left -= CLUSTER_CRON_INTERVAL_MS) {
    clock.increment(Math.min(left, CLUSTER_CRON_INTERVAL_MS));
  }
}

function harness(saveResult: () => boolean = () => true) {
  const clock = new SimulatedClock();
  const log: string[] = [];
  const actor = startSupervisor({
    cron: () => log.push("cron"),
    save: () => {
      log.push("save");
      return saveResult();
    },
  }, clock);
  return { clock, log, actor };
}

Deno.test("supervisor: cron runs every 100 ms of (simulated) time, nothing saved while clean", () => {
  const { clock, log, actor } = harness();
  try {
    assert.deepEqual(log, []);
    clock.increment(CLUSTER_CRON_INTERVAL_MS - 1);
    assert.deepEqual(log, []);
    clock.increment(1);
    assert.deepEqual(log, ["cron"]);
    advance(clock, CLUSTER_CRON_INTERVAL_MS * 3);
    assert.deepEqual(log, ["cron", "cron", "cron", "cron"]);
    assert.deepEqual(actor.getSnapshot().value, { running: "configClean" });
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: many changes within a tick are saved once, at the tick", () => {
  const { clock, log, actor } = harness();
  try {
    for (let i = 0; i < 10; i++) actor.send({ type: "CONFIG_CHANGED" });
    assert.deepEqual(actor.getSnapshot().value, { running: "configDirty" });
    assert.deepEqual(log, []); // nothing written before the tick
    clock.increment(50);
    actor.send({ type: "CONFIG_CHANGED" });
    clock.increment(50);
    assert.deepEqual(log, ["cron", "save"]);
    assert.deepEqual(actor.getSnapshot().value, { running: "configClean" });
    advance(clock, CLUSTER_CRON_INTERVAL_MS * 2);
    assert.deepEqual(log, ["cron", "save", "cron", "cron"]);
    // A change in a later tick is saved at that tick.
    actor.send({ type: "CONFIG_CHANGED" });
    clock.increment(CLUSTER_CRON_INTERVAL_MS);
    assert.deepEqual(log.slice(4), ["cron", "save"]);
    assert.equal(actor.getSnapshot().context.stats.saves, 2);
    assert.equal(actor.getSnapshot().context.stats.ticks, 4);
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: CONFIG_SAVED (CLUSTER SAVECONFIG) cleans without another save", () => {
  const { clock, log, actor } = harness();
  try {
    actor.send({ type: "CONFIG_CHANGED" });
    actor.send({ type: "CONFIG_SAVED" });
    clock.increment(CLUSTER_CRON_INTERVAL_MS);
    assert.deepEqual(log, ["cron"]);
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: a failed save is retried at the next tick", () => {
  let fail = true;
  const { clock, log, actor } = harness(() => !fail);
  try {
    actor.send({ type: "CONFIG_CHANGED" });
    clock.increment(CLUSTER_CRON_INTERVAL_MS);
    assert.deepEqual(log, ["cron", "save"]);
    assert.deepEqual(actor.getSnapshot().value, { running: "configDirty" });
    fail = false;
    clock.increment(CLUSTER_CRON_INTERVAL_MS);
    assert.deepEqual(log, ["cron", "save", "cron", "save"]);
    assert.deepEqual(actor.getSnapshot().value, { running: "configClean" });
    assert.equal(actor.getSnapshot().context.stats.failedSaves, 1);
  } finally {
    actor.stop();
  }
});

Deno.test("supervisor: SHUTDOWN saves a pending change and stops ticking", () => {
  const { clock, log, actor } = harness();
  actor.send({ type: "CONFIG_CHANGED" });
  actor.send({ type: "SHUTDOWN" });
  assert.deepEqual(log, ["save"]);
  assert.equal(actor.getSnapshot().status, "done");
  advance(clock, CLUSTER_CRON_INTERVAL_MS * 5);
  assert.deepEqual(log, ["save"]);
  // Clean at shutdown: nothing written.
  const h2 = harness();
  h2.actor.send({ type: "SHUTDOWN" });
  assert.deepEqual(h2.log, []);
});
