import assert from "node:assert/strict";
import {
  describeNodes,
  durableConfigKey,
  flagsText,
  parseConfig,
  serializeConfig,
  serializeConfigWithKey,
} from "./nodes_conf.ts";
import {
  CorruptClusterConfigError,
  IN_PLACE_MAX_BYTES,
  loadConfigFile,
  NodesConfFile,
  saveConfigFile,
} from "./nodes_conf_io.ts";
import {
  addSlots,
  assertInvariants,
  createState,
  NodeFlags,
  setImporting,
  setMigrating,
  updateNode,
} from "./state.ts";

// Real files written by redis-server 7.0.15 (docs/cluster-bus.md §8.2).
const FRESH = `ea932194734c02735cd5c3d6e789875ae7a3c5d6 :0@0 myself,master - 0 0 0 connected
vars currentEpoch 0 lastVoteEpoch 0
`;
const AFTER_ADDSLOTS =
  `ea932194734c02735cd5c3d6e789875ae7a3c5d6 :37106@47106 myself,master - 0 0 0 connected 0 10-12 14
vars currentEpoch 0 lastVoteEpoch 0
`;
const MIGRATING =
  `43bc0aadba4c7902e73b20629fa0855a3f6e09c8 127.0.0.1:37104@47104 myself,master - 0 1795546843000 8 connected 0-7 100 [5->-91655b5ba4180279127a9d45f1cde88de476b263]
fa103c1937a316e1b4db4e23e90de203247adc7b 127.0.0.1:37101@47101 slave 43bc0aadba4c7902e73b20629fa0855a3f6e09c8 0 1795546843000 8 connected
93ac3d62d12772c7afa9337fcb3adbb756a1a217 127.0.0.1:37103@47103,host-c.example master - 0 1795546843110 10 connected 8-99
91655b5ba4180279127a9d45f1cde88de476b263 127.0.0.1:37105@47105 master,fail - 1795546727160 1795546726153 9 disconnected
b08f31a26c189f0fcf9af068b01d40e44657cd1e 127.0.0.1:37102@47102 master - 0 1795546843714 11 connected 101-16383
vars currentEpoch 11 lastVoteEpoch 11
`;
const IMPORTING =
  `91655b5ba4180279127a9d45f1cde88de476b263 127.0.0.1:37105@47105 myself,master - 0 1795546725000 9 connected 101-16383 [5-<-43bc0aadba4c7902e73b20629fa0855a3f6e09c8]
fa103c1937a316e1b4db4e23e90de203247adc7b 127.0.0.1:37101@47101 slave 43bc0aadba4c7902e73b20629fa0855a3f6e09c8 0 1795546725548 8 connected
b08f31a26c189f0fcf9af068b01d40e44657cd1e 127.0.0.1:37102@47102 slave 91655b5ba4180279127a9d45f1cde88de476b263 0 1795546725549 9 connected
93ac3d62d12772c7afa9337fcb3adbb756a1a217 127.0.0.1:37103@47103,host-c.example master - 0 1795546725649 10 connected 8-99
43bc0aadba4c7902e73b20629fa0855a3f6e09c8 127.0.0.1:37104@47104 master - 0 1795546725000 8 connected 0-7 100
vars currentEpoch 10 lastVoteEpoch 8
`;
const REPLICA =
  `fa103c1937a316e1b4db4e23e90de203247adc7b 127.0.0.1:37101@47101 myself,slave 43bc0aadba4c7902e73b20629fa0855a3f6e09c8 0 1795546842000 8 connected
43bc0aadba4c7902e73b20629fa0855a3f6e09c8 127.0.0.1:37104@47104 master - 0 1795546843000 8 connected 0-7 100
91655b5ba4180279127a9d45f1cde88de476b263 127.0.0.1:37105@47105 master,fail - 1795546726551 1795546725000 9 disconnected
b08f31a26c189f0fcf9af068b01d40e44657cd1e 127.0.0.1:37102@47102 master - 0 1795546843149 11 connected 101-16383
93ac3d62d12772c7afa9337fcb3adbb756a1a217 127.0.0.1:37103@47103,host-c.example master - 0 1795546843049 10 connected 8-99
vars currentEpoch 11 lastVoteEpoch 8
`;

const NOW = 1_800_000_000_000;

function load(text: string) {
  const r = parseConfig(text, NOW);
  if ("error" in r) throw new Error(`${r.error.reason} at line ${r.error.lineNumber}`);
  assertInvariants(r.state);
  return r.state;
}

