/**
 * Client-side caching (CLIENT TRACKING) against a real redis-server 7.0.15, frame for frame: the
 * same scenarios run on redis-server and on our node and every frame each client receives is
 * compared with show() (plus the container type: push, array, set, map).
 *
 * After every step each client sends a marker (`CLIENT GETNAME`, which keeps CLIENT CACHING
 * alive as any CLIENT command does; `PING <name>` for subscribers) and everything it received
 * before the marker's reply is the step's record. Client ids differ between the servers: replies
 * to CLIENT commands and `tracking-redir-broken` pushes name them as `$c<k>`.
 *
 * Redis evicts tracking-table-max-keys overflow by a random walk: that test compares counts and
 * key sets, not which key went. TRACKING_SEED=n explores other seeds of the random session.
 */

import assert from "node:assert/strict";
import {
  encodeCommand,
  haveRedisServer,
  RespClient,
  spawnRedis,
  startNode,
  waitFor,
} from "./harness.ts";
import { show } from "./compare.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { Prng } from "../cluster/prng.ts";

/** A client of a scenario: its protocol, and whether it subscribes (then PING is its marker). */
interface ClientSpec {
  proto: 2 | 3;
  subscriber?: boolean;
}

/** A step: a command of client `c` (`$c<k>` stands for client k's id), or a disconnect. */
type Step = { c: number; cmd: string[] } | { close: number } | { info: true };

/** The exact rendering: show() for scalars, the container type spelled out. */
function exact(v: RespValue): string {
  switch (v.type) {
    case "array":
      return `*[${v.value.map(exact).join(",")}]`;
    case "set":
      return `~[${v.value.map(exact).join(",")}]`;
    case "push":
      return `>[${v.value.map(exact).join(",")}]`;
    case "map":
      return `%{${v.value.map(([k, x]) => `${exact(k)}:${exact(x)}`).join(",")}}`;
    default:
      return show(v);
  }
}

const markerOf = (k: number) => `sync-c${k}`;

/** Read until client k's marker reply; returns what came before it. */
async function untilMarker(c: RespClient, k: number, subscriber: boolean): Promise<RespValue[]> {
  const marker = markerOf(k);
  await c.writeRaw(encodeCommand(subscriber ? ["PING", marker] : ["CLIENT", "GETNAME"]));
  const out: RespValue[] = [];
  for (;;) {
    let v: RespValue | null;
    try {
      v = await c.readValue(10_000);
    } catch (e) {
      throw new Error(`c${k}: ${(e as Error).message} after ${out.map(exact).join(" | ")}`);
    }
    if (v === null) throw new Error(`c${k}: connection closed`);
    const text = show(v);
    if (
      text === `$${JSON.stringify(marker)}` || text === `[$"pong",$${JSON.stringify(marker)}]` ||
      text === `>[$"pong",$${JSON.stringify(marker)}]`
    ) return out;
    out.push(v);
  }
}

/** Ids in a CLIENT reply or a redir-broken push, as `$c<k>`; CLIENT INFO/LIST as flags+redir. */
function normalize(v: RespValue, ids: number[], clientReply: boolean): string {
  let text = exact(v);
  const isBroken = text.startsWith(`>[$"tracking-redir-broken"`);
  if (!clientReply && !isBroken) return text;
  if (v.type === "verbatim" || (v.type === "bulk" && text.includes("flags="))) {
    // CLIENT INFO / CLIENT LIST: the fields tracking sets.
    const raw = v.type === "verbatim" ? v.value : new TextDecoder().decode(v.value);
    return raw.trim().split("\n").map((line) => {
      const id = Number(/\bid=(\d+)/.exec(line)?.[1]);
      const flags = /\bflags=(\S*)/.exec(line)?.[1];
      const redir = Number(/\bredir=(-?\d+)/.exec(line)?.[1]);
      const name = (n: number) =>
        ids.includes(n) ? `$c${ids.indexOf(n)}` : n === -1 || n === 0 ? String(n) : "?";
      return `info id=${name(id)} flags=${flags} redir=${name(redir)}`;
    }).join(";");
  }
  const id = (m: string, n: string) => {
    const k = ids.indexOf(Number(n));
    return k === -1 ? m : m.slice(0, m.length - n.length - 1) + `:$c${k}`;
  };
  // Ids: a whole integer reply (CLIENT ID, GETREDIR), HELLO's and TRACKINGINFO's fields, and
  // the id a tracking-redir-broken push names.
  if (/^:\d+$/.test(text)) return text.replace(/:(\d+)/, id);
  text = text.replace(/\$"(?:id|redirect)"[,:]:(\d+)/g, id);
  return isBroken ? text.replace(/,:(\d+)\]$/, (m, n) => id(m.slice(0, -1), n) + "]") : text;
}

