/**
 * The dashboard's view of a cluster, built from what each node answered over the client
 * protocol (CLUSTER NODES, INFO, CLUSTER INFO, CLUSTER LINKS). Pure: poller.ts collects the
 * reports, this file merges them into one JSON-ready ClusterView that the page draws and
 * timeline.ts diffs.
 *
 *   - slot owners: every reporter's claims, the claim with the highest configEpoch wins (the
 *     rule Redis applies to conflicting claims, cluster.c clusterUpdateSlotsConfigWith);
 *   - a node's role, master, epoch and slots come from its own "myself" line when it answers,
 *     otherwise from the first reporter that knows it;
 *   - failState: "fail" when any reporter flags it fail, "pfail" when any flags it fail?;
 *   - links: each reporter's line about each peer (handshake / noaddr / fail / pfail /
 *     connected / disconnected), with the CLUSTER LINKS connections where the node gives them.
 */

import { CLUSTER_SLOTS } from "../protocol/slot.ts";
import type { NodeLine } from "../manager/nodes_text.ts";

/** One CLUSTER LINKS entry (Redis 7: direction, node, create-time, ...). */
export interface LinkEntry {
  direction: "to" | "from";
  nodeId: string;
  createTimeMs: number;
}

/** What the poller knows of one polled address. */
export interface NodeReport {
  /** The address polled (host:port). */
  addr: string;
  /** Asked at least once (answered or failed). */
  polled: boolean;
  /** The last poll answered (false: refused, closed or timed out). */
  reachable: boolean;
  error: string | null;
  /** The last CLUSTER NODES answer (kept while unreachable, but not used then). */
  lines: NodeLine[] | null;
  /** Fields of the last INFO and CLUSTER INFO answers. */
  info: ReadonlyMap<string, string> | null;
  /** The last CLUSTER LINKS answer (null where the command is missing). */
  links: LinkEntry[] | null;
  /**
   * Our nodes' per-peer link actor states (INFO linkmachines: peer id -> "connected", "pfail",
   * ...); null where the node does not give them (a real Redis).
   */
  machines: ReadonlyMap<string, string> | null;
  /** Round trip of the last CLUSTER NODES, ms. */
  rttMs: number | null;
  /** Recent instantaneous_ops_per_sec samples, oldest first. */
  opsHistory: number[];
  /** Recent round trips (ms), oldest first. */
  rttHistory: number[];
}

export type FailState = "ok" | "pfail" | "fail";
export type PeerState = "connected" | "disconnected" | "handshake" | "noaddr" | "pfail" | "fail";

export interface NodeView {
  id: string;
  addr: string;
  role: "master" | "replica";
  masterId: string | null;
  configEpoch: number;
  /** Flags from the node's own line (or a reporter's line when it does not answer). */
  flags: string[];
  failState: FailState;
  /** How many other nodes flag it fail? or fail. */
  failReports: number;
  /** The dashboard reached it at its last poll (null: not asked yet). */
  reachable: boolean | null;
  slots: number;
  replOffset: number | null;
  /** Replicas: master's offset minus ours (bytes), when both answer. */
  lagBytes: number | null;
  /** Replicas: seconds since the master last heard from us (master's INFO slaveN lag=). */
  lagSec: number | null;
  masterLinkStatus: string | null;
  usedMemory: number | null;
  opsPerSec: number | null;
  keys: number | null;
  rttMs: number | null;
  opsHistory: number[];
  rttHistory: number[];
}

/** A run of slots with one owner (null: nobody). */
export type SlotRange = [start: number, end: number, ownerId: string | null];

export interface OpenSlot {
  slot: number;
  /** The node whose own line shows it open. */
  nodeId: string;
  kind: "migrating" | "importing";
  /** migrating: the target; importing: the source. */
  peerId: string;
}

export interface LinkView {
  /** The reporter. */
  from: string;
  /** The peer as the reporter names it (a random ID while in handshake). */
  to: string;
  toAddr: string;
  state: PeerState;
  /** CLUSTER LINKS: an outbound / inbound connection exists (null: not reported). */
  outbound: boolean | null;
  inbound: boolean | null;
  /** The reporter's link actor for the peer, in its own words (null: not an actor of ours). */
  machine: string | null;
}

