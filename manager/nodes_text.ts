/**
 * CLUSTER NODES text, read the way redis-cli --cluster reads it (redis-cli.c clusterManagerNodeLoadInfo), and the
 * slot-configuration signature redis-cli compares across nodes (A.0). Pure functions.
 */

import { CLUSTER_PORT_INCR } from "../protocol/bus_constants.ts";
import { CLUSTER_SLOTS } from "../protocol/slot.ts";

export interface NodeLine {
  id: string;
  /** IP (empty on a fresh node's myself line before its first MEET). */
  ip: string;
  port: number;
  busPort: number;
  hostname: string;
  flags: string[];
  myself: boolean;
  master: boolean;
  replica: boolean;
  /** Master's ID for a replica, null when the field is '-'. */
  masterId: string | null;
  pingSentMs: number;
  pongRecvMs: number;
  configEpoch: number;
  linkState: string;
  /** Slot tokens as printed (ranges and single slots; no '[' tokens). */
  slotTokens: string[];
  /** Owned slots, expanded. */
  slots: number[];
  /** slot -> target node ID ("[N->-id]", myself line only). */
  migrating: Map<number, string>;
  /** slot -> source node ID ("[N-<-id]", myself line only). */
  importing: Map<number, string>;
}

export class NodesParseError extends Error {
  override name = "NodesParseError";
}

function hasFlag(flags: string[], f: string): boolean {
  return flags.includes(f);
}

/** Parse one line (without its '\n'). */
export function parseNodeLine(line: string): NodeLine {
  const f = line.split(" ");
  if (f.length < 8) throw new NodesParseError(`bad CLUSTER NODES line: ${line}`);
  const [id, addr, flagText, master, ping, pong, epoch, link] = f;
  let hostname = "";
  let addrPart = addr;
  const at = addr.lastIndexOf("@");
  let busText = "";
  if (at >= 0) {
    busText = addr.slice(at + 1);
    addrPart = addr.slice(0, at);
    const comma = busText.indexOf(",");
    if (comma >= 0) {
      hostname = busText.slice(comma + 1);
      busText = busText.slice(0, comma);
    }
  }
  const colon = addrPart.lastIndexOf(":");
  if (colon < 0) throw new NodesParseError(`bad address in CLUSTER NODES line: ${line}`);
  const ip = addrPart.slice(0, colon);
  const port = Number(addrPart.slice(colon + 1));
  const busPort = busText === "" ? port + CLUSTER_PORT_INCR : Number(busText);
  const flags = flagText.split(",");
  const slotTokens: string[] = [];
  const slots: number[] = [];
  const migrating = new Map<number, string>();
  const importing = new Map<number, string>();
  for (let i = 8; i < f.length; i++) {
    const tok = f[i];
    if (tok === "") continue;
    if (tok.startsWith("[")) {
      const body = tok.slice(1, tok.endsWith("]") ? -1 : undefined);
      const mig = body.indexOf("->-");
      const imp = body.indexOf("-<-");
      if (mig > 0) migrating.set(Number(body.slice(0, mig)), body.slice(mig + 3));
      else if (imp > 0) importing.set(Number(body.slice(0, imp)), body.slice(imp + 3));
      continue;
    }
    slotTokens.push(tok);
    const dash = tok.indexOf("-");
    const a = Number(dash < 0 ? tok : tok.slice(0, dash));
    const b = dash < 0 ? a : Number(tok.slice(dash + 1));
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b >= CLUSTER_SLOTS || a > b) {
      throw new NodesParseError(`bad slot token '${tok}' in CLUSTER NODES line: ${line}`);
    }
    for (let s = a; s <= b; s++) slots.push(s);
  }
  return {
    id,
    ip,
    port,
    busPort,
    hostname,
    flags,
    myself: hasFlag(flags, "myself"),
    master: hasFlag(flags, "master"),
    replica: hasFlag(flags, "slave"),
    masterId: master === "-" ? null : master,
    pingSentMs: Number(ping),
    pongRecvMs: Number(pong),
    configEpoch: Number(epoch),
    linkState: link,
    slotTokens,
    slots,
    migrating,
    importing,
  };
}

/** Parse the whole reply. Like redis-cli, a last line without '\n' is ignored. */
export function parseClusterNodes(text: string): NodeLine[] {
  const out: NodeLine[] = [];
  let pos = 0;
  for (;;) {
    const nl = text.indexOf("\n", pos);
    if (nl < 0) break;
    const line = text.slice(pos, nl).replace(/\r$/, "");
    pos = nl + 1;
    if (line.trim() === "") continue;
    out.push(parseNodeLine(line));
  }
  return out;
}

/** The node's own line; throws when there is none. */
export function myselfLine(lines: NodeLine[]): NodeLine {
  const me = lines.find((l) => l.myself);
  if (me === undefined) throw new NodesParseError("CLUSTER NODES has no 'myself' line");
  return me;
}

/**
 * redis-cli's config signature: for every line that owns slots, `id:` + its slot tokens sorted
 * and comma-joined; those strings sorted and joined with '|'.
 */
export function configSignature(lines: NodeLine[]): string {
  const parts: string[] = [];
  for (const l of lines) {
    if (l.slotTokens.length === 0) continue;
    parts.push(`${l.id}:${[...l.slotTokens].sort().join(",")}`);
  }
  return parts.sort().join("|");
}

/** True if a flag marks the node as unusable for redis-cli (noaddr, disconnected, fail). */
export function isUnreachable(l: NodeLine): boolean {
  return hasFlag(l.flags, "noaddr") || hasFlag(l.flags, "disconnected") || hasFlag(l.flags, "fail");
}

/** True while a line is still in handshake (random ID, not yet a member). */
export function inHandshake(l: NodeLine): boolean {
  return l.flags.some((f) => f.includes("handshake"));
}
