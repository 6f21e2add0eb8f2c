/**
 * The AOF's fsync discipline under a power cut, with the test playing the disk: a write reaches
 * the page cache, an fsync makes what was written durable, and a power cut keeps only that.
 * Seeded: commands, replies and cron ticks interleave at random, the cut comes at a random step.
 */

import assert from "node:assert/strict";
import { Aof } from "./aof.ts";
import type { AppendFile } from "./append_file.ts";
import { Db } from "../keyspace/db.ts";
import { Logger } from "../server/log.ts";
import { DEFAULT_RDB_OPTIONS } from "../protocol/rdb_object.ts";
import { standardAux } from "../protocol/rdb_file.ts";
import { Prng } from "../cluster/prng.ts";

/** One file as a disk holds it: bytes written, and how many of them are durable. */
class PlayedFile implements AppendFile {
  written = 0;
  durable = 0;
  write(bytes: Uint8Array): void {
    this.written += bytes.length;
  }
  fsync(): void {
    this.durable = this.written;
  }
  fsyncInBackground(): Promise<void> {
    const upTo = this.written;
    // Completes on a later microtask: a cut before that keeps the older durable length.
    return Promise.resolve().then(() => {
      this.durable = Math.max(this.durable, upTo);
    });
  }
  close(): void {}
}

async function run(fsync: "always" | "everysec", seed: number): Promise<void> {
  const rnd = new Prng(seed);
  const dir = await Deno.makeTempDir({ prefix: "aof-played-" });
  const files = new Map<string, PlayedFile>();
  let nowMs = 1_000_000;
  const values: Record<string, string> = {
    dir,
    appenddirname: "appendonlydir",
    appendfilename: "appendonly.aof",
    appendfsync: fsync,
    "aof-use-rdb-preamble": "yes",
    "aof-timestamp-enabled": "no",
    "no-appendfsync-on-rewrite": "no",
    "auto-aof-rewrite-percentage": "0",
    rdbchecksum: "yes",
  };
  const logger = new Logger();
  logger.quiet = true;
  const aof = new Aof({
    dbs: [new Db(() => nowMs)],
    config: {
      getString: (n) => values[n],
      getNumber: (n) => Number(values[n] ?? 0),
      getBool: (n) => values[n] === "yes",
    },
    log: logger,
    now: () => nowMs,
    rdbOptions: () => DEFAULT_RDB_OPTIONS,
    aux: () => standardAux({ aofBase: true }),
    functions: () => [],
    bgsaveRunning: () => false,
    fatal: (msg) => {
      throw new Error(msg);
    },
    openFile: (path) => {
      const f = new PlayedFile();
      files.set(path, f);
      return f;
    },
  });
  try {
    aof.openAtStart(null);
    const [incr] = [...files.values()];
    // Each command's end offset in the file, and when its reply left.
    const acked: { end: number; atMs: number }[] = [];
    let pending: number[] = [];
    let appended = 0;
    const steps = 200 + rnd.int(400);
    for (let i = 0; i < steps; i++) {
      nowMs += rnd.int(20);
      const what = rnd.int(10);
      if (what < 6) {
        const cmd = new TextEncoder().encode(`*2\r\n$4\r\nINCR\r\n$1\r\n${i % 10}\r\n`);
        aof.append(cmd);
        appended += cmd.length;
        pending.push(appended);
      } else if (what < 9) {
        // A reply batch leaves: what it announces must be written first.
        aof.beforeReply();
        for (const end of pending) acked.push({ end, atMs: nowMs });
        pending = [];
      } else aof.cron();
      if (rnd.int(3) === 0) await Promise.resolve(); // background fsyncs may complete
    }
    // The power cut: only the durable prefix of the file survives.
    const kept = incr.durable;
    for (const a of acked) {
      if (fsync === "always") {
        assert.ok(a.end <= kept, `seed ${seed}: a reply left before its write was durable`);
      } else if (nowMs - a.atMs > 2000) {
        // everysec: at most about a second (plus a cron tick and one in-flight fsync) is lost.
        assert.ok(a.end <= kept, `seed ${seed}: a write acknowledged 2 s before the cut was lost`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("aof (played disk): with appendfsync always a power cut keeps every acknowledged write", async () => {
  for (let seed = 1; seed <= 30; seed++) await run("always", seed);
});

Deno.test("aof (played disk): with appendfsync everysec a power cut loses at most about a second", async () => {
  for (let seed = 1; seed <= 30; seed++) await run("everysec", seed);
});

/** A played file whose fsync takes `fsyncMs` (busy: the time really passes). */
class SlowFsyncFile extends PlayedFile {
  constructor(private readonly fsyncMs: number) {
    super();
  }
  override fsync(): void {
    const until = performance.now() + this.fsyncMs;
    while (performance.now() < until) { /* the disk at work */ }
    super.fsync();
  }
}

Deno.test("aof: latency events aof-write, aof-write-alone and aof-fsync-always (aof.c flushAppendOnlyFile)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aof-latency-" });
  const values: Record<string, string> = {
    dir,
    appenddirname: "appendonlydir",
    appendfilename: "appendonly.aof",
    appendfsync: "always",
    "aof-use-rdb-preamble": "yes",
    "aof-timestamp-enabled": "no",
    "no-appendfsync-on-rewrite": "no",
    "auto-aof-rewrite-percentage": "0",
    rdbchecksum: "yes",
  };
  const logger = new Logger();
  logger.quiet = true;
  const samples: [string, number][] = [];
  const aof = new Aof({
    dbs: [new Db(() => 1_000_000)],
    config: {
      getString: (n) => values[n],
      getNumber: (n) => Number(values[n] ?? 0),
      getBool: (n) => values[n] === "yes",
    },
    log: logger,
    now: () => 1_000_000,
    rdbOptions: () => DEFAULT_RDB_OPTIONS,
    aux: () => standardAux({ aofBase: true }),
    functions: () => [],
    bgsaveRunning: () => false,
    fatal: (msg) => {
      throw new Error(msg);
    },
    openFile: () => new SlowFsyncFile(3),
    latencySample: (event, ms) => samples.push([event, ms]),
  });
  try {
    aof.openAtStart(null);
    samples.length = 0;
    aof.append(new TextEncoder().encode("*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n"));
    aof.beforeReply();
    assert.deepEqual(samples.map(([e]) => e), ["aof-write-alone", "aof-write", "aof-fsync-always"]);
    assert.ok(samples[2][1] >= 3, `fsync of 3 ms sampled as ${samples[2][1]} ms`);
    samples.length = 0;
    values.appendfsync = "everysec";
    aof.append(new TextEncoder().encode("*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n"));
    aof.beforeReply();
    assert.deepEqual(samples.map(([e]) => e), ["aof-write-alone", "aof-write"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
