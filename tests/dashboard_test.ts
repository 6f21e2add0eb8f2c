/**
 * The live cluster dashboard (dashboard/) in a real headless Chromium (tests/chromium.ts):
 *
 *   - six of our nodes (cli.ts processes, 3 masters + 3 replicas): all 16,384 slot cells shown
 *     and covered, a slot's owner and key count on click, each card's numbers and sparklines;
 *     an open slot marked, named on hover and on the timeline; an action refused unconfirmed
 *     (page and server); a reshard started from the page's form (behind its confirmation)
 *     shows its progress and moves the slot counts on the page; a kill -9 of a master shows
 *     FAIL (each survivor's link and link actor to it too, and an election), then its replica
 *     promoted: the dashboard sees each within one second of the
 *     cluster's own change (the earliest time any surviving node's CLUSTER NODES shows it,
 *     polled by this test, against the event's time, data-time-ms: both on this machine's
 *     clock) and the page gets that event by the push (its share printed); the killed node
 *     restarted shows up again as a replica;
 *   - six real redis-server 7 nodes, the page served by `cli.ts dashboard host:port` as a user
 *     runs it: the same page (slots, nodes, links), and a manual failover from a replica's card.
 *
 * Screenshots go to a temporary folder, or to $DASHBOARD_SHOTS (e.g. `docs`) when set: the
 * README's pictures are made with `DASHBOARD_SHOTS=docs deno test -A tests/dashboard_test.ts`.
 */

import assert from "node:assert/strict";
import { Browser } from "./chromium.ts";
import {
  createCluster,
  keyInSlot,
  redisCliCreate,
  ROOT,
  stopAll,
  type TestCluster,
  waitAllOk,
} from "./cluster_fixture.ts";
import { RespClient, sleep, type SpawnedProcess, spawnNode, spawnRedis } from "./harness.ts";
import { startDashboard } from "../dashboard/server.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
/**
 * 3 s: FAIL comes 3 s after the kill (the timing check starts from the cluster's own change, so
 * that costs only test time); with 1 s, under a load average of 20 on two cores, a reshard once
 * found its source master no longer a master (a master starved of CPU for a second is failed).
 */
const NODE_TIMEOUT = { "cluster-node-timeout": "3000" };
/** The dashboard must see a change within this long of the cluster's own change. */
const MAX_DELAY_MS = 1000;
/** Slots the reshard moves. */
const MOVED = 30;

async function shotPath(name: string): Promise<string> {
  const dir = Deno.env.get("DASHBOARD_SHOTS") ?? await Deno.makeTempDir({ prefix: "rc-shots-" });
  return `${dir}/dashboard-${name}.png`;
}

async function screenshot(b: Browser, name: string): Promise<void> {
  const path = await shotPath(name);
  const size = await b.screenshot(path);
  const head = (await Deno.readFile(path)).subarray(0, 8);
  assert.deepEqual([...head], [137, 80, 78, 71, 13, 10, 26, 10], `${path} is a PNG`);
  assert.ok(size > 20_000, `${path}: ${size} bytes, a blank page?`);
}

interface SlotsOnPage {
  cells: number;
  owned: number;
  covered: string;
  owners: number;
  legend: Record<string, number>;
}

function slotsOnPage(b: Browser): Promise<SlotsOnPage> {
  return b.eval<SlotsOnPage>(`(() => {
    const cells = [...document.querySelectorAll("#slot-grid .slot")];
    const legend = {};
    for (const tr of document.querySelectorAll("#slot-legend tbody tr")) {
      legend[tr.dataset.nodeId] = Number(tr.querySelector(".slot-count").textContent);
    }
    return {
      cells: cells.length,
      owned: cells.filter((c) => c.dataset.owner !== "").length,
      covered: document.getElementById("coverage").dataset.covered,
      owners: new Set(cells.map((c) => c.dataset.owner)).size,
      legend,
    };
  })()`);
}

