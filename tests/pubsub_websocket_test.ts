/**
 * A websocket fan-out library that rides on Redis Pub/Sub, unmodified: socket.io 4.8 with
 * @socket.io/redis-adapter 8.3. Two socket.io servers in this process, each with the adapter on
 * its own pub and sub connections, socket.io-client websockets on them; server B emits to a room
 * whose only member is on server A, and to everyone, and B's fetchSockets() sees A's sockets
 * (a request/response round over Pub/Sub, counted with PUBSUB NUMSUB / SHARDNUMSUB).
 *
 * - the classic adapter (PSUBSCRIBE, SUBSCRIBE, PUBLISH) with ioredis on a standalone node;
 * - the sharded adapter (SSUBSCRIBE, SPUBLISH, a channel per room) with node-redis createCluster
 *   on a 3-master cluster.
 *
 * Each runs against our node(s) and against real redis-server 7.0 the same way, so the comparison
 * is fair. The adapters subscribe asynchronously (nothing to await), so the tests wait for the
 * subscriptions to show in PUBSUB before emitting; every later step waits on an event.
 */

import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as IoServer, type Socket as ServerSocket } from "socket.io";
import { io as ioClient, type Socket as ClientSocket } from "socket.io-client";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { createCluster as createRedisCluster } from "redis";
import { RespClient, run, type SpawnedProcess, spawnNode, spawnRedis, waitFor } from "./harness.ts";
import { stopAll, waitAllOk } from "./cluster_fixture.ts";

type Backend = "ours" | "redis";
const BACKENDS: Backend[] = ["ours", "redis"];

function spawn(backend: Backend, directives: Record<string, string> = {}) {
  return backend === "ours" ? spawnNode(directives) : spawnRedis(directives);
}

/** A 3-master cluster of one kind (`redis-cli --cluster create`), cluster_state:ok everywhere. */
async function threeMasters(backend: Backend): Promise<SpawnedProcess[]> {
  const directives = { "cluster-enabled": "yes", "cluster-node-timeout": "3000" };
  const nodes = await Promise.all([0, 1, 2].map(() => spawn(backend, directives)));
  try {
    const r = await run("redis-cli", [
      "--cluster",
      "create",
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      "--cluster-yes",
    ], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `create failed:\n${r.stdout}\n${r.stderr}`);
    await waitAllOk(nodes.map((n) => n.port));
    return nodes;
  } catch (e) {
    await stopAll(nodes);
    throw e;
  }
}

/** One PUBSUB subcommand's count, summed over `ports` (shard channels live on one shard). */
async function pubsubCount(ports: number[], sub: string, channel?: string): Promise<number> {
  let n = 0;
  for (const p of ports) {
    const c = await RespClient.connect(p);
    try {
      const r = await c.call("PUBSUB", sub, ...(channel === undefined ? [] : [channel]));
      n += Array.isArray(r) ? Number(r[1]) : Number(r);
    } finally {
      c.close();
    }
  }
  return n;
}

interface IoPair {
  http: HttpServer;
  io: IoServer;
  port: number;
}

type AdapterFactory = ReturnType<typeof createAdapter> | ReturnType<typeof createShardedAdapter>;

async function ioServer(adapter: AdapterFactory): Promise<IoPair> {
  const http = createServer();
  const io = new IoServer(http, { adapter, transports: ["websocket"] });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { http, io, port: (http.address() as AddressInfo).port };
}

async function closeIo(s: IoPair): Promise<void> {
  await new Promise<void>((resolve) => s.io.close(() => resolve()));
}

/** A socket.io-client websocket to `port`, connected, and the server-side socket it became. */
async function connectClient(
  server: IoPair,
): Promise<{ client: ClientSocket; socket: ServerSocket }> {
  const serverSide = new Promise<ServerSocket>((resolve) =>
    server.io.once("connection", (s) => resolve(s))
  );
  const client = ioClient(`http://127.0.0.1:${server.port}`, {
    transports: ["websocket"],
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("connect_error", (e) => reject(e));
  });
  return { client, socket: await serverSide };
}

/**
 * The next `event` on `client`. A message that never comes fails the test after a generous bound
 * (not a timing check: a working server delivers in milliseconds).
 */
async function nextEvent(client: ClientSocket, event: string): Promise<unknown[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      new Promise<unknown[]>((resolve) =>
        client.once(event, (...args: unknown[]) => resolve(args))
      ),
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error(`no "${event}" event within 30 s`)), 30_000)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function disconnectClient(client: ClientSocket): Promise<void> {
  if (!client.connected) return;
  const gone = new Promise<void>((resolve) => client.once("disconnect", () => resolve()));
  client.disconnect();
  await gone;
}

