import assert from "node:assert/strict";
import { parseLinks, shapeKey } from "./poller.ts";
import { buildView } from "./view_model.ts";
import { inlineJson } from "./server.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { parseClusterNodes } from "../manager/nodes_text.ts";

const bulk = (s: string): RespValue => ({ type: "bulk", value: new TextEncoder().encode(s) });

Deno.test("parseLinks: CLUSTER LINKS as RESP2 flat arrays and as RESP3 maps", () => {
  const flat: RespValue = {
    type: "array",
    value: [{
      type: "array",
      value: [
        bulk("direction"),
        bulk("to"),
        bulk("node"),
        bulk("n1"),
        bulk("create-time"),
        { type: "int", value: 12 },
        bulk("events"),
        bulk("r"),
      ],
    }, {
      type: "map",
      value: [[bulk("direction"), bulk("from")], [bulk("node"), bulk("n2")]],
    }],
  };
  assert.deepEqual(parseLinks(flat), [
    { direction: "to", nodeId: "n1", createTimeMs: 12 },
    { direction: "from", nodeId: "n2", createTimeMs: 0 },
  ]);
  assert.equal(parseLinks({ type: "error", value: "ERR unknown subcommand" }), null);
});

Deno.test("shapeKey: statistics do not count as a change, cluster facts do", () => {
  const text = `${"a".repeat(40)} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383\n`;
  const report = (ops: string, flags = "myself,master") => ({
    addr: "127.0.0.1:7000",
    polled: true,
    reachable: true,
    error: null,
    lines: parseClusterNodes(text.replace("myself,master", flags)),
    info: new Map([["instantaneous_ops_per_sec", ops], ["used_memory", ops]]),
    links: null,
    machines: null,
    rttMs: Number(ops) / 10,
    opsHistory: [Number(ops)],
    rttHistory: [Number(ops) / 10],
  });
  const a = buildView([report("1")], 1);
  const b = buildView([report("2")], 2);
  assert.equal(a.nodes.length, 1);
  assert.notEqual(a.nodes[0].opsPerSec, b.nodes[0].opsPerSec);
  assert.equal(shapeKey(a), shapeKey(b));
  assert.notEqual(shapeKey(a), shapeKey({ ...b, state: "fail" }));
  assert.notEqual(shapeKey(a), shapeKey(buildView([report("1", "myself,master,nofailover")], 1)));
});

Deno.test("inlineJson: safe inside a <script> element", () => {
  const s = inlineJson({ t: "</script><script>alert(1)</script>\u2028" });
  assert.ok(!s.includes("<"));
  assert.ok(!s.includes("\u2028"));
  assert.deepEqual(JSON.parse(s), { t: "</script><script>alert(1)</script>\u2028" });
});