export interface ClusterView {
  timeMs: number;
  nodes: NodeView[];
  slots: SlotRange[];
  /** ownerId -> number of slots. */
  slotCounts: Record<string, number>;
  covered: number;
  open: OpenSlot[];
  links: LinkView[];
  /** cluster_current_epoch, highest reported. */
  currentEpoch: number | null;
  /** cluster_state per answering node: "ok" when all say ok, "fail" when any says fail. */
  state: "ok" | "fail" | "unknown";
  /** Addresses polled that did not answer and are not known by ID. */
  unknownAddrs: string[];
}

/** "key:value" lines of INFO / CLUSTER INFO (sections and blank lines skipped). */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "" || line.startsWith("#")) continue;
    const c = line.indexOf(":");
    if (c > 0) m.set(line.slice(0, c), line.slice(c + 1));
  }
  return m;
}

/**
 * The `# Linkmachines` section of an INFO answer (server/info.ts: `<node id>:<state>` lines), or
 * null when the node has none (a real Redis, or a node without cluster mode).
 */
export function parseLinkMachines(text: string): Map<string, string> | null {
  const at = text.indexOf("# Linkmachines");
  if (at === -1) return null;
  const m = new Map<string, string>();
  for (const raw of text.slice(at).split("\n").slice(1)) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith("#")) break;
    const c = line.indexOf(":");
    if (c > 0) m.set(line.slice(0, c), line.slice(c + 1));
  }
  return m;
}

/** "ip=..,port=..,state=online,offset=..,lag=.." (INFO's slaveN and dbN values) as a map. */
export function parseInfoFields(value: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of value.split(",")) {
    const e = part.indexOf("=");
    if (e > 0) m.set(part.slice(0, e), part.slice(e + 1));
  }
  return m;
}