/** Times are only "zero or not" in nodes.conf: normalise them for comparisons. */
function normaliseTimes(text: string): string {
  return text.split("\n").map((l) => {
    const f = l.split(" ");
    if (f.length < 8 || f[0] === "vars") return l;
    f[4] = f[4] === "0" ? "0" : "T";
    f[5] = f[5] === "0" ? "0" : "T";
    return f.join(" ");
  }).join("\n");
}

/** Line order is hash-table order in Redis: compare as sorted line sets, vars line last. */
function sameConfig(a: string, b: string): void {
  const sort = (t: string) => normaliseTimes(t).trimEnd().split("\n").sort();
  assert.deepEqual(sort(a), sort(b));
}

Deno.test("nodes.conf: a fresh 7.0.15 node round-trips byte for byte", () => {
  const s = load(FRESH);
  assert.equal(s.myselfId, "ea932194734c02735cd5c3d6e789875ae7a3c5d6");
  assert.equal(serializeConfig(s), FRESH);
  assert.equal(s.currentEpoch, 0);
});

Deno.test("nodes.conf: slots written as merged ranges, in ascending order", () => {
  const s = load(AFTER_ADDSLOTS);
  const me = s.nodes.get(s.myselfId)!;
  assert.equal(me.numSlots, 5);
  assert.equal(me.port, 37106);
  assert.equal(me.cport, 47106);
  assert.equal(me.ip, "");
  assert.equal(serializeConfig(s), AFTER_ADDSLOTS);
  // Built from scratch with the same ADDSLOTS the capture used.
  let t = createState("ea932194734c02735cd5c3d6e789875ae7a3c5d6", NOW);
  t = updateNode(t, t.myselfId, { port: 37106, cport: 47106 });
  for (const r of [[[0, 0]], [[10, 12]], [[14, 14]]] as [number, number][][]) {
    const x = addSlots(t, r);
    assert.ok("state" in x);
    t = x.state;
  }
  assert.equal(serializeConfig(t), AFTER_ADDSLOTS);
});

Deno.test("nodes.conf: a master with a migrating slot, hostname, replica and failed node", () => {
  const s = load(MIGRATING);
  assert.equal(s.nodes.size, 5);
  assert.equal(s.currentEpoch, 11);
  assert.equal(s.lastVoteEpoch, 11);
  assert.equal(s.migratingSlotsTo.get(5), "91655b5ba4180279127a9d45f1cde88de476b263");
  const c = s.nodes.get("93ac3d62d12772c7afa9337fcb3adbb756a1a217")!;
  assert.equal(c.hostname, "host-c.example");
  assert.equal(c.configEpoch, 10);
  const failed = s.nodes.get("91655b5ba4180279127a9d45f1cde88de476b263")!;
  assert.equal(failed.flags, NodeFlags.MASTER | NodeFlags.FAIL);
  assert.equal(failed.failTimeMs, NOW);
  assert.equal(failed.pingSentMs, NOW);
  assert.equal(failed.linkState, "disconnected");
  const replica = s.nodes.get("fa103c1937a316e1b4db4e23e90de203247adc7b")!;
  assert.equal(replica.masterId, s.myselfId);
  assert.equal(replica.configEpoch, 0); // a replica's own epoch is reset; its master's is shown
  assert.equal(s.slotOwner.get(100), s.myselfId);
  assert.equal(s.slotOwner.get(8), c.id);
  assert.equal(s.slotOwner.get(16383), "b08f31a26c189f0fcf9af068b01d40e44657cd1e");
  // Written back: the same lines (other nodes' links are down after a load).
  const expected = MIGRATING.split("\n")
    .map((l) => l.includes("myself") ? l : l.replace(" connected", " disconnected")).join("\n");
  sameConfig(serializeConfig(s), expected);
  assert.match(
    serializeConfig(s),
    /connected 0-7 100 \[5->-91655b5ba4180279127a9d45f1cde88de476b263\]\n/,
  );
});

