/**
 * The latency probe of bench/bgsave.ts, run in a Worker so the memory sampler in the main thread
 * cannot delay it: GET/SET round trips on one connection until told to stop, then the
 * latencies (µs) are posted back.
 */

/// <reference lib="deno.worker" />

const enc = new TextEncoder();

function complete(t: Uint8Array, n: number): boolean {
  // Replies here are +OK, $-1, or a short bulk: ends with CRLF and, for a bulk, holds it all.
  if (n < 3 || t[n - 2] !== 13 || t[n - 1] !== 10) return false;
  if (t[0] !== 36) return true; // '$'
  const text = new TextDecoder().decode(t.subarray(0, n));
  const nl = text.indexOf("\r\n");
  const len = Number(text.slice(1, nl));
  return len < 0 || n >= nl + 2 + len + 2;
}

let stopping = false;
self.onmessage = async (e: MessageEvent<{ port: number } | "stop">) => {
  if (e.data === "stop") {
    stopping = true;
    return;
  }
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: e.data.port });
  conn.setNoDelay(true);
  const buf = new Uint8Array(4096);
  const out: number[] = [];
  self.postMessage("ready");
  for (let i = 0; !stopping || out.length < 10; i++) {
    const key = `probe:${i % 1000}`;
    const req = i % 2 === 0
      ? `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$1\r\nx\r\n`
      : `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`;
    const t0 = performance.now();
    await conn.write(enc.encode(req));
    let n = 0;
    while (!complete(buf, n)) {
      const r = await conn.read(buf.subarray(n));
      if (r === null) throw new Error("probe connection closed");
      n += r;
    }
    out.push((performance.now() - t0) * 1000);
  }
  conn.close();
  self.postMessage(out);
};