const INFO_FIELDS = [
  "tracking_clients",
  "tracking_total_keys",
  "tracking_total_items",
  "tracking_total_prefixes",
];

/** The tracking fields of INFO. */
async function trackingInfo(admin: RespClient): Promise<string> {
  const v = await admin.callRaw("INFO");
  const text = v.type === "verbatim"
    ? v.value
    : v.type === "bulk"
    ? new TextDecoder().decode(v.value)
    : "";
  return text.split("\r\n").filter((l) => INFO_FIELDS.includes(l.split(":")[0])).join(" ");
}

/** Run the steps on the server at `port`; returns one line per client per step. */
async function runOn(port: number, specs: ClientSpec[], steps: Step[]): Promise<string[]> {
  const clients: RespClient[] = [];
  const ids: number[] = [];
  const gone = new Set<number>();
  const inMulti = specs.map(() => false);
  const admin = await RespClient.connect(port);
  const lines: string[] = [];
  try {
    for (let k = 0; k < specs.length; k++) {
      const c = await RespClient.connect(port);
      clients.push(c);
      if (specs[k].proto === 3) await c.callRaw("HELLO", "3");
      await c.callRaw("CLIENT", "SETNAME", markerOf(k));
      const id = await c.callRaw("CLIENT", "ID");
      assert.equal(id.type, "int");
      ids.push(id.type === "int" ? id.value : 0);
    }
    for (let i = 0; i < steps.length; i++) {
      const st = steps[i];
      if ("info" in st) {
        lines.push(`#${i} INFO ${await trackingInfo(admin)}`);
        continue;
      }
      if ("close" in st) {
        clients[st.close].close();
        gone.add(st.close);
        const id = ids[st.close];
        await waitFor(`client ${id} dropped`, async () => {
          const v = await admin.callRaw("CLIENT", "LIST", "ID", String(id));
          return exact(v).length <= 8; // an empty verbatim or bulk string
        });
        continue;
      }
      const args = st.cmd.map((a) => a.replace(/\$c(\d+)/g, (_m, k) => String(ids[Number(k)])));
      const name = args[0].toLowerCase();
      const c = clients[st.c];
      if (name === "reset") {
        // RESET forgets the client's name: give the marker back.
        await c.writeRaw(encodeCommand(args));
        await c.writeRaw(encodeCommand(["CLIENT", "SETNAME", markerOf(st.c)]));
        inMulti[st.c] = false;
      } else if (name === "multi" || (inMulti[st.c] && name !== "exec" && name !== "discard")) {
        // MULTI and what it queues: only the reply (a marker would be queued too).
        const v = await c.callRaw(...args);
        if (name === "multi") inMulti[st.c] = true;
        lines.push(`#${i} c${st.c} ${st.cmd.join(" ")} => ${normalize(v, ids, false)}`);
        continue;
      } else {
        await c.writeRaw(encodeCommand(args));
        if (name === "exec" || name === "discard") inMulti[st.c] = false;
      }
      // The client that sent the command first: the others' markers must come after its reply.
      const order = [st.c, ...clients.keys().filter((k) => k !== st.c)];
      const records: string[] = [];
      for (const k of order) {
        if (gone.has(k)) continue;
        const frames = await untilMarker(clients[k], k, specs[k].subscriber === true).catch(
          (e) => {
            throw new Error(`step ${i} (c${st.c} ${st.cmd.join(" ")}): ${(e as Error).message}`);
          },
        );
        const own = k === st.c;
        const shown = frames.map((v, j) =>
          normalize(v, ids, own && j === 0 && (name === "client" || name === "hello"))
        );
        records[k] = `#${i} c${k}${own ? ` ${st.cmd.join(" ")} =>` : ""} ${shown.join(" | ")}`;
      }
      for (const r of records) if (r !== undefined) lines.push(r);
    }
  } finally {
    for (const c of clients) c.close();
    admin.close();
  }
  return lines;
}

