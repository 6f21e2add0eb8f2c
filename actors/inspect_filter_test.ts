import assert from "node:assert/strict";
import { createActor, type InspectionEvent, SimulatedClock } from "xstate";
import { tickFilter } from "./inspect.ts";
import { startNodeActor } from "./node.ts";
import { linkMachine } from "./link.ts";
import { linkStart } from "../tests/link_start.ts";

/** The inspection events of a node actor (cron ticks) and of the link chart (its timers). */
function inspected(): InspectionEvent[] {
  const out: InspectionEvent[] = [];
  const clock = new SimulatedClock();
  const node = startNodeActor({ cron: () => {}, save: () => true }, clock, (e) => out.push(e));
  const link = createActor(linkMachine, {
    clock,
    inspect: (e) => out.push(e),
    input: { ...linkStart(), timing: { nodeTimeoutMs: () => 1000 } },
  });
  link.start();
  link.send({ type: "PING_SENT", atMs: 1 });
  for (let k = 0; k < 12; k++) clock.increment(100);
  node.stop();
  link.stop();
  return out;
}

Deno.test("inspector filter: cron ticks are dropped, the link machines' timers are shown", () => {
  const events = inspected();
  const keep = tickFilter();
  const kept = events.filter((e) => keep(e as unknown as Parameters<typeof keep>[0]));
  const types = (list: InspectionEvent[]) =>
    list.flatMap((e) => e.type === "@xstate.event" ? [e.event.type] : []);
  const all = types(events);
  assert.ok(all.some((t) => t.startsWith("xstate.after.cronInterval.")), all.join(" "));
  assert.ok(all.some((t) => t.startsWith("xstate.after.pongTimeout.")), all.join(" "));
  const shown = types(kept);
  assert.ok(!shown.some((t) => t.startsWith("xstate.after.cronInterval.")), shown.join(" "));
  for (const timer of ["halfPongTimeout", "pongTimeout"]) {
    assert.ok(shown.some((t) => t.startsWith(`xstate.after.${timer}.`)), `${timer}: ${shown}`);
  }
});
