/**
 * The COMMAND DOCS texts are imported on first use (commands/command_docs_loader.ts): on a fresh
 * node (its own process, nothing loaded), the first COMMAND DOCS answers as redis-server 7.0.15
 * does whether it comes from a client, pipelined with other commands, from a script (which
 * cannot wait), or inside MULTI/EXEC, where it keeps the transaction one unit.
 */

import assert from "node:assert/strict";
import { encodeCommand, pipelined, RespClient } from "./harness.ts";
import { show, withSpawnedNodeAndRedis } from "./compare.ts";
import { sortSubcommands } from "./command_docs_gen.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const canon = (v: RespValue | null) => v === null ? "(none)" : show(sortSubcommands(v));

Deno.test({
  name: "lazy COMMAND DOCS: the first call, pipelined between other commands, answers in order",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b) => {
      const cmds = [["SET", "k", "v"], ["COMMAND", "DOCS", "get", "config|get", "nosuch"], [
        "GET",
        "k",
      ], ["COMMAND", "DOCS", "set"]];
      assert.deepEqual(
        (await pipelined(a, cmds)).map(canon),
        (await pipelined(b, cmds)).map(canon),
      );
    });
  },
});

Deno.test({
  // The table's tips and key specs are parsed on their first read (commands/command_docs_table.ts).
  name: "lazy key specs: the first COMMAND INFO and GETKEYS on a fresh node answer as Redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b) => {
      const cmds = [
        ["SET", "k", "v"],
        ["COMMAND", "INFO", "set", "zunionstore", "client|list", "nosuch"],
        ["COMMAND", "GETKEYS", "SET", "k", "v"],
        ["COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"],
        ["GET", "k"],
      ];
      assert.deepEqual(
        (await pipelined(a, cmds)).map(canon),
        (await pipelined(b, cmds)).map(canon),
      );
    });
  },
});

Deno.test({
  // RESP2: a RESP3 map comes back from a Lua table in the table's order, not Redis's.
  name: "lazy COMMAND DOCS: the first call from a script (which cannot wait) answers as Redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b) => {
      const script = "return redis.call('COMMAND', 'DOCS', 'get', 'config|get')";
      // Read with a time limit: without the texts the script would not come back.
      await a.writeRaw(encodeCommand(["EVAL", script, "0"]));
      const ra = await a.readValue(10_000);
      assert.notEqual(ra?.type, "error");
      assert.equal(canon(ra), canon(await b.callRaw("EVAL", script, "0")));
    });
  },
});

Deno.test({
  name: "lazy COMMAND DOCS: the first call inside MULTI/EXEC keeps the transaction one unit",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b, oursPort) => {
      const other = await RespClient.connect(oursPort);
      try {
        for (const c of [a, b]) {
          assert.equal(await c.call("MULTI"), "OK");
          assert.equal(await c.call("SET", "k", "1"), "QUEUED");
          assert.equal(await c.call("COMMAND", "DOCS", "get"), "QUEUED");
          assert.equal(await c.call("INCR", "k"), "QUEUED");
        }
        // Another client's write while the texts load lands before or after the whole
        // transaction (SET then overwrites it), never between its SET and its INCR.
        const exec = a.writeRaw(encodeCommand(["EXEC"]));
        const write = other.call("INCR", "k");
        await exec;
        const ra = await a.readValue();
        await write;
        const rb = await b.callRaw("EXEC");
        assert.equal(canon(ra), canon(rb));
      } finally {
        other.close();
      }
    });
  },
});
