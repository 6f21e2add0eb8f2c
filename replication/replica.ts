/**
 * Replica side: the link to our master (Redis's replication.c syncWithMaster/readSyncBulkPayload).
 * Connects to the master's client port (its TLS port with tls-replication), handshakes (PING,
 * AUTH with masterauth, REPLCONF listening-port, REPLCONF capa eof capa psync2), sends PSYNC
 * with the cached replid/offset (or `? -1`), loads a full snapshot (`$<len>` or diskless `$EOF:<mark>` payload) or continues, then
 * applies the command stream as the master client. Reconnects every second after a link loss.
 */

import { dispatch, runInputBatch } from "../server/dispatch.ts";
import type { Client } from "../server/client.ts";
import { commandLength, encodeCommand } from "./propagate.ts";

/** What the link needs from the node's replication state. */
export interface LinkOwner {
  readonly serverPort: () => number;
  /** Open the link to the master (TCP, or TLS with tls-replication). */
  connect(host: string, port: number): Promise<Deno.Conn>;
  config(name: string): string;
  /** The replid/offset to ask PSYNC for, or null for a full sync. */
  cachedMaster(): { replid: string; offset: number } | null;
  /** Does our PSYNC ask the master to take over from us (a FAILOVER in progress)? */
  psyncFailover(): boolean;
  /** The answer to a PSYNC ... FAILOVER: accepted (+CONTINUE, +FULLRESYNC) or not, and why. */
  psyncAnswered(accepted: boolean, why?: string): void;
  /** Load the snapshot (a promise while the Lua VM is made for its function libraries). */
  fullSync(rdb: Uint8Array, replid: string, offset: number): void | Promise<void>;
  partialSync(newReplid: string | null): void;
  /** A master-stream command was applied: advance the offset, feed sub-replicas. */
  applied(argv: Uint8Array[]): void;
  masterOffset(): number;
  newMasterClient(addr: string, laddr: string): Client;
  removeClient(c: Client): void;
  dispatchFrom(client: Client, argv: Uint8Array[]): void | Promise<void>;
  /** The master's stream is being applied (nothing expires meanwhile), or no longer. */
  applyingStream(on: boolean): void;
  log(level: "notice" | "warning", msg: string): void;
  now(): number;
}

export type LinkState = "connect" | "connecting" | "handshake" | "sync" | "connected";

const READ_SIZE = 64 * 1024;
const dec = new TextDecoder();

class LinkError extends Error {}

export class MasterLink {
  state: LinkState = "connect";
  private conn: Deno.Conn | null = null;
  client: Client | null = null;
  /** Last time we read anything from the master (ms). */
  lastIoMs = 0;
  /** When the link went down (ms), for master_link_down_since_seconds. */
  downSinceMs = -1;
  /** Bytes read after the stream started and not yet applied. */
  unappliedBytes = 0;
  private buf = new Uint8Array(0);
  /** Every read of the link goes into this buffer first (see readMore). */
  private readonly chunk = new Uint8Array(READ_SIZE);
  private stopped = false;
  private ackChain: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(private readonly owner: LinkOwner, readonly host: string, readonly port: number) {}

