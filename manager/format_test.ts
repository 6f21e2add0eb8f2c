import assert from "node:assert/strict";
import { infoLine, nodeInfo, slotRanges, slotsString } from "./format.ts";

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

Deno.test("slotsString: redis-cli's slot list", () => {
  assert.equal(slotsString([...range(0, 199), ...range(201, 5460)]), "[0-199],[201-5460]");
  assert.equal(slotsString([200, 16383, 5]), "[5],[200],[16383]");
  assert.equal(slotsString([]), "");
  assert.deepEqual(slotRanges([3, 1, 2, 7]), [[1, 3], [7, 7]]);
});

Deno.test("nodeInfo: master, replica, planned replica", () => {
  const id = "8f9abb18d8dbc23bfa10dd668ba6dd490d44efe8";
  const m = {
    id,
    addr: "127.0.0.1:17101",
    replica: false,
    replicate: null,
    slots: range(0, 5460),
    replicasCount: 1,
  };
  assert.equal(
    nodeInfo(m),
    `M: ${id} 127.0.0.1:17101\n   slots:[0-5460] (5461 slots) master\n   1 additional replica(s)`,
  );
  const r = {
    id,
    addr: "127.0.0.1:17104",
    replica: true,
    replicate: "abc",
    slots: [],
    replicasCount: 0,
  };
  assert.equal(
    nodeInfo(r),
    `S: ${id} 127.0.0.1:17104\n   slots: (0 slots) slave\n   replicates abc`,
  );
  assert.equal(nodeInfo(r, 0, true), `S: ${id} 127.0.0.1:17104\n   replicates abc`);
  assert.equal(nodeInfo(r, 4).split("\n")[2], "       replicates abc");
  assert.equal(
    infoLine("127.0.0.1:17101", id, 19, 5461, 1),
    "127.0.0.1:17101 (8f9abb18...) -> 19 keys | 5461 slots | 1 slaves.",
  );
});
