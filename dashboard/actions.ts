/**
 * The dashboard's actions, run through the cluster manager's own code: a manual failover is
 * `cli.ts failover` (manager/failover.ts) and moving slots is `cli.ts reshard`'s path (the
 * check before a change in manager/check.ts, the reshard table of manager/plan.ts, then
 * manager/move_slot.ts per slot), reporting progress per slot instead of a terminal bar.
 */

import { parseAddr } from "../manager/address.ts";
import { parseArgs } from "../manager/args.ts";
import { loadAndCheck } from "../manager/check.ts";
import { EXIT_OK } from "../manager/command.ts";
import { failoverCommand } from "../manager/failover.ts";
import type { Level, Out } from "../manager/format.ts";
import { moveSlot } from "../manager/move_slot.ts";
import { computeReshardTable } from "../manager/plan.ts";
import { closeCluster, findNode, masters } from "../manager/topology.ts";

export interface Job {
  id: number;
  kind: "failover" | "move";
  title: string;
  status: "running" | "ok" | "failed";
  /** Slots moved so far / to move (failover: 0 / 1). */
  done: number;
  total: number;
  keys: number;
  lines: string[];
  startedMs: number;
  endedMs: number | null;
  /** Bumped on every change (the page keeps the newest it got). */
  rev: number;
}

const MAX_JOB_LINES = 200;

/** An Out that appends to a job (the manager's messages become the job's log). */
function jobOut(job: Job, changed: () => void): Out {
  let partial = "";
  const push = (text: string) => {
    job.lines.push(text);
    if (job.lines.length > MAX_JOB_LINES) job.lines.splice(0, job.lines.length - MAX_JOB_LINES);
    changed();
  };
  return {
    tty: false,
    line(text: string, _level?: Level) {
      push(partial + text);
      partial = "";
    },
    write(text: string) {
      partial += text;
      const nl = partial.lastIndexOf("\n");
      if (nl >= 0) {
        for (const l of partial.slice(0, nl).split("\n")) push(l);
        partial = partial.slice(nl + 1);
      }
    },
  };
}

export class ActionError extends Error {
  override name = "ActionError";
}

export interface MoveRequest {
  /** Any reachable node of the cluster (the manager's entry point). */
  entry: string;
  fromId: string;
  toId: string;
  slots: number;
}

export class Jobs {
  private nextId = 1;
  private readonly jobs: Job[] = [];
  private running: Job | null = null;

  constructor(private readonly notify: (job: Job) => void) {}

  private onChange(job: Job): void {
    job.rev++;
    this.notify({ ...job, lines: [...job.lines] });
  }

  all(): Job[] {
    return [...this.jobs];
  }

  private begin(kind: Job["kind"], title: string, total: number): Job {
    if (this.running !== null) {
      throw new ActionError(`another action is running: ${this.running.title}`);
    }
    const job: Job = {
      id: this.nextId++,
      kind,
      title,
      status: "running",
      done: 0,
      total,
      keys: 0,
      lines: [],
      startedMs: Date.now(),
      endedMs: null,
      rev: 0,
    };
    this.jobs.push(job);
    if (this.jobs.length > 20) this.jobs.shift();
    this.running = job;
    this.onChange(job);
    return job;
  }

  private end(job: Job, ok: boolean, message: string | null): void {
    if (message !== null) job.lines.push(message);
    job.status = ok ? "ok" : "failed";
    job.endedMs = Date.now();
    this.running = null;
    this.onChange(job);
  }

  /** Start `cli.ts failover replica [--force|--takeover]`; returns the job at once. */
  failover(replicaAddr: string, mode: "" | "force" | "takeover"): Job {
    parseAddr(replicaAddr);
    const job = this.begin("failover", `failover ${replicaAddr}${mode ? ` --${mode}` : ""}`, 1);
    const out = jobOut(job, () => this.onChange(job));
    (async () => {
      try {
        const args = parseArgs(
          [replicaAddr, ...(mode ? [`--${mode}`] : [])],
          failoverCommand.options,
        );
        const code = await failoverCommand.run(args, out);
        if (code === EXIT_OK) job.done = 1;
        this.end(job, code === EXIT_OK, null);
      } catch (e) {
        this.end(job, false, `[ERR] ${(e as Error).message}`);
      }
    })();
    return job;
  }

  /** Move `slots` slots (with their keys) from one master to another, as `cli.ts reshard`. */
  move(req: MoveRequest): Job {
    const entry = parseAddr(req.entry);
    const job = this.begin(
      "move",
      `move ${req.slots} slot(s) ${req.fromId.slice(0, 8)} -> ${req.toId.slice(0, 8)}`,
      req.slots,
    );
    const out = jobOut(job, () => this.onChange(job));
    (async () => {
      let cluster = null;
      try {
        const checked = await loadAndCheck(entry, out, 5000);
        cluster = checked.cluster;
        if (!checked.ok) {
          return this.end(job, false, "*** Please fix your cluster problems before resharding");
        }
        const source = findNode(cluster, req.fromId);
        const target = findNode(cluster, req.toId);
        if (source === undefined || source.replica) {
          return this.end(job, false, `*** ${req.fromId} is not known or not a master`);
        }
        if (target === undefined || target.replica || target === source) {
          return this.end(job, false, `*** ${req.toId} is not known, not a master, or the source`);
        }
        const table = computeReshardTable([source], req.slots);
        job.total = table.length;
        out.line(`Moving ${table.length} slot(s) from ${source.addr} to ${target.addr}`);
        for (const item of table) {
          job.keys += await moveSlot(source, target, item.slot, masters(cluster), {
            pipeline: 10,
            timeoutMs: 60_000,
            replace: false,
          });
          job.done++;
          this.onChange(job);
        }
        this.end(job, true, `[OK] Moved ${job.done} slots (${job.keys} keys) to ${target.addr}.`);
      } catch (e) {
        this.end(
          job,
          false,
          `[ERR] ${(e as Error).message}\n*** Stopped after ${job.done} of ${job.total} slots.`,
        );
      } finally {
        if (cluster !== null) closeCluster(cluster);
      }
    })();
    return job;
  }
}
