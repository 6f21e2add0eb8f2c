/**
 * COMMAND INFO / DOCS / COUNT / LIST / GETKEYS / GETKEYSANDFLAGS against a real redis-server
 * 7.0.15, byte for byte in RESP2 and RESP3, for every command the node implements; and the
 * CommandDefs the dispatcher runs agree with the generated table (commands/command_docs_table.ts)
 * on arity, flags, legacy key range and ACL categories.
 *
 * Redis lists subcommands in its dict's order, which changes with every process (hash seed):
 * both sides are compared with subcommands sorted by name, and Redis's subcommands the node
 * does not implement are pruned from its reply (the node lists only what exists).
 */

import assert from "node:assert/strict";
import { withNodeAndRedis } from "./compare.ts";
import type { RespClient } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { sortSubcommands, strictShow } from "./command_docs_gen.ts";
import { buildCommandTable } from "../commands/registry.ts";
import { COMMAND_TABLE } from "../commands/command_docs_table.ts";
import type { CommandDef } from "../commands/types.ts";

const dec = new TextDecoder();
const textOf = (v: RespValue) => v.type === "bulk" ? dec.decode(v.value) : "";

/** Every command and subcommand the node implements, by full name. */
function implemented(): Map<string, CommandDef> {
  const out = new Map<string, CommandDef>();
  for (const [name, d] of buildCommandTable()) {
    out.set(name, d);
    for (const s of d.subcommands ?? []) out.set(`${name}|${s.name}`, s);
  }
  return out;
}

/** Flags COMMAND INFO does not print (server.c addReplyCommandFlags). */
const HIDDEN = new Set(["may_replicate", "sentinel", "only_sentinel", "protected"]);

Deno.test("CommandDefs agree with Redis 7.0.15's table (arity, flags, keys, ACL categories)", () => {
  const wrong: string[] = [];
  for (const [name, d] of implemented()) {
    const spec = COMMAND_TABLE.get(name);
    if (spec === undefined) {
      wrong.push(`${name}: not a Redis 7.0.15 command`);
      continue;
    }
    if (d.arity !== spec.arity) wrong.push(`${name}: arity ${d.arity}, redis ${spec.arity}`);
    const flags = d.flags.filter((f) => !HIDDEN.has(f) && f !== "movablekeys").sort().join(" ");
    const want = spec.flags.filter((f) => f !== "movablekeys").sort().join(" ");
    if (flags !== want) wrong.push(`${name}: flags [${flags}], redis [${want}]`);
    const keys = [d.firstKey, d.lastKey, d.step].join(",");
    if (keys !== spec.keys.join(",")) wrong.push(`${name}: keys ${keys}, redis ${spec.keys}`);
    const cats = (d.categories ?? []).map((c) => `@${c}`).sort().join(" ");
    const wantCats = [...spec.acl].sort().join(" ");
    if (cats !== wantCats) wrong.push(`${name}: acl [${cats}], redis [${wantCats}]`);
  }
  assert.deepEqual(wrong, []);
});

/** Drop from Redis's reply the subcommands the node does not implement. */
function prune(v: RespValue, keep: Set<string>): RespValue {
  if (v.type === "map") {
    return {
      type: "map",
      value: v.value.map(([k, x]): [RespValue, RespValue] => {
        if (textOf(k) === "subcommands" && x.type === "map") {
          const kept = x.value.filter(([sk]) => keep.has(textOf(sk)));
          return [k, { type: "map", value: kept.map(([sk, sx]) => [sk, prune(sx, keep)]) }];
        }
        return [k, prune(x, keep)];
      }),
    };
  }
  if (v.type !== "array" && v.type !== "set") return v;
  let items = v.value.map((x) => prune(x, keep));
  // COMMAND INFO entry: element 9 lists the subcommands (an empty set when none are left).
  if (v.type === "array" && items.length === 10 && items[1].type === "int") {
    const subs = (items[9] as { value: RespValue[] }).value.filter((s) =>
      s.type === "array" && keep.has(textOf(s.value[0]))
    );
    items = [...items.slice(0, 9), { type: subs.length ? "array" : "set", value: subs }];
  }
  // RESP2 DOCS map: flat [key, value, ...]; "subcommands" is followed by a flat array.
  if (v.type === "array" && items.length % 2 === 0) {
    for (let i = 0; i < items.length; i += 2) {
      const x = items[i + 1];
      if (textOf(items[i]) === "subcommands" && x.type === "array") {
        const kept: RespValue[] = [];
        for (let j = 0; j + 1 < x.value.length; j += 2) {
          if (keep.has(textOf(x.value[j]))) kept.push(x.value[j], x.value[j + 1]);
        }
        items[i + 1] = { type: "array", value: kept };
      }
    }
  }
  return { type: v.type, value: items };
}

const canon = (v: RespValue, keep: Set<string>) => strictShow(sortSubcommands(prune(v, keep)));

async function both(a: RespClient, b: RespClient, ...c: string[]): Promise<[RespValue, RespValue]> {
  return [await a.callRaw(...c), await b.callRaw(...c)];
}

/** Sorted texts of an array reply's items (COMMAND LIST), or of its entries' names. */
function names(v: RespValue, entryName = false): string[] {
  assert.ok(v.type === "array", `expected an array, got ${v.type}`);
  return v.value.map((x) => entryName && x.type === "array" ? textOf(x.value[0]) : textOf(x))
    .sort();
}

