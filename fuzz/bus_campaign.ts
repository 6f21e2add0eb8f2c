/**
 * Fuzzing the cluster bus port. A round starts a fresh pair of our nodes, A (the target) and B,
 * joined by CLUSTER MEET, with slots 0-8191 on A and 8192-16383 on B and distinct config
 * epochs, and waits until each sees the other. Then A's bus port gets:
 *
 * 1. `unknownPerRound` inputs from senders A does not know (random names). After every
 *    `checkEvery` inputs A's view is compared with the one before the round: nothing but
 *    handshake nodes may differ (cluster_view.ts unknownSenderViolations).
 * 2. `knownPerRound` inputs in B's name (B completed a handshake with A, so A takes them as
 *    B's): Redis lets these change a great deal, so only consistency is checked, and the round
 *    ends early once A's view has grown past `maxViewNodes` (made-up nodes from gossip, which
 *    both nodes keep trying to reach, as Redis does, and which would slow the run down).
 *
 * Then both nodes are thrown away. A and B may reach only the ports of the fuzzer's block.
 */

import { type BusFuzzContext } from "./bus_frames.ts";
import { type CampaignOptions } from "./client_campaign.ts";
import {
  type ClusterView,
  consistencyViolations,
  parseClusterView,
  unknownSenderViolations,
} from "./cluster_view.ts";
import { saveCrash } from "./crash_file.ts";
import { busInput, inSessionOrder, sessionSize } from "./inputs.ts";
import { runPool } from "./pool.ts";
import { type CampaignReport, emptyReport } from "./report.ts";
import { callOnce } from "./resp_conn.ts";
import { runSession } from "./session.ts";
import { Target } from "./target.ts";
import { type Hang, Watcher } from "./watcher.ts";
import { BUS_PORT_OFFSET } from "../tests/ports.ts";

export interface BusCampaignOptions extends CampaignOptions {
  unknownPerRound: number;
  knownPerRound: number;
  checkEvery: number;
  maxViewNodes: number;
}

export interface BusPorts {
  a: number;
  b: number;
  /** Ports where nothing listens (addresses for made-up nodes). */
  dead: number[];
}

async function viewOf(port: number, timeoutMs: number): Promise<ClusterView> {
  const nodes = await callOnce(port, timeoutMs, "CLUSTER", "NODES");
  const info = await callOnce(port, timeoutMs, "CLUSTER", "INFO");
  if (typeof nodes !== "string" || typeof info !== "string") {
    throw new Error(`CLUSTER NODES/INFO on ${port}: ${String(nodes)} ${String(info)}`);
  }
  return parseClusterView(nodes, info);
}

async function must(port: number, ...args: string[]): Promise<void> {
  const r = await callOnce(port, 5000, ...args);
  if (r !== "OK") throw new Error(`${args.join(" ")} on ${port}: ${String(r)}`);
}

