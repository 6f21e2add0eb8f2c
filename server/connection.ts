/**
 * One client connection: read a chunk, parse every complete request in it, dispatch each in
 * order, then write all the replies at once (pipelining costs one write per read). A protocol
 * error replies `-ERR Protocol error: ...` and closes this connection only.
 *
 * Output has one writer per connection (`OutputWriter`): the replies of the client's own
 * commands, and frames others add (Pub/Sub messages), which are written after the turn that
 * added them, so a burst of PUBLISHes costs a subscriber one write. Output others add is bounded
 * by `client-output-buffer-limit` (server/output_limits.ts): past it the client is dropped.
 */

import { dispatch, runInputBatch } from "./dispatch.ts";
import type { CommandHost } from "../commands/command_host.ts";
import type { Client } from "./client.ts";
import { type OutputClass, type OutputLimitState, overOutputLimits } from "./output_limits.ts";
import { unmapIpv4 } from "../cluster/ip.ts";
import { IDLE_READ_BYTES, ReadBuffer } from "./read_buffer.ts";
import { prefetchPipelinedKeys } from "../keyspace/prefetch.ts";

/** Flush mid-batch when this much reply is pending, to bound the output buffer. */
const FLUSH_AT = 1024 * 1024;

/** `ip:port` or `[ipv6]:port` (anetFormatAddr), IPv4 peers of a `::` listener as IPv4. */
function fmtAddr(a: Deno.Addr): string {
  const n = a as Deno.NetAddr;
  const host = unmapIpv4(n.hostname);
  return host.includes(":") ? `[${host}]:${n.port}` : `${host}:${n.port}`;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

const DENIED = new TextEncoder().encode(
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n",
);

/**
 * Protected mode (Redis 7.0): with `protected-mode yes` and no password for the default user,
 * only loopback clients are served (whatever `bind` says, as 7.0 does).
 */
export function protectedModeDenies(server: CommandHost, remote: Deno.Addr): boolean {
  if (!server.config.getBool("protected-mode") || server.authRequired()) return false;
  const host = (remote as Deno.NetAddr).hostname ?? "";
  return !(host.startsWith("127.") || host === "::1" || host.startsWith("::ffff:127."));
}

/**
 * The single writer of one connection's output. `take()`s the client's reply buffer and writes
 * it, again while more was added meanwhile; `flush()` resolves once what was pending at the call
 * is written (or the connection is gone).
 */
class OutputWriter {
  private running = false;
  private taken = 0;
  private written = 0;
  /** Bytes of the write in progress. */
  private inFlight = 0;
  private waiters: { target: number; resolve: () => void }[] = [];
  private wakeQueued = false;
  private readonly limitState: OutputLimitState = { softSinceMs: 0 };
  /** Re-checks the limits each second while over the soft limit (Redis's clientsCron does). */
  private cron: ReturnType<typeof setInterval> | null = null;
  closed = false;

  constructor(
    private readonly server: CommandHost,
    private readonly client: Client,
    private readonly conn: Deno.Conn,
  ) {}

  /** Output not yet on the wire: Redis's getClientOutputBufferMemoryUsage. */
  get pendingBytes(): number {
    return this.client.reply.len + this.inFlight + this.client.heldBytes;
  }

  flush(): Promise<void> {
    const target = this.taken + this.client.reply.len;
    if (this.written >= target || this.closed) return Promise.resolve();
    // Idle: the run writes until nothing is pending, so its end is this flush's end.
    if (!this.running) return this.run();
    return new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
  }

  /**
   * Output was added by another client's command: check the limits, and write after the current
   * turn (a microtask), so every frame of that turn goes in one write.
   */
  wake(): void {
    if (this.closed) return;
    if (this.overLimits()) {
      this.drop("scheduled to be closed ASAP");
      return;
    }
    // Over the soft limit: its seconds can run out with no more output added (a subscriber that
    // stopped reading on a quiet channel), so check again each second, as clientsCron does.
    if (this.limitState.softSinceMs !== 0 && this.cron === null) {
      this.cron = setInterval(() => {
        if (this.closed) this.stopCron();
        else if (this.overLimits()) this.drop("closed");
        else if (this.limitState.softSinceMs === 0) this.stopCron();
      }, 1000);
    }
    if (this.wakeQueued || this.running) return;
    this.wakeQueued = true;
    queueMicrotask(() => {
      this.wakeQueued = false;
      if (!this.running && this.client.reply.len > 0) void this.flush();
    });
  }

  private overLimits(): boolean {
    const cls: OutputClass = this.client.inPubSub ? "pubsub" : "normal";
    const limits = this.server.outputLimits[cls];
    const used = this.pendingBytes;
    // Below both limits with no soft timer running: nothing to decide (the common case).
    if (
      this.limitState.softSinceMs === 0 &&
      (limits.softBytes === 0 || used < limits.softBytes) &&
      (limits.hardBytes === 0 || used < limits.hardBytes)
    ) return false;
    return overOutputLimits(used, limits, this.limitState, this.server.now());
  }

  private drop(how: string): void {
    this.server.log.warning(
      `Client id=${this.client.id} addr=${this.client.addr} ${how} for overcoming of output buffer limits.`,
    );
    this.client.reply.take();
    this.client.dropHeldFrames();
    this.client.close();
  }

  stopCron(): void {
    if (this.cron === null) return;
    clearInterval(this.cron);
    this.cron = null;
  }

  private async run(): Promise<void> {
    this.running = true;
    const { server, client } = this;
    try {
      while (client.reply.len > 0 && !this.closed) {
        // What these replies announce (a SETSLOT's epoch, a FAILOVER's promotion, a write under
        // appendfsync always) is on disk first.
        server.aof.beforeReply();
        server.cluster?.beforeReply();
        const out = client.reply.take();
        this.taken += out.length;
        // A replica's output is the replication stream (replication/master.ts writes it).
        if (!client.isReplica) {
          server.stats.netOutputBytes += out.length;
          server.stats.writesProcessed++;
          this.inFlight = out.length;
          // writeAll inlined: one promise per write on the request path.
          let off = await this.conn.write(out);
          while (off < out.length) off += await this.conn.write(out.subarray(off));
          this.inFlight = 0;
        }
        this.written = this.taken;
        // Its buffer is free again: a pooled one goes back (protocol/buffer_pool.ts).
        client.reply.written();
        this.release(false);
      }
    } catch {
      // The peer is gone: the read loop sees it and drops the client.
      this.closed = true;
      client.close();
    } finally {
      this.inFlight = 0;
      this.running = false;
      this.release(this.closed);
    }
  }

  private release(all: boolean): void {
    if (this.waiters.length === 0) return;
    const keep: { target: number; resolve: () => void }[] = [];
    for (const w of this.waiters) {
      if (all || this.written >= w.target) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }
}

export async function serveConnection(
  server: CommandHost,
  conn: Deno.TcpConn,
  tls = false,
): Promise<void> {
  try {
    conn.setNoDelay(true);
  } catch { /* not TCP */ }
  const client = server.newClient(fmtAddr(conn.remoteAddr), fmtAddr(conn.localAddr));
  client.conn = conn;
  client.tls = tls;
  const writer = new OutputWriter(server, client, conn);
  client.outputAdded = () => writer.wake();
  let closed = false;
  client.close = () => {
    if (closed) return;
    closed = true;
    writer.closed = true;
    writer.stopCron();
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  if (protectedModeDenies(server, conn.remoteAddr)) {
    // Redis's protected mode: answer DENIED at once and close.
    try {
      await writeAll(conn, DENIED);
    } catch { /* peer gone */ }
    server.removeClient(client);
    client.close();
    return;
  }
  const readBuf = new ReadBuffer();
  try {
    while (!closed) {
      const carried = carriedReads.get(client);
      if (carried !== undefined) {
        // A read started while the client was blocked (its bytes are already parsed in).
        carriedReads.delete(client);
        if (await carried === null) break;
      } else {
        const buf = readBuf.buf;
        server.stats.readsProcessed++;
        const n = await conn.read(buf);
        if (n === null) break;
        server.stats.netInputBytes += n;
        const continues = client.parser.midRequest();
        client.parser.feed(buf.subarray(0, n));
        readBuf.filled(n, continues);
      }
      const waiting = runInputBatch(
        client,
        () => processInput(server, client, conn, writer),
        server.now,
      );
      if (waiting !== undefined) await waiting;
      if (client.reply.len > 0) {
        // The other connections whose reads completed in this turn run their commands first.
        await afterThisTurn();
        await writer.flush();
      }
      if (client.closeAfterReply) break;
    }
  } catch (e) {
    // Connection reset, or the socket was closed under us: drop the client. Anything else is a
    // bug in a command (the node goes on serving the others): say which, so it can be fixed.
    if (!isConnectionError(e)) {
      server.log.warning(
        `Client id=${client.id} addr=${client.addr} dropped after an internal error: ${
          (e as Error)?.stack ?? e
        }`,
      );
    }
  } finally {
    readBuf.release();
    server.removeClient(client);
    client.close();
  }
}

/**
 * Resolves once the microtasks queued before its first call of a turn have run. Deno resumes the
 * read loops whose reads completed in one event-loop turn together, one after the other; each
 * awaits this after running its commands, so all of them have run theirs before the first writes
 * its replies, and the replies then go out back to back. Redis does the same: it serves every
 * readable client of an event-loop iteration, then writes all their replies in beforeSleep
 * (networking.c handleClientsWithPendingWrites). A client process waiting on many connections is
 * then woken once for several replies, not once for each (`deno task bench`, `-P 16` SET with 50
 * clients: ~17% less CPU a request, bench/README.md); what the replies announce is made durable
 * once for all of them (`OutputWriter.run`).
 */
function afterThisTurn(): Promise<void> {
  if (turnEnd === null) {
    turnEnd = new Promise<void>((resolve) =>
      queueMicrotask(() => {
        turnEnd = null;
        resolve();
      })
    );
  }
  return turnEnd;
}
let turnEnd: Promise<void> | null = null;

/** The peer went away or the socket was closed locally: not worth a log line. */
function isConnectionError(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.ConnectionAborted || e instanceof Deno.errors.NotConnected;
}

/** A read still in flight when a blocked command finished; the main loop awaits it next. */
const carriedReads = new WeakMap<Client, Promise<number | null>>();

/**
 * Wait for a command that blocks (BLPOP & co) while still reading from the peer: bytes that
 * arrive are queued in the parser (as Redis does), and a peer that hangs up has its wait
 * cancelled (db.cancelBlocked) so a later push is not handed to a dead client.
 */
async function waitWatchingPeer(
  server: CommandHost,
  client: Client,
  conn: Deno.Conn,
  p: Promise<void>,
): Promise<void> {
  let settled = false;
  const done = p.then(() => {
    settled = true;
    return -2;
  });
  // A blocked client's peer seldom sends while it waits: a small buffer (reads loop).
  const buf = new Uint8Array(IDLE_READ_BYTES);
  // The read an earlier wait of this batch left in flight (its bytes go to the parser too): a
  // second read started beside it would queue behind it and be carried instead, and the main
  // loop would then wait on that one while the bytes of the first sat unprocessed in the parser.
  let carried = carriedReads.get(client);
  carriedReads.delete(client);
  while (!settled) {
    if (carried === undefined) server.stats.readsProcessed++;
    const read = carried ?? conn.read(buf).catch(() => null).then((n) => {
      if (n !== null) {
        server.stats.netInputBytes += n;
        client.parser.feed(buf.subarray(0, n));
      } else client.peerGone = true;
      client.inputArrived?.();
      return n;
    });
    carried = undefined;
    const first = await Promise.race([done, read]);
    if (first === -2) {
      carriedReads.set(client, read);
      return;
    }
    if (first === null) {
      // The peer is gone: drop the wait (a blocking pop's, or WAIT's, which would otherwise hold
      // the client until its timeout, or for ever with timeout 0: found by `deno task fuzz`);
      // the main loop then sees the closed connection.
      client.db.cancelBlocked(client);
      server.replication.unblockWait(client);
      client.closeAfterReply = true;
      await p;
      carriedReads.set(client, Promise.resolve(null));
      return;
    }
  }
}

/**
 * Run every complete request the parser holds. Synchronous (no promise, no microtask) until a
 * request must wait: a command that blocks, or a reply big enough to flush first; the rest then
 * runs in `processInputAsync`, whose promise is returned.
 */
function processInput(
  server: CommandHost,
  client: Client,
  conn: Deno.Conn,
  writer: OutputWriter,
): Promise<void> | undefined {
  // The keys of a pipelined batch are read ahead together (keyspace/prefetch.ts).
  const parser = client.parser;
  prefetchPipelinedKeys(client.db.dict, parser.unparsedBuffer(), parser.unparsedStart());
  for (;;) {
    const r = client.parser.next();
    if (r === null) return undefined;
    if ("error" in r) {
      protocolError(server, client, r);
      return undefined;
    }
    const p = dispatch(server, client, r.argv);
    if (p !== undefined) return finishWaiting(server, client, conn, writer, p);
    if (client.closeAfterReply) return undefined;
    client.parser.authRequired = !client.authenticated;
    if (client.reply.len >= FLUSH_AT) {
      return writer.flush().then(() => processInputAsync(server, client, conn, writer));
    }
  }
}

/** A request that waits: its earlier replies go first, then the rest of the input runs. */
async function finishWaiting(
  server: CommandHost,
  client: Client,
  conn: Deno.Conn,
  writer: OutputWriter,
  p: Promise<void>,
): Promise<void> {
  // A command that waits (BLPOP & co): send the replies of earlier pipelined commands first.
  if (client.reply.len > 0) await writer.flush();
  await waitWatchingPeer(server, client, conn, p);
  if (client.closeAfterReply) return;
  client.parser.authRequired = !client.authenticated;
  if (client.reply.len >= FLUSH_AT) await writer.flush();
  await processInputAsync(server, client, conn, writer);
}

function protocolError(
  server: CommandHost,
  client: Client,
  r: { error: string; closeWithoutReply?: boolean },
): void {
  if (r.closeWithoutReply) {
    server.log.warning(
      `Closing client that reached max query buffer length (id=${client.id} addr=${client.addr})`,
    );
  } else {
    client.reply.error(`ERR ${r.error}`);
    server.log.verbose(
      `Protocol error (${r.error}) from client: id=${client.id} addr=${client.addr}`,
    );
  }
  client.closeAfterReply = true;
}

async function processInputAsync(
  server: CommandHost,
  client: Client,
  conn: Deno.Conn,
  writer: OutputWriter,
): Promise<void> {
  for (;;) {
    const r = client.parser.next();
    if (r === null) return;
    if ("error" in r) {
      protocolError(server, client, r);
      return;
    }
    const p = dispatch(server, client, r.argv);
    if (p !== undefined) {
      // A command that waits (BLPOP & co): send the replies of earlier pipelined commands first.
      if (client.reply.len > 0) await writer.flush();
      await waitWatchingPeer(server, client, conn, p);
    }
    if (client.closeAfterReply) return;
    client.parser.authRequired = !client.authenticated;
    if (client.reply.len >= FLUSH_AT) await writer.flush();
  }
}