Deno.test("COMMAND INFO/DOCS/COUNT/LIST/GETKEYS equal redis-server 7.0.15 (RESP2 and RESP3)", async () => {
  const ours = implemented();
  const keep = new Set(ours.keys());
  const all = [...ours.keys()].sort();
  const top = all.filter((n) => !n.includes("|"));
  await withNodeAndRedis(async (a, b) => {
    for (const proto of ["2", "3"]) {
      await both(a, b, "HELLO", proto);
      // Every command and subcommand at once, in one order: an array (INFO), a map (DOCS).
      for (const sub of ["INFO", "DOCS"]) {
        const [ra, rb] = await both(a, b, "COMMAND", sub, ...all);
        const la = ra.type === "map" ? ra.value.map(([k, x]) => [k, x]).flat() : ra;
        const lb = rb.type === "map" ? rb.value.map(([k, x]) => [k, x]).flat() : rb;
        assert.equal(ra.type, rb.type, `COMMAND ${sub}: reply type, RESP${proto}`);
        const ia = Array.isArray(la) ? la : (la as { value: RespValue[] }).value;
        const ib = Array.isArray(lb) ? lb : (lb as { value: RespValue[] }).value;
        assert.equal(ia.length, ib.length, `COMMAND ${sub}: length, RESP${proto}`);
        for (let i = 0; i < ia.length; i++) {
          const what = sub === "INFO" ? all[i] : textOf(ia[i - (i % 2)]);
          assert.equal(
            canon(ia[i], keep),
            canon(ib[i], keep),
            `COMMAND ${sub} ${what} RESP${proto}`,
          );
        }
      }
      // COMMAND with no argument and COMMAND DOCS with none: every top-level command once.
      const [ca, cb] = await both(a, b, "COMMAND");
      assert.deepEqual(names(ca, true), top);
      assert.ok(names(cb, true).length >= top.length);
      const [da] = await both(a, b, "COMMAND", "DOCS");
      const docNames = da.type === "map" ? da.value.map(([k]) => textOf(k)).sort() : names({
        type: "array",
        value: (da as { value: RespValue[] }).value.filter((_, i) => i % 2 === 0),
      });
      assert.deepEqual(docNames, top);
      const [na, nb] = await both(a, b, "COMMAND", "COUNT");
      assert.deepEqual(na, { type: "int", value: top.length });
      assert.ok(nb.type === "int" && nb.value >= top.length);
      const [la, lb] = await both(a, b, "COMMAND", "LIST");
      assert.deepEqual(names(la), all, "COMMAND LIST: the implemented commands");
      for (const n of all) assert.ok(names(lb).includes(n), `redis has ${n}`);
      for (
        const f of [
          ["PATTERN", "c*"],
          ["pattern", "*|HELP"],
          ["ACLCAT", "keyspace"],
          ["aclcat", "SortedSet"],
          ["aclcat", "nosuch"],
          ["module", "x"],
        ]
      ) {
        const [fa, fb] = await both(a, b, "COMMAND", "LIST", "FILTERBY", ...f);
        assert.deepEqual(names(fa), names(fb).filter((n) => keep.has(n)), `FILTERBY ${f}`);
      }
      for (
        const c of [
          ["COMMAND", "LIST", "x"],
          ["COMMAND", "LIST", "FILTERBY", "nosuch", "x"],
          ["COMMAND", "LIST", "FILTERBY", "pattern"],
          ["COMMAND", "INFO", "get", "nosuch", "config|get", "config|nosuch", "GET"],
          ["COMMAND", "DOCS", "get", "nosuch", "CONFIG|GET", "config|nosuch"],
          ["COMMAND", "GETKEYS"],
          ["COMMAND", "GETKEYS", "ping"],
          ["COMMAND", "GETKEYS", "ping", "a", "b"],
          ["COMMAND", "GETKEYS", "nosuch", "a", "b"],
          ["COMMAND", "GETKEYS", "get", "a", "b"],
          ["COMMAND", "GETKEYS", "set", "a", "b"],
          ["COMMAND", "GETKEYS", "object", "encoding", "k"],
          ["COMMAND", "GETKEYS", "object", "nosuch", "k"],
          ["COMMAND", "GETKEYS", "zunionstore", "d", "0"],
          ["COMMAND", "GETKEYS", "zunionstore", "d", "3", "a"],
          ["COMMAND", "GETKEYS", "eval", "s", "0"],
          ["COMMAND", "GETKEYS", "eval", "s", "2", "k1", "k2", "a"],
          ["COMMAND", "GETKEYS", "publish", "ch", "m"],
          ["COMMAND", "GETKEYS", "spublish", "ch", "m"],
          ["COMMAND", "GETKEYS", "migrate", "h", "p", "", "0", "5", "KEYS", "a", "b"],
          ["COMMAND", "GETKEYS", "xread", "count", "2", "streams", "a", "b", "0", "0"],
          ["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"],
          ["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "GET"],
          ["COMMAND", "GETKEYSANDFLAGS", "lmove", "a", "b", "left", "right"],
          ["COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "2", "a", "b"],
          ["COMMAND", "GETKEYSANDFLAGS", "sort", "k", "by", "x", "store", "d"],
          ["COMMAND", "GETKEYSANDFLAGS", "georadius", "k", "0", "0", "1", "m", "STORE", "d"],
          ["COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"],
          ["COMMAND", "GETKEYSANDFLAGS", "ping", "x"],
          ["COMMAND", "HELP"],
          ["COMMAND", "COUNT", "x"],
        ]
      ) {
        const [ra, rb] = await both(a, b, ...c);
        assert.equal(canon(ra, keep), canon(rb, keep), `${c.join(" ")} RESP${proto}`);
      }
    }
  });
});
