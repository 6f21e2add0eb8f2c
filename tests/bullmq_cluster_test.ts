/**
 * BullMQ (a job queue that keeps its events in a stream: XADD from its Lua scripts, XTRIM,
 * QueueEvents reading them with XREAD BLOCK) run unmodified through ioredis cluster mode on a
 * six-node cluster of ours (3 masters, 3 replicas): jobs are added, processed by workers, one
 * fails once and is retried, one is delayed, and every completion reaches QueueEvents from the
 * stream. The queue's keys share the `{bull}` hash tag, so one master holds them; its replica
 * gets the same event stream.
 */

import assert from "node:assert/strict";
import { Cluster as IoCluster } from "ioredis";
import { Queue, QueueEvents, Worker } from "bullmq";
import { haveRedisServer, RespClient, waitFor } from "./harness.ts";
import {
  call,
  createCluster,
  nodesOf,
  stopAll,
  waitChecked,
  waitRolesSeen,
} from "./cluster_fixture.ts";
import { keyHashSlot } from "../protocol/slot.ts";

const JOBS = 40;

Deno.test({
  name: "BullMQ on a six-node cluster: jobs, retries, delays, stream events through XREAD BLOCK",
  ignore: !haveRedisServer(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cl = await createCluster(6, { replicas: 1 });
    const clients: IoCluster[] = [];
    const closers: (() => Promise<void>)[] = [];
    const connect = () => {
      const c = new IoCluster([{ host: "127.0.0.1", port: cl.ports[0] }], {
        redisOptions: { maxRetriesPerRequest: null },
      });
      clients.push(c);
      return c;
    };
    try {
      await waitRolesSeen(cl.ports, { replicas: 3 });
      await waitChecked(cl.ports[0], 30_000);

      const prefix = "{bull}";
      const queue = new Queue("jobs", { connection: connect(), prefix });
      closers.push(() => queue.close());
      const events = new QueueEvents("jobs", { connection: connect(), prefix });
      closers.push(() => events.close());
      await events.waitUntilReady();

      const completed = new Map<string, string>();
      const allDone = new Promise<void>((resolve) => {
        events.on("completed", ({ jobId, returnvalue }) => {
          // BullMQ 6 hands the return value over parsed from the event's JSON.
          completed.set(
            jobId,
            typeof returnvalue === "string" ? returnvalue : JSON.stringify(returnvalue),
          );
          if (completed.size === JOBS + 2) resolve();
        });
      });

      const worker = new Worker(
        "jobs",
        (job) => {
          if (job.name === "flaky" && job.attemptsMade === 0) {
            return Promise.reject(new Error("first try fails"));
          }
          return Promise.resolve({ doubled: job.data.n * 2 });
        },
        { connection: connect(), prefix, concurrency: 4 },
      );
      // Closed with force: the jobs are all done by then, and BullMQ 6.7.6's graceful close waits
      // for its main loop, which waits for the worker's blocking connection; now and then
      // (about one run in twenty with three of these tests side by side on two cores) that
      // ioredis cluster connection sends its ready check (CLUSTER INFO), which the node runs,
      // and never turns ready, so a graceful close waited for ever. Seen the same with six real
      // redis-server nodes: the client's doing, not the servers'.
      closers.push(() => worker.close(true));

      const ids: string[] = [];
      for (let i = 0; i < JOBS; i++) {
        const job = await queue.add("double", { n: i }, { attempts: 2 });
        ids.push(job.id!);
      }
      const flaky = await queue.add("flaky", { n: 100 }, { attempts: 2, backoff: 0 });
      const delayed = await queue.add("double", { n: 1000 }, { delay: 300 });
      ids.push(delayed.id!);
      // A deadline, so that a lost event fails the test (naming the jobs) instead of hanging it.
      let deadline: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        deadline = setTimeout(() => {
          const missing = [...ids, flaky.id!].filter((id) => !completed.has(id));
          reject(new Error(`no completion event after 60 s for jobs ${missing.join(", ")}`));
        }, 60_000);
      });
      try {
        await Promise.race([allDone, late]);
      } finally {
        clearTimeout(deadline);
      }

      for (let i = 0; i < JOBS; i++) {
        assert.equal(completed.get(ids[i]), JSON.stringify({ doubled: i * 2 }));
      }
      assert.equal(completed.get(delayed.id!), JSON.stringify({ doubled: 2000 }));
      // The flaky job failed its first attempt (its stack trace is kept) and completed on the retry.
      assert.equal(completed.get(flaky.id!), JSON.stringify({ doubled: 200 }));
      const flakyJob = await queue.getJob(flaky.id!);
      assert.equal(await flakyJob!.getState(), "completed");
      assert.match((flakyJob!.stacktrace ?? []).join("\n"), /first try fails/);
      const counts = await queue.getJobCounts();
      assert.equal(counts.completed, JOBS + 2);
      assert.equal(counts.failed, 0);
      assert.equal(counts.waiting + counts.active + counts.delayed, 0);

      // The event stream lives on the master owning {bull}'s slot, and its replica has it too.
      const slot = keyHashSlot(new TextEncoder().encode(prefix));
      const ls = await nodesOf(cl.ports[0]);
      const owner = ls.find((l) =>
        l.flags.includes("master") && l.slots.some((r) => {
          const [a, b] = r.split("-").map(Number);
          return slot >= a && slot <= (b ?? a);
        })
      )!;
      const ownerPort = Number(owner.addr.split(":")[1].split("@")[0]);
      const eventsKey = `${prefix}:jobs:events`;
      assert.equal(await call(ownerPort, "TYPE", eventsKey), "stream");
      const len = await call(ownerPort, "XLEN", eventsKey) as number;
      assert.ok(len > JOBS, `the stream holds the events (${len})`);
      const replica = ls.find((l) => l.flags.includes("slave") && l.master === owner.id)!;
      const replicaPort = Number(replica.addr.split(":")[1].split("@")[0]);
      // A replica serves keyed reads after READONLY (otherwise it redirects to its master).
      const rc = await RespClient.connect(replicaPort);
      try {
        assert.equal(await rc.call("READONLY"), "OK");
        await waitFor(
          "the replica has the same event stream",
          async () => {
            const [a, b] = await Promise.all([
              call(ownerPort, "DEBUG", "DIGEST-VALUE", eventsKey),
              rc.call("DEBUG", "DIGEST-VALUE", eventsKey),
            ]);
            return JSON.stringify(a) === JSON.stringify(b);
          },
          20_000,
          50,
        );
        assert.deepEqual(
          await rc.call("XINFO", "STREAM", eventsKey),
          await call(ownerPort, "XINFO", "STREAM", eventsKey),
        );
      } finally {
        rc.close();
      }
    } finally {
      for (const close of closers.reverse()) await close().catch(() => {});
      for (const c of clients) c.disconnect();
      await stopAll(cl.nodes);
    }
  },
});
