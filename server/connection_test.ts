import assert from "node:assert/strict";
import { serveConnection } from "./connection.ts";
import { startNode } from "../tests/harness.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A connection whose first read returns `input` once `go` resolves, and whose later reads wait
 * until it is closed. `onWrite` sees each write as it is made.
 */
class ScriptedConn {
  readonly remoteAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40001 };
  readonly localAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 6379 };
  private reads = 0;
  private closeConn!: () => void;
  private readonly closed = new Promise<void>((resolve) => this.closeConn = resolve);

  constructor(
    private readonly go: Promise<void>,
    private readonly input: string,
    private readonly onWrite: (text: string) => void,
  ) {}

  setNoDelay(): void {}

  async read(buf: Uint8Array): Promise<number | null> {
    if (this.reads++ === 0) {
      await this.go;
      const bytes = enc.encode(this.input);
      buf.set(bytes);
      return bytes.length;
    }
    await this.closed;
    return null;
  }

  write(bytes: Uint8Array): Promise<number> {
    this.onWrite(dec.decode(bytes));
    return Promise.resolve(bytes.length);
  }

  close(): void {
    this.closeConn();
  }
}

Deno.test("connections whose reads complete in one turn all run their commands before the first reply is written", async () => {
  const node = await startNode();
  try {
    const stats = node.server.stats;
    const base = stats.totalCommands;
    let startGo!: () => void;
    const go = new Promise<void>((resolve) => startGo = resolve);
    const writes: { conn: number; text: string; commandsRun: number }[] = [];
    let allWritten!: () => void;
    const written = new Promise<void>((resolve) => allWritten = resolve);
    const conns = [0, 1, 2].map((i) =>
      new ScriptedConn(go, "INCR k\r\nINCR k\r\n", (text) => {
        writes.push({ conn: i, text, commandsRun: stats.totalCommands - base });
        if (writes.length === 3) allWritten();
      })
    );
    const served = conns.map((c) => serveConnection(node.server, c as unknown as Deno.TcpConn));
    startGo();
    await written;
    // Each connection's replies are one write, in the order the commands ran...
    assert.deepEqual(writes.map((w) => [w.conn, w.text]), [
      [0, ":1\r\n:2\r\n"],
      [1, ":3\r\n:4\r\n"],
      [2, ":5\r\n:6\r\n"],
    ]);
    // ...and none was written before all three had run theirs (Redis's beforeSleep writes).
    assert.deepEqual(writes.map((w) => w.commandsRun), [6, 6, 6]);
    for (const c of conns) c.close();
    await Promise.all(served);
  } finally {
    await node.stop();
  }
});