function num(info: ReadonlyMap<string, string> | null, key: string): number | null {
  const v = info?.get(key);
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** The state of a peer as one reporter's line about it shows. */
export function peerState(l: NodeLine): PeerState {
  if (l.flags.some((f) => f.includes("handshake"))) return "handshake";
  if (l.flags.includes("noaddr")) return "noaddr";
  if (l.flags.includes("fail")) return "fail";
  if (l.flags.includes("fail?")) return "pfail";
  return l.linkState === "connected" ? "connected" : "disconnected";
}

function lineAddr(l: NodeLine): string {
  return l.ip.includes(":") ? `[${l.ip}]:${l.port}` : `${l.ip}:${l.port}`;
}

/** Reports that count: reachable, with a CLUSTER NODES answer that has a myself line. */
function live(reports: readonly NodeReport[]): { r: NodeReport; me: NodeLine }[] {
  const out: { r: NodeReport; me: NodeLine }[] = [];
  for (const r of reports) {
    if (!r.reachable || r.lines === null) continue;
    const me = r.lines.find((l) => l.myself);
    if (me !== undefined) out.push({ r, me });
  }
  return out;
}

/** Owner ID per slot (null: unassigned), the highest-epoch claim winning. */
export function slotOwners(reports: readonly NodeReport[]): (string | null)[] {
  const owner: (string | null)[] = new Array(CLUSTER_SLOTS).fill(null);
  const epoch = new Float64Array(CLUSTER_SLOTS).fill(-1);
  for (const { r } of live(reports)) {
    for (const l of r.lines!) {
      if (l.slots.length === 0 || !l.master) continue;
      for (const s of l.slots) {
        if (l.configEpoch > epoch[s]) {
          epoch[s] = l.configEpoch;
          owner[s] = l.id;
        }
      }
    }
  }
  return owner;
}

/** Runs of equal owners covering 0..16383. */
export function slotRanges(owner: readonly (string | null)[]): SlotRange[] {
  const out: SlotRange[] = [];
  let start = 0;
  for (let s = 1; s <= owner.length; s++) {
    if (s === owner.length || owner[s] !== owner[start]) {
      out.push([start, s - 1, owner[start]]);
      start = s;
    }
  }
  return out;
}

/** Expand ranges back to one owner per slot. */
export function expandRanges(ranges: readonly SlotRange[]): (string | null)[] {
  const owner: (string | null)[] = new Array(CLUSTER_SLOTS).fill(null);
  for (const [a, b, id] of ranges) for (let s = a; s <= b; s++) owner[s] = id;
  return owner;
}

/** Merge the latest reports into one view. */
export function buildView(reports: readonly NodeReport[], timeMs: number): ClusterView {
  const reporters = live(reports);
  const byAddr = new Map(reports.map((r) => [r.addr, r]));
  // Every node ID known past the handshake, with the best line about it.
  const own = new Map<string, { line: NodeLine; report: NodeReport }>();
  for (const { r, me } of reporters) own.set(me.id, { line: me, report: r });
  const seen = new Map<string, NodeLine>();
  const fails = new Map<string, { pfail: number; fail: number }>();
  for (const { r } of reporters) {
    for (const l of r.lines!) {
      if (l.myself || l.flags.some((f) => f.includes("handshake"))) continue;
      if (!seen.has(l.id)) seen.set(l.id, l);
      const f = fails.get(l.id) ?? { pfail: 0, fail: 0 };
      if (l.flags.includes("fail")) f.fail++;
      else if (l.flags.includes("fail?")) f.pfail++;
      fails.set(l.id, f);
    }
  }
  const owner = slotOwners(reports);
  const slotCounts: Record<string, number> = {};
  let covered = 0;
  for (const id of owner) {
    if (id === null) continue;
    covered++;
    slotCounts[id] = (slotCounts[id] ?? 0) + 1;
  }
  const ids = new Set([...own.keys(), ...seen.keys()]);
  const nodes: NodeView[] = [];
  for (const id of ids) {
    const mine = own.get(id);
    const line = mine?.line ?? seen.get(id)!;
    const addr = lineAddr(line);
    const report = mine?.report ?? byAddr.get(addr) ?? null;
    const info = mine !== undefined ? report?.info ?? null : null;
    const f = fails.get(id) ?? { pfail: 0, fail: 0 };
    const keysField = info?.get("db0");
    nodes.push({
      id,
      addr: mine?.report.addr ?? addr,
      role: line.replica ? "replica" : "master",
      masterId: line.masterId,
      configEpoch: line.configEpoch,
      flags: line.flags.filter((x) => x !== "myself"),
      failState: f.fail > 0 ? "fail" : f.pfail > 0 ? "pfail" : "ok",
      failReports: f.fail + f.pfail,
      reachable: mine !== undefined ? true : report?.polled ? false : null,
      slots: slotCounts[id] ?? 0,
      replOffset: num(info, "master_repl_offset"),
      lagBytes: null,
      lagSec: null,
      masterLinkStatus: info?.get("master_link_status") ?? null,
      usedMemory: num(info, "used_memory"),
      opsPerSec: num(info, "instantaneous_ops_per_sec"),
      keys: keysField === undefined
        ? (info === null ? null : 0)
        : Number(parseInfoFields(keysField).get("keys") ?? 0),
      rttMs: mine !== undefined ? report?.rttMs ?? null : null,
      opsHistory: mine !== undefined ? [...(report?.opsHistory ?? [])] : [],
      rttHistory: mine !== undefined ? [...(report?.rttHistory ?? [])] : [],
    });
  }
  // Replication lag: the master's offset and its slaveN lines.
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) {
    if (n.role !== "replica" || n.masterId === null) continue;
    const m = nodeById.get(n.masterId);
    if (m === undefined) continue;
    if (m.replOffset !== null && n.replOffset !== null && n.reachable && m.reachable) {
      n.lagBytes = Math.max(0, m.replOffset - n.replOffset);
    }
    const mInfo = own.get(m.id)?.report.info;
    if (mInfo) {
      const [host, port] = [n.addr.slice(0, n.addr.lastIndexOf(":")), n.addr.split(":").pop()];
      for (const [k, v] of mInfo) {
        if (!/^slave\d+$/.test(k)) continue;
        const fields = parseInfoFields(v);
        if (fields.get("port") === port && (fields.get("ip") === host || host === "")) {
          const lag = Number(fields.get("lag"));
          n.lagSec = Number.isFinite(lag) ? lag : null;
        }
      }
    }
  }
  nodes.sort(nodeOrder(nodes, owner));
  const open: OpenSlot[] = [];
  for (const { me } of reporters) {
    for (const [slot, peer] of me.migrating) {
      open.push({ slot, nodeId: me.id, kind: "migrating", peerId: peer });
    }
    for (const [slot, peer] of me.importing) {
      open.push({ slot, nodeId: me.id, kind: "importing", peerId: peer });
    }
  }
  open.sort((a, b) => a.slot - b.slot || a.kind.localeCompare(b.kind));
  const links: LinkView[] = [];
  for (const { r, me } of reporters) {
    for (const l of r.lines!) {
      if (l.myself) continue;
      const conns = r.links?.filter((x) => x.nodeId === l.id) ?? null;
      links.push({
        from: me.id,
        to: l.id,
        toAddr: lineAddr(l),
        state: peerState(l),
        outbound: conns === null ? null : conns.some((x) => x.direction === "to"),
        inbound: conns === null ? null : conns.some((x) => x.direction === "from"),
        machine: r.machines?.get(l.id) ?? null,
      });
    }
  }
  let currentEpoch: number | null = null;
  let anyFail = false;
  let allOk = reporters.length > 0;
  for (const { r } of reporters) {
    const e = num(r.info, "cluster_current_epoch");
    if (e !== null && (currentEpoch === null || e > currentEpoch)) currentEpoch = e;
    const st = r.info?.get("cluster_state");
    if (st === "fail") anyFail = true;
    if (st !== "ok") allOk = false;
  }
  const knownAddrs = new Set(nodes.map((n) => n.addr));
  return {
    timeMs,
    nodes,
    slots: slotRanges(owner),
    slotCounts,
    covered,
    open,
    links,
    currentEpoch,
    state: anyFail ? "fail" : allOk ? "ok" : "unknown",
    unknownAddrs: reports.filter((r) => r.polled && !r.reachable && !knownAddrs.has(r.addr)).map((
      r,
    ) => r.addr),
  };
}

