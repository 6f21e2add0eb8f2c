import { startNode } from "./tests/harness.ts";
const node = await startNode();
const p = new Deno.Command("redis-benchmark", { args: ["-p", String(node.port), "-t", "lpush,rpush,lpop,rpop,sadd,hset,spop,lrange_100,lrange_600", "-n", "100000", "-q", "-P", "16"], stdout: "inherit", stderr: "inherit" }).spawn();
await p.status;
await node.stop();
