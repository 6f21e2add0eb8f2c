import assert from "node:assert/strict";
import { createActor, type InspectionEvent, SimulatedClock } from "xstate";
import { startNodeActor } from "./node.ts";
import { linkMachine } from "./link.ts";
import { linkStart } from "../tests/link_start.ts";

/** The inspection events of an idle node actor (12 cron ticks) and of the link chart (its timers). */
function inspected(): { events: InspectionEvent[]; ticks: number } {
  const out: InspectionEvent[] = [];
  let ticks = 0;
  const clock = new SimulatedClock();
  const node = startNodeActor({ cron: () => ticks++, save: () => true }, clock, (e) => out.push(e));
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
  return { events: out, ticks };
}

Deno.test("inspector: an idle node's cron ticks send nothing; the link machines' timers are shown", () => {
  const { events, ticks } = inspected();
  assert.equal(ticks, 12);
  const types = events.flatMap((e) => e.type === "@xstate.event" ? [e.event.type] : []);
  // Each event is an init, or the link's: none of the ticks is one.
  const links = types.filter((t) => t !== "xstate.init");
  assert.ok(links.every((t) => t === "PING_SENT" || t.includes("peerLink")), types.join(" "));
  for (const timer of ["halfPongTimeout", "pongTimeout"]) {
    assert.ok(types.some((t) => t.startsWith(`xstate.after.${timer}.`)), `${timer}: ${types}`);
  }
});