/** Run on redis-server then on our node; assert every line is the same. */
async function compareScenario(specs: ClientSpec[], steps: Step[], what = ""): Promise<string[]> {
  if (!haveRedisServer()) return [];
  const redis = await spawnRedis();
  let expected: string[];
  try {
    expected = await runOn(redis.port, specs, steps);
  } finally {
    await redis.stop();
  }
  const node = await startNode();
  let got: string[];
  try {
    got = await runOn(node.port, specs, steps);
  } finally {
    await node.stop();
  }
  for (let i = 0; i < Math.max(expected.length, got.length); i++) {
    if (got[i] !== expected[i]) {
      assert.equal(got[i], expected[i], `${what}\nbefore:\n${expected.slice(0, i).join("\n")}`);
    }
  }
  return expected;
}

const w = (c: number, line: string): Step => ({ c, cmd: line.split(" ") });
const INFO: Step = { info: true };

/** The records must show what the scenario is about (a broken implementation cannot pass). */
function mustContain(lines: string[], needles: string[]): void {
  const all = lines.join("\n");
  for (const n of needles) assert.ok(all.includes(n), `expected somewhere: ${n}\n${all}`);
}

Deno.test("tracking: default mode in RESP3, frames like redis-server", async () => {
  const lines = await compareScenario([{ proto: 3 }, { proto: 2 }], [
    w(1, "SET a 1"),
    w(0, "CLIENT TRACKING ON"),
    w(0, "GET k"),
    w(0, "MGET k a b"),
    w(1, "SET k v"),
    w(1, "SET k v2"),
    w(0, "GET k"),
    w(0, "SET k x"),
    w(0, "STRLEN a"),
    w(1, "DEL a"),
    w(1, "DEL a"),
    w(0, "EXISTS b"),
    w(1, "APPEND b x"),
    w(0, "TYPE b"),
    w(0, "TTL k"),
    w(1, "EXPIRE b 100"),
    w(1, "PERSIST b"),
    w(0, "GET k"),
    w(0, "GET k"),
    INFO,
    w(1, "MSET k 1 b 2"),
    // RESP2 without a redirect: keys are remembered, nothing can be sent.
    w(0, "HELLO 2"),
    w(0, "GET k"),
    w(1, "SET k y"),
    w(0, "HELLO 3"),
    w(1, "SET k z"),
    w(0, "GET k"),
    w(0, "CLIENT TRACKING OFF"),
    INFO,
    w(1, "SET k off"),
    INFO,
  ], "default mode");
  mustContain(lines, [`>[$"invalidate",*[$"k"]]`, `>[$"invalidate",*[$"a"]]`]);
});

Deno.test("tracking: REDIRECT to a RESP2 subscriber of __redis__:invalidate", async () => {
  const lines = await compareScenario([
    { proto: 2, subscriber: true },
    { proto: 2 },
    { proto: 3 },
    { proto: 2 },
    { proto: 2 },
    { proto: 3 },
  ], [
    w(0, "SUBSCRIBE __redis__:invalidate"),
    w(1, "CLIENT TRACKING ON REDIRECT $c0"),
    w(2, "CLIENT TRACKING ON REDIRECT $c0"),
    w(1, "CLIENT GETREDIR"),
    w(1, "CLIENT TRACKINGINFO"),
    w(2, "CLIENT TRACKINGINFO"),
    w(1, "CLIENT INFO"),
    w(1, "GET k"),
    w(2, "GET k"),
    w(3, "SET k v"),
    w(1, "GET k"),
    w(1, "SET k w"),
    w(2, "MGET k j"),
    w(3, "FLUSHALL"),
    // Redirected to a RESP2 client outside the Pub/Sub context: nothing is sent.
    w(4, "CLIENT TRACKING ON REDIRECT $c3"),
    w(4, "GET q"),
    w(1, "SET q 1"),
    // Redirected to itself in RESP3.
    w(5, "CLIENT TRACKING ON REDIRECT $c5"),
    w(5, "GET z"),
    w(3, "SET z 1"),
    // The subscriber leaves the Pub/Sub context: the messages stop.
    w(0, "UNSUBSCRIBE"),
    w(1, "GET k"),
    w(3, "SET k again"),
    w(0, "SUBSCRIBE other"),
    w(1, "GET k"),
    w(3, "SET k again"),
    INFO,
  ], "redirect");
  mustContain(lines, [
    `*[$"message",$"__redis__:invalidate",*[$"k"]]`,
    `$"__redis__:invalidate",nil`,
  ]);
});

