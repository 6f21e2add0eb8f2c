/**
 * Watching a cluster over the client protocol only (so a cluster of real Redis 7 nodes works
 * the same): one loop per node address, each with its own connection (manager/client.ts),
 * asking CLUSTER NODES every `nodesEveryMs` and INFO (memory, stats, replication, keyspace),
 * CLUSTER INFO and CLUSTER LINKS every `infoEveryMs`. A node that refuses, closes or times out
 * is marked unreachable and retried on the next turn, so nodes can die and come back. Every
 * answer schedules a rebuild of the view (view_model.ts) and a diff against the last one
 * (timeline.ts); listeners get the new view with the new events.
 */

import { NodeClient, replyText } from "../manager/client.ts";
import { parseAddr } from "../manager/address.ts";
import { parseClusterNodes } from "../manager/nodes_text.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { diffViews, Timeline, type TimelineEvent } from "./timeline.ts";
import {
  addressesToWatch,
  buildView,
  type ClusterView,
  type LinkEntry,
  type NodeReport,
  parseInfo,
  parseLinkMachines,
  unreachableView,
} from "./view_model.ts";

export interface WatcherOptions {
  /** CLUSTER NODES period per node (the dashboard's reaction time). */
  nodesEveryMs: number;
  /** INFO / CLUSTER INFO / CLUSTER LINKS period per node (the sparklines' step). */
  infoEveryMs: number;
  /** Connect and reply timeout. */
  timeoutMs: number;
  /** Samples kept per sparkline. */
  historyLength: number;
  /** Rebuilds are coalesced over this long. */
  coalesceMs: number;
  /** Views whose only changes are statistics are sent at most this often. */
  statsEveryMs: number;
}

export const DEFAULT_WATCHER_OPTIONS: WatcherOptions = {
  nodesEveryMs: 250,
  infoEveryMs: 1000,
  timeoutMs: 3000,
  historyLength: 60,
  coalesceMs: 10,
  statsEveryMs: 1000,
};

/** The view without the numbers that change all the time: what makes a change worth sending. */
export function shapeKey(view: ClusterView): string {
  return JSON.stringify({
    ...view,
    timeMs: 0,
    nodes: view.nodes.map((n) => ({
      ...n,
      replOffset: null,
      lagBytes: null,
      lagSec: null,
      usedMemory: null,
      opsPerSec: null,
      keys: null,
      rttMs: null,
      opsHistory: [],
      rttHistory: [],
    })),
  });
}

export type ViewListener = (view: ClusterView, events: TimelineEvent[]) => void;

/** CLUSTER LINKS (array of maps in RESP2: flat key/value arrays) as LinkEntry[]. */
export function parseLinks(v: RespValue): LinkEntry[] | null {
  if (v.type !== "array") return null;
  const out: LinkEntry[] = [];
  for (const item of v.value) {
    const pairs: [string, RespValue][] = [];
    if (item.type === "map") {
      for (const [k, val] of item.value) pairs.push([replyText(k), val]);
    } else if (item.type === "array") {
      for (let i = 0; i + 1 < item.value.length; i += 2) {
        pairs.push([replyText(item.value[i]), item.value[i + 1]]);
      }
    } else continue;
    const m = new Map(pairs);
    const dir = m.get("direction");
    const node = m.get("node");
    const created = m.get("create-time");
    if (dir === undefined || node === undefined) continue;
    const d = replyText(dir);
    out.push({
      direction: d === "from" ? "from" : "to",
      nodeId: replyText(node),
      createTimeMs: created?.type === "int" ? created.value : 0,
    });
  }
  return out;
}

class WatchedNode {
  client: NodeClient | null = null;
  stopped = false;
  lastInfoMs = -Infinity;
  private lastSig = "";
  private wake: (() => void) | null = null;
  readonly report: NodeReport;
  readonly done: Promise<void>;

  constructor(
    readonly addr: string,
    private readonly opts: WatcherOptions,
    private readonly onReport: () => void,
  ) {
    this.report = {
      addr,
      polled: false,
      reachable: false,
      error: null,
      lines: null,
      info: null,
      links: null,
      machines: null,
      rttMs: null,
      opsHistory: [],
      rttHistory: [],
    };
    this.done = this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.client?.close();
    this.client = null;
    this.wake?.();
  }

  private push(list: number[], v: number): void {
    list.push(v);
    if (list.length > this.opts.historyLength) {
      list.splice(0, list.length - this.opts.historyLength);
    }
  }

