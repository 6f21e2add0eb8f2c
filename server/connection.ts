/**
 * One client connection: read a chunk, parse every complete request in it, dispatch each in
 * order, then write all the replies at once (pipelining costs one write per read). A protocol
 * error replies `-ERR Protocol error: ...` and closes this connection only.
 */

import { dispatch } from "./dispatch.ts";
import type { Server } from "./server.ts";
import type { Client } from "./client.ts";

const READ_SIZE = 64 * 1024;
/** Flush mid-batch when this much reply is pending, to bound the output buffer. */
const FLUSH_AT = 1024 * 1024;

function fmtAddr(a: Deno.Addr): string {
  const n = a as Deno.NetAddr;
  return n.hostname.includes(":") ? `[${n.hostname}]:${n.port}` : `${n.hostname}:${n.port}`;
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
export function protectedModeDenies(server: Server, remote: Deno.Addr): boolean {
  if (!server.config.getBool("protected-mode") || server.authRequired()) return false;
  const host = (remote as Deno.NetAddr).hostname ?? "";
  return !(host.startsWith("127.") || host === "::1" || host.startsWith("::ffff:127."));
}

export async function serveConnection(server: Server, conn: Deno.TcpConn): Promise<void> {
  try {
    conn.setNoDelay(true);
  } catch { /* not TCP */ }
  const client = server.newClient(fmtAddr(conn.remoteAddr), fmtAddr(conn.localAddr));
  client.conn = conn;
  let closed = false;
  client.close = () => {
    if (closed) return;
    closed = true;
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
  const readBuf = new Uint8Array(READ_SIZE);
  try {
    while (!closed) {
      const carried = carriedReads.get(client);
      if (carried !== undefined) {
        // A read started while the client was blocked (its bytes are already parsed in).
        carriedReads.delete(client);
        if (await carried === null) break;
      } else {
        const n = await conn.read(readBuf);
        if (n === null) break;
        server.stats.netInputBytes += n;
        client.parser.feed(readBuf.subarray(0, n));
      }
      await processInput(server, client, conn);
      if (client.reply.len > 0) await flush(server, client, conn);
      if (client.closeAfterReply) break;
    }
  } catch (_e) {
    // Connection reset, or the socket was closed under us: drop the client.
  } finally {
    server.removeClient(client);
    client.close();
  }
}

/** A read still in flight when a blocked command finished; the main loop awaits it next. */
const carriedReads = new WeakMap<Client, Promise<number | null>>();

/**
 * Wait for a command that blocks (BLPOP & co) while still reading from the peer: bytes that
 * arrive are queued in the parser (as Redis does), and a peer that hangs up has its wait
 * cancelled (db.cancelBlocked) so a later push is not handed to a dead client.
 */
async function waitWatchingPeer(
  server: Server,
  client: Client,
  conn: Deno.Conn,
  p: Promise<void>,
): Promise<void> {
  let settled = false;
  const done = p.then(() => {
    settled = true;
    return -2;
  });
  const buf = new Uint8Array(READ_SIZE);
  while (!settled) {
    const read = conn.read(buf).catch(() => null).then((n) => {
      if (n !== null) {
        server.stats.netInputBytes += n;
        client.parser.feed(buf.subarray(0, n));
      }
      return n;
    });
    const first = await Promise.race([done, read]);
    if (first === -2) {
      carriedReads.set(client, read);
      return;
    }
    if (first === null) {
      // The peer is gone: drop the wait; the main loop then sees the closed connection.
      server.db.cancelBlocked(client);
      client.closeAfterReply = true;
      await p;
      carriedReads.set(client, Promise.resolve(null));
      return;
    }
  }
}

async function flush(server: Server, client: Client, conn: Deno.Conn): Promise<void> {
  // What these replies announce (a SETSLOT's epoch, a FAILOVER's promotion, a write under
  // appendfsync always) is on disk first.
  server.aof.beforeReply();
  server.cluster?.beforeReply();
  const out = client.reply.take();
  // A replica's output is the replication stream (replication/master.ts writes it).
  if (client.isReplica) return;
  server.stats.netOutputBytes += out.length;
  await writeAll(conn, out);
}

async function processInput(server: Server, client: Client, conn: Deno.Conn): Promise<void> {
  for (;;) {
    const r = client.parser.next();
    if (r === null) return;
    if ("error" in r) {
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
      return;
    }
    const p = dispatch(server, client, r.argv);
    if (p !== undefined) {
      // A command that waits (BLPOP & co): send the replies of earlier pipelined commands first.
      if (client.reply.len > 0) await flush(server, client, conn);
      await waitWatchingPeer(server, client, conn, p);
    }
    if (client.closeAfterReply) return;
    client.parser.authRequired = !client.authenticated;
    if (client.reply.len >= FLUSH_AT) await flush(server, client, conn);
  }
}
