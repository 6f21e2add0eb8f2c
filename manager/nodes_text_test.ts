import assert from "node:assert/strict";
import {
  configSignature,
  inHandshake,
  isUnreachable,
  myselfLine,
  parseClusterNodes,
  parseNodeLine,
} from "./nodes_text.ts";

// Captured from redis-server 7.0.15 (what redis-cli.c clusterManagerNodeLoadInfo parses).
const SAMPLE = [
  "0f8cb10d53b5a70a6609fec919f2b2119dbfa23b 127.0.0.1:16005@26005 slave a8112ece8282a548c5c77e3ba119332d857abf03 0 1795547119892 11 connected",
  "149921c530bf8823de9c05a32ceaeda2aa94f1f6 127.0.0.1:16002@26002 master - 0 1795547119090 22 connected 6827-10922",
  "92041e18d06fbe3e439721b9993ea76c1150ba9f 127.0.0.1:16001@26001 myself,master - 0 1795547118000 23 connected 0-6826 10923-12287",
].join("\n") + "\n";

Deno.test("parseClusterNodes: fields, flags, slots", () => {
  const lines = parseClusterNodes(SAMPLE);
  assert.equal(lines.length, 3);
  const [rep, m2, me] = lines;
  assert.equal(rep.replica, true);
  assert.equal(rep.masterId, "a8112ece8282a548c5c77e3ba119332d857abf03");
  assert.equal(rep.busPort, 26005);
  assert.equal(rep.configEpoch, 11);
  assert.equal(m2.masterId, null);
  assert.equal(m2.slots.length, 10922 - 6827 + 1);
  assert.deepEqual(m2.slotTokens, ["6827-10922"]);
  assert.equal(me.myself, true);
  assert.equal(me.slots.length, 6827 + 1365);
  assert.equal(myselfLine(lines), me);
});

Deno.test("parseNodeLine: open slots, hostname, empty ip, single slots", () => {
  const l = parseNodeLine(
    "149921c530bf8823de9c05a32ceaeda2aa94f1f6 127.0.0.1:16002@26002,node-b myself,master - 0 1795546662000 7 connected 6827-10922 5 [7000->-92041e18d06fbe3e439721b9993ea76c1150ba9f] [7001-<-0f8cb10d53b5a70a6609fec919f2b2119dbfa23b]",
  );
  assert.equal(l.hostname, "node-b");
  assert.equal(l.busPort, 26002);
  assert.deepEqual(l.slotTokens, ["6827-10922", "5"]);
  assert.equal(l.migrating.get(7000), "92041e18d06fbe3e439721b9993ea76c1150ba9f");
  assert.equal(l.importing.get(7001), "0f8cb10d53b5a70a6609fec919f2b2119dbfa23b");
  const fresh = parseNodeLine(
    "92041e18d06fbe3e439721b9993ea76c1150ba9f :16001@26001 myself,master - 0 0 0 connected",
  );
  assert.equal(fresh.ip, "");
  assert.equal(fresh.port, 16001);
  assert.equal(fresh.slots.length, 0);
  assert.throws(
    () => parseNodeLine("abc 127.0.0.1:1@2 master - 0 0 0 connected 9-3"),
    /bad slot token/,
  );
  assert.throws(() => parseNodeLine("too short"), /bad CLUSTER NODES line/);
});

Deno.test("parseClusterNodes ignores a last line without newline (as redis-cli)", () => {
  assert.equal(parseClusterNodes(SAMPLE.trimEnd()).length, 2);
});

Deno.test("configSignature: order-insensitive, ignores open slots and slotless nodes", () => {
  const a = parseClusterNodes(SAMPLE);
  const b = parseClusterNodes(
    SAMPLE.split("\n").filter((x) => x !== "").reverse().join("\n") + "\n",
  );
  assert.equal(configSignature(a), configSignature(b));
  assert.equal(
    configSignature(a),
    "149921c530bf8823de9c05a32ceaeda2aa94f1f6:6827-10922|92041e18d06fbe3e439721b9993ea76c1150ba9f:0-6826,10923-12287",
  );
  // Differently split ranges differ (redis-cli compares the strings).
  const split = parseClusterNodes(SAMPLE.replace("6827-10922", "6827-9000 9001-10922"));
  assert.notEqual(configSignature(split), configSignature(a));
});

Deno.test("isUnreachable / inHandshake", () => {
  const l = (flags: string) => parseNodeLine(`abc 127.0.0.1:1@2 ${flags} - 0 0 0 connected`);
  assert.equal(isUnreachable(l("master,fail")), true);
  assert.equal(isUnreachable(l("master,fail?")), false);
  assert.equal(isUnreachable(l("slave,noaddr")), true);
  assert.equal(inHandshake(l("master,handshake")), true);
  assert.equal(inHandshake(l("master")), false);
});