/** Start A and B, join them, and wait until each sees the other with its slots. */
async function startPair(ports: BusPorts, o: BusCampaignOptions): Promise<[Target, Target]> {
  const allowed = [ports.a, ports.b, ...ports.dead];
  const [a, b] = await Promise.all(
    [ports.a, ports.b].map((port) =>
      Target.start({ port, allowedPorts: allowed, nodeRoot: o.nodeRoot })
    ),
  );
  await must(ports.a, "CLUSTER", "SET-CONFIG-EPOCH", "1");
  await must(ports.b, "CLUSTER", "SET-CONFIG-EPOCH", "2");
  await must(ports.a, "CLUSTER", "ADDSLOTSRANGE", "0", "8191");
  await must(ports.b, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383");
  await must(ports.a, "CLUSTER", "MEET", "127.0.0.1", String(ports.b));
  const deadline = Date.now() + 30000;
  for (;;) {
    const [va, vb] = await Promise.all([viewOf(ports.a, 5000), viewOf(ports.b, 5000)]);
    const joined = (v: ClusterView) =>
      v.nodes.length === 2 && v.currentEpoch === "2" &&
      v.nodes.every((n) =>
        !n.flags.includes("handshake") && n.link === "connected" && n.slots.length === 1
      );
    if (joined(va) && joined(vb)) return [a, b];
    if (Date.now() > deadline) {
      await Promise.all([a.stop(), b.stop()]);
      throw new Error(
        `A and B did not join within 30 s:\n${JSON.stringify(va)}\n${JSON.stringify(vb)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function busCampaign(ports: BusPorts, o: BusCampaignOptions): Promise<CampaignReport> {
  const rep = emptyReport("bus");
  const t0 = Date.now();
  let lastProgress = Date.now();
  let index = 0;
  const allPorts = [ports.a, ports.b, ...ports.dead];
  while (index < o.inputs && !(o.stopRequested?.() ?? false)) {
    const [a, b] = await startPair(ports, o);
    rep.starts += 2;
    const onHang = (h: Hang) =>
      o.progress(`bus: HANG on port ${h.port} (inputs near ${index}): ${h.what}`);
    const watchers = [ports.a, ports.b].map((p) => new Watcher(p, 100, o.hangMs, onHang));
    const before = await viewOf(ports.a, o.hangMs);
    const myId = before.nodes.find((n) => n.flags.includes("myself"))!.id;
    const bId = before.nodes.find((n) => !n.flags.includes("myself"))!.id;
    const ctx: BusFuzzContext = { targetId: myId, knownIds: [bId], ports: allPorts };
    let crashed = false;
    let grown = false; // set by a check; ends the known-sender phase
    const inFlight = new Set<number[]>();

    const phase = async (sender: "unknown" | "known", count: number) => {
      const end = Math.min(o.inputs, index + count);
      let sinceCheck = 0;
      let lastDone = index; // highest input index sent so far in this phase
      let checking: Promise<void> | null = null;
      const check = async () => {
        const v = await viewOf(ports.a, o.hangMs);
        const bad = sender === "unknown"
          ? unknownSenderViolations(before, v)
          : consistencyViolations(v, myId);
        for (const x of bad) {
          rep.viewViolations.push(`${sender} sender, inputs ${index}..${lastDone}: ${x}`);
          o.progress(
            `bus: VIEW ${sender} sender, inputs ${index}..${lastDone}: ${x.slice(0, 300)}`,
          );
        }
        // Made-up nodes (from gossip) slow every later input; handshake nodes time out alone.
        const settledNodes = v.nodes.filter((n) => !n.flags.includes("handshake")).length;
        if (settledNodes > o.maxViewNodes || v.nodes.length > 10 * o.maxViewNodes) grown = true;
      };
      index = await runPool({
        from: index,
        end,
        concurrency: o.concurrency,
        sizeAt: (i) => sessionSize(o.seed, "bus", i),
        shouldStop: () =>
          crashed || grown || rep.viewViolations.length > 100 || (o.stopRequested?.() ?? false),
        runSession: async (indexes) => {
          const bytes = inSessionOrder(indexes.map((i) => busInput(o.seed, i, ctx, sender)));
          inFlight.add(indexes);
          const r = await runSession(ports.a + BUS_PORT_OFFSET, bytes, o.sessionTimeoutMs);
          if (a.crashed || b.crashed) {
            if (!crashed) {
              crashed = true;
              await new Promise((res) => setTimeout(res, 200));
              const inputs = [...inFlight].flat().sort((x, y) => x - y);
              const dead = a.crashed ? a : b;
              const savedTo = await saveCrash(
                o.outDir,
                "bus",
                o.seed,
                inputs,
                (i) => busInput(o.seed, i, ctx, sender),
              );
              rep.crashes.push({
                port: dead.port,
                exitCode: dead.exitCode ?? -1,
                inputs,
                tail: dead.tail(),
                savedTo,
              });
              o.progress(
                `bus: node ${dead.port} crashed (exit ${dead.exitCode}); inputs saved to ${savedTo}`,
              );
            }
            return;
          }
          inFlight.delete(indexes);
          lastDone = Math.max(lastDone, indexes[indexes.length - 1]);
          if (r.timedOut) rep.stuckSessions.push(indexes[0]);
          rep.inputs += indexes.length;
          if (sender === "known") rep.knownSenderInputs += indexes.length;
          rep.sessions++;
          sinceCheck += indexes.length;
          if (sinceCheck >= o.checkEvery && checking === null) {
            sinceCheck = 0;
            checking = check().catch((e) => {
              if (!a.crashed) rep.viewViolations.push(`${sender} sender: view unreadable: ${e}`);
            }).finally(() => checking = null);
          }
          if (Date.now() - lastProgress >= o.progressEveryMs) {
            lastProgress = Date.now();
            const secs = (Date.now() - t0) / 1000;
            o.progress(
              `bus: ${rep.inputs} inputs (${rep.knownSenderInputs} known), ${secs.toFixed(0)} s, ` +
                `${Math.round(rep.inputs / secs)}/s, rss peak ${
                  (Math.max(rep.peakRssKb, a.peakRssKb(), b.peakRssKb()) / 1024).toFixed(0)
                } MiB, ` +
                `crashes ${rep.crashes.length}, hangs ${rep.hangs.length}, view ${rep.viewViolations.length}`,
            );
          }
        },
      });
      if (checking !== null) await checking;
      if (!crashed) await check().catch(() => {});
    };

    await phase("unknown", o.unknownPerRound);
    grown = false;
    if (!crashed && index < o.inputs) await phase("known", o.knownPerRound);
    for (const w of watchers) {
      await w.stop();
      rep.watcherAnswered += w.answered;
      rep.watcherMaxReplyMs = Math.max(rep.watcherMaxReplyMs, w.maxReplyMs);
      if (!crashed) rep.hangs.push(...w.hangs);
    }
    if (!crashed && (a.crashed || b.crashed)) {
      const dead = a.crashed ? a : b;
      rep.crashes.push({
        port: dead.port,
        exitCode: dead.exitCode ?? -1,
        inputs: [],
        tail: dead.tail(),
        savedTo: "",
      });
    }
    rep.peakRssKb = Math.max(rep.peakRssKb, a.peakRssKb(), b.peakRssKb());
    await Promise.all([a.stop(), b.stop()]);
    if (rep.viewViolations.length > 100 || (o.stopRequested?.() ?? false)) break;
  }
  rep.elapsedMs = Date.now() - t0;
  return rep;
}