interface CardOnPage {
  id: string;
  addr: string;
  role: string;
  failState: string;
  reachable: string;
}

function cardsOnPage(b: Browser): Promise<CardOnPage[]> {
  return b.eval<CardOnPage[]>(`[...document.querySelectorAll("#node-graph .node[data-node-id]")]
    .map((e) => ({ id: e.dataset.nodeId, addr: e.dataset.addr, role: e.dataset.role,
      failState: e.dataset.failState, reachable: e.dataset.reachable }))`);
}

/**
 * Check the whole-cluster page: 16,384 cells all owned, six cards, every link connected. `ours`:
 * every link cell also shows the reporter's link actor, connected (INFO linkmachines); a real
 * Redis has none to show.
 */
async function checkHealthyPage(b: Browser, masters: number, ours: boolean): Promise<void> {
  const s = await slotsOnPage(b);
  assert.equal(s.cells, 16384, "one cell per slot");
  assert.equal(s.owned, 16384, "every slot cell has an owner");
  assert.equal(s.covered, "16384");
  assert.equal(s.owners, masters);
  assert.equal(Object.values(s.legend).reduce((a, x) => a + x, 0), 16384);
  const cards = await cardsOnPage(b);
  assert.equal(cards.length, 6);
  assert.equal(cards.filter((c) => c.role === "master").length, masters);
  assert.ok(cards.every((c) => c.failState === "ok" && c.reachable === "yes"));
  const links = await b.eval<string[]>(
    `[...document.querySelectorAll("#link-matrix td.link")].map((e) => e.dataset.state)`,
  );
  assert.equal(links.length, 30, "six nodes, five peers each");
  assert.ok(links.every((s) => s === "connected"), `links: ${links.join(",")}`);
  const machines = await b.eval<(string | null)[]>(
    `[...document.querySelectorAll("#link-matrix td.link")].map((e) => e.dataset.machine ?? null)`,
  );
  if (ours) {
    assert.ok(machines.every((m) => m === "connected"), `link actors: ${machines.join(",")}`);
  } else assert.ok(machines.every((m) => m === null), `link actors: ${machines.join(",")}`);
  // Sparklines are drawn for every node.
  assert.equal(await b.eval<number>(`document.querySelectorAll(".spark.ops").length`), 6);
  // Each card's numbers: configEpoch, replication offset, memory, ops/s, round trip, and for a
  // replica its lag (bytes behind its master / seconds since the master heard from it); its
  // throughput and round-trip sparklines with a point at least. The master's INFO slaveN line
  // may come one INFO turn (1 s) after the replica's card: waited for.
  await b.waitFor(
    "every card's numbers",
    `[...document.querySelectorAll("#node-graph .node[data-node-id]")].every((e) => {
      const sparks = [...e.querySelectorAll(".spark")].map((s) => s.classList[1] + ":" +
        (Number(s.dataset.points) > 0));
      if (sparks.join() !== "ops:true,rtt:true") return false;
      const row = (k) => [...e.querySelectorAll(".stats tr")]
        .find((tr) => tr.querySelector("th").textContent === k)?.querySelector("td").textContent;
      return /^\\d+$/.test(row("epoch")) && /^\\d+$/.test(row("offset")) &&
        /^[\\d.]+[BKMG]$/.test(row("memory")) && /^\\d+$/.test(row("ops/s")) &&
        /^[\\d.]+ ms$/.test(row("rtt")) &&
        (e.dataset.role === "master" ? row("lag") === undefined
          : /^\\d+ B \\/ \\d+ s$/.test(row("lag")) && row("link") === "up");
    })`,
  );
}

/** Right after create, the nodes may still be finishing their handshakes. */
/**
 * Wait until every link cell shows connected and, for our nodes, its link actor too. The page is
 * a polled snapshot: right after the cluster forms a link can still be re-made (a handshake
 * node renamed to its real id), and one poll reads CLUSTER NODES and INFO linkmachines a moment
 * apart, so both must settle before the page is checked.
 */