/**
 * The shared scenario: on server A, `member` joins "room1" and `outsider` does not; server B
 * emits "hello" to room1, then (once `member` has it) "all" to everyone. `member` gets both;
 * `outsider` gets "all" with no "hello" before it (had A sent it "hello", that frame would precede
 * "all" on its websocket); a client on B gets "all" too. B's fetchSockets() lists the two sockets
 * on A and its own, and those in room1.
 */
async function fanOut(
  a: IoPair,
  b: IoPair,
  waitRoomSubscribed: () => Promise<void>,
): Promise<void> {
  const member = await connectClient(a);
  const outsider = await connectClient(a);
  const onB = await connectClient(b);
  try {
    member.socket.join("room1");
    await waitRoomSubscribed();
    const outsiderSaw: string[] = [];
    outsider.client.onAny((event: string) => outsiderSaw.push(event));

    const hello = nextEvent(member.client, "hello");
    b.io.to("room1").emit("hello", "from B", { n: 1 });
    assert.deepEqual(await hello, ["from B", { n: 1 }]);

    const all = [member, outsider, onB].map((c) => nextEvent(c.client, "all"));
    b.io.emit("all", "everyone");
    for (const got of await Promise.all(all)) assert.deepEqual(got, ["everyone"]);
    assert.deepEqual(outsiderSaw, ["all"], "the room message reached only the room's member");

    const ids = (await b.io.fetchSockets()).map((s) => s.id).sort();
    assert.deepEqual(ids, [member.socket.id, outsider.socket.id, onB.socket.id].sort());
    const inRoom = (await b.io.in("room1").fetchSockets()).map((s) => s.id);
    assert.deepEqual(inRoom, [member.socket.id]);
  } finally {
    for (const c of [member, outsider, onB]) await disconnectClient(c.client);
  }
}

for (const backend of BACKENDS) {
  Deno.test(`socket.io + redis-adapter (ioredis, PUBLISH/PSUBSCRIBE) on a standalone ${backend} server: room and broadcast fan-out`, async () => {
    const node = await spawn(backend);
    const clients = [0, 1, 2, 3].map(() =>
      new Redis({ host: "127.0.0.1", port: node.port, lazyConnect: true })
    );
    let a: IoPair | null = null;
    let b: IoPair | null = null;
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const [pubA, subA, pubB, subB] = clients;
      a = await ioServer(createAdapter(pubA, subA));
      b = await ioServer(createAdapter(pubB, subB));
      // Both adapters' subscriptions are in place: each sends PSUBSCRIBE of the room pattern,
      // then SUBSCRIBE of the request channel, on its sub connection (NUMPAT counts patterns).
      await waitFor(
        "both adapters subscribed",
        async () =>
          await pubsubCount([node.port], "NUMSUB", "socket.io-request#/#") === 2 &&
          await pubsubCount([node.port], "NUMPAT") === 1,
      );
      await fanOut(a, b, () => Promise.resolve());
    } finally {
      if (a !== null) await closeIo(a);
      if (b !== null) await closeIo(b);
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
      await node.stop();
    }
  });

  Deno.test(`socket.io + sharded redis-adapter (node-redis cluster, SPUBLISH/SSUBSCRIBE) on 3 ${backend} masters: room and broadcast fan-out`, async () => {
    const nodes = await threeMasters(backend);
    const ports = nodes.map((n) => n.port);
    const clients = [0, 1, 2, 3].map(() => {
      const c = createRedisCluster({
        rootNodes: ports.map((p) => ({ url: `redis://127.0.0.1:${p}` })),
      });
      c.on("error", () => {});
      return c;
    });
    let a: IoPair | null = null;
    let b: IoPair | null = null;
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const [pubA, subA, pubB, subB] = clients;
      a = await ioServer(createShardedAdapter(pubA, subA));
      b = await ioServer(createShardedAdapter(pubB, subB));
      await waitFor(
        "both adapters subscribed",
        async () => await pubsubCount(ports, "SHARDNUMSUB", "socket.io#/#") === 2,
      );
      // A member joining a room makes A's adapter SSUBSCRIBE that room's own shard channel.
      await fanOut(
        a,
        b,
        () =>
          waitFor(
            "room channel subscribed",
            async () => await pubsubCount(ports, "SHARDNUMSUB", "socket.io#/#room1#") === 1,
          ),
      );
    } finally {
      if (a !== null) await closeIo(a);
      if (b !== null) await closeIo(b);
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await stopAll(nodes);
    }
  });
}
