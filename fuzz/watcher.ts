/**
 * The well-behaved client of a fuzzing run: one connection that sends PING every `everyMs` and
 * CLUSTER NODES every tenth time, and counts a hang when a reply takes longer than `hangMs`
 * (then reconnects). The fuzzer reports how many requests it got answered, the slowest reply,
 * and every hang.
 */

import { ReplyTimeout, RespConn } from "./resp_conn.ts";

export interface Hang {
  port: number;
  atMs: number;
  what: string;
}

export class Watcher {
  answered = 0;
  maxReplyMs = 0;
  readonly hangs: Hang[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    readonly port: number,
    private readonly everyMs: number,
    private readonly hangMs: number,
    private readonly onHang: (h: Hang) => void = () => {},
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    let conn: RespConn | null = null;
    let tick = 0;
    while (!this.stopped) {
      const what = tick++ % 10 === 9 ? ["CLUSTER", "NODES"] : ["PING"];
      const t0 = Date.now();
      try {
        conn ??= await RespConn.open(this.port);
        const r = await conn.call(this.hangMs, ...what);
        if (r instanceof Error) throw new Error(`error reply: ${r.message}`);
        this.answered++;
        this.maxReplyMs = Math.max(this.maxReplyMs, Date.now() - t0);
      } catch (e) {
        conn?.close();
        conn = null;
        if (this.stopped) break;
        const hang = {
          port: this.port,
          atMs: Date.now(),
          what: `${what.join(" ")} after ${Date.now() - t0} ms: ${
            e instanceof ReplyTimeout ? "no reply" : (e as Error).message
          }`,
        };
        this.hangs.push(hang);
        this.onHang(hang);
      }
      await new Promise((r) => setTimeout(r, this.everyMs));
    }
    conn?.close();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}