async function waitLinksConnected(b: Browser, ours: boolean): Promise<void> {
  await b.waitFor(
    "every link connected",
    `[...document.querySelectorAll("#link-matrix td.link")]
      .filter((e) => e.dataset.state === "connected" &&
        ${
      ours ? `e.dataset.machine === "connected"` : "e.dataset.machine === undefined"
    }).length === 30`,
  );
}

/** Click slot `slot` and wait for its owner and key count under the grid. */
async function clickSlot(b: Browser, slot: number): Promise<{ text: string; keys: string }> {
  await b.eval(`document.querySelector('#slot-grid .slot[data-slot="${slot}"]').click()`);
  await b.waitFor(
    "the slot's key count",
    `document.getElementById("slot-info").dataset.slot === "${slot}" && ` +
      `document.getElementById("slot-info").dataset.keys !== undefined`,
  );
  return await b.eval(`({ text: document.getElementById("slot-info").textContent,
    keys: document.getElementById("slot-info").dataset.keys })`);
}

/**
 * When the page received the first timeline event of `kind` about `nodeId` (and when the
 * dashboard's server saw the change).
 */
async function eventTimes(
  b: Browser,
  kind: string,
  nodeId: string,
): Promise<{ received: number; seen: number; seq: number } | null> {
  return await b.eval<{ received: number; seen: number; seq: number } | null>(`(() => {
    const e = document.querySelector('#timeline li[data-kind="${kind}"][data-node-id="${nodeId}"]');
    return e ? { received: Number(e.dataset.receivedMs), seen: Number(e.dataset.timeMs),
      seq: Number(e.dataset.seq) } : null;
  })()`);
}

/**
 * Poll every node's CLUSTER NODES until `test` holds on one of them; the time of the first
 * answer that shows it (this machine's clock).
 */
async function firstSeen(
  clients: RespClient[],
  what: string,
  test: (nodesText: string) => boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // All nodes at once, so the time is that of the first answer showing it, not of a sweep.
    const seen = await Promise.all(clients.map(async (c) => {
      const text = await c.call("CLUSTER", "NODES").catch(() => "");
      return typeof text === "string" && test(text) ? Date.now() : Infinity;
    }));
    if (Math.min(...seen) < Infinity) return Math.min(...seen);
    await sleep(10);
  }
  throw new Error(`the cluster did not show ${what} within ${timeoutMs} ms`);
}

