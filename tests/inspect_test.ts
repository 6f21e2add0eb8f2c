/**
 * The XState visualizer as a user runs it: `cli.ts --port P --cluster-enabled yes --inspect-port
 * R` starts the relay on R (the page the browser opens, plus a WebSocket); a WebSocket client
 * there receives the node's actors (clusterNode, supervisor) and, after CLUSTER MEET, a
 * clusterNode snapshot whose links show the peer "connected" (health up, outbound link up).
 * `cli.ts machines` prints the machine configs as JSON, the link chart's timers among them.
 */

import assert from "node:assert/strict";
import { freePort, run, sleep, type SpawnedProcess, spawnNode, waitFor } from "./harness.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface LinkShown {
  state?: string;
  health?: string;
  link?: string;
}

interface Msg {
  type: string;
  name?: string;
  sessionId?: string;
  snapshot?: { context?: { links?: Record<string, LinkShown> } };
  event?: { type?: string };
}

Deno.test({
  name: "--inspect-port streams the node's actors to the relay's WebSocket",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const relayPort = freePort();
    let a: SpawnedProcess | null = null;
    let b: SpawnedProcess | null = null;
    let ws: WebSocket | null = null;
    try {
      a = await spawnNode({ "cluster-enabled": "yes", "inspect-port": String(relayPort) });
      b = await spawnNode({ "cluster-enabled": "yes" });
      await waitFor("the node logs where to look", () =>
        a!.output().includes(
          `open http://127.0.0.1:${relayPort} in a browser`,
        ), 10_000);
      // The page the browser opens embeds the inspector and connects back to this relay.
      const page = await (await fetch(`http://127.0.0.1:${relayPort}/`)).text();
      assert.match(page, new RegExp(`new WebSocket\\('ws://127.0.0.1:${relayPort}'\\)`));
      // A browser that opens the page late still gets every live actor (not just recent messages).
      await sleep(3000);
      const msgs: Msg[] = [];
      ws = new WebSocket(`ws://127.0.0.1:${relayPort}`);
      ws.onmessage = (e) => msgs.push(JSON.parse(String(e.data)));
      await new Promise((r, j) => {
        ws!.onopen = r;
        ws!.onerror = j;
      });
      await waitFor(
        "clusterNode and supervisor actors",
        () =>
          msgs.some((m) => m.type === "@xstate.actor" && m.name === "clusterNode") &&
          msgs.some((m) => m.type === "@xstate.actor" && m.name === "supervisor"),
        10_000,
      ).catch((e) => {
        throw new Error(`${e.message}; got ${JSON.stringify(msgs.map((m) => [m.type, m.name]))}`);
      });
      const r = await run("redis-cli", [
        "-p",
        String(a.port),
        "cluster",
        "meet",
        "127.0.0.1",
        String(b.port),
      ]);
      assert.equal(r.stdout.trim(), "OK");
      // The handshake link (random name) is replaced by one for the real id, which is connected.
      const shownLinks = () =>
        msgs.filter((m) => m.type === "@xstate.snapshot" && m.snapshot?.context?.links)
          .map((m) => m.snapshot!.context!.links!);
      await waitFor(
        "a link in state connected",
        () =>
          shownLinks().some((links) =>
            Object.values(links).some((l) =>
              l.state === "connected" && l.health === "up" && l.link === "up"
            )
          ),
        15_000,
      ).catch((e) => {
        throw new Error(
          `${e.message}; links shown: ${JSON.stringify(shownLinks()).slice(0, 3000)}`,
        );
      });
      // The VIEW_CHANGED event that brought the link went through the node actor.
      assert.ok(msgs.some((m) => m.type === "@xstate.event" && m.event?.type === "VIEW_CHANGED"));
    } finally {
      ws?.close();
      if (a) assert.equal(await a.stop(), 0);
      if (b) await b.stop();
    }
  },
});

Deno.test("--inspect-url must be a ws:// URL; bad values exit 1 before starting", async () => {
  const r = await run(Deno.execPath(), ["run", "-A", `${ROOT}cli.ts`, "--inspect-url", "http://x"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /'--inspect-url' must be a ws:\/\/ or wss:\/\/ URL, got 'http:\/\/x'/);
});

Deno.test("cli.ts machines prints the machine configs as JSON", async () => {
  const all = await run(Deno.execPath(), ["run", "-A", `${ROOT}cli.ts`, "machines"]);
  assert.equal(all.code, 0, all.stderr);
  const defs = JSON.parse(all.stdout);
  assert.deepEqual(Object.keys(defs).sort(), ["clusterNode", "nodeSupervisor", "peerLink"]);
  // The link machine: three parallel regions, its five timers by the delay's name.
  const link = defs.peerLink;
  assert.equal(link.type, "parallel");
  assert.deepEqual(Object.keys(link.states).sort(), ["health", "link", "ping"]);
  assert.deepEqual(
    Object.keys(link.states.health.states).sort(),
    ["fail", "handshake", "handshakeExpired", "init", "pfail", "up"],
  );
  assert.deepEqual(link.states.health.states.handshake.after, {
    handshakeTimeout: { target: "handshakeExpired" },
  });
  assert.deepEqual(
    Object.keys(link.states.ping.states).sort(),
    ["awaitingPong", "idle", "init", "pongOverdue"],
  );
  assert.deepEqual(link.states.ping.states.awaitingPong.after, {
    pongTimeout: { target: "pongOverdue" },
  });
  assert.deepEqual(link.states.ping.states.awaitingPong.states.fresh.after, {
    halfPongTimeout: { target: "late" },
  });
  assert.deepEqual(link.states.ping.states.idle.states.waiting.after, {
    pingInterval: { target: "due" },
  });
  assert.deepEqual(link.states.health.states.fail.states.recent.after, {
    failUndoTimeout: { target: "undoable" },
  });
  assert.deepEqual(link.states.link.states.up.on.LINK_DOWN, { target: "down" });
  assert.equal(defs.nodeSupervisor.states.running.on.SHUTDOWN[1].target, "stopped");
  const one = await run(Deno.execPath(), ["run", "-A", `${ROOT}cli.ts`, "machines", "peerLink"]);
  assert.equal(JSON.parse(one.stdout).id, "peerLink");
  const bad = await run(Deno.execPath(), ["run", "-A", `${ROOT}cli.ts`, "machines", "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown machine 'nope'/);
});
