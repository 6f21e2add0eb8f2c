import assert from "node:assert/strict";
import { parseClusterNodes } from "../manager/nodes_text.ts";
import { viewsAgree } from "./cluster_status.ts";
import { parseStartOptions, planNodes } from "./options.ts";
import { orderNodes, topologyText } from "./topology.ts";

const A = "a".repeat(40), B = "b".repeat(40), C = "c".repeat(40), D = "d".repeat(40);
const view = (me: string, dRole: string) =>
  parseClusterNodes(
    [
      `${A} 127.0.0.1:7000@17000 ${me === A ? "myself," : ""}master - 0 0 1 connected 0-8000`,
      `${B} 127.0.0.1:7001@17001 ${me === B ? "myself," : ""}master - 0 0 2 connected 8001-12000`,
      `${C} 127.0.0.1:7002@17002 ${me === C ? "myself," : ""}master - 0 0 3 connected 12001-16383`,
      `${D} 127.0.0.1:7003@17003 ${me === D ? "myself," : ""}${dRole} 0 0 4 connected`,
    ].join("\n") + "\n",
  );

Deno.test("topology: masters by first slot, each followed by its replicas", () => {
  const lines = view(A, `slave ${B}`);
  assert.deepEqual(orderNodes(lines).map((l) => l.port), [7000, 7001, 7003, 7002]);
  const nodes = planNodes(parseStartOptions(["--nodes", "4", "--replicas", "0"]), "/p");
  const text = topologyText(lines, nodes, 7000, ".data/cluster/*/node.log");
  const rows = text.split("\n");
  assert.equal(
    rows[0],
    "Cluster ready: 3 masters, 1 replicas, 16384 slots assigned, cluster_state:ok",
  );
  assert.match(
    rows[1],
    /^ {2}127\.0\.0\.1:7000 +master +slots 0-8000 +id aaaaaaaa {2}log \.data\/cluster\/7000\/node\.log$/,
  );
  assert.match(rows[3], /^ {2}127\.0\.0\.1:7003 +replica +of 127\.0\.0\.1:7001 /);
  assert.ok(text.includes("redis-cli -c -p 7000"));
});

Deno.test("viewsAgree: every view must match each node's own role, all connected", () => {
  const good = [
    view(A, `slave ${B}`),
    view(B, `slave ${B}`),
    view(C, `slave ${B}`),
    view(D, `slave ${B}`),
  ];
  assert.equal(viewsAgree(good, 4), true);
  // A still thinks D is a master (gossip not yet arrived)
  assert.equal(viewsAgree([view(A, "master -"), good[1], good[2], good[3]], 4), false);
  assert.equal(viewsAgree([good[0], null, good[2], good[3]], 4), false);
  assert.equal(viewsAgree(good, 5), false);
  const failing = parseClusterNodes(
    [
      `${A} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8000`,
      `${B} 127.0.0.1:7001@17001 master,fail? - 0 0 2 connected 8001-12000`,
      `${C} 127.0.0.1:7002@17002 master - 0 0 3 connected 12001-16383`,
      `${D} 127.0.0.1:7003@17003 slave ${B} 0 0 4 connected`,
    ].join("\n") + "\n",
  );
  assert.equal(viewsAgree([failing, good[1], good[2], good[3]], 4), false);
});
