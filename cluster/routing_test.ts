import assert from "node:assert/strict";
import { routeQuery, type RoutingOptions, servedHere } from "./routing.ts";
import {
  addNode,
  addSlots,
  assignSlots,
  type ClusterState,
  createNode,
  createState,
  NodeFlags,
  setImporting,
  setMigrating,
  updateNode,
} from "./state.ts";
import { type CommandDef, fromTable } from "../commands/types.ts";
import type { QueuedCommand } from "../server/client.ts";
import { keyHashSlot } from "../protocol/slot.ts";
import { prng } from "../tests/prng.ts";

const ME = "a".repeat(40);
const B = "b".repeat(40);
const enc = new TextEncoder();
const noop = () => {};

const DEFS: Record<string, CommandDef> = {
  get: fromTable("get", noop),
  set: fromTable("set", noop),
  mget: fromTable("mget", noop),
  mset: fromTable("mset", noop),
  ping: fromTable("ping", noop),
  migrate: fromTable("migrate", noop),
  "restore-asking": fromTable("restore-asking", noop),
};

function q(...args: string[]): QueuedCommand {
  return { def: DEFS[args[0]], fullname: args[0], argv: args.map((a) => enc.encode(a)) };
}

const IP_OPTS: RoutingOptions = {
  allowReadsWhenDown: false,
  allowPubsubShardWhenDown: true,
  preferredEndpoint: "ip",
};
const plain = { asking: false, readonlyMode: false };

function view(): ClusterState {
  // Myself owns 0-8000, B (127.0.0.1:7001) owns 8001-16383; cluster ok.
  let s = createState(ME, 1);
  s = addNode(
    s,
    createNode(B, NodeFlags.MASTER, 1, {
      ip: "127.0.0.1",
      port: 7001,
      cport: 17001,
      hostname: "b.example",
    }),
  );
  const r = addSlots(s, [[0, 8000]]);
  assert.ok("state" in r);
  s = r.state;
  const rest: number[] = [];
  for (let j = 8001; j < 16384; j++) rest.push(j);
  s = assignSlots(s, B, rest);
  return { ...s, health: "ok" };
}

function route(
  s: ClusterState,
  cmds: QueuedCommand[],
  opts = IP_OPTS,
  client = plain,
  exists = (_k: Uint8Array) => false,
  isExec = false,
) {
  return routeQuery(s, client, cmds, isExec, exists, opts);
}

// Keys and their slots (checked below): foo 12182, k2136 100, k13474 16000, {t}a/{t}b same slot.
Deno.test("routing: key slots used by these tests", () => {
  assert.equal(keyHashSlot(enc.encode("foo")), 12182);
  assert.equal(keyHashSlot(enc.encode("k2136")), 100);
  assert.equal(keyHashSlot(enc.encode("k13474")), 16000);
});

Deno.test("routing: own slot served, other slot MOVED with the preferred endpoint", () => {
  const s = view();
  assert.equal(route(s, [q("get", "k2136")]), null);
  assert.equal(route(s, [q("get", "foo")]), "MOVED 12182 127.0.0.1:7001");
  assert.equal(
    route(s, [q("get", "foo")], { ...IP_OPTS, preferredEndpoint: "hostname" }),
    "MOVED 12182 b.example:7001",
  );
  assert.equal(
    route(s, [q("get", "foo")], { ...IP_OPTS, preferredEndpoint: "unknown-endpoint" }),
    "MOVED 12182 :7001",
  );
  assert.equal(route(s, [q("ping")]), null);
});

Deno.test("routing: CROSSSLOT before ownership, and keyless commands always served", () => {
  const s = view();
  assert.equal(
    route(s, [q("mget", "k2136", "foo")]),
    "CROSSSLOT Keys in request don't hash to the same slot",
  );
  assert.equal(
    route(s, [q("mget", "foo", "k2136")]),
    "CROSSSLOT Keys in request don't hash to the same slot",
  );
  assert.equal(route(s, [q("mset", "{t}a", "1", "{t}b", "2")]), route(s, [q("get", "{t}a")]));
  // Values of MSET are not keys.
  assert.equal(route(s, [q("mset", "k2136", "foo")]), null);
  const down = { ...s, health: "fail" as const };
  assert.equal(route(down, [q("ping")]), null);
});

