/**
 * Fuzzing the client port: one node of ours (a one-node cluster owning every slot, so keyed
 * commands run), fed `inputs` client inputs (inputs.ts) by a pool of sessions, while a
 * well-behaved client checks it keeps answering. A crash (the process gone) is recorded with
 * the inputs in flight, saved for replay, and a fresh node takes over.
 */

import { clientInput, inSessionOrder, sessionSize } from "./inputs.ts";
import { runPool } from "./pool.ts";
import { type CampaignReport, emptyReport } from "./report.ts";
import { callOnce } from "./resp_conn.ts";
import { runSession } from "./session.ts";
import { Target } from "./target.ts";
import { type Hang, Watcher } from "./watcher.ts";
import { saveCrash } from "./crash_file.ts";

export interface CampaignOptions {
  seed: number;
  inputs: number;
  concurrency: number;
  /** A reply of the well-behaved client slower than this is a hang. */
  hangMs: number;
  /** A session the node has not closed this long after our half-close is "stuck". */
  sessionTimeoutMs: number;
  nodeRoot?: string;
  /** Where crash inputs are saved. */
  outDir: string;
  progress: (line: string) => void;
  progressEveryMs: number;
  /** Take no new input once this returns true (a time limit, or ^C). */
  stopRequested?: () => boolean;
}

/** Client directives: proto-max-bulk-len at its minimum, so SETRANGE/SETBIT offsets stay small. */
export const CLIENT_TARGET_DIRECTIVES: Record<string, string> = {
  "proto-max-bulk-len": "1048576",
};

async function startClientTarget(port: number, o: CampaignOptions): Promise<Target> {
  const t = await Target.start({
    port,
    allowedPorts: [port],
    directives: CLIENT_TARGET_DIRECTIVES,
    nodeRoot: o.nodeRoot,
  });
  const r = await callOnce(port, 5000, "CLUSTER", "ADDSLOTSRANGE", "0", "16383");
  if (r !== "OK") throw new Error(`ADDSLOTSRANGE: ${String(r)}`);
  return t;
}

export async function clientCampaign(port: number, o: CampaignOptions): Promise<CampaignReport> {
  const rep = emptyReport("client");
  const t0 = Date.now();
  let target = await startClientTarget(port, o);
  rep.starts++;
  const onHang = (h: Hang) => o.progress(`client: HANG on port ${h.port}: ${h.what}`);
  let watcher = new Watcher(port, 100, o.hangMs, onHang);
  const inFlight = new Set<number[]>();
  let restarting: Promise<void> | null = null;
  let lastProgress = Date.now();

  const retire = async () => {
    await watcher.stop();
    rep.watcherAnswered += watcher.answered;
    rep.watcherMaxReplyMs = Math.max(rep.watcherMaxReplyMs, watcher.maxReplyMs);
    rep.hangs.push(...watcher.hangs);
    rep.peakRssKb = Math.max(rep.peakRssKb, target.peakRssKb());
  };

  const onCrash = async () => {
    const dead = target;
    await new Promise((r) => setTimeout(r, 200)); // let the last output arrive
    const inputs = [...inFlight].flat().sort((a, b) => a - b);
    await watcher.stop();
    rep.watcherAnswered += watcher.answered;
    rep.peakRssKb = Math.max(rep.peakRssKb, dead.peakRssKb());
    const savedTo = await saveCrash(
      o.outDir,
      "client",
      o.seed,
      inputs,
      (i) => clientInput(o.seed, i),
    );
    rep.crashes.push({ port, exitCode: dead.exitCode ?? -1, inputs, tail: dead.tail(), savedTo });
    o.progress(
      `client: node crashed (exit ${dead.exitCode}); inputs ${
        inputs.join(",")
      } saved to ${savedTo}`,
    );
    await dead.stop();
    target = await startClientTarget(port, o);
    rep.starts++;
    watcher = new Watcher(port, 100, o.hangMs, onHang);
  };

  await runPool({
    from: 0,
    end: o.inputs,
    concurrency: o.concurrency,
    sizeAt: (i) => sessionSize(o.seed, "client", i),
    shouldStop: () => o.stopRequested?.() ?? false,
    runSession: async (indexes) => {
      if (restarting !== null) await restarting;
      const bytes = inSessionOrder(indexes.map((i) => clientInput(o.seed, i)));
      inFlight.add(indexes);
      const r = await runSession(port, bytes, o.sessionTimeoutMs);
      if (target.crashed && restarting === null) {
        restarting = onCrash().finally(() => restarting = null);
      }
      if (restarting !== null) await restarting;
      inFlight.delete(indexes);
      if (r.timedOut) rep.stuckSessions.push(indexes[0]);
      rep.inputs += indexes.length;
      rep.sessions++;
      if (Date.now() - lastProgress >= o.progressEveryMs) {
        lastProgress = Date.now();
        const secs = (Date.now() - t0) / 1000;
        o.progress(
          `client: ${rep.inputs} inputs, ${secs.toFixed(0)} s, ${
            Math.round(rep.inputs / secs)
          }/s, ` +
            `rss peak ${(Math.max(rep.peakRssKb, target.peakRssKb()) / 1024).toFixed(0)} MiB, ` +
            `crashes ${rep.crashes.length}, hangs ${rep.hangs.length + watcher.hangs.length}`,
        );
      }
    },
  });
  if (target.crashed) await onCrash();
  await retire();
  await target.stop();
  rep.elapsedMs = Date.now() - t0;
  return rep;
}
