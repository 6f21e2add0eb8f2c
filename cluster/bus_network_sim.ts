/**
 * Simulated in-process `BusNetwork` for deterministic multi-node tests.
 *
 * One `SimBusNetwork` is the whole network; each node gets its own view with `net.host(identity)`
 * (a `BusNetwork`). An *identity* names a machine for partitions and isolation; by convention it
 * is the node's bus address, e.g. "127.0.0.1:17000" (the part before the last ':' becomes the
 * host of its outgoing links' local address). A node may listen on any address.
 *
 * Time comes from an injected clock with XState's clock shape plus `now()` (xstate's
 * `SimulatedClock` fits: tests call `clock.increment(ms)`); nothing here uses real timers or
 * `Math.random`. Randomness (latency, drops) comes from `Prng` seeded by `seed`, forked per
 * link, so the same seed and the same sequence of calls give the same trace.
 *
 * Model (TCP-like):
 * - connect: the SYN takes one latency; at arrival, a listener must exist (else the connect is
 *   refused, reported after another latency) and the two identities must be reachable (else the
 *   SYN is lost and the connect times out after `timeoutMs`). On success the server side's
 *   `onAccept` runs at SYN arrival and the client's promise resolves one latency later.
 * - send: each packet gets a random latency in [minMs, maxMs]; delivery per direction is FIFO
 *   (a packet never overtakes an earlier one). With `dropProbability` > 0 a packet may be lost
 *   (not TCP-like; for loss-tolerance tests).
 * - Send buffer: a packet counts against the sender's bound from `send` until the receiver's
 *   `onPacket` has taken it (a receiver without a handler exerts backpressure, as TCP does).
 * - close(): packets already sent still arrive, then the peer sees "connection closed by peer".
 * - cutOneWay(from, to): packets one way are held, the other way flows; connects time out.
 * - partition(groups) / isolate(identity): new connects across the cut time out. In the default
 *   "cut" mode, existing links across it close on both sides at once ("network partition" /
 *   "node isolated"; in-flight packets are lost). In "blackhole" mode they stay open but nothing
 *   gets through (like a pulled cable: the sender's buffer fills up); on heal()/rejoin() the
 *   held packets (and FINs) arrive, in order, as TCP retransmission would deliver them.
 *
 * All callbacks run from clock timers. `SimulatedClock.increment(ms)` jumps to the end time before
 * firing due timers, so callbacks see the final time; step in small increments (see `advance`)
 * when timing matters. Promise continuations (after `await net.host(..).connect(..)`) run as
 * microtasks after `increment` returns: `await` between steps (see `advanceAsync`).
 *
 * Usage:
 *   const clock = new SimulatedClock();                       // from "xstate"
 *   const net = new SimBusNetwork(clock, { seed, latency: { minMs: 1, maxMs: 10 } });
 *   const a = net.host("127.0.0.1:17001");                     // BusNetwork for node A
 *   await a.listen("127.0.0.1", 17001, onAccept);
 *   createActor(machine, { clock });                           // machines share the clock
 *   await advanceAsync(clock, 5000);                           // run 5 simulated seconds
 *   net.partition([["127.0.0.1:17001"], ["127.0.0.1:17002", "127.0.0.1:17003"]]);
 *   // on failure: console.log(net.trace().join("\n")) and rerun with the same seed
 */

import {
  type BusAddr,
  type BusLink,
  type BusListener,
  type BusNetwork,
  type BusNetworkOptions,
  checkPacketFraming,
  resolveBusNetworkOptions,
  type ResolvedBusNetworkOptions,
  sendBufferAccepts,
} from "./bus_network.ts";
import { Prng } from "./prng.ts";
import { recyclePacketBytes } from "../protocol/bus_packet_slab.ts";

/** XState's `Clock` plus `now()` (implemented by xstate's `SimulatedClock`). */
export interface SimClock {
  now(): number;
  // deno-lint-ignore no-explicit-any
  setTimeout(fn: (...args: any[]) => void, timeoutMs: number): any;
  // deno-lint-ignore no-explicit-any
  clearTimeout(id: any): void;
}

