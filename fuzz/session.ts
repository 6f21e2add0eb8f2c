/**
 * One fuzzing session on a TCP port: connect, write the inputs, half-close, and read until the
 * node closes its side (or `timeoutMs` passes). Half-closing makes a node that keeps a connection
 * (a valid PING, a partial command, a blocked BLPOP) see end-of-file and free the client, as
 * Redis does on a read of 0 bytes; so every session ends by itself and none pile up.
 */

export interface SessionResult {
  /** Bytes the node answered (counted, not kept). */
  replyBytes: number;
  /** The node reset the connection or refused it. */
  reset: boolean;
  /** The node had not closed the connection `timeoutMs` after the half-close. */
  timedOut: boolean;
}

export async function runSession(
  port: number,
  inputs: readonly Uint8Array[],
  timeoutMs: number,
): Promise<SessionResult> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return { replyBytes: 0, reset: true, timedOut: false };
  }
  let reset = false;
  let replyBytes = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* closed */ }
  }, timeoutMs);
  const reading = (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return;
        replyBytes += n;
      }
    } catch {
      if (!timedOut) reset = true;
    }
  })();
  try {
    for (const input of inputs) {
      let off = 0;
      while (off < input.length) off += await conn.write(input.subarray(off));
    }
    await conn.closeWrite();
  } catch {
    if (!timedOut) reset = true;
  }
  await reading;
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed */ }
  return { replyBytes, reset, timedOut };
}
