/**
 * MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP against a real redis-server 7.0.15 (object.c
 * memoryCommand), in RESP2 and RESP3: the figures differ by nature, so MEMORY STATS is compared
 * with its values masked (keys, order and types must be equal), MEMORY DOCTOR by which of Redis's
 * texts it answers; HELP, PURGE and the argument errors byte for byte; INFO memory's field names
 * (computed in the same place as MEMORY STATS: server/memory_overhead.ts).
 *
 * Known difference: the reference redis-server uses jemalloc, so its MALLOC-STATS answers
 * jemalloc's report (verbatim text in RESP3); ours answers what Redis built without jemalloc
 * does, a bulk string.
 */

import assert from "node:assert/strict";
import { callBoth, type Cmd, cmdText, show, withNodeAndRedis, words } from "./compare.ts";
import type { RespClient } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";

/** A reply with every number masked: ints `:#`, doubles `,#`, non-key bulk strings `$#`. */
function masked(v: RespValue): string {
  switch (v.type) {
    case "int":
      return ":#";
    case "double":
      return ",#";
    case "bulk":
      return "$#";
    case "map":
      return `{${v.value.map(([k, x]) => `${show(k)}:${masked(x)}`).join(",")}}`;
    case "array":
      // RESP2 maps are flat arrays: keys at even positions.
      return `[${v.value.map((x, i) => i % 2 === 0 ? show(x) : masked(x)).join(",")}]`;
    default:
      return show(v);
  }
}

const NO_ISSUE = "Hi Sam, I can't find any memory issue in your instance. " +
  "I can only account for what occurs on this base.\n";
const EMPTY = "Hi Sam, this instance is empty or is using very little memory, " +
  "my issues detector can't be used in these conditions. " +
  "Please, leave for your mission on Earth and fill it with some data. " +
  "The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const REPORT_HEAD = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const REPORT_TAIL = "I'm here to keep you safe, Sam. I want to help you.\n";
/** The titles of getMemoryDoctorReport's paragraphs, in its order. */
const ISSUES = [
  " * Peak memory: ",
  " * High total RSS: ",
  " * High allocator fragmentation: ",
  " * High allocator RSS overhead: ",
  " * High process RSS overhead: ",
  " * Big replica buffers: ",
  " * Big client buffers: ",
  " * Many scripts: ",
];

/** The text of a MEMORY DOCTOR reply (RESP3 verbatim `txt`, RESP2 bulk). */
function doctorText(v: RespValue, proto: 2 | 3): string {
  if (proto === 3) {
    assert.equal(v.type, "verbatim", show(v));
    assert.equal((v as { format: string }).format, "txt");
    return (v as { value: string }).value;
  }
  assert.equal(v.type, "bulk", show(v));
  return new TextDecoder().decode((v as { value: Uint8Array }).value);
}

/** Is `text` one of getMemoryDoctorReport's answers? */
function assertDoctorText(text: string): void {
  if (text === NO_ISSUE || text === EMPTY) return;
  assert.ok(text.startsWith(REPORT_HEAD) && text.endsWith(REPORT_TAIL), JSON.stringify(text));
  const body = text.slice(REPORT_HEAD.length, -REPORT_TAIL.length);
  const paragraphs = body.split("\n\n").slice(0, -1);
  assert.ok(paragraphs.length > 0, JSON.stringify(text));
  let last = -1;
  for (const p of paragraphs) {
    const i = ISSUES.findIndex((t) => p.startsWith(t));
    assert.ok(i > last, `unknown or out of order: ${JSON.stringify(p)}`);
    last = i;
  }
}

async function both(a: RespClient, b: RespClient, line: string | Cmd) {
  return await callBoth(a, b, typeof line === "string" ? words(line) : line);
}

async function hello(a: RespClient, b: RespClient, proto: 2 | 3): Promise<void> {
  await a.callRaw("HELLO", String(proto));
  await b.callRaw("HELLO", String(proto));
}

