/**
 * Generates commands/command_docs_table.ts and commands/command_docs_text.ts from a real
 * redis-server 7.0.15: its `COMMAND INFO` and `COMMAND DOCS` replies (RESP3), one entry per
 * command and subcommand ("config|get"), for every command Redis has. The node prints COMMAND
 * INFO/DOCS/LIST/COUNT from them for the commands it implements (commands/command_docs.ts). The
 * DOCS texts are a file of their own, loaded on the first COMMAND DOCS
 * (commands/command_docs_loader.ts): most of the bytes, which an idle node need not compile.
 *
 * Run: deno run -A tests/command_docs_gen.ts   (needs redis-server 7.0.15 on the PATH)
 *
 * Before writing, every entry is re-encoded with commands/command_docs.ts's writer and compared
 * with what Redis sent, so the table's plain JSON loses no type (map, set, status, bulk, int).
 */

import { RespClient, spawnRedis } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import type { CommandSpec, DocValue } from "../commands/command_docs_table.ts";
import type { CommandDocMap } from "../commands/command_docs_text.ts";
import { writeCommandDocs, writeCommandInfo } from "../commands/command_docs.ts";
import { Reply } from "../protocol/reply.ts";
import { decodeValue } from "../protocol/resp_value.ts";

const OUT = new URL("../commands/command_docs_table.ts", import.meta.url);
const OUT_DOCS = new URL("../commands/command_docs_text.ts", import.meta.url);

/** A table entry with its COMMAND DOCS fields, as read from Redis (split when written). */
type GenSpec = CommandSpec & { docs: CommandDocMap };

function text(v: RespValue): string {
  if (v.type === "bulk") return new TextDecoder().decode(v.value);
  if (v.type === "simple") return v.value;
  throw new Error(`expected a string, got ${v.type}`);
}

function num(v: RespValue): number {
  if (v.type !== "int") throw new Error(`expected an int, got ${v.type}`);
  return v.value;
}

function list(v: RespValue): RespValue[] {
  if (v.type !== "array" && v.type !== "set") throw new Error(`expected a list, got ${v.type}`);
  return v.value;
}

/** A reply as plain JSON: maps to objects, sets and arrays to arrays, strings, numbers. */
function plain(v: RespValue): DocValue {
  switch (v.type) {
    case "map": {
      const o: Record<string, DocValue> = {};
      for (const [k, x] of v.value) o[text(k)] = plain(x);
      return o;
    }
    case "array":
    case "set":
      return v.value.map(plain);
    case "bulk":
    case "simple":
      return text(v);
    case "int":
      return v.value;
    default:
      throw new Error(`unexpected ${v.type} in COMMAND output`);
  }
}

function addInfo(table: Map<string, GenSpec>, info: RespValue): void {
  const f = list(info);
  const name = text(f[0]);
  const subs = list(f[9]);
  table.set(name, {
    arity: num(f[1]),
    flags: list(f[2]).map(text),
    keys: [num(f[3]), num(f[4]), num(f[5])],
    acl: list(f[6]).map(text),
    tips: list(f[7]).map(text),
    keySpecs: list(f[8]).map(plain),
    docs: {},
    ...(subs.length ? { subcommands: subs.map((s) => text(list(s)[0])).sort() } : {}),
  });
  for (const s of subs) addInfo(table, s);
}

function addDocs(table: Map<string, GenSpec>, name: string, doc: RespValue): void {
  if (doc.type !== "map") throw new Error(`docs of ${name}: not a map`);
  const spec = table.get(name);
  if (spec === undefined) throw new Error(`docs of ${name} but no info`);
  for (const [k, v] of doc.value) {
    const key = text(k);
    if (key === "subcommands") {
      if (v.type !== "map") throw new Error("subcommands: not a map");
      for (const [sk, sv] of v.value) addDocs(table, text(sk), sv);
    } else spec.docs[key] = plain(v);
  }
}

/** The DOCS fields of every entry, as commands/command_docs_text.ts holds them. */
function docsOf(table: Map<string, GenSpec>): Map<string, CommandDocMap> {
  return new Map([...table].map(([n, s]) => [n, s.docs]));
}

