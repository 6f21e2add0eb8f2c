/**
 * The dashboard's timeline: events derived by diffing two successive ClusterViews (a node
 * added or forgotten, a handshake (MEET) seen, PFAIL, FAIL, FAIL cleared, the dashboard losing
 * or regaining a node, currentEpoch growing (an election), a promotion (with the configEpoch
 * it won), a replica following another master, slots moving between masters, slots opened for
 * migration and closed again, the cluster state flipping). Pure; Timeline keeps the last events
 * numbered for the page.
 */

import type { ClusterView, NodeView, OpenSlot } from "./view_model.ts";
import { expandRanges } from "./view_model.ts";
import { slotRangeTexts } from "../manager/format.ts";

export type EventKind =
  | "watching"
  | "node-added"
  | "node-forgotten"
  | "meet"
  | "pfail"
  | "fail"
  | "recovered"
  | "unreachable"
  | "reachable"
  | "promoted"
  | "demoted"
  | "replica-of"
  | "epoch"
  | "election"
  | "slots-moved"
  | "migrating"
  | "importing"
  | "slot-closed"
  | "cluster-state";

export interface TimelineEvent {
  /** Numbered by Timeline (0 before). */
  seq: number;
  /** When the dashboard saw the change (its clock, ms since the epoch). */
  timeMs: number;
  kind: EventKind;
  /** The node the event is about (the receiving master for slot moves). */
  nodeId: string | null;
  addr: string | null;
  text: string;
  /** slots-moved: from, to, count. */
  from?: string;
  to?: string;
  count?: number;
}

function short(id: string): string {
  return id.slice(0, 8);
}

function who(n: NodeView): string {
  return `${n.addr} (${short(n.id)})`;
}

/** "0-99, 200, 300-301" for a sorted list of slots (at most `max` runs shown). */
export function rangesText(slots: readonly number[], max = 6): string {
  const runs = slotRangeTexts(slots);
  return runs.slice(0, max).join(", ") +
    (runs.length > max ? `, ... (${runs.length - max} more runs)` : "");
}