Deno.test("routing: unassigned first slot -> Hash slot not served; down cluster -> CLUSTERDOWN", () => {
  let s = view();
  const r = { ...s, slotOwner: s.slotOwner.withOwner([100], null) };
  // (slot table edited directly to model a hole; the owner bitmap is irrelevant for routing)
  assert.equal(route(r, [q("get", "k2136")]), "CLUSTERDOWN Hash slot not served");
  assert.equal(route(r, [q("mget", "k2136", "foo")]), "CLUSTERDOWN Hash slot not served");
  assert.equal(
    route(r, [q("mget", "foo", "k2136")]),
    "CROSSSLOT Keys in request don't hash to the same slot",
  );
  s = { ...s, health: "fail" };
  assert.equal(route(s, [q("get", "k2136")]), "CLUSTERDOWN The cluster is down");
  assert.equal(
    route(s, [q("mget", "foo", "k2136")]),
    "CROSSSLOT Keys in request don't hash to the same slot",
  );
  const rw = { ...IP_OPTS, allowReadsWhenDown: true };
  assert.equal(route(s, [q("get", "k2136")], rw), null);
  assert.equal(route(s, [q("get", "foo")], rw), "MOVED 12182 127.0.0.1:7001");
  assert.equal(
    route(s, [q("set", "k2136", "v")], rw),
    "CLUSTERDOWN The cluster is down and only accepts read commands",
  );
});

Deno.test("routing: migrating slot -> served if present, ASK if all missing, TRYAGAIN if some", () => {
  const s = setMigrating(view(), 100, B);
  const present = new Set(["k2136"]);
  const exists = (k: Uint8Array) => present.has(new TextDecoder().decode(k));
  assert.equal(route(s, [q("get", "k2136")], IP_OPTS, plain, exists), null);
  assert.equal(route(s, [q("get", "k2136")]), "ASK 100 127.0.0.1:7001");
  // Same-slot keys for slot 100: find another key in slot 100.
  let other = "";
  for (let i = 0; other === ""; i++) if (keyHashSlot(enc.encode(`x${i}`)) === 100) other = `x${i}`;
  assert.equal(
    route(s, [q("mget", "k2136", other)], IP_OPTS, plain, exists),
    "TRYAGAIN Multiple keys request during rehashing of slot",
  );
  assert.equal(route(s, [q("mget", "k2136", other)]), "ASK 100 127.0.0.1:7001");
  // MIGRATE runs locally in an open slot.
  assert.equal(route(s, [q("migrate", "127.0.0.1", "7001", "k2136", "0", "1000")]), null);
});

Deno.test("routing: importing slot needs ASKING (or an asking command); multi-key TRYAGAIN", () => {
  const s = setImporting(view(), 12182, B);
  assert.equal(route(s, [q("get", "foo")]), "MOVED 12182 127.0.0.1:7001");
  const asking = { asking: true, readonlyMode: false };
  assert.equal(route(s, [q("get", "foo")], IP_OPTS, asking), null);
  assert.equal(route(s, [q("restore-asking", "foo", "0", "x")]), null);
  assert.equal(
    route(s, [q("mget", "{foo}a", "{foo}b")], IP_OPTS, asking),
    "TRYAGAIN Multiple keys request during rehashing of slot",
  );
  // The same key twice is not "multiple keys".
  assert.equal(route(s, [q("mget", "foo", "foo")], IP_OPTS, asking), null);
  const all = () => true;
  assert.equal(route(s, [q("mget", "{foo}a", "{foo}b")], IP_OPTS, asking, all), null);
});