/** Read the dashboard's "Dashboard for ...: http://..." line; the rest of stdout is drained. */
async function urlPrinted(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the dashboard exited: ${text}`);
    text += value;
    const m = /^Dashboard for .*: (http:\/\/\S+)/m.exec(text);
    if (m) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return m[1];
    }
  }
}

function lineOf(text: string, id: string): string[] {
  const l = text.split("\n").find((x) => x.startsWith(`${id} `));
  return l === undefined ? [] : l.split(" ");
}

Deno.test({
  name: "dashboard: six of our nodes — slots, reshard, kill -9 of a master, restart",
  ...opts,
  async fn() {
    let cluster: TestCluster | null = null;
    let dash: Awaited<ReturnType<typeof startDashboard>> | null = null;
    let browser: Browser | null = null;
    let restarted: SpawnedProcess | null = null;
    const watchers: RespClient[] = [];
    const phases: string[] = [];
    let t0 = performance.now();
    const phase = (name: string) => {
      phases.push(`${name} ${((performance.now() - t0) / 1000).toFixed(1)}s`);
      t0 = performance.now();
    };
    try {
      [cluster, browser] = await Promise.all([
        createCluster(6, { replicas: 1, directives: NODE_TIMEOUT }),
        Browser.launch(),
      ]);
      const { ports, ids } = cluster;
      dash = await startDashboard({ seeds: [`127.0.0.1:${ports[0]}`] });
      await dash.watcher.ready();
      // A few keys in one slot, for the slot's key count.
      const view0 = dash.watcher.view!;
      const m0 = view0.nodes.find((n) => n.role === "master")!;
      const key = keyInSlot(0, "dash");
      const c0 = await RespClient.connect(Number(m0.addr.split(":")[1]));
      for (const k of [key, `{${key}}:2`, `{${key}}:3`]) {
        assert.equal(await c0.call("SET", k, "v"), "OK");
      }
      c0.close();
      phase("cluster and browser up");

      await browser.open(dash.url);
      await browser.waitFor(
        "six nodes on the page",
        `document.querySelectorAll(".node[data-node-id]").length === 6`,
      );
      await browser.waitFor(
        "the live stream",
        `document.getElementById("live").dataset.live === "yes"`,
      );
      await waitLinksConnected(browser, true);
      await checkHealthyPage(browser, 3, true);
      const slot0 = await clickSlot(browser, 0);
      assert.equal(slot0.keys, "3");
      assert.match(slot0.text, new RegExp(`slot 0: ${m0.addr.replace(/\./g, "\\.")}`));
      await screenshot(browser, "cluster");

      // An open slot (as a reshard leaves it between SETSLOT IMPORTING/MIGRATING and SETSLOT
      // NODE): marked on its cell, named on hover, on the timeline; unmarked once STABLE.
      const masters = (await cardsOnPage(browser)).filter((c) => c.role === "master");
      const [from, to] = [masters[0], masters[1]]; // masters[0] owns slot 1 (cards by first slot)
      const ca = await RespClient.connect(Number(from.addr.split(":")[1]));
      const cb = await RespClient.connect(Number(to.addr.split(":")[1]));
      try {
        assert.equal(await cb.call("CLUSTER", "SETSLOT", "1", "IMPORTING", from.id), "OK");
        assert.equal(await ca.call("CLUSTER", "SETSLOT", "1", "MIGRATING", to.id), "OK");
        await browser.waitFor(
          "slot 1 marked migrating and importing",
          `(() => { const c = document.querySelector('#slot-grid .slot[data-slot="1"]').classList;
            return c.contains("migrating") && c.contains("importing"); })()`,
        );
        const hovered = await browser.eval<string>(`(() => {
          document.querySelector('#slot-grid .slot[data-slot="1"]')
            .dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
          return document.getElementById("slot-info").textContent; })()`);
        assert.equal(
          hovered,
          `slot 1: ${from.addr} (${from.id.slice(0, 8)}) · importing from ${from.addr}` +
            ` · migrating to ${to.addr}`,
        );
        assert.ok(await eventTimes(browser, "migrating", from.id) !== null, "a migrating event");
        assert.ok(await eventTimes(browser, "importing", to.id) !== null, "an importing event");
        assert.equal(await ca.call("CLUSTER", "SETSLOT", "1", "STABLE"), "OK");
        assert.equal(await cb.call("CLUSTER", "SETSLOT", "1", "STABLE"), "OK");
        await browser.waitFor(
          "slot 1 unmarked, both sides closed on the timeline",
          `document.querySelector('#slot-grid .slot[data-slot="1"]').className === "slot" &&
            document.querySelectorAll('#timeline li[data-kind="slot-closed"]').length === 2`,
        );
      } finally {
        ca.close();
        cb.close();
      }

      // Actions wait for a confirmation: declined, the page posts nothing; the server refuses a
      // request without confirm: true.
      const declined = await browser.eval<{ asked: string; posted: number }>(`(() => {
        let asked = "", posted = 0;
        const f = window.fetch;
        window.confirm = (m) => { asked = m; return false; };
        window.fetch = (...a) => { posted++; return f(...a); };
        document.getElementById("move-count").value = "${MOVED}";
        document.getElementById("move-from").value = "${from.id}";
        document.getElementById("move-to").value = "${to.id}";
        document.getElementById("move-form").requestSubmit();
        window.fetch = f;
        return { asked, posted };
      })()`);
      assert.ok(
        declined.asked.startsWith(
          `Move ${MOVED} slot(s) with their keys from ${from.addr} to ${to.addr}?`,
        ),
        declined.asked,
      );
      assert.equal(declined.posted, 0, "nothing posted when the confirmation is declined");
      const unconfirmed = await fetch(`${dash.url}api/move`, {
        method: "POST",
        body: JSON.stringify({ from: from.id, to: to.id, slots: MOVED }),
      });
      assert.equal(unconfirmed.status, 400);
      assert.deepEqual(await unconfirmed.json(), { error: "not confirmed" });
      assert.equal(dash.jobs.all().length, 0, "no job started");

      phase("page checked");
      // Reshard from the page: MOVED slots from the first master to the second, confirmed.
      const before = (await slotsOnPage(browser)).legend;
      await browser.eval(`(() => {
        // The job's progress as the page shows it, each state it draws.
        window.jobDone = [];
        new MutationObserver(() => {
          const j = document.querySelector(".job");
          if (j) window.jobDone.push(Number(j.dataset.done));
        }).observe(document.getElementById("jobs"), { childList: true, subtree: true });
        window.confirm = () => true;
        document.getElementById("move-count").value = "${MOVED}";
        document.getElementById("move-from").value = "${from.id}";
        document.getElementById("move-to").value = "${to.id}";
        document.getElementById("move-form").requestSubmit();
      })()`);
      await browser.waitFor(
        "the move job done",
        `[...document.querySelectorAll(".job")].some((j) => j.dataset.status !== "running")`,
        60_000,
      );
      const job = await browser.eval<{ status: string; text: string }>(
        `({ status: document.querySelector(".job").dataset.status,
            text: document.querySelector(".job").textContent })`,
      );
      assert.equal(job.status, "ok", job.text);
      // Its progress: every slot counted (the job's state is pushed after each slot).
      assert.deepEqual(
        await browser.eval(
          `(({ done, total }) => ({ done, total }))(document.querySelector(".job").dataset)`,
        ),
        { done: String(MOVED), total: String(MOVED) },
      );
      const dones = await browser.eval<number[]>(`window.jobDone`);
      assert.ok(dones.some((d) => d > 0 && d < MOVED), `progress shown: ${dones.join(",")}`);
      await browser.waitFor(
        "the slot counts moved",
        `(() => { const r = document.querySelector('#slot-legend tr[data-node-id="${to.id}"]');
          return r && Number(r.dataset.slots) === ${before[to.id] + MOVED}; })()`,
      );
      const after = (await slotsOnPage(browser)).legend;
      assert.equal(after[from.id], before[from.id] - MOVED);
      assert.equal(after[to.id], before[to.id] + MOVED);
      assert.equal((await slotsOnPage(browser)).owned, 16384);
      await browser.waitFor(
        "a slots-moved event",
        `document.querySelector('#timeline li[data-kind="slots-moved"][data-node-id="${to.id}"]')`,
      );
      await screenshot(browser, "reshard");

      phase("reshard");
      // kill -9 of a master (not the dashboard's seed: the page must follow the others).
      const victim = masters.find((m) => m.addr !== `127.0.0.1:${ports[0]}`)!;
      const vi = ids.indexOf(victim.id);
      const replica = (await cardsOnPage(browser)).find((c) =>
        c.role === "replica" &&
        dash!.watcher.view!.nodes.find((n) => n.id === c.id)!.masterId === victim.id
      )!;
      assert.ok(replica, "the victim has a replica");
      for (let i = 0; i < ports.length; i++) {
        if (i !== vi) watchers.push(await RespClient.connect(ports[i]));
      }
      const electionsBefore = await browser.eval<number>(
        `document.querySelectorAll('#timeline li[data-kind="election"]').length`,
      );
      await cluster.nodes[vi].kill();
      const [failAt, promotedAt] = await Promise.all([
        firstSeen(watchers, "FAIL", (t) => lineOf(t, victim.id)[2]?.split(",").includes("fail")),
        firstSeen(watchers, "the promotion", (t) => {
          const l = lineOf(t, replica.id);
          return l[2]?.includes("myself") && l[2].split(",").includes("master");
        }),
      ]);
      await browser.waitFor(
        "the promoted replica on the page",
        `document.querySelector('#timeline li[data-kind="promoted"][data-node-id="${replica.id}"]')`,
        10_000,
      );
      const pageFail = await eventTimes(browser, "fail", victim.id);
      const pagePromoted = await eventTimes(browser, "promoted", replica.id);
      assert.ok(pageFail !== null, "a FAIL event for the killed master");
      assert.ok(pagePromoted !== null, "a promotion event for its replica");
      // The bound is the issue's one second, on the dashboard's side: it asks every node
      // CLUSTER NODES every nodesEveryMs (250 ms, checked here: a longer period fails at once,
      // not now and then) and pushes a change as soon as an answer shows it, so it sees the
      // change at most one period after the cluster, plus a round trip and the rebuild (tens of
      // ms here, printed below): the 750 ms left over a period is room for ten times the load.
      // failAt is the first answer showing the change to this test, which asks all surviving
      // nodes at once every 10 ms. From there the page gets the event by the push: the same
      // event (seq) the dashboard made, within 10 s (room for ten times the load; the
      // page's share is printed: a few ms when idle, up to ~400 ms seen with a load average of
      // 13 on two cores, where asserting the sum under one second was a race).
      assert.ok(dash.watcher.opts.nodesEveryMs <= MAX_DELAY_MS / 4, "a poll period of 250 ms");
      const serverEvent = (kind: string, id: string) =>
        dash!.watcher.timeline.all().find((e) => e.kind === kind && e.nodeId === id);
      assert.equal(pageFail.seq, serverEvent("fail", victim.id)?.seq, "the page got the event");
      assert.equal(pagePromoted.seq, serverEvent("promoted", replica.id)?.seq);
      const failDelay = pageFail.seen - failAt;
      const promoteDelay = pagePromoted.seen - promotedAt;
      console.log(
        `dashboard behind the cluster: FAIL ${failDelay} ms, promotion ${promoteDelay} ms; ` +
          `the page ${pageFail.received - pageFail.seen} and ` +
          `${pagePromoted.received - pagePromoted.seen} ms after the dashboard`,
      );
      assert.ok(failDelay < MAX_DELAY_MS, `FAIL seen ${failDelay} ms after the cluster's change`);
      assert.ok(
        promoteDelay < MAX_DELAY_MS,
        `promotion seen ${promoteDelay} ms after the cluster's change`,
      );
      for (const e of [pageFail, pagePromoted]) {
        assert.ok(e.received - e.seen < 10 * MAX_DELAY_MS, `pushed: ${e.received - e.seen} ms`);
      }
      const cards = await cardsOnPage(browser);
      const vCard = cards.find((c) => c.id === victim.id)!;
      assert.equal(vCard.failState, "fail");
      assert.equal(vCard.reachable, "no");
      assert.equal(cards.find((c) => c.id === replica.id)!.role, "master");
      assert.match(
        await browser.eval<string>(
          `document.querySelector('.node[data-node-id="${victim.id}"] .status').textContent`,
        ),
        /FAIL/,
      );
      await browser.waitFor(
        "all slots covered again",
        `document.getElementById("coverage").dataset.covered === "16384"`,
      );
      await screenshot(browser, "failover");
      // Each survivor's view of its link to the killed master: FAIL in its CLUSTER NODES, and its
      // link actor for that peer in "fail" too (INFO linkmachines, asked every second).
      await browser.waitFor(
        "every link to the killed master FAIL, link actors too",
        `(() => {
          const l = [...document.querySelectorAll('#link-matrix td.link[data-to="${victim.id}"]')];
          return l.length === 5 &&
            l.every((e) => e.dataset.state === "fail" && e.dataset.machine === "fail"); })()`,
      );
      // The replica's election: currentEpoch grew (CLUSTER INFO, asked every second).
      await browser.waitFor(
        "an election event",
        `document.querySelectorAll('#timeline li[data-kind="election"]').length > ${electionsBefore}`,
      );
      phase("kill -9 and failover");

      // The killed node comes back (same folder and port): a replica of its old replica.
      restarted = await spawnNode({ ...NODE_TIMEOUT, "cluster-enabled": "yes" }, {
        port: ports[vi],
        dir: cluster.nodes[vi].dir,
      });
      await browser.waitFor(
        "the restarted node back as a replica",
        `(() => { const e = document.querySelector('.node[data-node-id="${victim.id}"]');
          return e && e.dataset.reachable === "yes" && e.dataset.role === "replica" &&
            e.dataset.failState === "ok"; })()`,
        30_000,
      );
      assert.ok(await eventTimes(browser, "recovered", victim.id) !== null, "FAIL cleared event");
      phase("restart");
      console.log(`phases: ${phases.join(", ")}`);
    } finally {
      for (const w of watchers) w.close();
      await browser?.close();
      await dash?.close();
      await stopAll([...(cluster?.nodes ?? []), restarted]);
    }
  },
});