  /** Did the last poll bring anything new (the view is rebuilt only then)? */
  private async pollOnce(): Promise<boolean> {
    const t = this.opts.timeoutMs;
    if (this.client === null) {
      const a = parseAddr(this.addr);
      this.client = await NodeClient.connect(a.host, a.port, t);
    }
    const c = this.client;
    const t0 = performance.now();
    const nodes = await c.send(["CLUSTER", "NODES"], t);
    const rtt = performance.now() - t0;
    const text = replyText(nodes);
    const lines = parseClusterNodes(text);
    const r = this.report;
    // The ping-sent / pong-received times move all the time; they are not shown.
    const sig = text.replace(/^(\S+ \S+ \S+ \S+) \d+ \d+ /gm, "$1 ");
    let fresh = sig !== this.lastSig || !r.reachable;
    this.lastSig = sig;
    if (Date.now() - this.lastInfoMs >= this.opts.infoEveryMs) {
      fresh = true;
      this.lastInfoMs = Date.now();
      const [info, cinfo, links] = await Promise.all([
        // linkmachines: our nodes' link actor states (a real Redis answers nothing for it).
        c.send(["INFO", "memory", "stats", "replication", "keyspace", "linkmachines"], t),
        c.send(["CLUSTER", "INFO"], t),
        c.send(["CLUSTER", "LINKS"], t),
      ]);
      const infoText = info.type === "error" ? "" : replyText(info);
      const fields = parseInfo(infoText.split("# Linkmachines")[0]);
      r.machines = parseLinkMachines(infoText);
      for (const [k, v] of parseInfo(cinfo.type === "error" ? "" : replyText(cinfo))) {
        fields.set(k, v);
      }
      r.info = fields;
      r.links = links.type === "error" ? null : parseLinks(links);
      const ops = Number(fields.get("instantaneous_ops_per_sec"));
      if (Number.isFinite(ops)) this.push(r.opsHistory, ops);
      this.push(r.rttHistory, Math.round(rtt * 100) / 100);
    }
    r.lines = lines;
    r.rttMs = Math.round(rtt * 100) / 100;
    r.reachable = true;
    r.polled = true;
    r.error = null;
    return fresh;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const start = performance.now();
      let fresh = true;
      try {
        fresh = await this.pollOnce();
      } catch (e) {
        this.client?.close();
        this.client = null;
        this.lastInfoMs = -Infinity;
        fresh = this.report.reachable || !this.report.polled;
        this.report.reachable = false;
        this.report.polled = true;
        this.report.error = (e as Error).message;
      }
      if (this.stopped) return;
      if (fresh) this.onReport();
      const waitMs = this.opts.nodesEveryMs - (performance.now() - start);
      if (waitMs > 0) {
        await new Promise<void>((res) => {
          const timer = setTimeout(res, waitMs);
          this.wake = () => {
            clearTimeout(timer);
            res();
          };
        });
        this.wake = null;
      }
    }
  }
}

export class ClusterWatcher {
  readonly opts: WatcherOptions;
  readonly timeline = new Timeline();
  private readonly nodes = new Map<string, WatchedNode>();
  private readonly listeners = new Set<ViewListener>();
  private current: ClusterView | null = null;
  private lastShape = "";
  private lastStats = "";
  private lastEmitMs = -Infinity;
  private rebuildTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(readonly seeds: readonly string[], opts: Partial<WatcherOptions> = {}) {
    this.opts = { ...DEFAULT_WATCHER_OPTIONS, ...opts };
    for (const s of seeds) parseAddr(s); // reject bad seeds early
  }

  start(): void {
    for (const s of this.seeds) this.watch(s);
  }

  get view(): ClusterView | null {
    return this.current;
  }

  /** The addresses watched now. */
  get addresses(): string[] {
    return [...this.nodes.keys()];
  }

  onChange(l: ViewListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Wait for the first view in which every watched node was polled once. */
  async ready(timeoutMs = 10_000): Promise<ClusterView> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = this.current;
      const polled = [...this.nodes.values()].every((n) => n.report.polled);
      if (v !== null && polled && v.nodes.length > 0) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no view of the cluster (${this.seeds.join(", ")}) within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.rebuildTimer !== null) clearTimeout(this.rebuildTimer);
    const all = [...this.nodes.values()];
    for (const n of all) n.stop();
    await Promise.all(all.map((n) => n.done));
    this.nodes.clear();
    this.listeners.clear();
  }

  private watch(addr: string): void {
    if (this.nodes.has(addr) || this.stopped) return;
    this.nodes.set(addr, new WatchedNode(addr, this.opts, () => this.schedule()));
  }

  private schedule(): void {
    if (this.rebuildTimer !== null || this.stopped) return;
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = null;
      this.rebuild();
    }, this.opts.coalesceMs);
  }

  private rebuild(): void {
    const reports = [...this.nodes.values()].map((n) => n.report);
    // The first view waits for every seed's first answer (or failure). Later, a node not asked
    // yet shows as such (reachable null), not as unreachable.
    if (this.current === null && reports.some((r) => !r.polled)) return;
    const anyLive = reports.some((r) => r.reachable && r.lines !== null);
    // No node answers (all down, or this process stalled): keep what was known, unreachable.
    const view = anyLive || this.current === null
      ? buildView(reports, Date.now())
      : unreachableView(this.current, Date.now());
    const events = this.timeline.add(diffViews(this.current, view));
    // Cluster changes go out at once; the numbers that move all the time (round trips,
    // ops/s, memory, offsets) at most every statsEveryMs, so the page is not redrawn for each.
    const shape = shapeKey(view);
    const now = performance.now();
    const changed = shape !== this.lastShape ||
      (now - this.lastEmitMs >= this.opts.statsEveryMs &&
        JSON.stringify(view.nodes) !== this.lastStats);
    this.current = view;
    // Follow the cluster: new addresses are watched, addresses no answering node names any
    // more are dropped (none while no node answers).
    const want = new Set([
      ...addressesToWatch(this.seeds, reports),
      ...(anyLive ? [] : this.nodes.keys()),
    ]);
    for (const a of want) this.watch(a);
    for (const [a, n] of this.nodes) {
      if (!want.has(a)) {
        n.stop();
        this.nodes.delete(a);
      }
    }
    if (!changed && events.length === 0) return;
    this.lastShape = shape;
    this.lastStats = JSON.stringify(view.nodes);
    this.lastEmitMs = now;
    for (const l of this.listeners) {
      try {
        l(view, events);
      } catch { /* a listener's failure is its own */ }
    }
  }
}