Deno.test("nodes.conf: importing master and replica files load with their epochs", () => {
  const imp = load(IMPORTING);
  assert.equal(imp.importingSlotsFrom.get(5), "43bc0aadba4c7902e73b20629fa0855a3f6e09c8");
  assert.equal(imp.currentEpoch, 10);
  assert.equal(imp.lastVoteEpoch, 8);
  assert.match(
    serializeConfig(imp),
    / 9 connected 101-16383 \[5-<-43bc0aadba4c7902e73b20629fa0855a3f6e09c8\]\n/,
  );
  const rep = load(REPLICA);
  const me = rep.nodes.get(rep.myselfId)!;
  assert.equal(flagsText(me.flags), "myself,slave");
  assert.equal(me.masterId, "43bc0aadba4c7902e73b20629fa0855a3f6e09c8");
  // The replica's line prints its master's configEpoch (8).
  assert.match(
    describeNodes(rep),
    /^fa103c1937a316e1b4db4e23e90de203247adc7b 127\.0\.0\.1:37101@47101 myself,slave 43bc0aadba4c7902e73b20629fa0855a3f6e09c8 0 \d+ 8 connected\n/,
  );
});

Deno.test("nodes.conf: corrupt files are rejected with the offending line", () => {
  const bad: [string, RegExp][] = [
    ["abc :0@0 myself,master - 0 0 0 connected\n", /invalid node id/],
    [
      "ea932194734c02735cd5c3d6e789875ae7a3c5d6 :0@0 myself,master,foo - 0 0 0 connected\n",
      /Unknown flag/,
    ],
    ["ea932194734c02735cd5c3d6e789875ae7a3c5d6 :0@0 myself,master - 0 0 0\n", /at least 8 fields/],
    ["vars currentEpoch 0 lastVoteEpoch 0\n", /myself/],
    [
      "ea932194734c02735cd5c3d6e789875ae7a3c5d6 :0@0 myself,master - 0 0 0 connected 99999\n",
      /out of bounds/,
    ],
    [
      "ea932194734c02735cd5c3d6e789875ae7a3c5d6 :0@0 myself,master - 0 0 0 connected 5-3\n",
      /out of bounds/,
    ],
    [
      "ea932194734c02735cd5c3d6e789875ae7a3c5d6 0@0 myself,master - 0 0 0 connected\n",
      /invalid address/,
    ],
    [
      "ea932194734c02735cd5c3d6e789875ae7a3c5d6 :0@0 myself,master - 0 0 0 connected\nvars currentEpoch\n",
      /vars/,
    ],
  ];
  for (const [text, re] of bad) {
    const r = parseConfig(text, NOW);
    assert.ok("error" in r, text);
    assert.match(r.error.reason, re, text);
  }
});

Deno.test("nodes.conf: blank lines skipped, missing @cport means port+10000, vars raised to max epoch", () => {
  const s = load(
    "\nea932194734c02735cd5c3d6e789875ae7a3c5d6 127.0.0.1:7000 myself,master - 0 0 5 connected 1\n\nvars currentEpoch 2 lastVoteEpoch 0\n",
  );
  const me = s.nodes.get(s.myselfId)!;
  assert.equal(me.cport, 17000);
  assert.equal(s.currentEpoch, 5);
});

Deno.test("nodes.conf: open slots and handshake nodes in CLUSTER NODES vs nodes.conf", () => {
  let s = load(MIGRATING);
  s = setImporting(setMigrating(s, 5, null), 9000, "93ac3d62d12772c7afa9337fcb3adbb756a1a217");
  assert.match(describeNodes(s), / \[9000-<-93ac3d62d12772c7afa9337fcb3adbb756a1a217\]\n/);
  const hs = "0123456789abcdef0123456789abcdef01234567";
  s = {
    ...s,
    nodes: new Map([...s.nodes, [hs, {
      ...s.nodes.get(s.myselfId)!,
      id: hs,
      flags: NodeFlags.HANDSHAKE,
      numSlots: 0,
      slots: new Uint8Array(2048),
    }]]),
  };
  assert.match(describeNodes(s), new RegExp(`^${hs} .* handshake - `, "m"));
  assert.doesNotMatch(serializeConfig(s), new RegExp(hs));
});

