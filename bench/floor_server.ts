/**
 * The floor a Deno server stands on: `deno run -A bench/floor_server.ts PORT` reads each
 * connection into one reused buffer, finds the complete RESP requests in what it read (multibulk,
 * as redis-benchmark sends them), and answers each with `+PONG` (an empty array for anything but
 * PING: redis-benchmark's CONFIG GET), in one write per read. No parsing into arguments, no
 * command table, no statistics: what is left is Deno's I/O (a read op and a write op a batch, the
 * event loop between them). `deno task bench --mode floor` runs it beside a node and Redis.
 */

const PONG = new TextEncoder().encode("+PONG\r\n");
const EMPTY = new TextEncoder().encode("*0\r\n");
/** Most bytes a connection holds unanswered (a request cut by a read stays for the next). */
const READ_BYTES = 64 * 1024;

/** The number `buf` holds from `at` up to its CR, or -1 when its line is not all there. */
let lineEnd = 0;
function numberAt(buf: Uint8Array, at: number, end: number): number {
  let v = 0;
  let i = at;
  while (i < end && buf[i] !== 13) v = v * 10 + buf[i++] - 48;
  if (i + 1 >= end) return -1;
  lineEnd = i + 2;
  return v;
}

/** Answer the complete requests in buf[0, end) into `out`; how many bytes they took. Pure. */
export function answer(buf: Uint8Array, end: number, out: Uint8Array[]): number {
  let p = 0;
  for (;;) {
    if (p >= end || buf[p] !== 42 /* '*' */) return p;
    const argc = numberAt(buf, p + 1, end);
    if (argc < 0) return p;
    let q = lineEnd;
    let ping = false;
    for (let a = 0; a < argc; a++) {
      if (q >= end) return p;
      const len = numberAt(buf, q + 1, end);
      if (len < 0 || lineEnd + len + 2 > end) return p;
      if (a === 0) ping = len === 4 && (buf[lineEnd] | 0x20) === 0x70 /* 'p' */;
      q = lineEnd + len + 2;
    }
    out.push(ping ? PONG : EMPTY);
    p = q;
  }
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buf = new Uint8Array(READ_BYTES);
  let reply = new Uint8Array(4096);
  let held = 0;
  const frames: Uint8Array[] = [];
  try {
    for (;;) {
      const n = await conn.read(buf.subarray(held));
      if (n === null) return;
      const end = held + n;
      frames.length = 0;
      const used = answer(buf, end, frames);
      buf.copyWithin(0, used, end);
      held = end - used;
      if (held === READ_BYTES) return; // a request larger than the buffer: not for this server
      let len = 0;
      for (const f of frames) len += f.length;
      if (reply.length < len) reply = new Uint8Array(len * 2);
      let o = 0;
      for (const f of frames) {
        reply.set(f, o);
        o += f.length;
      }
      let off = 0;
      while (off < len) off += await conn.write(reply.subarray(off, len));
    }
  } catch {
    // The peer went away.
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

if (import.meta.main) {
  const port = Number(Deno.args[0]);
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  for await (const conn of listener) void serve(conn);
}
