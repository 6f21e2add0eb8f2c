/**
 * The latency monitor (Redis 7.0 latency.c): per event ("command", "fast-command",
 * "expire-cycle", "aof-fsync-always"...) a ring of 160 one-per-second samples (the worst of each
 * second) and the all-time maximum, recorded when a duration reaches latency-monitor-threshold;
 * and the texts LATENCY DOCTOR and LATENCY GRAPH print (createLatencyReport,
 * latencyCommandGenSparkeline with sparkline.c's renderer). Pure: the clock is passed in.
 */

/** LATENCY_TS_LEN. */
export const LATENCY_TS_LEN = 160;

export interface LatencySample {
  /** Unix time in seconds; 0: an unused slot. */
  time: number;
  latencyMs: number;
}

export interface LatencyTimeSeries {
  idx: number;
  maxMs: number;
  samples: LatencySample[];
}

/** What createLatencyReport reads from the server besides the samples. */
export interface DoctorContext {
  nowSec: number;
  thresholdMs: number;
  slowlogSlowerThanUs: number;
  appendfsyncAlways: boolean;
  hz: number;
}

export class LatencyMonitor {
  /** latency-monitor-threshold in ms (0: off). */
  thresholdMs = 0;
  readonly events = new Map<string, LatencyTimeSeries>();

  /** latencyAddSampleIfNeeded. */
  addSampleIfNeeded(event: string, latencyMs: number, nowSec: number): void {
    if (this.thresholdMs !== 0 && latencyMs >= this.thresholdMs) {
      this.addSample(event, latencyMs, nowSec);
    }
  }

  /** latencyAddSample: the worst sample of each second. */
  addSample(event: string, latencyMs: number, nowSec: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = {
        idx: 0,
        maxMs: 0,
        samples: Array.from({ length: LATENCY_TS_LEN }, () => ({ time: 0, latencyMs: 0 })),
      };
      this.events.set(event, ts);
    }
    if (latencyMs > ts.maxMs) ts.maxMs = latencyMs;
    const prev = ts.samples[(ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
    if (prev.time === nowSec) {
      if (latencyMs > prev.latencyMs) prev.latencyMs = latencyMs;
      return;
    }
    ts.samples[ts.idx] = { time: nowSec, latencyMs };
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /** latencyResetEvent: one event (case-insensitive) or all; how many were dropped. */
  reset(event: string | null): number {
    let n = 0;
    for (const name of [...this.events.keys()]) {
      if (event === null || name.toLowerCase() === event.toLowerCase()) {
        this.events.delete(name);
        n++;
      }
    }
    return n;
  }

  /** The used samples, oldest first (latencyCommandReplyWithSamples). */
  history(ts: LatencyTimeSeries): LatencySample[] {
    const out: LatencySample[] = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const s = ts.samples[(ts.idx + j) % LATENCY_TS_LEN];
      if (s.time !== 0) out.push(s);
    }
    return out;
  }

  /** The last sample written (latencyCommandReplyWithLatestEvents). */
  latest(ts: LatencyTimeSeries): LatencySample {
    return ts.samples[(ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
  }

  /** latencyCommandGenSparkeline. */
  graph(event: string, ts: LatencyTimeSeries, nowSec: number): string {
    const values: number[] = [];
    const labels: string[] = [];
    let min = 0;
    let max = 0;
    for (const s of this.history(ts)) {
      if (values.length === 0) min = max = s.latencyMs;
      else {
        if (s.latencyMs > max) max = s.latencyMs;
        if (s.latencyMs < min) min = s.latencyMs;
      }
      const elapsed = nowSec - s.time;
      labels.push(
        elapsed < 60
          ? `${elapsed}s`
          : elapsed < 3600
          ? `${Math.trunc(elapsed / 60)}m`
          : elapsed < 86400
          ? `${Math.trunc(elapsed / 3600)}h`
          : `${Math.trunc(elapsed / 86400)}d`,
      );
      values.push(s.latencyMs);
    }
    let out = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.maxMs} ms)\n`;
    out += "-".repeat(80) + "\n";
    return out + sparklineRender(values, labels, 80, 4);
  }

  /** createLatencyReport. */
  doctor(ctx: DoctorContext): string {
    if (this.events.size === 0 && ctx.thresholdMs === 0) {
      return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    }
    const a = {
      slowlogEnabled: false,
      slowlogTuning: false,
      slowlogInspect: false,
      diskContention: false,
      scheduler: false,
      dataWriteback: false,
      noAppendfsync: false,
      localDisk: false,
      ssd: false,
      writeLoadInfo: false,
      hz: false,
      largeObjects: false,
      massEviction: false,
      relaxFsync: false,
    };
    let advices = 0;
    let report = "";
    let eventnum = 0;
    for (const [event, ts] of this.events) {
      eventnum++;
      if (eventnum === 1) {
        report +=
          "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
      }
      const ls = analyze(this, ts, ctx.nowSec);
      report += `${eventnum}. ${event}: ${ls.samples} latency spikes (average ${ls.avg}ms, ` +
        `mean deviation ${ls.mad}ms, period ${(ls.period / ls.samples).toFixed(2)} sec). ` +
        `Worst all time event ${ts.maxMs}ms.`;
      const e = event.toLowerCase();
      if (e === "command") {
        if (ctx.slowlogSlowerThanUs < 0) {
          a.slowlogEnabled = true;
          advices++;
        } else if (Math.trunc(ctx.slowlogSlowerThanUs / 1000) > ctx.thresholdMs) {
          a.slowlogTuning = true;
          advices++;
        }
        a.slowlogInspect = true;
        a.largeObjects = true;
        advices += 2;
      }
      if (e === "fast-command") {
        a.scheduler = true;
        advices++;
      }
      if (e === "aof-write-pending-fsync") {
        a.localDisk =
          a.diskContention =
          a.ssd =
          a.dataWriteback =
            true;
        advices += 4;
      }
      if (e === "aof-write-active-child") {
        a.noAppendfsync = a.dataWriteback = a.ssd = true;
        advices += 3;
      }
      if (e === "aof-write-alone") {
        a.localDisk = a.dataWriteback = a.ssd = true;
        advices += 3;
      }
      if (e === "aof-fsync-always") {
        a.relaxFsync = true;
        advices++;
      }
      if (e === "aof-fstat" || e === "rdb-unlink-temp-file") {
        a.diskContention = a.localDisk = true;
        advices += 2;
      }
      if (e === "aof-rewrite-diff-write" || e === "aof-rename") {
        a.writeLoadInfo =
          a.dataWriteback =
          a.ssd =
          a.localDisk =
            true;
        advices += 4;
      }
      if (e === "expire-cycle") {
        a.hz = a.largeObjects = true;
        advices += 2;
      }
      if (e === "eviction-del") {
        a.largeObjects = true;
        advices++;
      }
      if (e === "eviction-cycle") {
        a.massEviction = true;
        advices++;
      }
      report += "\n";
    }
    if (eventnum === 0 && advices === 0) {
      return report +
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
    }
    if (eventnum > 0 && advices === 0) {
      return report +
        "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
    }
    report += "\nI have a few advices for you:\n\n";
    const us = ctx.thresholdMs * 1000;
    if (a.slowlogEnabled) {
      report +=
        `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
    }
    if (a.slowlogTuning) {
      report +=
        `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${us}'.\n`;
    }
    if (a.slowlogInspect) {
      report +=
        "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n";
    }
    if (a.scheduler) {
      report +=
        "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
        "  1) Lower the system load.\n" +
        "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
        '  3) Check if you have a "noisy neighbour" problem.\n' +
        "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
        "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n";
    }
    if (a.localDisk) {
      report +=
        "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n";
    }
    if (a.ssd) {
      report +=
        "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage and smaller final AOF rewrite buffer flushes). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n";
    }
    if (a.dataWriteback) {
      report +=
        "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n";
    }
    if (a.diskContention) {
      report +=
        "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n";
    }
    if (a.noAppendfsync) {
      report +=
        "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n";
    }
    if (a.relaxFsync && ctx.appendfsyncAlways) {
      report +=
        "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
    }
    if (a.writeLoadInfo) {
      report +=
        "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n";
    }
    if (a.hz && ctx.hz < 100) {
      report +=
        "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
    }
    if (a.largeObjects) {
      report +=
        "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
    }
    if (a.massEviction) {
      report +=
        "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n";
    }
    return report;
  }
}

