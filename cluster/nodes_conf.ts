/**
 * nodes.conf and CLUSTER NODES text, exactly in Redis 7.0's format (docs/cluster-bus.md §8), as pure
 * functions: `describeNodes` (the CLUSTER NODES lines), `serializeConfig` (those lines without
 * handshake nodes plus `vars currentEpoch N lastVoteEpoch M`), and `parseConfig` (Redis's
 * clusterLoadConfig rules; a corrupt file yields an error naming the offending line).
 *
 * File I/O (load/create, saves as Redis 7.0 writes them) lives in cluster/nodes_conf_io.ts.
 */

import { splitConfigLine } from "../server/config.ts";
import {
  CLUSTER_PORT_INCR,
  CLUSTER_SLOTS,
  type ClusterNode,
  type ClusterState,
  createNode,
  effectiveConfigEpoch,
  isValidNodeId,
  NodeFlags,
  PRINTED_FLAGS,
  SLOT_BITMAP_BYTES,
  slotRanges,
  SlotTable,
} from "./state.ts";

/** representClusterNodeFlags: comma-joined flag names, or "noflags". */
export function flagsText(flags: number): string {
  let out = "";
  for (const [bit, name] of PRINTED_FLAGS) {
    if (flags & bit) out += out === "" ? name : "," + name;
  }
  return out === "" ? "noflags" : out;
}

/**
 * The slot ranges of a bitmap as CLUSTER NODES prints them (" 0-99 200"), cached by bitmap: a
 * node's bitmap is replaced, never changed, when its slots change (state.ts), and most saves and
 * CLUSTER NODES calls see the bitmaps of the previous one.
 */
const rangesText = new WeakMap<Uint8Array, string>();

function slotRangesText(n: ClusterNode): string {
  let text = rangesText.get(n.slots);
  if (text === undefined) {
    text = "";
    for (const [a, b] of slotRanges(n)) text += a === b ? ` ${a}` : ` ${a}-${b}`;
    rangesText.set(n.slots, text);
  }
  return text;
}

/**
 * A node's `head` (id, address, flags, master) by record, for each `usePport`: a record is
 * replaced, never changed (state.ts), and a save or CLUSTER NODES mostly sees the records of the
 * previous one.
 */
const headText = new WeakMap<ClusterNode, string>();
const headTextPport = new WeakMap<ClusterNode, string>();

/**
 * A node's line in parts: `head` (id, address, flags, master), the heartbeat fields (ping sent,
 * pong received), the epoch, the link state, and `tail` (slots, open slots). The line is
 * head + beat + " " + epoch + link + tail; its durable form (durableConfigKey) head + " " +
 * epoch + tail.
 */
function nodeLineParts(s: ClusterState, n: ClusterNode, usePport: boolean) {
  const heads = usePport ? headTextPport : headText;
  let head = heads.get(n);
  if (head === undefined) {
    const port = usePport && n.pport !== 0 ? n.pport : n.port;
    head = `${n.id} ${n.ip}:${port}@${n.cport}`;
    if (n.hostname !== "") head += "," + n.hostname;
    head += ` ${flagsText(n.flags)} ${n.masterId ?? "-"}`;
    heads.set(n, head);
  }
  const isMe = (n.flags & NodeFlags.MYSELF) !== 0;
  const beat = ` ${n.pingSentMs} ${n.pongReceivedMs}`;
  const link = n.linkState === "connected" || isMe ? " connected" : " disconnected";
  let tail = slotRangesText(n);
  if (isMe && (s.migratingSlotsTo.size > 0 || s.importingSlotsFrom.size > 0)) {
    const open = new Set([...s.migratingSlotsTo.keys(), ...s.importingSlotsFrom.keys()]);
    for (const j of [...open].sort((x, y) => x - y)) {
      const to = s.migratingSlotsTo.get(j);
      if (to !== undefined) tail += ` [${j}->-${to}]`;
      else tail += ` [${j}-<-${s.importingSlotsFrom.get(j)}]`;
    }
  }
  return { head, beat, epoch: effectiveConfigEpoch(s, n), link, tail };
}

/**
 * clusterGenNodeDescription: one line, without the trailing "\n". `usePport`: show the
 * plaintext port where the node has one (a plain client of a tls-cluster).
 */
export function describeNode(s: ClusterState, n: ClusterNode, usePport = false): string {
  const p = nodeLineParts(s, n, usePport);
  return `${p.head}${p.beat} ${p.epoch}${p.link}${p.tail}`;
}

/**
 * clusterGenNodesDescription: every node (nodes with a flag in `filter` left out), myself first,
 * one line each, every line ending in "\n".
 */
export function describeNodes(s: ClusterState, filter = 0, usePport = false): string {
  let out = "";
  const me = s.nodes.get(s.myselfId)!;
  if (!(me.flags & filter)) out += describeNode(s, me, usePport) + "\n";
  for (const n of s.nodes.values()) {
    if (n.id === s.myselfId || (n.flags & filter)) continue;
    out += describeNode(s, n, usePport) + "\n";
  }
  return out;
}

