/**
 * The dispatcher's per-command state when several servers run in one process (as in these tests):
 * the command clock carried between a client's pipelined requests (server/dispatch.ts
 * `runInputBatch`) is that client's, so a command of another client, or of another server, run
 * synchronously inside the batch is timed by its own clock readings. The command clock is
 * injected (a settable one), so the figures are exact.
 */

import assert from "node:assert/strict";
import { type InProcessNode, RespClient, startNode } from "./harness.ts";
import { dispatch, runInputBatch } from "../server/dispatch.ts";

const enc = new TextEncoder();
const argv = (...words: string[]) => words.map((w) => enc.encode(w));

/** A command clock the test sets (both nodes read it, as they would read the same machine's). */
let fakeNowMs = 0;
const fakeClock = { commandClockMs: () => fakeNowMs };

/** INFO commandstats' usec of one command on a node. */
async function usecOf(node: InProcessNode, command: string): Promise<number> {
  const c = await RespClient.connect(node.port);
  try {
    const info = String(await c.call("INFO", "commandstats"));
    const m = info.match(new RegExp(`^cmdstat_${command}:calls=\\d+,usec=(\\d+),`, "m"));
    assert.ok(m, `no cmdstat_${command} in ${info}`);
    return Number(m[1]);
  } finally {
    c.close();
  }
}

Deno.test("dispatch: the carried command clock is the client's, not shared by servers or clients", async () => {
  const a = await startNode({}, fakeClock);
  const b = await startNode({}, fakeClock);
  const ca = a.server.newClient("127.0.0.1:1001", "127.0.0.1:0");
  const other = a.server.newClient("127.0.0.1:1002", "127.0.0.1:0");
  const cb = b.server.newClient("127.0.0.1:1003", "127.0.0.1:0");
  try {
    fakeNowMs = 1_000;
    runInputBatch(ca, () => {
      assert.equal(dispatch(a.server, ca, argv("SET", "k", "a")), undefined);
      // Half a second later, still inside A's client's batch, node B runs a command.
      fakeNowMs = 1_500;
      assert.equal(dispatch(b.server, cb, argv("SET", "k", "b")), undefined);
      // Then another client of A (as a blocked client served after a push would be).
      fakeNowMs = 2_000;
      assert.equal(dispatch(a.server, other, argv("GET", "k")), undefined);
      // The batch's own next command starts where its previous one ended (1,000 ms).
      fakeNowMs = 2_250;
      assert.equal(dispatch(a.server, ca, argv("STRLEN", "k")), undefined);
    }, a.server.now);
    // B's SET started and ended at 1,500 ms; from A's carried reading it would take 500,000 µs.
    assert.equal(await usecOf(b, "set"), 0);
    // The other client's GET, likewise (from a reading another client left: 500,000 µs or more).
    assert.equal(await usecOf(a, "get"), 0);
    // The batch's own commands: SET 0 µs, STRLEN from SET's end (1,000 ms) to 2,250 ms.
    assert.equal(await usecOf(a, "set"), 0);
    assert.equal(await usecOf(a, "strlen"), 1_250_000);
  } finally {
    for (const [node, c] of [[a, ca], [a, other], [b, cb]] as const) node.server.removeClient(c);
    await a.stop();
    await b.stop();
  }
});
