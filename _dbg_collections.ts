import { RespClient, startNode } from "./tests/harness.ts";
const node = await startNode();
const c = await RespClient.connect(node.port);
const lines = Deno.readTextFileSync("/tmp/cmds.txt").trim().split("\n");
for (const l of lines) {
  console.log(l, "=>", JSON.stringify(await c.call(...l.split(" "))));
}
c.close(); await node.stop();