export interface SimLatency {
  readonly minMs: number;
  readonly maxMs: number;
}

export interface SimBusNetworkOptions extends BusNetworkOptions {
  /** Seed for every random choice of this network. */
  seed: number;
  /** One-way latency range in whole ms (default 1..1). */
  latency?: SimLatency;
  /** Probability that a sent packet is silently lost (default 0). */
  dropProbability?: number;
  /** How many trace lines to keep (oldest dropped first; default 10000, 0 disables). */
  traceLimit?: number;
  /** Where handler exceptions and other notable events are reported (default: silent). */
  log?: (message: string) => void;
  /**
   * Give each packet back to the encoder (protocol/bus_packet_slab.ts `recyclePacketBytes`) once
   * every link it was sent on has delivered or discarded it (default false). Only where no
   * receiver keeps a packet past its `onPacket` call and no sender touches one after `send` (the
   * bus engine decodes each into copies at once: sim/world.ts).
   */
  recyclePackets?: boolean;
}

/** How a partition/isolation treats existing links: close them, or silently hold their traffic. */
export type SimCutMode = "cut" | "blackhole";

interface SimEvent {
  at: number;
  seq: number;
  fn: () => void;
}

const NOTHING = (): void => {};

/** Binary min-heap of events ordered by (at, seq): deterministic, FIFO among equal times. */
class EventHeap {
  private items: SimEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): SimEvent | undefined {
    return this.items[0];
  }

  push(ev: SimEvent): void {
    const a = this.items;
    a.push(ev);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): SimEvent | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.items = [];
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

function hostOf(identity: string): string {
  const i = identity.lastIndexOf(":");
  return i < 0 ? identity : identity.slice(0, i);
}

function addrKey(host: string, port: number): string {
  return `${host}:${port}`;
}

function errText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** First ephemeral port handed to outgoing links and to listen(host, 0). */
const EPHEMERAL_PORT_BASE = 40000;

interface SimListenerEntry {
  readonly owner: string;
  readonly addr: BusAddr;
  readonly onAccept: (link: BusLink) => void;
  /** The taps of the host view that listened (`SimBusNetwork.tappedHost`), or null. */
  readonly taps: SimLinkTaps | null;
}

/**
 * What a test or the simulator sees of every packet of a host's links
 * (`SimBusNetwork.tappedHost`): `sent` after a send that returned true (a dropped packet too),
 * `received` just before the link's onPacket gets the packet.
 */
export interface SimLinkTaps {
  readonly sent: (packet: Uint8Array) => void;
  readonly received: (packet: Uint8Array) => void;
}

export class SimBusNetwork {
  readonly options: ResolvedBusNetworkOptions;
  private readonly rng: Prng;
  private latency: SimLatency;
  private dropProbability: number;
  private readonly traceLimit: number;
  private readonly traceLines: string[] = [];
  readonly log: (message: string) => void;

  private readonly events = new EventHeap();
  private seq = 0;
  private armedAt = Infinity;
  // deno-lint-ignore no-explicit-any
  private armedId: any = null;
  private running = false;
  private isShutdown = false;

  private readonly hosts = new Map<string, SimHost>();
  private readonly listeners = new Map<string, SimListenerEntry>();
  /** Open links by id (both ends of every connection). */
  private readonly openLinks = new Map<number, SimLink>();
  private nextLinkId = 1;
  private nextEphemeralPort = EPHEMERAL_PORT_BASE;

  /** identity -> group index while a partition is active; identities not listed are group -1. */
  private groupOf: Map<string, number> | null = null;
  private readonly isolated = new Set<string>();
  /** Pairs "a|b" (both orders stored) cut by `cut`, on top of any partition. */
  private readonly cutPairs = new Set<string>();

