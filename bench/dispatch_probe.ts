/**
 * The per-command path alone, in-process, no sockets: batches of 16 pipelined requests fed to one
 * client's parser and run through `dispatch` (as server/connection.ts runs a read's batch), the
 * replies dropped. Prints ns a command per round. Not a ratio to Redis (nothing here talks to
 * one): a tool for weighing a change to parsing, dispatch or a command's own work, steadier than
 * redis-benchmark's figures on a noisy host (bench/README.md, 2026-12-07 late evening).
 *
 *   deno run -A bench/dispatch_probe.ts [ping|set|get|incr|lpush] [rounds]
 */

import { startNode } from "../tests/harness.ts";
import { dispatch, runInputBatch } from "../server/dispatch.ts";

const COMMANDS = ["ping", "set", "get", "incr", "lpush"] as const;
type Probed = typeof COMMANDS[number];

/** Requests per batch (redis-benchmark -P 16). */
const PIPELINE = 16;
/** Distinct keys, as redis-benchmark -r 100000. */
const KEYSPACE = 100_000;
/** Batches run per round. */
const BATCHES_PER_ROUND = 300_000;

function request(command: Probed, keyNo: number): string {
  const key = `key:${String(keyNo).padStart(12, "0")}`;
  const argv = command === "ping"
    ? ["PING"]
    : command === "set"
    ? ["SET", key, "xxx"]
    : command === "get"
    ? ["GET", key]
    : command === "incr"
    ? ["INCR", key]
    : ["LPUSH", "mylist", "xxx"];
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
}

const command = (Deno.args[0] ?? "ping") as Probed;
if (!COMMANDS.includes(command)) {
  console.error(`usage: deno run -A bench/dispatch_probe.ts [${COMMANDS.join("|")}] [rounds]`);
  Deno.exit(2);
}
const rounds = Number(Deno.args[1] ?? "5");

const node = await startNode();
const server = node.server;
const client = server.newClient("127.0.0.1:1", "127.0.0.1:2");
const enc = new TextEncoder();
// A seeded walk over the key space (the same batches every run).
let seed = 1;
const nextKey = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % KEYSPACE;
const batches: Uint8Array[] = [];
for (let b = 0; b < 1000; b++) {
  let text = "";
  for (let j = 0; j < PIPELINE; j++) text += request(command, nextKey());
  batches.push(enc.encode(text));
}
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  for (let i = 0; i < BATCHES_PER_ROUND; i++) {
    client.parser.feed(batches[i % batches.length]);
    runInputBatch(client, () => {
      for (;;) {
        const parsed = client.parser.next();
        if (parsed === null || "error" in parsed) break;
        dispatch(server, client, parsed.argv);
      }
    }, server.now);
    client.reply.take();
    client.reply.written();
  }
  const nsPerCommand = (performance.now() - t0) * 1e6 / (BATCHES_PER_ROUND * PIPELINE);
  console.log(`${command}: ${nsPerCommand.toFixed(1)} ns a command`);
}
server.removeClient(client);
await node.stop();