/** The whole nodes.conf content (clusterSaveConfig): handshake nodes are not written. */
export function serializeConfig(s: ClusterState): string {
  return describeNodes(s, NodeFlags.HANDSHAKE) +
    `vars currentEpoch ${s.currentEpoch} lastVoteEpoch ${s.lastVoteEpoch}\n`;
}

/**
 * `serializeConfig(s)` and its `durableConfigKey`, built together (a save needs both; the key
 * without a second pass over the text).
 */
export function serializeConfigWithKey(s: ClusterState): { content: string; key: string } {
  let content = "";
  let key = "";
  const add = (n: ClusterNode) => {
    const p = nodeLineParts(s, n, false);
    content += `${p.head}${p.beat} ${p.epoch}${p.link}${p.tail}\n`;
    key += `${p.head} ${p.epoch}${p.tail}\n`;
  };
  const me = s.nodes.get(s.myselfId)!;
  if (!(me.flags & NodeFlags.HANDSHAKE)) add(me);
  for (const n of s.nodes.values()) {
    if (n.id === s.myselfId || (n.flags & NodeFlags.HANDSHAKE)) continue;
    add(n);
  }
  const vars = `vars currentEpoch ${s.currentEpoch} lastVoteEpoch ${s.lastVoteEpoch}\n`;
  return { content: content + vars, key: key + vars };
}

/**
 * nodes.conf without what changes with every heartbeat (each node's ping_sent, pong_received and
 * link state): two contents with the same key describe the same cluster configuration, and a save
 * of the second one would change nothing a restart reads back that matters.
 */
export function durableConfigKey(content: string): string {
  return content.replace(
    /^(\S+ \S+ \S+ \S+) \d+ \d+ (\d+) (?:connected|disconnected)/gm,
    "$1 $2",
  );
}

export interface ConfigParseError {
  /** 1-based line number, 0 when the problem is the file as a whole. */
  lineNumber: number;
  line: string;
  reason: string;
}

