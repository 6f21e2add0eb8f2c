/**
 * MODULE against a real redis-server 7.0.15 that has no module loaded: LIST, HELP, LOAD, LOADEX
 * (its CONFIG / ARGS checks), UNLOAD and the argument errors, in RESP2 and RESP3, with
 * enable-module-command yes and with the default (no), where LOAD, LOADEX and UNLOAD are refused
 * with Redis's text; and what each failed load logs, as Redis logs it.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, spawnRedis, startNode } from "./harness.ts";
import { type Cmd, cmdText, show, words } from "./compare.ts";

const SCRIPT: Cmd[] = [
  words("MODULE LIST"),
  words("MODULE HELP"),
  words("MODULE LOAD /nonexistent/x.so"),
  words("MODULE LOAD /nonexistent/x.so a b"),
  words("MODULE LOADEX /nonexistent/x.so"),
  words("MODULE LOADEX /x.so CONFIG"),
  words("MODULE LOADEX /x.so CONFIG a"),
  words("MODULE LOADEX /x.so CONFIG a b ARGS c"),
  words("MODULE LOADEX /x.so ARGS a b"),
  words("MODULE LOADEX /x.so FOO"),
  words("MODULE UNLOAD foo"),
  words("MODULE UNLOAD"),
  words("MODULE LIST x"),
  words("MODULE LOAD"),
  words("module foo"),
  words("MODULE"),
  words("MULTI"),
  words("MODULE LIST"),
  words("EXEC"),
];

async function compare(directives: Record<string, string>): Promise<void> {
  const node = await startNode(directives);
  const redis = await spawnRedis(directives);
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    for (const protocol of ["2", "3"]) {
      await a.call("HELLO", protocol);
      await b.call("HELLO", protocol);
      for (const c of SCRIPT) {
        assert.equal(
          show(await a.callRaw(...c)),
          show(await b.callRaw(...c)),
          `RESP${protocol} ${cmdText(c)} (${JSON.stringify(directives)})`,
        );
      }
    }
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
}

Deno.test("MODULE as redis-server with no module: enable-module-command yes and no", async () => {
  if (!haveRedisServer()) return;
  await compare({ "enable-module-command": "yes" });
  await compare({});
});

Deno.test("MODULE LOAD / LOADEX log why they failed, as Redis does", async () => {
  const node = await startNode({ "enable-module-command": "yes" });
  const a = await RespClient.connect(node.port);
  try {
    // The last line logged once the reply is in (each of these logs one line).
    const logged = async (...c: string[]) => {
      await a.callRaw(...c);
      return node.server.log.recent.at(-1) ?? "";
    };
    assert.match(await logged("MODULE", "LOAD", "/m.so"), /Module \/m\.so failed to load: /);
    assert.match(
      await logged("MODULE", "LOADEX", "/m.so", "CONFIG", "a"),
      / \* CONFIG specified without name value pair\n$/,
    );
    assert.match(
      await logged("MODULE", "LOADEX", "/m.so", "Foo"),
      / \* Syntax Error from arguments to loadex around Foo\.\n$/,
    );
  } finally {
    a.close();
    await node.stop();
  }
});