Deno.test("routing: replica serves its master's slots only for READONLY reads", () => {
  let s = view();
  s = updateNode(s, ME, { flags: NodeFlags.MYSELF | NodeFlags.SLAVE, masterId: B });
  const ro = { asking: false, readonlyMode: true };
  assert.equal(route(s, [q("get", "foo")]), "MOVED 12182 127.0.0.1:7001");
  assert.equal(route(s, [q("get", "foo")], IP_OPTS, ro), null);
  assert.equal(route(s, [q("set", "foo", "1")], IP_OPTS, ro), "MOVED 12182 127.0.0.1:7001");
  // EXEC with a queued write is a write.
  assert.equal(
    route(s, [q("get", "foo"), q("set", "foo", "1")], IP_OPTS, ro, undefined, true),
    "MOVED 12182 127.0.0.1:7001",
  );
  assert.equal(route(s, [q("get", "foo"), q("get", "{foo}x")], IP_OPTS, ro, undefined, true), null);
});

Deno.test("routing: EXEC checks all queued commands together", () => {
  const s = view();
  assert.equal(
    route(s, [q("set", "k2136", "1"), q("get", "k2136")], IP_OPTS, plain, undefined, true),
    null,
  );
  assert.equal(
    route(s, [q("set", "k2136", "1"), q("get", "foo")], IP_OPTS, plain, undefined, true),
    "CROSSSLOT Keys in request don't hash to the same slot",
  );
  assert.equal(
    route(s, [q("ping"), q("get", "foo")], IP_OPTS, plain, undefined, true),
    "MOVED 12182 127.0.0.1:7001",
  );
  assert.equal(route(s, [], IP_OPTS, plain, undefined, true), null);
});

Deno.test("routing: servedHere (the dispatcher's shortcut) only says yes where routeQuery serves", () => {
  // Keys in slots 100 (mine), 12182 (B's), and hash-tagged pairs; views with open slots, holes
  // and a down cluster; every client kind. servedHere must never skip a redirect or an error.
  const keys = ["k2136", "{k2136}a", "{k2136}b", "foo", "{t}a", "{t}b", "{foo}x", "x", "k13474"];
  const clients = [plain, { asking: true, readonlyMode: false }, {
    asking: false,
    readonlyMode: true,
  }];
  const rand = prng(18);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  let served = 0;
  let checked = 0;
  for (let round = 0; round < 1500; round++) {
    let s = view();
    const slotOf = (k: string) => keyHashSlot(enc.encode(k));
    for (const k of keys) {
      const r = rand();
      if (r < 0.1) s = setMigrating(s, slotOf(k), B);
      else if (r < 0.2) s = setImporting(s, slotOf(k), B);
      else if (r < 0.25) s = { ...s, slotOwner: s.slotOwner.withOwner([slotOf(k)], null) };
    }
    if (rand() < 0.2) s = { ...s, health: "fail" };
    if (rand() < 0.1) {
      s = updateNode(s, ME, { flags: NodeFlags.MYSELF | NodeFlags.SLAVE, masterId: B });
    }
    const name = pick(["get", "set", "mget", "mset", "ping", "migrate", "restore-asking"]);
    const n = 1 + Math.floor(rand() * 3);
    const args = [name];
    if (name === "migrate") args.push("127.0.0.1", "7001", pick(keys), "0", "1000");
    else if (name === "restore-asking") args.push(pick(keys), "0", "x");
    else if (name === "mset") { for (let i = 0; i < n; i++) args.push(pick(keys), "v"); }
    else if (name === "set") args.push(pick(keys), "v");
    else if (name !== "ping") {
      for (let i = 0; i < (name === "mget" ? n : 1); i++) args.push(pick(keys));
    }
    const cmd = q(...args);
    if (!servedHere(s, cmd.def, cmd.argv)) continue;
    served++;
    for (const client of clients) {
      for (const exists of [() => false, () => true]) {
        checked++;
        assert.equal(route(s, [cmd], IP_OPTS, client, exists), null, `${args.join(" ")}`);
      }
    }
  }
  // The shortcut is taken for the plain cases (own slot, no open slot, cluster ok).
  assert.ok(served > 150, `served ${served}`);
  assert.ok(checked === served * 6);
  const ok = view();
  assert.equal(servedHere(ok, DEFS.get, q("get", "k2136").argv), true);
  assert.equal(servedHere(ok, DEFS.get, q("get", "foo").argv), false);
});
