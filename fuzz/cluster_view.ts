/**
 * A node's cluster view as CLUSTER NODES and CLUSTER INFO print it, and the rules the fuzzer
 * holds it to (pure).
 *
 * - From a sender the node does not know, Redis 7.0.15 (cluster.c clusterProcessPacket) accepts
 *   only a MEET, which adds the sender as a HANDSHAKE node under a random name (and makes the
 *   node learn its own IP); every other type is answered (PING) or dropped, and no epoch, role,
 *   slot, address or failure flag changes ("if (!sender) return 1" and the `sender &&` guards).
 *   `unknownSenderViolations` compares the views before and after such input, handshake nodes
 *   aside (they come and go with the handshake timeout).
 * - From a known sender Redis lets a great deal change (its role and slots, epochs, failure
 *   reports, new nodes from gossip, UPDATEs, FAILs), so `consistencyViolations` checks what must
 *   still hold: the node is itself under the same name, every line is well formed, and no slot
 *   has two owners. A node learned from gossip keeps the flags the gossip gave it, MYSELF
 *   included (clusterProcessGossipSection: createClusterNode(g->nodename, flags)), so other
 *   lines flagged "myself" are allowed.
 */

export interface ViewNode {
  id: string;
  addr: string;
  flags: string[];
  master: string;
  configEpoch: string;
  link: string;
  /** Slot ranges and open-slot markers as printed. */
  slots: string[];
}

export interface ClusterView {
  nodes: ViewNode[];
  /** cluster_current_epoch of CLUSTER INFO. */
  currentEpoch: string;
  /** Lines that could not be parsed. */
  malformed: string[];
}

const FLAG_WORDS = new Set([
  "myself",
  "master",
  "slave",
  "fail?",
  "fail",
  "handshake",
  "noaddr",
  "nofailover",
  "noflags",
]);

function isFlagList(token: string | undefined): boolean {
  return token !== undefined && token.split(",").every((w) => FLAG_WORDS.has(w));
}

/**
 * Parse CLUSTER NODES. An address is printed as the node got it, and a MEET may announce any
 * bytes as its IP (Redis copies hdr->myip as it is, nodeIp2String), spaces and newlines
 * included (and so may a HOSTNAME extension): a line that does not start with a node name
 * continues the one before, and the address (with its hostname) runs up to the first list of
 * flags after an ":port@cport".
 */
export function parseClusterView(nodesText: string, infoText: string): ClusterView {
  const nodes: ViewNode[] = [];
  const malformed: string[] = [];
  const lines: string[] = [];
  for (const line of nodesText.split("\n")) {
    if (line === "") continue;
    if (/^[0-9a-z]{40} /.test(line) || lines.length === 0) lines.push(line);
    else lines[lines.length - 1] += "\n" + line;
  }
  for (const line of lines) {
    const t = line.split(" ");
    let k = 1;
    while (
      k < t.length && !(isFlagList(t[k + 1]) && /:\d+@\d+/.test(t.slice(1, k + 1).join(" ")))
    ) k++;
    if (!/^[0-9a-z]{40}$/.test(t[0]) || t.length - k < 7) {
      malformed.push(line);
      continue;
    }
    nodes.push({
      id: t[0],
      addr: t.slice(1, k + 1).join(" "),
      flags: t[k + 1].split(","),
      master: t[k + 2],
      configEpoch: t[k + 5],
      link: t[k + 6],
      slots: t.slice(k + 7),
    });
  }
  const m = infoText.match(/^cluster_current_epoch:(\d+)\r?$/m);
  return { nodes, currentEpoch: m ? m[1] : "?", malformed };
}

/** Flags that come from input (PFAIL is the node's own timing, so it is left out). */
function inputFlags(n: ViewNode): string {
  return n.flags.filter((f) => f !== "fail?").sort().join(",");
}

function settled(v: ClusterView): Map<string, ViewNode> {
  const m = new Map<string, ViewNode>();
  for (const n of v.nodes) if (!n.flags.includes("handshake")) m.set(n.id, n);
  return m;
}

/** What changed that a sender unknown to the node may not change (empty: nothing). */
export function unknownSenderViolations(before: ClusterView, after: ClusterView): string[] {
  const out: string[] = after.malformed.map((l) => `malformed line: ${JSON.stringify(l)}`);
  if (before.currentEpoch !== after.currentEpoch) {
    out.push(`currentEpoch ${before.currentEpoch} -> ${after.currentEpoch}`);
  }
  const a = settled(before);
  const b = settled(after);
  for (const [id, n] of a) {
    const m = b.get(id);
    if (m === undefined) {
      out.push(`node ${id} gone`);
      continue;
    }
    if (inputFlags(n) !== inputFlags(m)) out.push(`node ${id} flags ${n.flags} -> ${m.flags}`);
    if (n.master !== m.master) out.push(`node ${id} master ${n.master} -> ${m.master}`);
    if (n.configEpoch !== m.configEpoch) {
      out.push(`node ${id} configEpoch ${n.configEpoch} -> ${m.configEpoch}`);
    }
    if (n.slots.join(" ") !== m.slots.join(" ")) {
      out.push(`node ${id} slots ${n.slots.join(" ")} -> ${m.slots.join(" ")}`);
    }
    if (!n.flags.includes("myself") && n.addr !== m.addr) {
      out.push(`node ${id} address ${n.addr} -> ${m.addr}`);
    }
  }
  for (const id of b.keys()) if (!a.has(id)) out.push(`node ${id} added`);
  return out;
}

function slotRange(token: string): [number, number] | null {
  if (token.startsWith("[")) return null; // importing/migrating marker
  const [lo, hi] = token.split("-").map(Number);
  const end = hi ?? lo;
  if (!Number.isInteger(lo) || !Number.isInteger(end) || lo < 0 || end > 16383 || lo > end) {
    return [-1, -1];
  }
  return [lo, end];
}

/** What must hold whatever a known sender sent (empty: all of it). */
export function consistencyViolations(view: ClusterView, myId: string): string[] {
  const out: string[] = view.malformed.map((l) => `malformed line: ${l}`);
  const me = view.nodes.find((n) => n.id === myId);
  if (me === undefined || !me.flags.includes("myself")) {
    out.push(`node ${myId} is ${me === undefined ? "missing" : `not myself (${me.flags})`}`);
  }
  const owner = new Map<number, string>();
  const ids = new Set<string>();
  for (const n of view.nodes) {
    if (ids.has(n.id)) out.push(`node ${n.id} listed twice`);
    ids.add(n.id);
    for (const f of n.flags) if (!FLAG_WORDS.has(f)) out.push(`node ${n.id} unknown flag ${f}`);
    for (const t of n.slots) {
      const r = slotRange(t);
      if (r === null) continue;
      if (r[0] < 0) {
        out.push(`node ${n.id} bad slot token ${t}`);
        continue;
      }
      for (let s = r[0]; s <= r[1]; s++) {
        const o = owner.get(s);
        if (o !== undefined && o !== n.id) {
          out.push(`slot ${s} owned by ${o} and ${n.id}`);
          break;
        }
        owner.set(s, n.id);
      }
    }
  }
  return out;
}