/** analyzeLatencyForEvent: samples, integer average and mean deviation, period in seconds. */
function analyze(
  m: LatencyMonitor,
  ts: LatencyTimeSeries,
  nowSec: number,
): { samples: number; avg: number; mad: number; period: number } {
  const used = m.history(ts);
  if (used.length === 0) return { samples: 0, avg: 0, mad: 0, period: 0 };
  let sum = 0;
  let oldest = 0;
  for (const s of used) {
    sum += s.latencyMs;
    if (oldest === 0 || s.time < oldest) oldest = s.time;
  }
  const avg = Math.trunc(sum / used.length);
  let period = nowSec - oldest;
  if (period === 0) period = 1;
  let dev = 0;
  for (const s of used) dev += Math.abs(avg - s.latencyMs);
  return { samples: used.length, avg, mad: Math.trunc(dev / used.length), period };
}

const CHARSET_FILL = "_o#";
const CHARSET_LEN = 3;
const LABEL_MARGIN_TOP = 1;

/** sparklineRender with SPARKLINE_FILL: `columns` samples per block, `rows` rows each. */
export function sparklineRender(
  values: number[],
  labels: string[],
  columns: number,
  rows: number,
): string {
  let out = "";
  for (let j = 0; j < values.length; j += columns) {
    const len = Math.min(values.length - j, columns);
    if (j !== 0) out += "\n";
    out += renderRange(values, labels, rows, j, len);
  }
  return out;
}

/** sparklineRenderRange: min and max are the whole sequence's. */
function renderRange(
  values: number[],
  labels: string[],
  rows: number,
  offset: number,
  len: number,
): string {
  let min = 0;
  let max = 0;
  values.forEach((v, i) => {
    if (i === 0) min = max = v;
    else if (v < min) min = v;
    else if (v > max) max = v;
  });
  let relmax = max - min;
  if (relmax === 0) relmax = 1;
  const steps = CHARSET_LEN * rows;
  const hasLabels = labels.some((l) => l !== "");
  let out = "";
  for (let row = 0;; row++) {
    let loop = false;
    const chars: string[] = new Array(len).fill(" ");
    for (let j = 0; j < len; j++) {
      const relval = values[j + offset] - min;
      let step = Math.trunc(Math.trunc(relval * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < rows) {
        const charidx = step - (rows - row - 1) * CHARSET_LEN;
        loop = true;
        if (charidx >= 0 && charidx < CHARSET_LEN) chars[j] = CHARSET_FILL[charidx];
        else if (charidx >= CHARSET_LEN) chars[j] = "|";
      } else {
        if (hasLabels && row - rows < LABEL_MARGIN_TOP) {
          loop = true;
          break;
        }
        const label = labels[j + offset];
        const labelChar = row - rows - LABEL_MARGIN_TOP;
        if (label.length > labelChar) {
          loop = true;
          chars[j] = label[labelChar];
        }
      }
    }
    if (!loop) break;
    out += chars.join("") + "\n";
  }
  return out;
}
