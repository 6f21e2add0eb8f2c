/**
 * Log lines a person can follow, derived from two successive cluster views (pure): the bus's own
 * Redis-style lines cover FAIL ("Marking node ... as failing", "FAIL message received ...",
 * "Clear FAIL state ..."), cluster state and epochs, but Redis logs meeting nodes, handshakes,
 * PFAIL, slot moves and role changes only at debug level or not at all. These lines fill that
 * gap at notice level (PFAIL cleared and dropped handshakes at verbose), one line per event:
 *
 *   Handshake started with 127.0.0.1:7001
 *   Handshake with node <id> (127.0.0.1:7001) completed
 *   Node <id> (ip:port) added to the cluster view / removed from the cluster view
 *   Node <id> (ip:port) is not reachable (PFAIL) / is reachable again
 *   Slots 0-5460 now served by node <id> (ip:port) / now unassigned
 *   Node <id> (ip:port) is now a replica of <id> (ip:port) / is now a master
 *
 * cluster/cluster.ts calls `describeViewChange` once per cron tick (100 ms) with the view it saw
 * at the previous tick, so a change and its undoing within one tick leave no line.
 */

import type { LogLevel } from "./bus_effects.ts";
import { type ClusterNode, type ClusterState, NodeFlags } from "./state.ts";

export interface ViewLogLine {
  level: LogLevel;
  text: string;
}

/** At most this many slot-range lines per tick (a big reshard is summarised). */
const MAX_SLOT_LINES = 16;

function addr(n: ClusterNode): string {
  return `${n.ip || "?"}:${n.port}`;
}

function label(n: ClusterNode, s: ClusterState): string {
  return n.id === s.myselfId ? `myself ${n.id} (${addr(n)})` : `node ${n.id} (${addr(n)})`;
}

function cap(t: string): string {
  return t[0].toUpperCase() + t.slice(1);
}

const has = (n: ClusterNode, f: number) => (n.flags & f) !== 0;

function rangesText(slots: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < slots.length) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j] + 1) j++;
    parts.push(i === j ? `${slots[i]}` : `${slots[i]}-${slots[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

function nodeLines(prev: ClusterState, next: ClusterState, out: ViewLogLine[]): void {
  const removedHandshakes = new Map<string, ClusterNode>(); // ip:port -> node
  for (const p of prev.nodes.values()) {
    if (next.nodes.has(p.id) || p.id === prev.myselfId) continue;
    if (has(p, NodeFlags.HANDSHAKE)) removedHandshakes.set(addr(p), p);
    else {out.push({
        level: "notice",
        text: `${cap(label(p, prev))} removed from the cluster view`,
      });}
  }
  for (const n of next.nodes.values()) {
    if (n.id === next.myselfId) continue;
    const p = prev.nodes.get(n.id);
    if (p === undefined) {
      if (has(n, NodeFlags.HANDSHAKE)) {
        out.push({ level: "notice", text: `Handshake started with ${addr(n)}` });
      } else if (removedHandshakes.delete(addr(n))) {
        out.push({ level: "notice", text: `Handshake with ${label(n, next)} completed` });
      } else {
        out.push({ level: "notice", text: `${cap(label(n, next))} added to the cluster view` });
      }
      continue;
    }
    if (p === n) continue;
    if (has(p, NodeFlags.HANDSHAKE) && !has(n, NodeFlags.HANDSHAKE)) {
      out.push({ level: "notice", text: `Handshake with ${label(n, next)} completed` });
    }
    if (has(n, NodeFlags.PFAIL) && !has(p, NodeFlags.PFAIL) && !has(n, NodeFlags.FAIL)) {
      out.push({
        level: "notice",
        text: `${cap(label(n, next))} is not reachable (PFAIL: no reply within node-timeout)`,
      });
    } else if (has(p, NodeFlags.PFAIL) && !has(n, NodeFlags.PFAIL) && !has(n, NodeFlags.FAIL)) {
      out.push({ level: "verbose", text: `${cap(label(n, next))} is reachable again` });
    }
  }
  for (const p of removedHandshakes.values()) {
    out.push({ level: "verbose", text: `Handshake with ${addr(p)} dropped` });
  }
  // Roles, for nodes known in both views (myself included).
  for (const n of next.nodes.values()) {
    const p = prev.nodes.get(n.id);
    if (p === undefined || p === n || has(n, NodeFlags.HANDSHAKE)) continue;
    const wasReplica = has(p, NodeFlags.SLAVE);
    const isReplica = has(n, NodeFlags.SLAVE);
    if (isReplica && n.masterId !== null && (!wasReplica || p.masterId !== n.masterId)) {
      const m = next.nodes.get(n.masterId);
      out.push({
        level: "notice",
        text: `${cap(label(n, next))} is now a replica of ${
          m ? label(m, next) : `node ${n.masterId}`
        }`,
      });
    } else if (wasReplica && !isReplica && has(n, NodeFlags.MASTER)) {
      out.push({ level: "notice", text: `${cap(label(n, next))} is now a master` });
    }
  }
}

function slotLines(prev: ClusterState, next: ClusterState, out: ViewLogLine[]): void {
  if (prev.slotOwner === next.slotOwner) return;
  const byOwner = new Map<string | null, number[]>();
  prev.slotOwner.forEachChange(next.slotOwner, (j, _was, k) => {
    let list = byOwner.get(k);
    if (list === undefined) byOwner.set(k, list = []);
    list.push(j);
  });
  let lines = 0;
  for (const [owner, slots] of byOwner) {
    if (lines++ >= MAX_SLOT_LINES) {
      out.push({
        level: "notice",
        text: `... and slot changes for ${byOwner.size - MAX_SLOT_LINES} more owner(s)`,
      });
      break;
    }
    const what = slots.length === 1 ? `Slot ${slots[0]}` : `Slots ${rangesText(slots)}`;
    if (owner === null) {
      out.push({ level: "notice", text: `${what} now unassigned` });
      continue;
    }
    const n = next.nodes.get(owner);
    out.push({
      level: "notice",
      text: `${what} now served by ${n ? label(n, next) : `node ${owner}`}`,
    });
  }
}

/** The lines for the change from `prev` to `next` (same myself; empty when nothing changed). */
export function describeViewChange(prev: ClusterState, next: ClusterState): ViewLogLine[] {
  const out: ViewLogLine[] = [];
  if (prev === next || prev.myselfId !== next.myselfId) return out;
  if (prev.nodes !== next.nodes) nodeLines(prev, next, out);
  slotLines(prev, next, out);
  return out;
}
