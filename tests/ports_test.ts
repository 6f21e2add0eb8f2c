/**
 * tests/ports.ts: a reserved port is one nobody else gets, and reserving it leaves no socket
 * behind. The flake this guards against: freePort() used to probe a port by listening on it and
 * closing; when another worker of the test process spawned a child at that moment, the child
 * (posix_spawn: a CLONE_VFORK copy of every descriptor, kept until its execve) held the probe's
 * socket open a few milliseconds longer, and the in-process node listening right after freePort()
 * got AddrInUse on a port that nothing held when `ss` looked (streams_test, migrate_test).
 */

import assert from "node:assert/strict";
import { freePort, freePortBlock, releasePort, reserveBlock, tcpPortsInUse } from "./ports.ts";

const HAVE_TABLES = tcpPortsInUse() !== null;

Deno.test({
  name: "ports: freePort and freePortBlock open no socket on the ports they reserve",
  ignore: !HAVE_TABLES,
  fn() {
    const listen = Deno.listen;
    const opened: number[] = [];
    // Any listen during a reservation is a socket a child spawned meanwhile could keep open.
    Deno.listen = ((o: Deno.ListenOptions) => {
      opened.push(o.port ?? 0);
      return listen(o as Deno.TcpListenOptions);
    }) as typeof Deno.listen;
    const got: number[] = [];
    try {
      for (let i = 0; i < 20; i++) got.push(freePort());
      got.push(freePortBlock(3));
    } finally {
      Deno.listen = listen;
      for (const p of got) releasePort(p);
    }
    assert.deepEqual(opened, []);
  },
});

Deno.test({
  name: "ports: a port a socket listens on, or another worker holds, is not reserved",
  ignore: !HAVE_TABLES,
  async fn() {
    const p = freePort();
    // Held by this worker: another worker (its own lock holder) cannot take it.
    const src = `import { reserveBlock } from "${new URL("./ports.ts", import.meta.url)}";
      self.onmessage = (e) => self.postMessage(reserveBlock(e.data, 1));`;
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    const w = new Worker(url, { type: "module" });
    try {
      const other = await new Promise((r) => {
        w.onmessage = (e) => r(e.data);
        w.postMessage(p);
      });
      assert.equal(other, false, "another worker reserved a port this one holds");
    } finally {
      w.terminate();
      URL.revokeObjectURL(url);
    }
    // Not locked by anyone, but a socket listens on it: not handed out.
    const l = Deno.listen({ hostname: "127.0.0.1", port: p });
    releasePort(p);
    try {
      assert.ok(tcpPortsInUse()!.has(p), "the socket tables show the listener");
      assert.equal(reserveBlock(p, 1), false, "reserved a port a socket listens on");
    } finally {
      l.close();
    }
  },
});

Deno.test({
  name: "ports: a node listening right after freePort() while children are spawned meanwhile",
  ignore: !HAVE_TABLES,
  async fn() {
    // Two workers spawn short-lived children for the whole run, as the test files beside this
    // one do (redis-server, redis-cli, deno); this worker reserves and listens at once, as
    // startNode does. Each child holds a copy of every descriptor open when it was spawned.
    const src = `self.onmessage = async (e) => {
        const until = Date.now() + e.data;
        let n = 0;
        while (Date.now() < until) {
          await new Deno.Command("true", { stdout: "null", stderr: "null" }).output();
          n++;
        }
        self.postMessage(n);
      };`;
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    const spawners = [0, 1].map(() => new Worker(url, { type: "module" }));
    const runMs = 3000;
    const spawned = spawners.map((w) =>
      new Promise<number>((r) => {
        w.onmessage = (e) => r(e.data);
        w.postMessage(runMs);
      })
    );
    const failed: string[] = [];
    let tries = 0;
    try {
      const until = Date.now() + runMs - 200;
      while (Date.now() < until) {
        const p = freePort();
        try {
          Deno.listen({ hostname: "127.0.0.1", port: p }).close();
        } catch (e) {
          failed.push(`${p}: ${(e as Error).message}`);
        }
        releasePort(p);
        tries++;
        // Let the spawners' children come and go between reservations.
        if (tries % 50 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      const n = await Promise.all(spawned);
      for (const w of spawners) w.terminate();
      URL.revokeObjectURL(url);
      assert.ok(n[0] > 0 && n[1] > 0, `children spawned: ${n}`);
    }
    assert.deepEqual(failed, [], `${failed.length} of ${tries} listens failed`);
  },
});
