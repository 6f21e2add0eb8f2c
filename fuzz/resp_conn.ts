/**
 * A small RESP connection for the fuzzer's well-behaved client and its cluster setup: one
 * request at a time, each reply within a time bound (protocol/resp_value.ts decodes).
 */

import { decodeValue, type Plain, toPlain } from "../protocol/resp_value.ts";
import { encodeRequest } from "./resp_mutate.ts";

const te = new TextEncoder();

export class ReplyTimeout extends Error {
  override name = "ReplyTimeout";
}

export class RespConn {
  private buf = new Uint8Array(0);
  private readonly chunk = new Uint8Array(64 * 1024);
  private pending: Promise<number | null> | null = null;

  private constructor(private readonly conn: Deno.TcpConn) {}

  static async open(port: number): Promise<RespConn> {
    return new RespConn(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Send a command; its reply (an Error for an error reply) within `timeoutMs`. */
  async call(timeoutMs: number, ...args: string[]): Promise<Plain> {
    const req = encodeRequest(args.map((a) => te.encode(a)));
    let off = 0;
    while (off < req.length) off += await this.conn.write(req.subarray(off));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = decodeValue(this.buf, 0);
      if (r !== null) {
        this.buf = this.buf.slice(r[1]);
        return toPlain(r[0]);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new ReplyTimeout(`no reply to ${args[0]} within ${timeoutMs} ms`);
      this.pending ??= this.conn.read(this.chunk).then((n) => {
        if (n !== null) {
          const next = new Uint8Array(this.buf.length + n);
          next.set(this.buf);
          next.set(this.chunk.subarray(0, n), this.buf.length);
          this.buf = next;
        }
        return n;
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.pending,
        new Promise<"timeout">((res) => timer = setTimeout(() => res("timeout"), left)),
      ]);
      clearTimeout(timer);
      if (n === "timeout") continue;
      this.pending = null;
      if (n === null) throw new Error("connection closed by the node");
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

/** One command on a fresh connection. */
export async function callOnce(port: number, timeoutMs: number, ...args: string[]): Promise<Plain> {
  const c = await RespConn.open(port);
  try {
    return await c.call(timeoutMs, ...args);
  } finally {
    c.close();
  }
}
