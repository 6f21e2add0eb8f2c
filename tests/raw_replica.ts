/**
 * A fake replica for tests: it connects to a master as a replica does (REPLCONF listening-port,
 * REPLCONF capa psync2, PSYNC ? -1: replication.c syncWithMaster), skips the RDB payload of the
 * full resync, then reads the command stream the master propagates, byte for byte.
 */

import assert from "node:assert/strict";
import { latin1 } from "../protocol/bytes.ts";
import { encodeCommand } from "./harness.ts";

export class RawReplica {
  private buf = new Uint8Array(0);
  private readonly chunk = new Uint8Array(64 * 1024);
  /** The read in flight, if any: a wait that timed out keeps it, so no bytes are ever lost. */
  private pending: Promise<boolean> | null = null;

  private constructor(private readonly conn: Deno.TcpConn) {}

  /**
   * `hooks.beforePsync` runs once the REPLCONFs are answered, `hooks.psyncSent` once the PSYNC is
   * written (before its reply is read).
   */
  static async attach(
    port: number,
    hooks: {
      beforePsync?: () => Promise<void>;
      psyncSent?: () => Promise<void>;
      /** The port it announces (REPLCONF listening-port); 4321 by default. */
      listeningPort?: number;
    } = {},
  ): Promise<RawReplica> {
    const r = new RawReplica(await Deno.connect({ hostname: "127.0.0.1", port }));
    const announce = String(hooks.listeningPort ?? 4321);
    for (const c of [["REPLCONF", "listening-port", announce], ["REPLCONF", "capa", "psync2"]]) {
      await r.conn.write(encodeCommand(c));
      assert.equal(await r.line(), "+OK");
    }
    await hooks.beforePsync?.();
    await r.conn.write(encodeCommand(["PSYNC", "?", "-1"]));
    await hooks.psyncSent?.();
    assert.match(await r.line(), /^\+FULLRESYNC [0-9a-f]{40} \d+$/);
    const head = await r.line();
    assert.match(head, /^\$\d+$/);
    await r.take(Number(head.slice(1)));
    return r;
  }

  /** Wait for more bytes and append them to the buffer; throws when the master closed the link. */
  private async more(): Promise<void> {
    // The read resolves to false (not a rejection) on a close, so a read left in flight when the
    // test closes the connection is no unhandled error.
    this.pending ??= this.conn.read(this.chunk).then((n) => {
      if (n === null) return false;
      const next = new Uint8Array(this.buf.length + n);
      next.set(this.buf);
      next.set(this.chunk.subarray(0, n), this.buf.length);
      this.buf = next;
      return true;
    }, () => false);
    const got = await this.pending;
    this.pending = null;
    if (!got) throw new Error("replication link closed");
  }

  /** The next non-empty line (the master sends bare newlines as keepalives before the payload). */
  private async line(): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl === -1) {
        await this.more();
        continue;
      }
      const l = latin1(this.buf.subarray(0, nl)).replace(/\r$/, "");
      this.buf = this.buf.subarray(nl + 1);
      if (l !== "") return l;
    }
  }

  private async take(n: number): Promise<Uint8Array> {
    while (this.buf.length < n) await this.more();
    const out = this.buf.slice(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /**
   * The propagated commands as text (arguments joined by spaces, the master's PINGs left out), up
   * to and including the first one that holds `marker`.
   */
  async commandsUntil(marker: string): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const head = await this.line();
      assert.match(head, /^\*\d+$/);
      const args: string[] = [];
      for (let i = Number(head.slice(1)); i > 0; i--) {
        const len = await this.line();
        args.push(latin1(await this.take(Number(len.slice(1)))));
        await this.take(2);
      }
      const text = args.join(" ");
      if (text !== "PING") out.push(text);
      if (text.includes(marker)) return out;
    }
  }

  /** The raw stream (one char per byte) up to and including the first `marker`. */
  async textUntil(marker: string): Promise<string> {
    for (;;) {
      const s = latin1(this.buf);
      const at = s.indexOf(marker);
      if (at !== -1) {
        this.buf = this.buf.subarray(at + marker.length);
        return s.slice(0, at + marker.length);
      }
      await this.more();
    }
  }

  /**
   * The raw stream (one char per byte) up to and including the propagated command `args` (the
   * test's last write, sent to end the part it compares), without the master's PINGs: those
   * come on the master's timer (repl-ping-replica-period), not with the commands.
   */
  async textUntilCommand(...args: string[]): Promise<string> {
    const frame = (a: string[]) =>
      `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join("")}`;
    return (await this.textUntil(frame(args))).replaceAll(frame(["PING"]), "");
  }

  /** REPLCONF ACK `offset`, as a replica acknowledges what it processed. */
  async ack(offset: number): Promise<void> {
    await this.conn.write(encodeCommand(["REPLCONF", "ACK", String(offset)]));
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}