Deno.test("nodes.conf I/O: missing file, atomic save, corrupt file not overwritten", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rc-nodesconf-" });
  try {
    const path = `${dir}/nodes.conf`;
    assert.equal(loadConfigFile(path, NOW), null);
    saveConfigFile(path, MIGRATING);
    assert.equal(Deno.readTextFileSync(path), MIGRATING);
    saveConfigFile(path, FRESH); // shorter content replaces, no padding left
    assert.equal(Deno.readTextFileSync(path), FRESH);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["nodes.conf"]);
    const r = loadConfigFile(path, NOW);
    assert.equal(r?.state.myselfId, "ea932194734c02735cd5c3d6e789875ae7a3c5d6");
    const corrupt =
      "ea932194734c02735cd5c3d6e789875ae7a3c5d6 :0@0 myself,bogus - 0 0 0 connected\n";
    Deno.writeTextFileSync(path, corrupt);
    assert.throws(() => loadConfigFile(path, NOW), (e: unknown) => {
      assert.ok(e instanceof CorruptClusterConfigError);
      assert.match(
        e.message,
        /^Unrecoverable error: corrupted cluster config file ".*nodes\.conf"\.\n>>> line 1: /,
      );
      return true;
    });
    assert.equal(Deno.readTextFileSync(path), corrupt);
    Deno.writeTextFileSync(path, "");
    assert.equal(loadConfigFile(path, NOW), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nodes.conf I/O: saves rewrite the file in place as Redis 7.0 does, up to a page; longer ones by rename", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rc-nodesconf-" });
  try {
    const path = `${dir}/nodes.conf`;
    // What an open descriptor of the file sees: the new content only if the save wrote this
    // same file (in place), the old one if it renamed another file over its name.
    const seenBy = (f: Deno.FsFile) => {
      f.seekSync(0, Deno.SeekMode.Start);
      const buf = new Uint8Array(2 * IN_PLACE_MAX_BYTES);
      const n = f.readSync(buf) ?? 0;
      return new TextDecoder().decode(buf.subarray(0, n));
    };
    saveConfigFile(path, MIGRATING);
    const before = Deno.openSync(path, { read: true });
    try {
      saveConfigFile(path, FRESH, { fsync: false }); // shorter: padded, then truncated
      assert.equal(Deno.readTextFileSync(path), FRESH);
      assert.equal(seenBy(before), FRESH, "written in place");
      saveConfigFile(path, MIGRATING, { fsync: true });
      assert.equal(Deno.readTextFileSync(path), MIGRATING);
      assert.equal(seenBy(before), MIGRATING, "written in place");
    } finally {
      before.close();
    }
    // A process killed between the padded write and the ftruncate leaves '\n' padding, which
    // loads as the content without it (clusterLoadConfig skips blank lines).
    Deno.writeTextFileSync(path, FRESH + "\n".repeat(MIGRATING.length - FRESH.length));
    assert.equal(loadConfigFile(path, NOW)?.state.myselfId, load(FRESH).myselfId);
    // Over a page, a single write could be cut by the death of the process: temp file + rename.
    const long = MIGRATING + "\n".repeat(IN_PLACE_MAX_BYTES);
    const small = Deno.openSync(path, { read: true });
    try {
      saveConfigFile(path, long, { fsync: false });
      assert.equal(Deno.readTextFileSync(path), long);
      assert.equal(seenBy(small), FRESH.padEnd(MIGRATING.length, "\n"), "replaced by rename");
    } finally {
      small.close();
    }
    // Back under a page while the old file is longer than one: by rename again, not in place.
    const big = Deno.openSync(path, { read: true });
    try {
      saveConfigFile(path, FRESH, { fsync: false });
      assert.equal(Deno.readTextFileSync(path), FRESH);
      assert.equal(seenBy(big), long, "replaced by rename");
    } finally {
      big.close();
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["nodes.conf"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nodes.conf: the durable key ignores heartbeat times and link states, nothing else", () => {
  const key = durableConfigKey(MIGRATING);
  const beat = MIGRATING.replace(
    " 0 1795546843110 10 connected",
    " 5 1795546999999 10 disconnected",
  );
  assert.notEqual(beat, MIGRATING);
  assert.equal(durableConfigKey(beat), key);
  for (
    const changed of [
      MIGRATING.replace(" 10 connected 8-99", " 12 connected 8-99"), // an epoch
      MIGRATING.replace("connected 8-99", "connected 8-98"), // a slot
      MIGRATING.replace("master,fail", "master"), // a flag
      MIGRATING.replace("[5->-", "[6->-"), // an open slot
      MIGRATING.replace("lastVoteEpoch 11", "lastVoteEpoch 12"), // a vote
    ]
  ) {
    assert.notEqual(changed, MIGRATING);
    assert.notEqual(durableConfigKey(changed), key);
  }
});

Deno.test("nodes.conf I/O: a save that changes only heartbeat times is skipped; fsync asked is honoured", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rc-nodesconf-" });
  try {
    const file = new NodesConfFile(`${dir}/nodes.conf`);
    let s = load(MIGRATING);
    file.save(s, false);
    assert.deepEqual(file.stats, { writes: 1, skipped: 0, dirSyncs: 0 });
    const peer = "93ac3d62d12772c7afa9337fcb3adbb756a1a217";
    s = updateNode(s, peer, { pongReceivedMs: NOW + 5 });
    file.save(s, false);
    assert.deepEqual(file.stats, { writes: 1, skipped: 1, dirSyncs: 0 });
    // The same content, now with an fsync asked for: written (and fsynced) once. The file was
    // created by the unsynced save, so this first fsynced one also makes its name durable.
    file.save(s, true);
    file.save(s, true);
    assert.deepEqual(file.stats, { writes: 2, skipped: 2, dirSyncs: 1 });
    // A real change is written; CLUSTER SAVECONFIG (force) always writes.
    s = updateNode(s, peer, { configEpoch: 12 });
    file.save(s, false);
    file.save(s, true, true);
    assert.deepEqual(file.stats, { writes: 4, skipped: 2, dirSyncs: 1 }); // the name is durable
    assert.equal(Deno.readTextFileSync(`${dir}/nodes.conf`), serializeConfig(s));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nodes.conf I/O: kept open, each save lands at the path even when the file there was removed or replaced", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rc-nodesconf-" });
  const path = `${dir}/nodes.conf`;
  const file = new NodesConfFile(path, { keepOpen: true });
  try {
    const peer = "93ac3d62d12772c7afa9337fcb3adbb756a1a217";
    let s = load(MIGRATING);
    file.save(s, true);
    assert.equal(Deno.readTextFileSync(path), serializeConfig(s));
    // In place on the open file: a shorter content leaves no padding behind.
    s = setMigrating(s, 5, null);
    file.save(s, false);
    assert.equal(Deno.readTextFileSync(path), serializeConfig(s));
    // The same view again: nothing to write (not even a serialization), for any fsync already
    // made; `holds` says so.
    assert.ok(file.holds(s, false));
    assert.ok(!file.holds(s, true), "saved without fsync: an fsync asked for is still due");
    file.save(s, false);
    assert.deepEqual(file.stats, { writes: 2, skipped: 1, dirSyncs: 1 });
    // Removed behind the node's back: the next save creates it again (as Redis's open(O_CREAT)).
    Deno.removeSync(path);
    s = updateNode(s, peer, { configEpoch: 12 });
    file.save(s, false);
    assert.equal(Deno.readTextFileSync(path), serializeConfig(s));
    // Replaced by another file (a rename over it): the save writes the file now at the path.
    Deno.writeTextFileSync(`${dir}/other`, "x\n".repeat(50));
    Deno.renameSync(`${dir}/other`, path);
    s = updateNode(s, peer, { configEpoch: 13 });
    file.save(s, true);
    assert.equal(Deno.readTextFileSync(path), serializeConfig(s));
    assert.deepEqual(file.stats, { writes: 4, skipped: 1, dirSyncs: 1 });
  } finally {
    file.close(); // the test's resource check fails if the file stayed open
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nodes.conf: the content and durable key built together equal serializeConfig and durableConfigKey", () => {
  const texts = [FRESH, AFTER_ADDSLOTS, MIGRATING, IMPORTING, REPLICA];
  let moved = 0;
  for (const text of texts) {
    let s = load(text);
    const check = (x: typeof s) => {
      const r = serializeConfigWithKey(x);
      assert.equal(r.content, serializeConfig(x));
      assert.equal(r.key, durableConfigKey(r.content));
    };
    check(s);
    // Open slots, a hostname, a heartbeat, slots moved (a new bitmap: its ranges text is new).
    s = setImporting(
      s,
      77,
      s.myselfId === "ea932194734c02735cd5c3d6e789875ae7a3c5d6"
        ? "93ac3d62d12772c7afa9337fcb3adbb756a1a217"
        : s.myselfId,
    );
    s = updateNode(s, s.myselfId, { hostname: "host-1", pingSentMs: 5, pongReceivedMs: 7 });
    check(s);
    const r = addSlots(s, [[16000, 16010]]);
    if ("state" in r) {
      check(r.state);
      assert.match(serializeConfig(r.state), / 16000-16010/);
      moved++;
    }
  }
  assert.ok(moved >= 2);
});