  /** Counters for assertions. */
  readonly stats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    lost: 0,
    connects: 0,
    refused: 0,
    /**
     * Bytes sent and not yet taken by a receiver or discarded (a packet sent on k links counts k
     * times, though it is held once), and the most there ever were: what the network holds.
     */
    bytesInFlight: 0,
    peakBytesInFlight: 0,
  };

  /** With `recyclePackets`: each packet's sends not yet delivered or discarded. */
  private readonly packetRefs: Map<Uint8Array, number> | null;

  constructor(readonly clock: SimClock, opts: SimBusNetworkOptions) {
    this.packetRefs = opts.recyclePackets ? new Map() : null;
    this.options = resolveBusNetworkOptions(opts);
    this.rng = new Prng(opts.seed);
    this.latency = checkLatency(opts.latency ?? { minMs: 1, maxMs: 1 });
    this.dropProbability = checkProbability(opts.dropProbability ?? 0);
    this.traceLimit = opts.traceLimit ?? 10000;
    this.log = opts.log ?? (() => {});
  }

  /** A send of `packet` that will be delivered or discarded (`packetDone`). */
  packetSent(packet: Uint8Array): void {
    const refs = this.packetRefs;
    if (refs !== null) refs.set(packet, (refs.get(packet) ?? 0) + 1);
  }

  /** One send of `packet` delivered or discarded; after the last, its bytes go back. */
  packetDone(packet: Uint8Array): void {
    const refs = this.packetRefs;
    if (refs === null) return;
    const n = refs.get(packet);
    if (n === undefined) throw new Error("sim network: a packet done more often than sent");
    if (n > 1) refs.set(packet, n - 1);
    else {
      refs.delete(packet);
      recyclePacketBytes(packet);
    }
  }

  /** The network as seen from machine `identity` (same object for the same identity). */
  host(identity: string): BusNetwork {
    let h = this.hosts.get(identity);
    if (h === undefined) {
      h = new SimHost(this, identity);
      this.hosts.set(identity, h);
    }
    return h;
  }

  /**
   * `host(identity)` with `taps` on every link it makes (connected or accepted through this
   * view): the links hold the one `taps` object, where a wrapper per link cost a link object and
   * a closure per packet handler, for each of the N^2 links of an N-node cluster. `connect`
   * resolves as an async wrapper around `host(identity).connect` would (same microtask turns).
   */
  tappedHost(identity: string, taps: SimLinkTaps): BusNetwork {
    const h = this.host(identity) as SimHost;
    return {
      listen: (host, port, onAccept) => h.listen(host, port, onAccept, taps),
      connect: async (host, port, timeoutMs) => await h.connect(host, port, timeoutMs, taps),
    };
  }

  setLatency(latency: SimLatency): void {
    this.latency = checkLatency(latency);
  }

  setDropProbability(p: number): void {
    this.dropProbability = checkProbability(p);
  }

  /**
   * Splits the network: identities in different groups cannot reach each other; identities not
   * listed form one more group together. Replaces any previous partition. Links across the cut
   * close now.
   */
  partition(
    groups: readonly (readonly string[])[],
    mode: SimCutMode = "cut",
  ): void {
    const map = new Map<string, number>();
    groups.forEach((g, i) => {
      for (const id of g) {
        if (map.has(id)) throw new Error(`partition: ${id} is listed twice`);
        map.set(id, i);
      }
    });
    this.groupOf = map;
    this.note(`partition ${mode} ${groups.map((g) => `[${g.join(",")}]`).join(" ")}`);
    if (mode === "cut") this.cutUnreachable("network partition");
  }

  /**
   * Cuts every identity of `a` off from every identity of `b` (both ways), on top of what is
   * already cut: a partition that is not a clean split (a node that reaches some peers and not
   * others). Links across the cut close now. `heal` lifts it.
   */
  cut(a: readonly string[], b: readonly string[]): void {
    for (const x of a) {
      for (const y of b) {
        if (x === y) throw new Error(`cut: ${x} is on both sides`);
        this.cutPairs.add(`${x}|${y}`);
        this.cutPairs.add(`${y}|${x}`);
      }
    }
    this.note(`cut [${a.join(",")}] [${b.join(",")}]`);
    this.cutUnreachable("network partition");
  }

  /**
   * A one-way fault: what `from` sends to `to` no longer arrives (held on open links, as a pulled
   * cable in one direction would, and released on heal), while `to` still reaches `from`. Links
   * stay open; new connects either way time out (a handshake needs both directions). Adds to
   * what is cut already; `heal` lifts it.
   */
  cutOneWay(from: readonly string[], to: readonly string[]): void {
    for (const x of from) {
      for (const y of to) {
        if (x === y) throw new Error(`cutOneWay: ${x} is on both sides`);
        this.cutPairs.add(`${x}|${y}`);
      }
    }
    this.note(`cut one way [${from.join(",")}] -> [${to.join(",")}]`);
  }

  /** Ends the partition and every `cut` (isolated identities stay isolated). */
  heal(): void {
    this.groupOf = null;
    this.cutPairs.clear();
    this.note("heal");
    this.releaseHeld();
  }

  /** Cuts `identity` off from everyone: its links close and connects to/from it time out. */
  isolate(identity: string, mode: SimCutMode = "cut"): void {
    this.isolated.add(identity);
    this.note(`isolate ${mode} ${identity}`);
    if (mode === "cut") this.cutUnreachable("node isolated");
  }

  /** Undoes `isolate`. */
  rejoin(identity: string): void {
    this.isolated.delete(identity);
    this.note(`rejoin ${identity}`);
    this.releaseHeld();
  }

  /** No partition, cut or isolated identity: everyone reaches everyone. */
  isWhole(): boolean {
    return this.groupOf === null && this.cutPairs.size === 0 && this.isolated.size === 0;
  }

  /** Whether some `cut` is in force (reachability is then not a partition into groups). */
  hasCuts(): boolean {
    return this.cutPairs.size > 0;
  }

  /** Whether `a` can currently reach `b`. */
  reachable(a: string, b: string): boolean {
    if (this.isolated.has(a) || this.isolated.has(b)) return false;
    if (a === b) return true;
    if (this.cutPairs.size > 0 && this.cutPairs.has(`${a}|${b}`)) return false;
    if (this.groupOf === null) return true;
    return (this.groupOf.get(a) ?? -1) === (this.groupOf.get(b) ?? -1);
  }

  /** Number of open link ends (two per established connection). */
  openLinkCount(): number {
    return this.openLinks.size;
  }

  /** The kept trace lines, oldest first ("<ms> <event> ..."); print them when a test fails. */
  trace(): readonly string[] {
    return this.traceLines;
  }

  /** Appends a line to the trace (the network's own events, or a test's annotations). */
  note(line: string): void {
    if (this.traceLimit <= 0) return;
    if (this.traceLines.length >= this.traceLimit) this.traceLines.shift();
    this.traceLines.push(`${this.clock.now()} ${line}`);
  }

  /**
   * Closes every link, forgets listeners and pending events, disarms the clock timer. Silent: no
   * onClose handler runs afterwards. The network is unusable after this.
   */
  shutdown(): void {
    this.isShutdown = true;
    for (const link of [...this.openLinks.values()]) link.closeWith("network shut down");
    this.listeners.clear();
    this.events.clear();
    if (this.armedId !== null) this.clock.clearTimeout(this.armedId);
    this.armedId = null;
    this.armedAt = Infinity;
  }

  // ---- internals used by SimHost / SimLink ----

  /**
   * Runs `fn` at clock time `at` (not before now), after events already scheduled for `at`.
   * Returns a handle for `cancel`, or null once the network is shut down.
   */
  schedule(at: number, fn: () => void): SimEvent | null {
    if (this.isShutdown) return null;
    const now = this.clock.now();
    if (at < now) at = now;
    const ev = { at, seq: this.seq++, fn };
    this.events.push(ev);
    if (!this.running && at < this.armedAt) this.arm(at);
    return ev;
  }

  /**
   * Drops what a scheduled event would run (and all it holds: a connect's timeout holds the
   * connect's closures for `timeoutMs` after the link is up). The event keeps its place in the
   * queue and runs as a no-op, so the order of every other event stays as it was.
   */
  cancel(ev: SimEvent | null): void {
    if (ev !== null) ev.fn = NOTHING;
  }

  private arm(at: number): void {
    if (this.armedId !== null) this.clock.clearTimeout(this.armedId);
    this.armedAt = at;
    this.armedId = this.clock.setTimeout(() => this.run(), Math.max(0, at - this.clock.now()));
  }

  private run(): void {
    this.armedId = null;
    this.armedAt = Infinity;
    this.running = true;
    try {
      for (;;) {
        const top = this.events.peek();
        if (top === undefined || top.at > this.clock.now()) break;
        this.events.pop();
        top.fn();
      }
    } finally {
      this.running = false;
      const next = this.events.peek();
      if (next !== undefined && !this.isShutdown) this.arm(next.at);
    }
  }

  drawLatency(rng: Prng): number {
    return rng.range(this.latency.minMs, this.latency.maxMs);
  }

  drawDrop(rng: Prng): boolean {
    return rng.chance(this.dropProbability);
  }

  forkRandom(): Prng {
    return this.rng.fork();
  }

  newLinkId(): number {
    return this.nextLinkId++;
  }

  ephemeralPort(): number {
    return this.nextEphemeralPort++;
  }

  registerLink(link: SimLink): void {
    this.openLinks.set(link.id, link);
  }

  unregisterLink(link: SimLink): void {
    this.openLinks.delete(link.id);
  }

  addListener(entry: SimListenerEntry): boolean {
    const key = addrKey(entry.addr.host, entry.addr.port);
    if (this.listeners.has(key)) return false;
    this.listeners.set(key, entry);
    return true;
  }

  removeListener(entry: SimListenerEntry): void {
    const key = addrKey(entry.addr.host, entry.addr.port);
    if (this.listeners.get(key) === entry) this.listeners.delete(key);
  }

  findListener(host: string, port: number): SimListenerEntry | undefined {
    return this.listeners.get(addrKey(host, port));
  }

  /** Lets packets held by a blackhole through on every link that is reachable again. */
  private releaseHeld(): void {
    const ids = [...this.openLinks.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const link = this.openLinks.get(id);
      if (link !== undefined && this.reachable(link.peer.owner, link.owner)) link.releaseHeld();
    }
  }

  private cutUnreachable(reason: string): void {
    // Ascending id order keeps the cut deterministic.
    const ids = [...this.openLinks.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const link = this.openLinks.get(id);
      if (link === undefined || link.closed) continue;
      const peer = link.peer;
      if (!this.reachable(link.owner, peer.owner)) {
        link.closeWith(reason);
        peer.closeWith(reason);
      }
    }
  }
}

