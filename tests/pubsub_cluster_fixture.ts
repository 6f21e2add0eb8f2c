/**
 * Helpers for the cluster Pub/Sub tests (pubsub_cluster_test.ts, pubsub_clients_test.ts): a
 * recording client that renders replies and push frames exactly (push vs array, nil, long bulk
 * strings as length + hash), six-node clusters (ours or real redis-server, 3 masters + 3 replicas,
 * made with `redis-cli --cluster create`) with their roles, and waits on polled cluster state.
 */

import assert from "node:assert/strict";
import { RespClient, type SpawnedProcess, spawnNode, spawnRedis, waitFor } from "./harness.ts";
import { call, nodesOf, redisCliCreate, stopAll } from "./cluster_fixture.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";

/** Frames arrive within this long unless something is broken (generous: shared, busy CPUs). */
const FRAME_WAIT_MS = 20_000;
export const DIRECTIVES = { "cluster-enabled": "yes", "cluster-node-timeout": "5000" };

// ---------------------------------------------------------------- rendering and clients

/** An exact, compact rendering of a reply or frame: push `>[..]` vs array `[..]`, nil, errors. */
export function fmt(v: RespValue): string {
  switch (v.type) {
    case "simple":
      return `+${v.value}`;
    case "error":
      return `-${v.value}`;
    case "int":
      return `:${v.value}`;
    case "bulk":
      return v.value.length > 256 ? bigBulk(v.value) : JSON.stringify(latin1(v.value));
    case "null":
      return "nil";
    case "array":
      return `[${v.value.map(fmt).join(",")}]`;
    case "set":
      return `~[${v.value.map(fmt).join(",")}]`;
    case "push":
      return `>[${v.value.map(fmt).join(",")}]`;
    case "map":
      return `{${v.value.map(([k, x]) => `${fmt(k)}:${fmt(x)}`).join(",")}}`;
    default:
      return JSON.stringify(v);
  }
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** A long bulk string as its length and FNV-1a hash. */
function bigBulk(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
  return `$${b.length}#${h.toString(16)}`;
}

/** Expected-frame builders (RESP2 arrays, RESP3 pushes). */
export function frame(proto: 2 | 3, ...parts: (string | number | null)[]): string {
  const items = parts.map((p) =>
    p === null
      ? "nil"
      : typeof p === "number"
      ? `:${p}`
      : p.length > 256
      ? bigBulk(Uint8Array.from(p, (c) => c.charCodeAt(0)))
      : JSON.stringify(p)
  );
  return `${proto === 3 ? ">" : ""}[${items.join(",")}]`;
}

/** What one scenario run saw, in order; addresses and node ids are written as node roles. */
export class Transcript {
  readonly lines: string[] = [];
  constructor(
    private readonly roleOfPort: Map<number, string>,
    private readonly roleOfId: Map<string, string>,
  ) {}
  norm(s: string): string {
    return s.replace(/127\.0\.0\.1:(\d+)/g, (m, p) => this.roleOfPort.get(Number(p)) ?? m)
      .replace(/\b[0-9a-f]{40}\b/g, (id) => this.roleOfId.get(id) ?? id);
  }
  add(line: string): void {
    this.lines.push(line);
  }
}

/** A client of one node that records what it sends and receives. */
export class Conn {
  private constructor(
    readonly name: string,
    readonly proto: 2 | 3,
    private readonly c: RespClient,
    private readonly t: Transcript,
  ) {}

  static async open(t: Transcript, name: string, port: number, proto: 2 | 3): Promise<Conn> {
    const c = await RespClient.connect(port);
    if (proto === 3) {
      const hello = await c.callRaw("HELLO", "3");
      assert.equal(hello.type, "map", `HELLO 3 on ${name}: ${fmt(hello)}`);
    }
    return new Conn(name, proto, c, t);
  }

  /** Send a command without reading (its replies are read with `next`). */
  async send(...args: string[]): Promise<void> {
    this.t.add(this.t.norm(`${this.name} ${args.join(" ")}`));
    await this.c.writeRaw(encode(args));
  }

  /** The next reply or frame, rendered; asserted equal to `expected` when given. */
  async next(expected?: string): Promise<string> {
    const v = await this.c.readValue(FRAME_WAIT_MS);
    assert.ok(v !== null, `${this.name}: connection closed`);
    const s = this.t.norm(fmt(v));
    this.t.add(`${this.name} <- ${s}`);
    if (expected !== undefined) assert.equal(s, expected, `${this.name}`);
    return s;
  }

  /** Send a command and check its one reply. */
  async expect(expected: string, ...args: string[]): Promise<string> {
    await this.send(...args);
    return await this.next(expected);
  }

  close(): void {
    this.c.close();
  }
}

function encode(args: string[]): Uint8Array {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

// ---------------------------------------------------------------- clusters

export type Kind = "ours" | "real";

export interface SixNodes {
  kind: Kind;
  procs: SpawnedProcess[];
  /** Masters by slot range (0-5460, 5461-10922, 10923-16383); replicas[i] replicates masters[i]. */
  masters: { port: number; id: string }[];
  replicas: { port: number; id: string }[];
}

/** Every node lists the same `count` nodes, links connected, no handshake, with roles agreed. */
export async function waitAgreed(
  ports: number[],
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    `${count} nodes agree on the topology`,
    async () => {
      let sig: string | null = null;
      for (const p of ports) {
        const text = await call(p, "CLUSTER", "NODES") as string;
        const ls = text.split("\n").filter((l) => l !== "").map((l) => l.split(" "));
        if (ls.length !== count) return false;
        for (const f of ls) {
          const flags = f[2].split(",");
          if (flags.some((x) => ["handshake", "noaddr", "fail?", "fail"].includes(x))) return false;
          if (f[7] !== "connected") return false;
        }
        const s = ls.map((f) =>
          `${f[0]} ${f[2].includes("master") ? "M" : "S"} ${f[3]} ${f.slice(8).join(",")}`
        ).sort().join("\n");
        if (sig !== null && s !== sig) return false;
        sig = s;
      }
      return true;
    },
    timeoutMs,
    100,
  );
}

/** Six nodes made into a cluster by `redis-cli --cluster create --cluster-replicas 1`. */
export async function sixNodes(
  kind: Kind,
  directives: Record<string, string> = DIRECTIVES,
): Promise<SixNodes> {
  const procs = await Promise.all(
    Array.from(
      { length: 6 },
      () => kind === "real" ? spawnRedis(directives) : spawnNode(directives),
    ),
  );
  try {
    const ports = procs.map((p) => p.port);
    await redisCliCreate(ports, 1);
    await waitAgreed(ports, 6);
    const ls = await nodesOf(ports[0]);
    const portOfId = (id: string) =>
      Number(ls.find((l) => l.id === id)!.addr.split("@")[0].split(":").pop());
    const masters = ls.filter((l) => l.flags.includes("master"))
      .sort((a, b) => Number(a.slots[0].split("-")[0]) - Number(b.slots[0].split("-")[0]))
      .map((l) => ({ port: portOfId(l.id), id: l.id }));
    assert.equal(masters.length, 3);
    const replicas = masters.map((m) => {
      const rl = ls.find((l) => l.master === m.id);
      assert.ok(rl, `a replica of ${m.id}`);
      return { port: portOfId(rl.id), id: rl.id };
    });
    return { kind, procs, masters, replicas };
  } catch (e) {
    await stopAll(procs);
    throw e;
  }
}

/** A channel name in [lo, hi] slots, avoiding `not` slots (deterministic). */
export function channelIn(prefix: string, lo: number, hi: number, not: number[] = []): string {
  for (let i = 0;; i++) {
    const name = `${prefix}:${i}`;
    const slot = keyHashSlotBinary(name);
    if (slot >= lo && slot <= hi && !not.includes(slot)) return name;
  }
}

/** Every node sees `owner` as the owner of `slot`. */
export async function waitOwner(ports: number[], slot: number, owner: string): Promise<void> {
  await waitFor(
    `every node sees ${owner} own slot ${slot}`,
    async () => {
      for (const p of ports) {
        const slots = await call(p, "CLUSTER", "SLOTS") as [
          number,
          number,
          [string, number, string],
        ][];
        const r = slots.find(([a, b]) => slot >= a && slot <= b);
        if (r === undefined || r[2][2] !== owner) return false;
      }
      return true;
    },
    30_000,
    50,
  );
}