Deno.test("tracking: the redirect client gone gives tracking-redir-broken", async () => {
  const lines = await compareScenario([
    { proto: 3 },
    { proto: 2, subscriber: true },
    { proto: 2 },
    { proto: 2 },
  ], [
    w(1, "SUBSCRIBE __redis__:invalidate"),
    w(0, "CLIENT TRACKING ON REDIRECT $c1"),
    w(3, "CLIENT TRACKING ON REDIRECT $c1"),
    w(0, "GET k"),
    w(3, "GET k"),
    w(2, "SET k 1"),
    w(0, "GET k"),
    w(3, "GET k"),
    { close: 1 },
    w(2, "SET k 2"),
    w(0, "CLIENT TRACKINGINFO"),
    w(3, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT INFO"),
    w(3, "CLIENT GETREDIR"),
    w(0, "GET k"),
    w(0, "SET k 3"),
    w(0, "CLIENT TRACKING ON"),
    w(0, "CLIENT TRACKINGINFO"),
    w(0, "GET k"),
    w(2, "SET k 4"),
    w(0, "CLIENT TRACKING ON REDIRECT $c1"),
    INFO,
  ], "redirect gone");
  mustContain(lines, [`>[$"tracking-redir-broken",:$c1]`, `$"broken_redirect"`]);
});

Deno.test("tracking: BCAST with PREFIX, batched per prefix at the end of the turn", async () => {
  const lines = await compareScenario([
    { proto: 3 },
    { proto: 3 },
    { proto: 2 },
    { proto: 2, subscriber: true },
    { proto: 2 },
  ], [
    w(3, "SUBSCRIBE __redis__:invalidate"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX a PREFIX b"),
    w(1, "CLIENT TRACKING ON BCAST NOLOOP"),
    w(2, "CLIENT TRACKING ON BCAST PREFIX a REDIRECT $c3"),
    INFO,
    w(4, "MSET a1 1 b1 2 c1 3 a2 4 ab 5"),
    w(1, "MSET a1 1 b1 2"),
    w(4, "DEL a1 a2"),
    w(4, "DEL a1 a2"),
    w(0, "MULTI"),
    w(0, "SET a5 x"),
    w(0, "SET z x"),
    w(0, "SET b5 x"),
    w(0, "EXEC"),
    // A script's writes are its own client's: NOLOOP does not hide them.
    w(1, "EVAL redis.call('set',KEYS[1],'1') 1 a9"),
    w(1, "SET b9 1"),
    w(0, "CLIENT TRACKINGINFO"),
    w(1, "CLIENT TRACKINGINFO"),
    w(2, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT INFO"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX c"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX bb"),
    INFO,
    w(4, "SET c1 1"),
    w(0, "CLIENT TRACKING OFF"),
    INFO,
    w(4, "SET a1 1"),
    w(2, "CLIENT TRACKING OFF"),
    w(1, "CLIENT TRACKING OFF"),
    INFO,
  ], "bcast");
  mustContain(lines, [
    `>[$"invalidate",*[$"a1",$"a2",$"ab"]]`,
    `*[$"message",$"__redis__:invalidate",*[$"a1",$"a2",$"ab"]]`,
  ]);
});

Deno.test("tracking: OPTIN and OPTOUT with CLIENT CACHING", async () => {
  const lines = await compareScenario([{ proto: 3 }, { proto: 3 }, { proto: 2 }], [
    w(0, "CLIENT TRACKING ON OPTIN"),
    w(0, "GET k1"),
    w(0, "CLIENT CACHING YES"),
    w(0, "GET k2"),
    w(0, "GET k3"),
    w(0, "CLIENT CACHING YES"),
    w(0, "CLIENT ID"),
    w(0, "GET k4"),
    w(0, "CLIENT CACHING YES"),
    w(0, "PING"),
    w(0, "GET k5"),
    w(0, "CLIENT CACHING YES"),
    w(0, "MULTI"),
    w(0, "GET k6"),
    w(0, "GET k7"),
    w(0, "EXEC"),
    w(0, "GET k8"),
    w(0, "MULTI"),
    w(0, "CLIENT CACHING YES"),
    w(0, "GET k9"),
    w(0, "EXEC"),
    w(0, "CLIENT CACHING YES"),
    w(0, "NOSUCHCMD"),
    w(0, "GET k10"),
    w(0, "CLIENT CACHING YES"),
    w(0, "GET"),
    w(0, "GET k11"),
    w(0, "CLIENT CACHING YES"),
    w(0, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT CACHING NO"),
    w(0, "CLIENT TRACKING ON OPTOUT"),
    w(2, "MSET k1 1 k2 1 k3 1 k4 1 k5 1 k6 1 k7 1 k8 1 k9 1 k10 1 k11 1"),
    w(1, "CLIENT TRACKING ON OPTOUT"),
    w(1, "CLIENT CACHING YES"),
    w(1, "GET k1"),
    w(1, "CLIENT CACHING NO"),
    w(1, "CLIENT TRACKINGINFO"),
    w(1, "GET k2"),
    w(1, "GET k3"),
    w(1, "CLIENT CACHING maybe"),
    w(2, "MSET k1 1 k2 1 k3 1"),
    INFO,
  ], "optin/optout");
  mustContain(lines, [`>[$"invalidate",*[$"k9"]]`, `$"caching-yes"`, `$"caching-no"`]);
});

Deno.test("tracking: NOLOOP skips the client's own changes", async () => {
  const lines = await compareScenario([{ proto: 3 }, { proto: 3 }, { proto: 2 }], [
    w(0, "CLIENT TRACKING ON NOLOOP"),
    w(1, "CLIENT TRACKING ON"),
    w(0, "GET k"),
    w(1, "GET k"),
    w(0, "SET k 1"),
    w(0, "GET k"),
    w(2, "SET k 2"),
    w(0, "GET k"),
    w(1, "GET k"),
    w(0, "MULTI"),
    w(0, "SET k 3"),
    w(0, "EXEC"),
    w(0, "GET s"),
    w(1, "GET s"),
    {
      c: 0,
      cmd: ["EVAL", "redis.call('get',KEYS[1]);return redis.call('set',KEYS[1],'1')", "1", "s"],
    },
    { c: 0, cmd: ["EVAL_RO", "return 1", "1", "r"] },
    { c: 0, cmd: ["EVAL_RO", "return redis.call('get',KEYS[1])", "1", "r"] },
    w(2, "SET r 1"),
    w(0, "CLIENT TRACKINGINFO"),
  ], "noloop");
  mustContain(lines, [
    `>[$"invalidate",*[$"r"]]`,
    `#4 c0 SET k 1 => +OK\n#4 c1 >[$"invalidate",*[$"k"]]\n`,
  ]);
});

Deno.test("tracking: FLUSHALL and FLUSHDB send a null invalidation", async () => {
  const lines = await compareScenario([
    { proto: 3 },
    { proto: 3 },
    { proto: 2, subscriber: true },
    { proto: 3 },
    { proto: 2 },
  ], [
    w(2, "SUBSCRIBE __redis__:invalidate"),
    w(0, "CLIENT TRACKING ON"),
    w(1, "CLIENT TRACKING ON BCAST"),
    w(3, "CLIENT TRACKING ON REDIRECT $c2"),
    w(0, "MGET a b c"),
    w(3, "GET a"),
    INFO,
    w(4, "FLUSHALL"),
    INFO,
    w(0, "GET a"),
    w(0, "FLUSHDB"),
    w(4, "FLUSHALL ASYNC"),
    w(0, "MULTI"),
    w(0, "GET x"),
    w(0, "FLUSHALL"),
    w(0, "EXEC"),
    w(0, "CLIENT TRACKING OFF"),
    w(4, "FLUSHDB SYNC"),
    INFO,
  ], "flush");
  // The RESP2 subscriber gets RESP3's `_` as Redis 7.0 sends it (trackingInvalidateKeysOnFlush
  // writes the redirecting client's null to the target).
  mustContain(lines, [`>[$"invalidate",_]`, `*[$"message",$"__redis__:invalidate",_]`]);
});

Deno.test("tracking: MULTI/EXEC invalidations follow the EXEC reply", async () => {
  const lines = await compareScenario([{ proto: 3 }, { proto: 3 }, { proto: 2 }], [
    w(0, "CLIENT TRACKING ON"),
    w(1, "CLIENT TRACKING ON"),
    w(0, "MGET a b"),
    w(1, "GET a"),
    w(0, "MULTI"),
    w(0, "SET a 1"),
    w(0, "GET c"),
    w(0, "SET b 1"),
    w(0, "SET c 1"),
    w(0, "EXEC"),
    w(2, "MULTI"),
    w(2, "SET c 2"),
    w(2, "DEL a"),
    w(2, "EXEC"),
    w(0, "GET m"),
    w(0, "MULTI"),
    w(0, "SET m 1"),
    w(0, "CLIENT TRACKING OFF"),
    w(0, "EXEC"),
    w(0, "MULTI"),
    w(0, "CLIENT TRACKING ON"),
    w(0, "GET n"),
    w(0, "SET n 1"),
    w(0, "EXEC"),
    w(0, "MULTI"),
    w(0, "GET n"),
    w(0, "DISCARD"),
    w(2, "SET n 2"),
    INFO,
  ], "multi");
  mustContain(lines, [`>[$"invalidate",*[$"m"]]`, `>[$"invalidate",*[$"n"]]`]);
});

Deno.test("tracking: CLIENT TRACKINGINFO, GETREDIR and CLIENT LIST flags", async () => {
  await compareScenario([{ proto: 2 }, { proto: 3 }, { proto: 2 }], [
    w(0, "CLIENT TRACKINGINFO"),
    w(1, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT GETREDIR"),
    w(0, "CLIENT TRACKING ON OPTOUT NOLOOP REDIRECT $c2"),
    w(0, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT GETREDIR"),
    w(0, "CLIENT CACHING NO"),
    w(0, "CLIENT TRACKINGINFO"),
    w(1, "CLIENT TRACKING ON BCAST PREFIX x PREFIX \u00ff PREFIX a:b NOLOOP"),
    w(1, "CLIENT TRACKINGINFO"),
    w(1, "CLIENT GETREDIR"),
    w(2, "CLIENT LIST"),
    w(1, "CLIENT INFO"),
    w(1, "HELLO 2"),
    w(1, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT TRACKING OFF"),
    w(0, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT GETREDIR"),
    w(2, "CLIENT LIST"),
    w(2, "CLIENT LIST TYPE normal"),
  ], "trackinginfo");
});

Deno.test("tracking: CLIENT TRACKING and CACHING option errors", async () => {
  const lines = await compareScenario([{ proto: 3 }, { proto: 2 }], [
    w(0, "CLIENT TRACKING ON PREFIX a"),
    w(0, "CLIENT TRACKING ON BCAST OPTIN"),
    w(0, "CLIENT TRACKING ON BCAST OPTOUT"),
    w(0, "CLIENT TRACKING ON OPTIN OPTOUT"),
    w(0, "CLIENT TRACKING ON REDIRECT 999999"),
    w(0, "CLIENT TRACKING ON REDIRECT abc"),
    w(0, "CLIENT TRACKING ON REDIRECT 0"),
    w(0, "CLIENT TRACKING ON REDIRECT -1"),
    w(0, "CLIENT TRACKING ON REDIRECT $c1 REDIRECT $c1"),
    w(0, "CLIENT TRACKING ON REDIRECT"),
    w(0, "CLIENT TRACKING ON PREFIX"),
    w(0, "CLIENT TRACKING ON FOO"),
    w(0, "CLIENT TRACKING MAYBE"),
    w(0, "CLIENT TRACKING MAYBE FOO"),
    w(0, "CLIENT TRACKING OFF REDIRECT 999999"),
    w(0, "CLIENT TRACKING"),
    w(0, "CLIENT CACHING YES"),
    w(0, "CLIENT CACHING"),
    w(0, "CLIENT CACHING YES NO"),
    w(0, "CLIENT GETREDIR x"),
    w(0, "CLIENT TRACKINGINFO x"),
    w(0, "CLIENT TRACKING on optin"),
    w(0, "CLIENT CACHING NO"),
    w(0, "CLIENT CACHING maybe"),
    w(0, "CLIENT TRACKING ON OPTOUT"),
    w(0, "CLIENT TRACKING ON BCAST"),
    w(0, "CLIENT TRACKING OFF"),
    w(0, "CLIENT TRACKING ON OPTOUT"),
    w(0, "CLIENT CACHING YES"),
    w(0, "CLIENT TRACKING OFF"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX ab PREFIX a"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX ab PREFIX cd"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX abc"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX c"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX ab"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX x PREFIX y PREFIX x"),
    // Redis 7.0: an overlap past the first given prefix is reported, and tracking goes on.
    w(0, "CLIENT TRACKING ON BCAST PREFIX q PREFIX r PREFIX rs"),
    w(0, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT TRACKING ON"),
    w(0, "CLIENT TRACKING ON BCAST"),
    w(0, "CLIENT TRACKINGINFO"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX z"),
    w(0, "CLIENT TRACKING OFF"),
    w(0, "CLIENT TRACKING ON BCAST PREFIX \u00ff\u0001 PREFIX \u00ff"),
    INFO,
  ], "errors");
  mustContain(lines, ["overlaps with another provided prefix 'rs'", "| +OK"]);
});

Deno.test("tracking: RESET and disconnects clear a client's tracking", async () => {
  await compareScenario([{ proto: 3 }, { proto: 3 }, { proto: 2 }], [
    w(0, "CLIENT TRACKING ON BCAST PREFIX a"),
    w(1, "CLIENT TRACKING ON"),
    w(1, "MGET x y"),
    INFO,
    w(0, "RESET"),
    w(0, "CLIENT TRACKINGINFO"),
    INFO,
    w(2, "SET a1 1"),
    { close: 1 },
    INFO,
    w(2, "SET x 1"),
    INFO,
  ], "reset");
});

Deno.test("tracking: tracking-table-max-keys evicts keys with invalidations", async () => {
  if (!haveRedisServer()) return;
  /** Counts and key sets: Redis evicts by a random walk. */
  const runLimit = async (port: number): Promise<string[]> => {
    const out: string[] = [];
    const c = await RespClient.connect(port);
    const admin = await RespClient.connect(port);
    const keysOf = (frames: RespValue[]) =>
      frames.map((f) => {
        assert.equal(f.type, "push", exact(f));
        return exact(f).replace(/^>\[\$"invalidate",\*\[\$"(.*)"\]\]$/, "$1");
      });
    try {
      await c.callRaw("HELLO", "3");
      out.push(show(await c.callRaw("CLIENT", "TRACKING", "ON")));
      out.push(show(await c.callRaw("MGET", "k1", "k2", "k3", "k4")));
      out.push(await trackingInfo(admin));
      // From the cron, with no command running: two keys go.
      out.push(show(await admin.callRaw("CONFIG", "SET", "tracking-table-max-keys", "2")));
      const evicted = keysOf([(await c.readValue(5000))!, (await c.readValue(5000))!]);
      assert.equal(new Set(evicted).size, 2);
      for (const k of evicted) assert.ok(["k1", "k2", "k3", "k4"].includes(k), k);
      out.push(`evicted ${evicted.length}`);
      await waitFor("the table at its limit", async () => {
        return (await trackingInfo(admin)).includes("tracking_total_keys:2 ");
      });
      out.push(await trackingInfo(admin));
      // Over the limit after a read: the next command evicts before it runs.
      out.push(show(await c.callRaw("GET", "k5")));
      await c.writeRaw(encodeCommand(["PING"]));
      const frames: RespValue[] = [];
      for (;;) {
        const v = (await c.readValue(5000))!;
        if (v.type === "simple") break;
        frames.push(v);
      }
      out.push(`evicted before PONG ${keysOf(frames).length}`);
      out.push(await trackingInfo(admin));
      out.push(show(await admin.callRaw("CONFIG", "SET", "tracking-table-max-keys", "0")));
      out.push(show(await c.callRaw("MGET", "a", "b", "c", "d", "e")));
      out.push(show(await c.callRaw("PING")));
      out.push(await trackingInfo(admin));
    } finally {
      c.close();
      admin.close();
    }
    return out;
  };
  const redis = await spawnRedis();
  let expected: string[];
  try {
    expected = await runLimit(redis.port);
  } finally {
    await redis.stop();
  }
  const node = await startNode();
  try {
    assert.deepEqual(await runLimit(node.port), expected);
  } finally {
    await node.stop();
  }
});

/** A seeded session: default, NOLOOP, BCAST, OPTIN-redirected RESP2 and a plain writer. */
function generate(seed: number, n: number): Step[] {
  const r = new Prng(seed);
  const keys = ["a1", "a2", "b1", "b2", "ab", "c"];
  const key = () => keys[r.int(keys.length)];
  const steps: Step[] = [
    w(3, "SUBSCRIBE __redis__:invalidate"),
    w(0, "CLIENT TRACKING ON"),
    w(1, "CLIENT TRACKING ON NOLOOP"),
    w(2, "CLIENT TRACKING ON BCAST PREFIX a PREFIX b1 NOLOOP"),
    w(4, "CLIENT TRACKING ON OPTIN REDIRECT $c3"),
  ];
  const actors = [0, 1, 2, 4, 5];
  const op = (c: number): string[] => {
    const x = r.int(100);
    if (x < 25) return ["GET", key()];
    if (x < 35) return ["MGET", key(), key()];
    if (x < 42) return ["EXISTS", key()];
    if (x < 62) return ["SET", key(), String(r.int(10))];
    if (x < 70) return ["DEL", key(), key()];
    if (x < 76) return ["APPEND", key(), "x"];
    if (x < 80) return ["STRLEN", key()];
    if (x < 84) return ["RENAME", key(), key()];
    if (x < 92 && c === 4) return ["CLIENT", "CACHING", "YES"];
    if (x < 94) return ["EVAL", "return redis.call('get',KEYS[1])", "1", key()];
    return ["PING"];
  };
  while (steps.length < n) {
    const c = actors[r.int(actors.length)];
    const x = r.int(100);
    if (x < 6) {
      steps.push({ c, cmd: ["MULTI"] });
      for (let j = 0; j < 1 + r.int(3); j++) steps.push({ c, cmd: op(c) });
      steps.push({ c, cmd: [r.chance(0.9) ? "EXEC" : "DISCARD"] });
    } else if (x < 8) steps.push({ c, cmd: [r.chance(0.5) ? "FLUSHALL" : "FLUSHDB"] });
    else if (x < 10) steps.push(INFO);
    else steps.push({ c, cmd: op(c) });
  }
  return steps;
}

Deno.test("tracking: a seeded session of five clients, frame for frame", async () => {
  const seed = Number(Deno.env.get("TRACKING_SEED") ?? 20250611);
  const lines = await compareScenario(
    [{ proto: 3 }, { proto: 3 }, { proto: 3 }, { proto: 2, subscriber: true }, { proto: 2 }, {
      proto: 2,
    }],
    generate(seed, 260),
    `seed ${seed}`,
  );
  if (Deno.env.get("TRACKING_SEED") !== undefined) return;
  mustContain(lines, [
    `>[$"invalidate",*[$"`,
    `*[$"message",$"__redis__:invalidate",*[$"`,
    `>[$"invalidate",_]`,
  ]);
});