/** The events that turn `prev` into `next` (prev null: the first view). */
export function diffViews(prev: ClusterView | null, next: ClusterView): TimelineEvent[] {
  const t = next.timeMs;
  const out: TimelineEvent[] = [];
  const ev = (kind: EventKind, n: NodeView | null, text: string): TimelineEvent => {
    const e: TimelineEvent = {
      seq: 0,
      timeMs: t,
      kind,
      nodeId: n?.id ?? null,
      addr: n?.addr ?? null,
      text,
    };
    out.push(e);
    return e;
  };
  if (prev === null) {
    const masters = next.nodes.filter((n) => n.role === "master").length;
    ev(
      "watching",
      null,
      `watching ${next.nodes.length} nodes (${masters} masters), ${next.covered} of 16384 slots covered`,
    );
    return out;
  }
  const before = new Map(prev.nodes.map((n) => [n.id, n]));
  const after = new Map(next.nodes.map((n) => [n.id, n]));
  for (const n of next.nodes) {
    const p = before.get(n.id);
    if (p === undefined) {
      ev("node-added", n, `node ${who(n)} joined as ${n.role}`);
      continue;
    }
    if (p.failState !== n.failState) {
      if (n.failState === "fail") {
        ev("fail", n, `${who(n)} FAIL (${n.failReports} node(s) flag it)`);
      } else if (n.failState === "pfail") {
        ev("pfail", n, `${who(n)} PFAIL (${n.failReports} node(s) suspect it)`);
      } else {
        ev("recovered", n, `${who(n)} ${p.failState === "fail" ? "FAIL" : "PFAIL"} cleared`);
      }
    }
    if (p.reachable !== null && n.reachable !== null && p.reachable !== n.reachable) {
      if (n.reachable) ev("reachable", n, `${who(n)} answers again`);
      else ev("unreachable", n, `${who(n)} does not answer the dashboard`);
    }
    if (p.role === "replica" && n.role === "master") {
      const old = p.masterId !== null ? after.get(p.masterId) ?? before.get(p.masterId) : null;
      ev(
        "promoted",
        n,
        `${who(n)} promoted to master` + (old ? ` in place of ${who(old)}` : "") +
          ` (configEpoch ${n.configEpoch})`,
      );
    } else if (p.role === "master" && n.role === "replica") {
      const m = n.masterId !== null ? after.get(n.masterId) : undefined;
      ev("demoted", n, `${who(n)} is now a replica` + (m ? ` of ${who(m)}` : ""));
    } else if (n.role === "replica" && p.masterId !== n.masterId && n.masterId !== null) {
      const m = after.get(n.masterId);
      ev("replica-of", n, `${who(n)} now replicates ${m ? who(m) : short(n.masterId)}`);
    }
    // A master's configEpoch (a replica's line shows its master's).
    if (n.role === "master" && p.role === "master" && n.configEpoch > p.configEpoch) {
      ev("epoch", n, `${who(n)} configEpoch ${p.configEpoch} -> ${n.configEpoch}`);
    }
  }
  for (const p of prev.nodes) {
    if (!after.has(p.id)) ev("node-forgotten", p, `node ${who(p)} forgotten`);
  }
  // A handshake (MEET) with an address no node had a handshake link to before.
  const hsBefore = new Set(
    prev.links.filter((l) => l.state === "handshake").map((l) => l.toAddr),
  );
  const hsNow = new Set<string>();
  for (const l of next.links) {
    if (l.state !== "handshake" || hsBefore.has(l.toAddr) || hsNow.has(l.toAddr)) continue;
    hsNow.add(l.toAddr);
    const from = after.get(l.from);
    ev("meet", null, `handshake with ${l.toAddr}` + (from ? ` from ${who(from)}` : ""));
  }
  // Slot moves, grouped by (from, to).
  const o1 = expandRanges(prev.slots);
  const o2 = expandRanges(next.slots);
  const moves = new Map<string, { from: string | null; to: string | null; slots: number[] }>();
  for (let s = 0; s < o2.length; s++) {
    if (o1[s] === o2[s]) continue;
    const k = `${o1[s]}>${o2[s]}`;
    let m = moves.get(k);
    if (m === undefined) moves.set(k, m = { from: o1[s], to: o2[s], slots: [] });
    m.slots.push(s);
  }
  for (const m of moves.values()) {
    const to = m.to !== null ? after.get(m.to) ?? null : null;
    const from = m.from !== null ? after.get(m.from) ?? before.get(m.from) ?? null : null;
    const name = (n: NodeView | null, id: string | null) =>
      n ? who(n) : id === null ? "nobody" : short(id);
    const e = ev(
      "slots-moved",
      to,
      `${m.slots.length} slot(s) ${name(from, m.from)} -> ${name(to, m.to)}: ${
        rangesText(m.slots)
      }`,
    );
    e.from = m.from ?? undefined;
    e.to = m.to ?? undefined;
    e.count = m.slots.length;
  }
  // Open slots, grouped by node, kind and peer.
  const key = (o: OpenSlot) => `${o.kind} ${o.nodeId} ${o.slot} ${o.peerId}`;
  const openBefore = new Set(prev.open.map(key));
  const openNow = new Set(next.open.map(key));
  const group = (list: OpenSlot[]) => {
    const g = new Map<string, OpenSlot[]>();
    for (const o of list) {
      const k = `${o.kind} ${o.nodeId} ${o.peerId}`;
      g.set(k, [...(g.get(k) ?? []), o]);
    }
    return [...g.values()];
  };
  const name = (id: string) => {
    const n = after.get(id) ?? before.get(id);
    return n ? who(n) : short(id);
  };
  for (const os of group(next.open.filter((o) => !openBefore.has(key(o))))) {
    const o = os[0];
    const slots = `slot${os.length > 1 ? "s" : ""} ${rangesText(os.map((x) => x.slot))}`;
    ev(
      o.kind,
      after.get(o.nodeId) ?? null,
      o.kind === "migrating"
        ? `${slots} migrating from ${name(o.nodeId)} to ${name(o.peerId)}`
        : `${slots} importing into ${name(o.nodeId)} from ${name(o.peerId)}`,
    );
  }
  for (const os of group(prev.open.filter((o) => !openNow.has(key(o))))) {
    const o = os[0];
    const slots = `slot${os.length > 1 ? "s" : ""} ${rangesText(os.map((x) => x.slot))}`;
    ev(
      "slot-closed",
      after.get(o.nodeId) ?? before.get(o.nodeId) ?? null,
      `${slots} no longer ${o.kind} on ${name(o.nodeId)}`,
    );
  }
  // currentEpoch grows when a replica starts an election (or a node bumps its configEpoch).
  if (
    prev.currentEpoch !== null && next.currentEpoch !== null &&
    next.currentEpoch > prev.currentEpoch
  ) {
    ev(
      "election",
      null,
      `currentEpoch ${prev.currentEpoch} -> ${next.currentEpoch} (an election, or a configEpoch bump)`,
    );
  }
  if (prev.state !== next.state && next.state !== "unknown") {
    ev("cluster-state", null, `cluster_state:${next.state}`);
  }
  return out;
}

/** The last `capacity` events, numbered from 1. */
export class Timeline {
  private events: TimelineEvent[] = [];
  private nextSeq = 1;

  constructor(readonly capacity = 500) {}

  add(events: readonly TimelineEvent[]): TimelineEvent[] {
    const added = events.map((e) => ({ ...e, seq: this.nextSeq++ }));
    this.events.push(...added);
    if (this.events.length > this.capacity) {
      this.events.splice(0, this.events.length - this.capacity);
    }
    return added;
  }

  all(): TimelineEvent[] {
    return [...this.events];
  }
}