Deno.test("MEMORY STATS: keys, order and types equal redis-server's (RESP2 and RESP3)", async () => {
  await withNodeAndRedis(async (a, b) => {
    const same = async (when: string) => {
      for (const proto of [2, 3] as const) {
        await hello(a, b, proto);
        const [x, y] = await both(a, b, "MEMORY STATS");
        assert.equal(masked(x), masked(y), `RESP${proto}, ${when}`);
      }
    };
    await same("empty");
    for (
      const c of ["SET k v", "SET e v EX 100", "HSET h f v", "SELECT 3", "SET k3 v", "SELECT 0"]
    ) {
      const [x, y] = await both(a, b, c);
      assert.equal(show(x), show(y), c);
    }
    await same("keys in db 0 and db 3");
    // The figures hold together.
    await hello(a, b, 2);
    const stats = await a.call("MEMORY", "STATS") as unknown[];
    const m = new Map<string, unknown>();
    for (let i = 0; i < stats.length; i += 2) m.set(stats[i] as string, stats[i + 1]);
    assert.equal(m.get("keys.count"), 4);
    assert.ok((m.get("total.allocated") as number) <= (m.get("peak.allocated") as number));
    assert.equal(
      (m.get("dataset.bytes") as number) + (m.get("overhead.total") as number),
      m.get("total.allocated"),
    );
  });
});

Deno.test("INFO memory: the field names of redis-server's", async () => {
  await withNodeAndRedis(async (a, b) => {
    const [x, y] = await both(a, b, "INFO memory");
    const names = (v: RespValue) =>
      new TextDecoder().decode((v as { value: Uint8Array }).value).split("\r\n")
        .map((l) => l.split(":")[0]).join(",");
    assert.equal(names(x), names(y));
  });
});

Deno.test("MEMORY DOCTOR answers one of Redis's texts, as verbatim text", async () => {
  await withNodeAndRedis(async (a, b) => {
    await both(a, b, "SET k v");
    // A little data: both call the instance empty (ours: less than 5 MiB since start).
    for (const proto of [2, 3] as const) {
      await hello(a, b, proto);
      const [x, y] = await both(a, b, "MEMORY DOCTOR");
      assert.equal(show(x), show(y), `RESP${proto}`);
      assert.equal(doctorText(x, proto), EMPTY);
    }
    // 6 MiB of data: a report of the figures (which differ), in Redis's words.
    const value = "x".repeat(1 << 20);
    for (let i = 0; i < 6; i++) await both(a, b, ["SET", `big${i}`, value]);
    for (const proto of [2, 3] as const) {
      await hello(a, b, proto);
      const [x, y] = await both(a, b, "MEMORY DOCTOR");
      const ours = doctorText(x, proto);
      assert.notEqual(ours, EMPTY);
      assertDoctorText(ours);
      assertDoctorText(doctorText(y, proto));
    }
  });
});

Deno.test("MEMORY HELP, PURGE, MALLOC-STATS and argument errors", async () => {
  await withNodeAndRedis(async (a, b) => {
    const equal = [
      "MEMORY HELP",
      "memory help",
      "MEMORY PURGE",
      "MEMORY",
      "MEMORY FOO",
      "MEMORY HELP x",
      "MEMORY STATS x",
      "MEMORY DOCTOR x",
      "MEMORY PURGE x",
      "MEMORY MALLOC-STATS x",
      "MEMORY USAGE",
      "MEMORY USAGE k SAMPLES",
    ];
    for (const proto of [2, 3] as const) {
      await hello(a, b, proto);
      for (const c of equal) {
        const [x, y] = await both(a, b, c);
        assert.equal(show(x), show(y), `RESP${proto}: ${cmdText(words(c))}`);
      }
      // Redis without jemalloc; the reference has it (verbatim jemalloc stats in RESP3).
      const [x, y] = await both(a, b, "MEMORY MALLOC-STATS");
      assert.equal(show(x), '$"Stats not supported for the current allocator"');
      if (proto === 2) assert.equal(y.type, "bulk");
    }
  });
});
