/**
 * A fake MIGRATE target for tests: it accepts connections, records every request, and answers
 * per its mode: "silent" (never), "close" (closes at the first bytes), "slow" (+OK after
 * `delayMs`), or "held" (+OK to a RESTORE only once `release()` is called: a test decides when
 * the MIGRATE in flight completes, with no timing involved); or a function that gives the reply
 * (raw RESP) to each request (a fake replication target: tests/failover_command_test.ts).
 */

import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./ports.ts";
import { RespParser } from "../protocol/resp_parser.ts";

const HOST = "127.0.0.1";
const dec = new TextDecoder();

/** A fake target: accepts, records every request, and answers per `mode`. */
export interface FakeTarget {
  port: number;
  accepts: number;
  requests: Uint8Array[][];
  /** "held" mode: answer the RESTOREs received so far and every later one. */
  release(): void;
  stop(): void;
}

export function fakeTarget(
  mode: "silent" | "close" | "slow" | "held" | ((argv: Uint8Array[]) => string),
  delayMs = 0,
): FakeTarget {
  const port = freePort();
  const listener = Deno.listen({ hostname: HOST, port });
  const conns = new Set<Deno.Conn>();
  let released!: () => void;
  const releasedP = new Promise<void>((resolve) => released = resolve);
  const t: FakeTarget = {
    port,
    accepts: 0,
    requests: [],
    release: () => released(),
    stop() {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
  (async () => {
    try {
      for await (const conn of listener) {
        t.accepts++;
        conns.add(conn);
        (async () => {
          const parser = new RespParser();
          const buf = new Uint8Array(65536);
          try {
            for (;;) {
              const n = await conn.read(buf);
              if (n === null) break;
              if (mode === "close") {
                conn.close();
                break;
              }
              parser.feed(buf.subarray(0, n));
              for (let r = parser.next(); r !== null; r = parser.next()) {
                if ("error" in r) throw new Error(r.error);
                t.requests.push(r.argv);
                if (typeof mode === "function") {
                  await conn.write(new TextEncoder().encode(mode(r.argv)));
                } else if (mode === "slow" || mode === "held") {
                  // Held: only the RESTOREs wait (a SELECT before them is answered at once).
                  const restore = dec.decode(r.argv[0]).toUpperCase().startsWith("RESTORE");
                  if (mode === "slow") await sleep(delayMs);
                  else if (restore) await releasedP;
                  await conn.write(new TextEncoder().encode("+OK\r\n"));
                }
              }
            }
          } catch {
            /* closed */
          } finally {
            conns.delete(conn);
            try {
              conn.close();
            } catch { /* closed */ }
          }
        })();
      }
    } catch { /* listener closed */ }
  })();
  return t;
}
