import assert from "node:assert/strict";
import { applyPeerChanges, type PeerChange } from "./link_table.ts";
import { type LinkStart, type LinkState, linkStateName } from "./link_state.ts";
import { linkStart } from "../tests/link_start.ts";

const NT = 1000;
const start = (nodeId: string, over: Partial<LinkStart> = {}): LinkStart =>
  linkStart({ nodeId, ...over });
const names = (m: ReadonlyMap<string, LinkState>) =>
  [...m].map(([id, l]) => `${id}:${linkStateName(l)}`);

Deno.test("link table: opened, stepped, dropped in the order of the changes; never mutated", () => {
  const empty: ReadonlyMap<string, LinkState> = new Map();
  const t1 = applyPeerChanges(
    empty,
    [
      { kind: "added", start: start("a") },
      { kind: "added", start: start("hs", { handshake: true, connected: false }) },
      { kind: "added", start: start("b") },
    ],
    0,
    NT,
  );
  assert.deepEqual(names(t1), ["a:connected", "hs:handshake", "b:connected"]);
  assert.equal(empty.size, 0);
  // A rename (the handshake node takes its real id) and events in one batch.
  const t2 = applyPeerChanges(
    t1,
    [
      { kind: "removed", nodeId: "hs" },
      { kind: "added", start: start("c") },
      { kind: "events", nodeId: "a", events: [{ type: "PFAIL" }, { type: "FAIL" }] },
      { kind: "events", nodeId: "zz", events: [{ type: "LINK_UP" }] }, // no link: ignored
    ],
    10,
    NT,
  );
  assert.deepEqual(names(t2), ["a:fail", "b:connected", "c:connected"]);
  assert.deepEqual(names(t1), ["a:connected", "hs:handshake", "b:connected"], "t1 unchanged");
  assert.equal(t2.get("a")!.healthDeadlineMs, 10 + 2 * NT);
  // Events that change nothing give the same table back; so does an empty batch.
  const same: PeerChange[] = [{ kind: "events", nodeId: "b", events: [{ type: "LINK_UP" }] }];
  assert.equal(applyPeerChanges(t2, same, 20, NT), t2);
  assert.equal(applyPeerChanges(t2, [], 20, NT), t2);
  // Events after a removal in the same batch find no link.
  const t3 = applyPeerChanges(
    t2,
    [
      { kind: "removed", nodeId: "b" },
      { kind: "events", nodeId: "b", events: [{ type: "LINK_DOWN" }] },
    ],
    30,
    NT,
  );
  assert.deepEqual(names(t3), ["a:fail", "c:connected"]);
});