/** The table's entry written back with the node's writer, decoded (for the round-trip check). */
function rewritten(
  table: Map<string, GenSpec>,
  name: string,
  kind: "info" | "docs",
): RespValue {
  const r = new Reply();
  r.proto = 3;
  const exists = (n: string) => table.has(n);
  if (kind === "info") writeCommandInfo(r, table, name, exists);
  else {
    r.map(1);
    r.bulkText(name);
    writeCommandDocs(r, table, docsOf(table), name, exists);
  }
  return decodeValue(r.take(), 0)![0];
}

/**
 * A reply rendered with every RESP type told apart (set, map, status, bulk, int...): two
 * replies render alike exactly when their bytes are alike.
 */
export function strictShow(v: RespValue): string {
  switch (v.type) {
    case "simple":
      return `+${v.value}`;
    case "error":
      return `-${v.value}`;
    case "int":
      return `:${v.value}`;
    case "bulk":
      return `$${JSON.stringify(new TextDecoder().decode(v.value))}`;
    case "null":
      return "_";
    case "array":
      return `*[${v.value.map(strictShow).join(",")}]`;
    case "set":
      return `~[${v.value.map(strictShow).join(",")}]`;
    case "push":
      return `>[${v.value.map(strictShow).join(",")}]`;
    case "map":
      return `%{${v.value.map(([k, x]) => `${strictShow(k)}:${strictShow(x)}`).join(",")}}`;
    case "double":
      return `,${v.text}`;
    case "bool":
      return `#${v.value}`;
    case "verbatim":
      return `=${v.format}:${v.value}`;
    case "bignum":
      return `(${v.value}`;
  }
}

const isBulk = (v: RespValue, s: string) =>
  v.type === "bulk" && new TextDecoder().decode(v.value) === s;

/**
 * A COMMAND INFO or DOCS reply with its subcommands in name order (Redis lists them in its
 * dict's order, which changes with every process's hash seed), RESP2 or RESP3.
 */
export function sortSubcommands(v: RespValue): RespValue {
  if (v.type === "map") {
    return {
      type: "map",
      value: v.value.map(([k, x]) => {
        if (isBulk(k, "subcommands") && x.type === "map") {
          const subs = x.value.map(([sk, sx]) =>
            [sk, sortSubcommands(sx)] as [RespValue, RespValue]
          );
          subs.sort((p, q) => strictShow(p[0]) < strictShow(q[0]) ? -1 : 1);
          return [k, { type: "map", value: subs }];
        }
        return [k, sortSubcommands(x)];
      }),
    };
  }
  if (v.type !== "array" && v.type !== "set") return v;
  const items = v.value.map(sortSubcommands);
  // COMMAND INFO entry: [name, arity, flags, first, last, step, acl, tips, keyspecs, subs].
  if (
    v.type === "array" && items.length === 10 && items[0].type === "bulk" &&
    items[1].type === "int" && items[9].type === "array"
  ) {
    const subs = [...items[9].value];
    subs.sort((p, q) => strictShow(p) < strictShow(q) ? -1 : 1);
    items[9] = { type: "array", value: subs };
  }
  // RESP2 DOCS map: a flat [key, value, ...] array with "subcommands" then a flat array.
  if (v.type === "array" && items.length % 2 === 0) {
    for (let i = 0; i < items.length; i += 2) {
      const x = items[i + 1];
      if (isBulk(items[i], "subcommands") && x.type === "array" && x.value.length % 2 === 0) {
        const pairs: [RespValue, RespValue][] = [];
        for (let j = 0; j < x.value.length; j += 2) pairs.push([x.value[j], x.value[j + 1]]);
        pairs.sort((p, q) => strictShow(p[0]) < strictShow(q[0]) ? -1 : 1);
        items[i + 1] = { type: "array", value: pairs.flat() };
      }
    }
  }
  return { type: v.type, value: items };
}