/** One identity's view of the network. */
class SimHost implements BusNetwork {
  constructor(private readonly net: SimBusNetwork, readonly identity: string) {}

  listen(
    host: string,
    port: number,
    onAccept: (link: BusLink) => void,
    taps: SimLinkTaps | null = null,
  ): Promise<BusListener> {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return Promise.reject(new RangeError(`bad port ${port}`));
    }
    const addr = { host, port: port === 0 ? this.net.ephemeralPort() : port };
    const entry: SimListenerEntry = { owner: this.identity, addr, onAccept, taps };
    if (!this.net.addListener(entry)) {
      return Promise.reject(new Error(`listen on ${host}:${port} failed: address in use`));
    }
    this.net.note(`listen ${this.identity} ${addrKey(host, addr.port)}`);
    let closed = false;
    return Promise.resolve({
      addr,
      close: () => {
        if (closed) return;
        closed = true;
        this.net.removeListener(entry);
        this.net.note(`unlisten ${addrKey(host, addr.port)}`);
      },
    });
  }

  connect(
    host: string,
    port: number,
    timeoutMs: number,
    taps: SimLinkTaps | null = null,
  ): Promise<BusLink> {
    const net = this.net;
    if (!(timeoutMs > 0)) {
      return Promise.reject(new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`));
    }
    const target = addrKey(host, port);
    const from = this.identity;
    const rng = net.forkRandom();
    const synMs = net.drawLatency(rng);
    const ackMs = net.drawLatency(rng);
    const start = net.clock.now();
    net.stats.connects++;
    net.note(`connect ${from} -> ${target}`);
    return new Promise<BusLink>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        net.cancel(timeout);
        net.note(`connect-fail ${from} -> ${target}: ${why}`);
        reject(new Error(`connect to ${target} failed: ${why}`));
      };
      const timeout = net.schedule(
        start + timeoutMs,
        () => fail(`timed out after ${timeoutMs} ms`),
      );
      net.schedule(start + synMs, () => {
        if (settled) return;
        const listener = net.findListener(host, port);
        if (listener !== undefined && !net.reachable(from, listener.owner)) return; // SYN lost
        // The SYN-ACK cannot come back (a one-way cut): the handshake times out.
        if (listener !== undefined && !net.reachable(listener.owner, from)) return;
        if (listener === undefined) {
          if (!net.reachable(from, from)) return; // isolated: nothing gets out
          net.stats.refused++;
          net.schedule(net.clock.now() + ackMs, () => fail("connection refused"));
          return;
        }
        const clientAddr = { host: hostOf(from), port: net.ephemeralPort() };
        const client = new SimLink(
          net,
          net.newLinkId(),
          from,
          clientAddr,
          listener.addr,
          rng,
          taps,
        );
        const server = new SimLink(
          net,
          net.newLinkId(),
          listener.owner,
          listener.addr,
          clientAddr,
          net.forkRandom(),
          listener.taps,
        );
        client.peer = server;
        server.peer = client;
        net.registerLink(client);
        net.registerLink(server);
        net.note(`accept ${target} link ${server.id} <- link ${client.id} (${from})`);
        try {
          listener.onAccept(server);
        } catch (e) {
          net.log(`sim onAccept handler threw: ${errText(e)}`);
          server.closeWith(`accept handler error: ${errText(e)}`, true);
        }
        net.schedule(net.clock.now() + ackMs, () => {
          if (settled) {
            // Timed out meanwhile: the late SYN-ACK is answered with a close.
            client.close();
            return;
          }
          if (client.closed) {
            fail("connection reset");
            return;
          }
          settled = true;
          net.cancel(timeout);
          net.note(`connected ${from} -> ${target} link ${client.id}`);
          resolve(client);
        });
      });
    });
  }
}

type InboxItem = Uint8Array | "fin";

class SimLink implements BusLink {
  peer!: SimLink;
  private isClosed = false;
  private closeReason = "";
  private closeNotified = false;
  tag: unknown = null;
  private packetHandler: ((packet: Uint8Array, link: BusLink) => void) | null = null;
  private closeHandler: ((reason: string, link: BusLink) => void) | null = null;
  /**
   * Arrived, not yet handed to onPacket; null when none (a link per pair of nodes: an empty
   * array with the backing store of its last packets would be kept for every one).
   */
  private inbox: InboxItem[] | null = null;
  /**
   * Reached a blackhole on the way here; they arrive (in order, before newer ones) on heal. Null
   * when none.
   */
  private held: InboxItem[] | null = null;
  private releaseScheduled = false;
  private pumpScheduled = false;
  /** Bytes sent by this end and not yet taken by the peer's onPacket (or discarded). */
  private unackedBytes = 0;
  /** Latest delivery time scheduled in this direction (FIFO: later sends never arrive earlier). */
  private lastArrivalAt = 0;

  constructor(
    private readonly net: SimBusNetwork,
    readonly id: number,
    /** Identity of the machine this end belongs to. */
    readonly owner: string,
    readonly localAddr: BusAddr,
    readonly remoteAddr: BusAddr,
    readonly rng: Prng,
    private readonly taps: SimLinkTaps | null,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  get onPacket(): ((packet: Uint8Array, link: BusLink) => void) | null {
    return this.packetHandler;
  }
  set onPacket(fn: ((packet: Uint8Array, link: BusLink) => void) | null) {
    this.packetHandler = fn;
    if (fn !== null && this.inbox !== null) this.schedulePump();
  }

  get onClose(): ((reason: string, link: BusLink) => void) | null {
    return this.closeHandler;
  }
  set onClose(fn: ((reason: string, link: BusLink) => void) | null) {
    this.closeHandler = fn;
    if (fn !== null && this.isClosed) this.scheduleCloseNotify();
  }

  bufferedBytes(): number {
    return this.isClosed ? 0 : this.unackedBytes;
  }

  send(packet: Uint8Array): boolean {
    if (this.isClosed) return false;
    const opts = this.net.options;
    const bad = checkPacketFraming(packet, opts.maxPacketBytes);
    if (bad !== null) throw new TypeError(`BusLink.send: ${bad}`);
    if (!sendBufferAccepts(this.unackedBytes, packet.length, opts.sendBufferBytes)) return false;
    const net = this.net;
    // Always draw both numbers so the stream does not depend on the drop probability.
    const latencyMs = net.drawLatency(this.rng);
    const drop = net.drawDrop(this.rng);
    net.stats.sent++;
    if (drop) {
      net.stats.dropped++;
      net.note(`drop link ${this.id} ${packet.length}B`);
      this.taps?.sent(packet);
      return true;
    }
    // The bytes themselves, not a copy: the link owns a sent packet (BusLink.send), and a packet
    // the engine sends on k links (a broadcast: one encoding) is held once, not k times. In the
    // join of N nodes N^2 packets of N/10 gossip entries are on their way at once.
    const at = Math.max(net.clock.now() + latencyMs, this.lastArrivalAt);
    this.lastArrivalAt = at;
    this.unackedBytes += packet.length;
    const inFlight = net.stats.bytesInFlight += packet.length;
    if (inFlight > net.stats.peakBytesInFlight) net.stats.peakBytesInFlight = inFlight;
    net.note(`send link ${this.id} ${packet.length}B eta ${at}`);
    net.packetSent(packet);
    net.schedule(at, () => this.peer.arrive(packet));
    this.taps?.sent(packet);
    return true;
  }

  close(): void {
    this.closeWith("closed locally", true);
  }

  /**
   * Closes this end at once (idempotent; first reason wins). With `sendFin` the peer learns of it
   * after the data already sent (a TCP close); without, the caller closes the peer itself (cut).
   */
  closeWith(reason: string, sendFin = false): void {
    if (this.isClosed) return;
    const net = this.net;
    if (sendFin) {
      // The FIN travels behind the data already sent.
      const at = Math.max(net.clock.now() + net.drawLatency(this.rng), this.lastArrivalAt);
      this.lastArrivalAt = at;
      const peer = this.peer;
      net.schedule(at, () => peer.arrive("fin"));
    }
    this.isClosed = true;
    this.closeReason = reason;
    for (const item of this.inbox ?? []) if (item !== "fin") this.discard(item);
    for (const item of this.held ?? []) if (item !== "fin") this.discard(item);
    this.inbox = null;
    this.held = null;
    net.unregisterLink(this);
    net.note(`close link ${this.id}: ${reason}`);
    this.scheduleCloseNotify();
  }

  /** A packet or FIN from the peer reaches this end. */
  arrive(item: InboxItem): void {
    if (this.isClosed) {
      if (item !== "fin") {
        this.net.stats.lost++;
        this.discard(item);
      }
      return;
    }
    if (this.held !== null || !this.net.reachable(this.peer.owner, this.owner)) {
      (this.held ??= []).push(item);
      this.net.note(`hold link ${this.id} ${item === "fin" ? "FIN" : `${item.length}B`}`);
      return;
    }
    (this.inbox ??= []).push(item);
    this.pump();
  }

  /** After heal/rejoin: held arrivals come in one latency later, ahead of newer ones. */
  releaseHeld(): void {
    if (this.held === null || this.releaseScheduled) return;
    this.releaseScheduled = true;
    const net = this.net;
    net.schedule(net.clock.now() + net.drawLatency(this.peer.rng), () => {
      this.releaseScheduled = false;
      if (this.isClosed) return;
      if (!net.reachable(this.peer.owner, this.owner)) return; // cut again meanwhile
      const items = this.held;
      this.held = null;
      if (items === null) return;
      const inbox = this.inbox ??= [];
      for (const item of items) inbox.push(item);
      this.pump();
    });
  }

  /** A packet sent to this end that will not be delivered. */
  private discard(packet: Uint8Array): void {
    this.peer.ackBytes(packet.length);
    this.net.packetDone(packet);
  }

  ackBytes(n: number): void {
    const taken = Math.min(n, this.unackedBytes);
    this.unackedBytes -= taken;
    this.net.stats.bytesInFlight -= taken;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    this.net.schedule(this.net.clock.now(), () => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hands queued arrivals to the handler in order; a FIN closes the link. */
  private pump(): void {
    while (!this.isClosed && this.packetHandler !== null && this.inbox !== null) {
      const item = this.inbox.shift()!;
      if (this.inbox.length === 0) this.inbox = null;
      if (item === "fin") {
        this.closeWith("connection closed by peer");
        return;
      }
      this.peer.ackBytes(item.length);
      this.net.stats.delivered++;
      this.net.note(`deliver link ${this.id} ${item.length}B`);
      try {
        this.taps?.received(item);
        this.packetHandler(item, this);
      } catch (e) {
        this.net.log(`sim link ${this.id}: onPacket handler threw: ${errText(e)}`);
        this.closeWith(`handler error: ${errText(e)}`, true);
        return;
      } finally {
        this.net.packetDone(item);
      }
    }
  }

  private scheduleCloseNotify(): void {
    if (this.closeNotified || this.closeHandler === null) return;
    this.net.schedule(this.net.clock.now(), () => {
      const fn = this.closeHandler;
      if (this.closeNotified || fn === null) return;
      this.closeNotified = true;
      try {
        fn(this.closeReason, this);
      } catch (e) {
        this.net.log(`sim link ${this.id}: onClose handler threw: ${errText(e)}`);
      }
    });
  }
}

function checkLatency(l: SimLatency): SimLatency {
  if (
    !Number.isInteger(l.minMs) || !Number.isInteger(l.maxMs) || l.minMs < 0 || l.maxMs < l.minMs
  ) {
    throw new RangeError(`latency needs integers 0 <= minMs <= maxMs, got ${l.minMs}..${l.maxMs}`);
  }
  return { minMs: l.minMs, maxMs: l.maxMs };
}

function checkProbability(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability must be in 0..1, got ${p}`);
  return p;
}

/** Advances a simulated clock by `totalMs` in steps of `stepMs` so callbacks see exact times. */
export function advance(clock: { increment(ms: number): void }, totalMs: number, stepMs = 1): void {
  if (!(stepMs > 0)) throw new RangeError(`stepMs must be > 0`);
  let left = totalMs;
  while (left > 0) {
    const step = Math.min(stepMs, left);
    clock.increment(step);
    left -= step;
  }
}

/**
 * Like `advance`, but lets promise continuations (e.g. code after `await connect(...)`) run
 * between steps, so async node code progresses along with simulated time.
 */
export async function advanceAsync(
  clock: { increment(ms: number): void },
  totalMs: number,
  stepMs = 1,
  afterStep?: () => void,
): Promise<void> {
  if (!(stepMs > 0)) throw new RangeError(`stepMs must be > 0`);
  let left = totalMs;
  await flushMicrotasks();
  while (left > 0) {
    const step = Math.min(stepMs, left);
    clock.increment(step);
    left -= step;
    await flushMicrotasks();
    afterStep?.();
  }
}

/** Lets queued promise continuations run (several rounds, for chains of awaits). */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