/** C atoi: optional spaces and sign, then leading digits; 0 when none. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1], 10) : 0;
}

/** C strtoull with base 10, as Redis uses it for epochs. */
function strtoull(s: string): number {
  const m = /^\s*\+?(\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

const FLAG_WORDS: Record<string, number> = {
  myself: NodeFlags.MYSELF,
  master: NodeFlags.MASTER,
  slave: NodeFlags.SLAVE,
  "fail?": NodeFlags.PFAIL,
  fail: NodeFlags.FAIL,
  handshake: NodeFlags.HANDSHAKE,
  noaddr: NodeFlags.NOADDR,
  nofailover: NodeFlags.NOFAILOVER,
  noflags: 0,
};

interface MutableNode {
  id: string;
  ip: string;
  port: number;
  cport: number;
  hostname: string;
  flags: number;
  masterId: string | null;
  pingSentMs: number;
  pongReceivedMs: number;
  failTimeMs: number;
  configEpoch: number;
  slots: Uint8Array;
  numSlots: number;
}

/**
 * Parse nodes.conf (clusterLoadConfig). `nowMs` stands for Redis's mstime() at load: non-zero
 * ping/pong times and FAIL flags get it. Each peer's link is opened from its record as
 * `createNode` opens one without a clock; a node opens its links again on its own timer clock
 * when its bus starts (cluster/bus_node.ts `start`). Returns the loaded state, or the first
 * problem. Blank lines are skipped; unknown `vars` keys are reported in `warnings`.
 */
export function parseConfig(
  text: string,
  nowMs: number,
): { state: ClusterState; warnings: string[] } | { error: ConfigParseError } {
  const nodes = new Map<string, MutableNode>();
  const slotOwner = new Array<string | null>(CLUSTER_SLOTS).fill(null);
  const migrating = new Map<number, string>();
  const importing = new Map<number, string>();
  const warnings: string[] = [];
  let currentEpoch = 0;
  let lastVoteEpoch = 0;
  let myselfId: string | null = null;

  const getNode = (id: string): MutableNode => {
    let n = nodes.get(id);
    if (n === undefined) {
      n = {
        id,
        ip: "",
        port: 0,
        cport: 0,
        hostname: "",
        flags: 0,
        masterId: null,
        pingSentMs: 0,
        pongReceivedMs: 0,
        failTimeMs: 0,
        configEpoch: 0,
        slots: new Uint8Array(SLOT_BITMAP_BYTES),
        numSlots: 0,
      };
      nodes.set(id, n);
    }
    return n;
  };

  const lines = text.split("\n");
  // A final line without "\n" is still read by fgets; an empty tail is not a line.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const err = (reason: string) => ({ error: { lineNumber: i + 1, line: raw, reason } });
    if (raw === "" || raw === "\r") continue;
    const argv = splitConfigLine(raw);
    if (argv === null) return err("unbalanced quotes");
    if (argv.length === 0) continue;
    if (argv[0].toLowerCase() === "vars") {
      if (argv.length % 2 === 0) return err("odd number of vars arguments");
      for (let j = 1; j < argv.length; j += 2) {
        const k = argv[j].toLowerCase();
        if (k === "currentepoch") currentEpoch = strtoull(argv[j + 1]);
        else if (k === "lastvoteepoch") lastVoteEpoch = strtoull(argv[j + 1]);
        else warnings.push(`Skipping unknown cluster config variable '${argv[j]}'`);
      }
      continue;
    }
    if (argv.length < 8) return err("a node line needs at least 8 fields");
    if (!isValidNodeId(argv[0])) return err(`invalid node id '${argv[0]}'`);
    const n = getNode(argv[0]);

    // Address: ip:port@cport[,hostname]
    let addr = argv[1];
    const comma = addr.indexOf(",");
    if (comma !== -1) {
      n.hostname = addr.slice(comma + 1);
      addr = addr.slice(0, comma);
    }
    const colon = addr.lastIndexOf(":");
    if (colon === -1) return err(`invalid address '${argv[1]}'`);
    n.ip = addr.slice(0, colon);
    const portPart = addr.slice(colon + 1);
    const at = portPart.indexOf("@");
    n.port = atoi(at === -1 ? portPart : portPart.slice(0, at));
    n.cport = at === -1 ? n.port + CLUSTER_PORT_INCR : atoi(portPart.slice(at + 1));

    for (const word of argv[2].split(",")) {
      const bit = FLAG_WORDS[word.toLowerCase()];
      if (bit === undefined) return err(`Unknown flag in redis cluster config file: '${word}'`);
      if (bit === NodeFlags.MYSELF) {
        if (myselfId !== null && myselfId !== n.id) return err("more than one node is 'myself'");
        myselfId = n.id;
      }
      if (bit === NodeFlags.FAIL) n.failTimeMs = nowMs;
      n.flags |= bit;
    }

    if (argv[3][0] !== "-") {
      if (!isValidNodeId(argv[3])) return err(`invalid master id '${argv[3]}'`);
      getNode(argv[3]);
      n.masterId = argv[3];
    }
    if (atoi(argv[4]) !== 0) n.pingSentMs = nowMs;
    if (atoi(argv[5]) !== 0) n.pongReceivedMs = nowMs;
    n.configEpoch = strtoull(argv[6]);

    for (let j = 8; j < argv.length; j++) {
      const tok = argv[j];
      if (tok[0] === "[") {
        // [slot->-id] migrating, [slot-<-id] importing
        const m = /^\[(\d+)-([<>])-([^\]]*)\]$/.exec(tok);
        if (m === null) return err(`invalid open-slot token '${tok}'`);
        const slot = Number(m[1]);
        if (slot >= CLUSTER_SLOTS) return err(`slot out of range in '${tok}'`);
        if (!isValidNodeId(m[3])) return err(`invalid node id in '${tok}'`);
        getNode(m[3]);
        if (m[2] === ">") migrating.set(slot, m[3]);
        else importing.set(slot, m[3]);
        continue;
      }
      const m = /^(\d+)(?:-(\d+))?$/.exec(tok);
      if (m === null) return err(`invalid slot token '${tok}'`);
      const start = Number(m[1]);
      const stop = m[2] === undefined ? start : Number(m[2]);
      if (start >= CLUSTER_SLOTS || stop >= CLUSTER_SLOTS || start > stop) {
        return err(`slot range out of bounds '${tok}'`);
      }
      for (let slot = start; slot <= stop; slot++) {
        if (slotOwner[slot] !== null) continue; // clusterAddSlot: the first owner wins
        slotOwner[slot] = n.id;
        n.slots[slot >> 3] |= 1 << (slot & 7);
        n.numSlots++;
      }
    }
  }
  if (myselfId === null) {
    return { error: { lineNumber: 0, line: "", reason: "no line is flagged 'myself'" } };
  }

  const out = new Map<string, ClusterNode>();
  let maxConfigEpoch = 0;
  for (const n of nodes.values()) {
    const isMe = n.id === myselfId;
    // A replica of a known master takes its epoch from the master: its own is reset to 0.
    const configEpoch = (n.flags & NodeFlags.SLAVE) && n.masterId !== null ? 0 : n.configEpoch;
    if (configEpoch > maxConfigEpoch) maxConfigEpoch = configEpoch;
    out.set(
      n.id,
      createNode(n.id, n.flags, nowMs, {
        ip: n.ip,
        port: n.port,
        cport: n.cport,
        hostname: n.hostname,
        masterId: n.masterId,
        pingSentMs: n.pingSentMs,
        pongReceivedMs: n.pongReceivedMs,
        failTimeMs: n.failTimeMs,
        configEpoch,
        linkState: isMe ? "connected" : "disconnected",
        slots: n.slots,
        numSlots: n.numSlots,
      }),
    );
  }
  const state: ClusterState = {
    myselfId,
    nodes: out,
    currentEpoch: Math.max(currentEpoch, maxConfigEpoch),
    lastVoteEpoch,
    slotOwner: SlotTable.from(slotOwner),
    migratingSlotsTo: migrating,
    importingSlotsFrom: importing,
    health: "fail",
    size: 1,
    firstUpdateMs: 0,
    amongMinorityMs: 0,
    blacklist: new Map(),
  };
  return { state, warnings };
}