/**
 * The last view with every node unreachable: when no node answers, nothing is known to have
 * changed in the cluster (its slots and roles stay as last seen), only that nobody answers.
 */
export function unreachableView(prev: ClusterView, timeMs: number): ClusterView {
  return {
    ...prev,
    timeMs,
    nodes: prev.nodes.map((n) => ({
      ...n,
      reachable: n.reachable === null ? null : false,
      rttMs: null,
      masterLinkStatus: null,
    })),
    links: [],
    state: "unknown",
  };
}

/** Masters by their first owned slot (slotless masters last), each followed by its replicas. */
function nodeOrder(
  nodes: readonly NodeView[],
  owner: readonly (string | null)[],
): (a: NodeView, b: NodeView) => number {
  const first = new Map<string, number>();
  for (let s = owner.length - 1; s >= 0; s--) if (owner[s] !== null) first.set(owner[s]!, s);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const groupKey = (n: NodeView): [number, string, number] => {
    const m = n.role === "replica" && n.masterId !== null && byId.has(n.masterId)
      ? byId.get(n.masterId)!
      : n;
    return [first.get(m.id) ?? CLUSTER_SLOTS, m.id, n === m ? 0 : 1];
  };
  return (a, b) => {
    const ka = groupKey(a);
    const kb = groupKey(b);
    return ka[0] - kb[0] || ka[1].localeCompare(kb[1]) || ka[2] - kb[2] ||
      a.addr.localeCompare(b.addr);
  };
}

/** Addresses the poller should watch: the seeds and every address a live report names. */
export function addressesToWatch(
  seeds: readonly string[],
  reports: readonly NodeReport[],
): string[] {
  const out = new Set(seeds);
  for (const { r } of live(reports)) {
    for (const l of r.lines!) {
      if (l.myself || l.ip === "" || l.port === 0 || l.flags.includes("noaddr")) continue;
      if (l.flags.some((f) => f.includes("handshake"))) continue;
      out.add(lineAddr(l));
    }
  }
  return [...out];
}
