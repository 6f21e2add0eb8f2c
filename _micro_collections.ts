import { Db } from "./keyspace/db.ts";
import { Reply } from "./protocol/reply.ts";
import { listCommands } from "./commands/lists.ts";
import { setCommands } from "./commands/sets.ts";
import { hashCommands } from "./commands/hashes.ts";
const db = new Db();
const reply = new Reply();
const ctx = { db, reply, server: { clients: new Map() }, client: { multi: null, lastCommand: "" } } as any;
const te = new TextEncoder();
const find = (n: string) => [...listCommands, ...setCommands, ...hashCommands].find((d) => d.name === n)!.handler!;
function bench(name: string, args: string[], n = 300000) {
  const h = find(name);
  const argv = args.map((a) => te.encode(a));
  const t = performance.now();
  for (let i = 0; i < n; i++) { h(ctx, argv); if (reply.len > 1 << 20) reply.take(); }
  reply.take();
  const ms = performance.now() - t;
  console.log(name, args.join(" "), (n / ms * 1000 | 0), "ops/s");
}
bench("lpush", ["lpush", "mylist", "xxx"]);
bench("rpush", ["rpush", "mylist", "xxx"]);
bench("lpop", ["lpop", "mylist"]);
bench("rpop", ["rpop", "mylist"]);
bench("lpush", ["lpush", "mylist", "xxx"], 1000);
bench("lrange", ["lrange", "mylist", "0", "99"], 50000);
bench("lrange", ["lrange", "mylist", "0", "599"], 20000);
bench("sadd", ["sadd", "myset", "element:1"]);
bench("spop", ["spop", "myset"]);
bench("hset", ["hset", "myhash", "element:1", "xxx"]);
