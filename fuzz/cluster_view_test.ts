import assert from "node:assert/strict";
import {
  consistencyViolations,
  parseClusterView,
  unknownSenderViolations,
} from "./cluster_view.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const H = "c".repeat(40);
const INFO = "cluster_state:ok\r\ncluster_current_epoch:2\r\n";
const BASE = `${A} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191\n` +
  `${B} 127.0.0.1:7001@17001 master - 0 1 2 connected 8192-16383\n`;

const view = (nodes: string, info = INFO) => parseClusterView(nodes, info);

Deno.test("cluster view: parses lines, even with an announced IP of spaces and newlines", () => {
  const v = view(BASE + `${H} x y\nz:1@2,host name handshake - 0 0 0 disconnected\n`);
  assert.equal(v.currentEpoch, "2");
  assert.deepEqual(v.malformed, []);
  assert.deepEqual(v.nodes.map((n) => [n.id, n.flags.join(","), n.slots.join(" ")]), [
    [A, "myself,master", "0-8191"],
    [B, "master", "8192-16383"],
    [H, "handshake", ""],
  ]);
  assert.equal(v.nodes[2].addr, "x y\nz:1@2,host name");
});

Deno.test("cluster view: an unknown sender may add handshake nodes, nothing else", () => {
  const before = view(BASE);
  assert.deepEqual(unknownSenderViolations(before, view(BASE)), []);
  assert.deepEqual(
    unknownSenderViolations(
      before,
      view(BASE + `${H} 127.0.0.1:1@2 handshake - 0 0 0 disconnected\n`),
    ),
    [],
  );
  // PFAIL is the node's own timing, not the input's.
  assert.deepEqual(
    unknownSenderViolations(before, view(BASE.replace("master -", "master,fail? -"))),
    [],
  );
  const bad: [string, string, string][] = [
    [BASE + `${H} 127.0.0.1:1@2 master - 0 0 0 connected\n`, INFO, "added"],
    [BASE.replace("8192-16383", "8192-16000"), INFO, "slots"],
    [BASE.replace(" 0 1 2 connected", " 0 1 5 connected"), INFO, "configEpoch"],
    [BASE, INFO.replace(":2", ":9"), "currentEpoch"],
    [BASE.replace("master - 0 1", "master,fail - 0 1"), INFO, "flags"],
    [BASE.replace("127.0.0.1:7001", "127.0.0.2:7001"), INFO, "address"],
    [BASE.replace(`master - 0 1`, `slave ${A} 0 1`), INFO, "flags"],
    [BASE.split("\n")[0] + "\n", INFO, "gone"],
  ];
  for (const [nodes, info, what] of bad) {
    const v = unknownSenderViolations(before, view(nodes, info));
    assert.ok(v.some((x) => x.includes(what)), `${what}: ${v}`);
  }
});

Deno.test("cluster view: consistency after a known sender", () => {
  assert.deepEqual(consistencyViolations(view(BASE), A), []);
  // Gossip may bring nodes flagged myself (Redis keeps the gossiped flags).
  assert.deepEqual(
    consistencyViolations(view(BASE + `${H} 127.0.0.1:1@2 myself,slave ${B} 0 0 0 connected\n`), A),
    [],
  );
  assert.match(
    consistencyViolations(view(BASE.replace("8192-16383", "8000-16383")), A)[0],
    /slot 8000 owned by/,
  );
  assert.match(consistencyViolations(view(BASE), B)[0], /is not myself/);
  assert.match(
    consistencyViolations(view(BASE.replace("8192-16383", "8192-20000")), A)[0],
    /bad slot token/,
  );
});