  /** Run until stopped: connect, sync, stream; retry a second after each failure. */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.session();
      } catch (e) {
        if (!this.stopped) {
          this.owner.log(
            "warning",
            `MASTER <-> REPLICA sync: ${e instanceof Error ? e.message : e}`,
          );
        }
      }
      this.teardown();
      if (this.stopped) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = null;
    }
  }

  stop(): void {
    this.stopped = true;
    this.teardown();
    this.wake?.();
  }

  /** Drop the current connection (the loop reconnects unless stopped). */
  dropConnection(): void {
    try {
      this.conn?.close();
    } catch { /* closed */ }
  }

  private teardown(): void {
    if (this.conn !== null) {
      try {
        this.conn.close();
      } catch { /* closed */ }
      this.conn = null;
    }
    if (this.client !== null) {
      this.owner.removeClient(this.client);
      this.client = null;
    }
    // Redis's repl_down_since: set when an established link is lost (-1: never connected).
    if (this.state === "connected") this.downSinceMs = this.owner.now();
    this.state = "connect";
    this.buf = new Uint8Array(0);
    this.unappliedBytes = 0;
  }

  /** REPLCONF ACK <offset> to the master (every second, and on GETACK). */
  sendAck(): void {
    const conn = this.conn;
    if (conn === null || this.state !== "connected") return;
    const bytes = encodeCommand(["REPLCONF", "ACK", String(this.owner.masterOffset())]);
    this.ackChain = this.ackChain.then(() => write(conn, bytes)).catch(() => {});
  }

  /** Read once into `into`: the byte count (> 0). */
  private async readInto(into: Uint8Array): Promise<number> {
    if (this.stopped || this.conn === null) throw new LinkError("link stopped");
    const n = await this.conn.read(into);
    if (this.stopped) throw new LinkError("link stopped");
    if (n === null) throw new LinkError("connection lost");
    this.lastIoMs = this.owner.now();
    return n;
  }

  /**
   * Append one read to `buf`. The read goes into one buffer kept for the link (a fresh 64 KiB
   * buffer per read was zeroed and page-faulted each time: ~10% of a replica's CPU while it
   * applied a stream of SETs), and only the bytes read are copied out of it.
   */
  private async readMore(): Promise<void> {
    const chunk = this.chunk;
    const n = await this.readInto(chunk);
    if (this.buf.length === 0) {
      this.buf = chunk.slice(0, n);
      return;
    }
    const merged = new Uint8Array(this.buf.length + n);
    merged.set(this.buf);
    merged.set(chunk.subarray(0, n), this.buf.length);
    this.buf = merged;
  }

  /** One reply line without CRLF; empty keepalive lines ("\n") are skipped when asked. */
  private async readLine(skipEmpty: boolean): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl === -1) {
        if (this.buf.length > 64 * 1024) throw new LinkError("reply line too long");
        await this.readMore();
        continue;
      }
      const end = nl > 0 && this.buf[nl - 1] === 13 ? nl - 1 : nl;
      const line = dec.decode(this.buf.subarray(0, end));
      this.buf = this.buf.subarray(nl + 1);
      if (line === "" && skipEmpty) continue;
      return line;
    }
  }

  /**
   * The next `n` bytes. Beyond what is buffered they are read straight into the result (an RDB
   * payload of many reads is not re-copied at each read).
   */
  private async readExact(n: number): Promise<Uint8Array> {
    if (this.buf.length >= n) {
      const out = this.buf.slice(0, n);
      this.buf = this.buf.subarray(n);
      return out;
    }
    const out = new Uint8Array(n);
    out.set(this.buf);
    let have = this.buf.length;
    this.buf = new Uint8Array(0);
    while (have < n) have += await this.readInto(out.subarray(have));
    return out;
  }

  private async command(args: string[]): Promise<string> {
    if (this.stopped || this.conn === null) throw new LinkError("link stopped");
    await write(this.conn, encodeCommand(args));
    return await this.readLine(true);
  }

  private async session(): Promise<void> {
    const o = this.owner;
    this.state = "connecting";
    o.log("notice", `Connecting to MASTER ${this.host}:${this.port}`);
    const conn = await o.connect(this.host, this.port);
    if (this.stopped) {
      conn.close();
      throw new LinkError("link stopped");
    }
    this.conn = conn;
    try {
      (this.conn as Deno.TcpConn).setNoDelay(true);
    } catch { /* not TCP */ }
    this.lastIoMs = o.now();
    this.state = "handshake";
    const pong = await this.command(["PING"]);
    if (
      pong.startsWith("-") && !pong.startsWith("-NOAUTH") && !pong.startsWith("-NOPERM") &&
      !pong.startsWith("-ERR operation not permitted")
    ) throw new LinkError(`Error reply to PING from master: '${pong}'`);
    const pass = o.config("masterauth");
    if (pass !== "") {
      const user = o.config("masteruser");
      const r = await this.command(user !== "" ? ["AUTH", user, pass] : ["AUTH", pass]);
      if (r.startsWith("-")) throw new LinkError(`Unable to AUTH to MASTER: ${r}`);
    }
    const announcePort = Number(o.config("replica-announce-port")) || o.serverPort();
    await this.command(["REPLCONF", "listening-port", String(announcePort)]);
    const ip = o.config("replica-announce-ip");
    if (ip !== "") await this.command(["REPLCONF", "ip-address", ip]);
    await this.command(["REPLCONF", "capa", "eof", "capa", "psync2"]);
    const cached = o.cachedMaster();
    const psync = cached === null
      ? ["PSYNC", "?", "-1"]
      : ["PSYNC", cached.replid, String(cached.offset + 1)];
    // slaveTryPartialResynchronization: a failover's PSYNC says FAILOVER, and its answer (or
    // its failure) ends the failover or aborts it (replication/failover.ts).
    const failover = o.psyncFailover();
    if (failover) psync.push("FAILOVER");
    let reply: string;
    try {
      if (this.stopped || this.conn === null) throw new LinkError("link stopped");
      await write(this.conn, encodeCommand(psync));
    } catch (e) {
      if (failover) o.psyncAnswered(false, "Write error to failover target");
      throw e;
    }
    try {
      reply = await this.readLine(true);
    } catch (e) {
      if (failover) o.psyncAnswered(false);
      throw e;
    }
    if (failover) {
      o.psyncAnswered(reply.startsWith("+FULLRESYNC") || reply.startsWith("+CONTINUE"));
      if (this.stopped) throw new LinkError(`failover target answered PSYNC: ${reply}`);
    }
    if (reply.startsWith("+FULLRESYNC")) {
      const [, replid, off] = reply.split(" ");
      const offset = Number(off);
      if (replid === undefined || replid.length !== 40 || !Number.isInteger(offset)) {
        throw new LinkError(`Bad FULLRESYNC reply '${reply}'`);
      }
      this.state = "sync";
      o.log("notice", `Full resync from master: ${replid}:${offset}`);
      const rdb = await this.readPayload();
      if (this.stopped) throw new LinkError("link stopped");
      const loaded = o.fullSync(rdb, replid, offset);
      if (loaded !== undefined) await loaded;
      o.log("notice", "MASTER <-> REPLICA sync: Finished with success");
    } else if (reply.startsWith("+CONTINUE")) {
      const id = reply.slice("+CONTINUE".length).trim();
      o.log("notice", "Successful partial resynchronization with master.");
      o.partialSync(id.length === 40 ? id : null);
    } else {
      throw new LinkError(`Unexpected reply to PSYNC from master: ${reply}`);
    }
    this.state = "connected";
    this.downSinceMs = -1;
    const c = o.newMasterClient(`${this.host}:${this.port}`, "");
    // CLIENT KILL TYPE master drops the link (we reconnect and resync).
    c.close = () => this.dropConnection();
    this.client = c;
    this.sendAck();
    await this.stream(c);
  }

  /** The RDB payload after +FULLRESYNC: `$<len>\r\n<bytes>` or `$EOF:<40 byte mark>\r\n...<mark>`. */
  private async readPayload(): Promise<Uint8Array> {
    const head = await this.readLine(true);
    if (!head.startsWith("$")) {
      throw new LinkError(`Bad protocol from MASTER, the first byte is not '$': '${head}'`);
    }
    if (head.startsWith("$EOF:")) {
      const mark = new TextEncoder().encode(head.slice(5));
      if (mark.length !== 40) throw new LinkError("bad EOF mark");
      // Read into one buffer that doubles when full (appending each read to a copy of all
      // before it was quadratic in the payload's size), searching only the new bytes (and the
      // 39 before them) for the mark.
      let acc = new Uint8Array(Math.max(4 * READ_SIZE, 2 * this.buf.length));
      acc.set(this.buf);
      let used = this.buf.length;
      this.buf = new Uint8Array(0);
      let from = 0;
      for (;;) {
        const at = indexOfSeq(acc.subarray(0, used), mark, from);
        if (at !== -1) {
          this.buf = acc.slice(at + 40, used);
          return acc.subarray(0, at);
        }
        from = Math.max(0, used - 39);
        if (acc.length - used < READ_SIZE) {
          const bigger = new Uint8Array(2 * acc.length);
          bigger.set(acc.subarray(0, used));
          acc = bigger;
        }
        used += await this.readInto(acc.subarray(used));
      }
    }
    const len = Number(head.slice(1));
    if (!Number.isInteger(len) || len < 0) throw new LinkError(`bad payload length '${head}'`);
    return await this.readExact(len);
  }

  private async stream(c: Client): Promise<void> {
    const o = this.owner;
    if (this.buf.length > 0) {
      c.parser.feed(this.buf);
      this.unappliedBytes += this.buf.length;
      this.buf = new Uint8Array(0);
    }
    for (;;) {
      // Every complete command read so far, in one synchronous run (networking.c
      // processInputBuffer over the master client's query buffer), with the command clock carried
      // from one to the next and one clock read for the client's last interaction, as for a
      // client's pipelined requests (server/dispatch.ts runInputBatch). A command that must be
      // waited for ends the run; the rest is applied after it.
      const waiting = runInputBatch(c, () => this.applyParsed(c), () => o.now());
      if (waiting !== undefined) await waiting;
      if (this.stopped || this.client !== c) return;
      if (waiting !== undefined) continue;
      // Straight from the link's kept buffer into the parser, which copies what it keeps
      // (protocol/resp_parser.ts feed): no copy of each read of its own.
      const n = await this.readInto(this.chunk);
      c.parser.feed(this.chunk.subarray(0, n));
      this.unappliedBytes += n;
    }
  }

  /**
   * Apply the complete commands the parser holds; a promise when one must be waited for (it
   * resolves once that command is applied; the caller then applies the rest).
   */
  private applyParsed(c: Client): Promise<void> | undefined {
    const o = this.owner;
    // Applying, for the whole run (not per command: the flag is set on every database).
    o.applyingStream(true);
    let waiting: Promise<void> | undefined;
    try {
      for (;;) {
        const r = c.parser.next();
        if (r === null) return undefined;
        if ("error" in r) throw new LinkError(`protocol error from master: ${r.error}`);
        if (r.inline) {
          // Newlines (keepalives) and inline commands: count their bytes as Redis does.
          this.unappliedBytes = c.parser.pendingBytes();
          continue;
        }
        const argv = r.argv;
        const p = o.dispatchFrom(c, argv);
        if (p !== undefined) {
          // Still applying until the command is done.
          waiting = p.then(() => this.afterApply(c, argv)).finally(() => o.applyingStream(false));
          return waiting;
        }
        this.afterApply(c, argv);
        if (this.stopped || this.client !== c) return undefined;
      }
    } finally {
      if (waiting === undefined) o.applyingStream(false);
    }
  }

  /** A command of the stream was applied: its reply dropped, its bytes counted and passed on. */
  private afterApply(c: Client, argv: Uint8Array[]): void {
    c.reply.truncate(0);
    this.unappliedBytes -= commandLength(argv);
    this.owner.applied(argv);
  }
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

function indexOfSeq(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export { dispatch };