async function main(): Promise<void> {
  const redis = await spawnRedis();
  const c = await RespClient.connect(redis.port);
  try {
    await c.callRaw("HELLO", "3");
    const infoText = await c.call("INFO", "server");
    const m = /redis_version:(\S+)/.exec(String(infoText));
    if (m === null || m[1] !== "7.0.15") {
      throw new Error(`need redis-server 7.0.15, found ${m?.[1] ?? "?"}`);
    }
    const table = new Map<string, GenSpec>();
    for (const info of list(await c.callRaw("COMMAND", "INFO"))) addInfo(table, info);
    const docs = await c.callRaw("COMMAND", "DOCS");
    if (docs.type !== "map") throw new Error("COMMAND DOCS: not a map");
    for (const [k, v] of docs.value) addDocs(table, text(k), v);
    const names = [...table.keys()].sort();
    const sorted = new Map(names.map((n) => [n, table.get(n)!]));
    // Round trip: the writer gives back what Redis sent (subcommands in sorted order).
    for (const n of names) {
      const [info, doc] = [
        await c.callRaw("COMMAND", "INFO", n),
        await c.callRaw("COMMAND", "DOCS", n),
      ];
      const want = [list(info)[0], doc].map((x) => strictShow(sortSubcommands(x)));
      const got = [rewritten(sorted, n, "info"), rewritten(sorted, n, "docs")].map((x) =>
        strictShow(sortSubcommands(x))
      );
      if (want[0] !== got[0]) throw new Error(`COMMAND INFO ${n} does not round-trip`);
      if (want[1] !== got[1]) {
        throw new Error(`COMMAND DOCS ${n} does not round-trip:\n${want[1]}\n${got[1]}`);
      }
    }
    // The core table as JSON text parsed at load, one entry a line: V8 keeps no object-literal
    // boilerplate for it and a smaller source (measured: ~0.4 MiB less RSS than a literal). The
    // tips and key specs, most of its bytes and read only by COMMAND INFO/GETKEYS and ACL key
    // checks, are a second JSON text, parsed on first read (measured: 0.7-1.6 MiB less idle RSS).
    const jsonLine = (n: string, v: unknown, last: boolean) => {
      const line = `${JSON.stringify(n)}:${JSON.stringify(v)}${last ? "" : ","}`;
      // Inside String.raw`...`: a backtick or "${" (only ever in a JSON string) as a JSON escape.
      return line.replaceAll("`", "\\u0060").replaceAll("${", "$\\u007b");
    };
    const coreLines = names.map((n, i) => {
      const { docs: _docs, tips: _tips, keySpecs: _keySpecs, ...core } = sorted.get(n)!;
      return jsonLine(n, core, i === names.length - 1);
    });
    const withKeySpecs = names.filter((n) => {
      const { tips, keySpecs } = sorted.get(n)!;
      return tips.length > 0 || keySpecs.length > 0;
    });
    const keySpecLines = withKeySpecs.map((n, i) => {
      const { tips, keySpecs } = sorted.get(n)!;
      return jsonLine(n, { tips, keySpecs }, i === withKeySpecs.length - 1);
    });
    const src = `/**
 * GENERATED by tests/command_docs_gen.ts from redis-server 7.0.15's COMMAND INFO; do not edit.
 * Regenerate: deno run -A tests/command_docs_gen.ts
 *
 * One entry per command and subcommand ("config|get") Redis 7.0.15 has. The node prints
 * COMMAND INFO / LIST / COUNT from it (commands/command_docs.ts) for the commands it implements,
 * and takes its commands' arity, flags, keys and ACL categories from it; tests/command_docs_test.ts
 * checks the CommandDefs agree with it. The COMMAND DOCS texts are in command_docs_text.ts.
 */

/** COMMAND DOCS and key-spec values as plain JSON (commands/command_docs.ts types them back). */
export type DocValue = string | number | DocValue[] | { [key: string]: DocValue };

export interface CommandSpec {
  arity: number;
  /** COMMAND INFO flags as printed (movablekeys included; may_replicate & co hidden). */
  flags: string[];
  /** Legacy first key, last key, step. */
  keys: [number, number, number];
  /** ACL categories with '@'. */
  acl: string[];
  readonly tips: string[];
  readonly keySpecs: DocValue[];
  /** Full names of the subcommands, sorted. */
  subcommands?: string[];
}

/** What the command table is built from at start (commands/types.ts fromTable). */
type CoreSpec = Omit<CommandSpec, "tips" | "keySpecs">;

/** A command's COMMAND INFO tips and key specs. */
interface KeySpecEntry {
  tips: string[];
  keySpecs: DocValue[];
}

// deno-fmt-ignore
const CORE: Record<string, CoreSpec> = JSON.parse(String.raw\`{
${coreLines.join("\n")}
}\`);

/**
 * The tips and key specs of the commands that have any, as JSON text. The literal is in a
 * function so V8 makes its string only on the first call (an idle node keeps only the source).
 */
function keySpecsJson(): string {
  // deno-fmt-ignore
  return String.raw\`{
${keySpecLines.join("\n")}
}\`;
}

const NO_KEY_SPECS: KeySpecEntry = { tips: [], keySpecs: [] };
let keySpecEntries: Record<string, KeySpecEntry> | null = null;

function keySpecEntry(name: string): KeySpecEntry {
  keySpecEntries ??= JSON.parse(keySpecsJson()) as Record<string, KeySpecEntry>;
  return keySpecEntries[name] ?? NO_KEY_SPECS;
}

/** An entry: the core fields, and the tips and key specs read through on first use. */
class TableSpec implements CommandSpec {
  readonly arity: number;
  readonly flags: string[];
  readonly keys: [number, number, number];
  readonly acl: string[];
  readonly subcommands?: string[];
  readonly #name: string;

  constructor(name: string, core: CoreSpec) {
    this.#name = name;
    this.arity = core.arity;
    this.flags = core.flags;
    this.keys = core.keys;
    this.acl = core.acl;
    if (core.subcommands !== undefined) this.subcommands = core.subcommands;
  }

  get tips(): string[] {
    return keySpecEntry(this.#name).tips;
  }

  get keySpecs(): DocValue[] {
    return keySpecEntry(this.#name).keySpecs;
  }
}

/** Have the tips and key specs been parsed yet? (tests/start_graph_test.ts: not at start.) */
export function keySpecsParsed(): boolean {
  return keySpecEntries !== null;
}

export const COMMAND_TABLE: ReadonlyMap<string, CommandSpec> = new Map(
  Object.entries(CORE).map(([name, core]) => [name, new TableSpec(name, core)]),
);
`;
    const docsSrc = `/**
 * GENERATED by tests/command_docs_gen.ts from redis-server 7.0.15's COMMAND DOCS; do not edit.
 * Regenerate: deno run -A tests/command_docs_gen.ts
 *
 * The COMMAND DOCS fields (but subcommands, which command_docs_table.ts lists) of every command
 * and subcommand Redis 7.0.15 has, in Redis's order. Imported on the first COMMAND DOCS only
 * (commands/command_docs_loader.ts).
 */

import type { DocValue } from "./command_docs_table.ts";

/** One command's COMMAND DOCS fields. */
export type CommandDocMap = { [key: string]: DocValue };

const ENTRIES: Record<string, CommandDocMap> = {
${names.map((n) => `  ${JSON.stringify(n)}: ${JSON.stringify(sorted.get(n)!.docs)},`).join("\n")}
};

export const COMMAND_DOCS: ReadonlyMap<string, CommandDocMap> = new Map(Object.entries(ENTRIES));
`;
    await Deno.writeTextFile(OUT, src);
    await Deno.writeTextFile(OUT_DOCS, docsSrc);
    const fmt = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", OUT.pathname, OUT_DOCS.pathname],
    }).output();
    if (!fmt.success) throw new Error("deno fmt failed on the generated tables");
    console.log(`wrote ${names.length} entries to ${OUT.pathname} and ${OUT_DOCS.pathname}`);
  } finally {
    c.close();
    await redis.stop();
  }
}

if (import.meta.main) await main();
