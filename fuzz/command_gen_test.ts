import assert from "node:assert/strict";
import { Prng } from "../cluster/prng.ts";
import { COMMAND_TABLE } from "../commands/command_docs_table.ts";
import { FUZZ_COMMANDS, randomCommand } from "./command_gen.ts";

const td = new TextDecoder();

Deno.test("command generator: real names, no admin command, arity mostly respected", () => {
  const names = new Set(FUZZ_COMMANDS.map((c) => c.words.join("|")));
  assert.ok(names.has("get") && names.has("client|setname") && names.has("xadd"));
  for (
    const banned of [
      "shutdown",
      "config|set",
      "debug",
      "client|kill",
      "client|pause",
      "replicaof",
      "cluster|reset",
      "cluster|meet",
      "migrate",
      "acl|setuser",
      "module|load",
    ]
  ) {
    assert.ok(!names.has(banned), banned);
  }
  const rng = new Prng(11);
  let arityOk = 0;
  for (let i = 0; i < 2000; i++) {
    const args = randomCommand(rng);
    const first = td.decode(args[0]).toLowerCase();
    const two = args.length > 1 ? `${first}|${td.decode(args[1]).toLowerCase()}` : "";
    const spec = COMMAND_TABLE.get(two) ?? COMMAND_TABLE.get(first);
    assert.ok(spec !== undefined, `not a real command: ${first}`);
    assert.ok(!spec.flags.includes("admin"), `admin command sent: ${first} ${two}`);
    if (spec.arity > 0 ? args.length === spec.arity : args.length >= -spec.arity) arityOk++;
  }
  assert.ok(arityOk > 1500 && arityOk < 2000, `arity respected ${arityOk}/2000`);
});