Deno.test({
  name: "dashboard: six real redis-server nodes — slots, nodes, links, manual failover",
  ...opts,
  async fn() {
    const nodes: SpawnedProcess[] = [];
    let dash: Deno.ChildProcess | null = null;
    let browser: Browser | null = null;
    try {
      const launching = Browser.launch();
      nodes.push(
        ...await Promise.all(
          Array.from(
            { length: 6 },
            () => spawnRedis({ ...NODE_TIMEOUT, "cluster-enabled": "yes" }),
          ),
        ),
      );
      const ports = nodes.map((n) => n.port);
      await redisCliCreate(ports, 1);
      await waitAllOk(ports);
      browser = await launching;
      // As a user runs it for a cluster that is not ours: `cli.ts dashboard host:port`.
      dash = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}cli.ts`, "dashboard", `127.0.0.1:${ports[0]}`, "--port", "0"],
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const url = await urlPrinted(dash.stdout);
      await browser.open(url);
      await browser.waitFor(
        "six nodes on the page",
        `document.querySelectorAll(".node[data-node-id]").length === 6`,
      );
      await waitLinksConnected(browser, false);
      await checkHealthyPage(browser, 3, false);
      const slot = await clickSlot(browser, 16383);
      assert.equal(slot.keys, "0");
      await screenshot(browser, "redis");

      // Manual failover from a replica's card (the confirmation accepted), once the replicas
      // are in sync (a manual failover waits for the replica to catch up with its master).
      await browser.waitFor(
        "every replica's link to its master up",
        `[...document.querySelectorAll('.node[data-role="replica"]')].every((e) => e.dataset.masterLink === "up")`,
      );
      const replica = (await cardsOnPage(browser)).find((c) => c.role === "replica")!;
      await browser.eval(`(() => {
        window.confirm = () => true;
        document.querySelector('.node[data-node-id="${replica.id}"] button.failover').click();
      })()`);
      await browser.waitFor(
        "the failover job done",
        `[...document.querySelectorAll(".job")].some((j) => j.dataset.status !== "running")`,
        30_000,
      );
      assert.equal(
        await browser.eval<string>(`document.querySelector(".job").dataset.status`),
        "ok",
      );
      await browser.waitFor(
        "the replica shown as master",
        `document.querySelector('.node[data-node-id="${replica.id}"]').dataset.role === "master" &&
         document.querySelector('#timeline li[data-kind="promoted"][data-node-id="${replica.id}"]')`,
      );
    } finally {
      await browser?.close();
      if (dash !== null) {
        dash.kill("SIGTERM");
        assert.equal((await dash.status).code, 0, "the dashboard stops on SIGTERM");
      }
      await stopAll(nodes);
    }
  },
});
