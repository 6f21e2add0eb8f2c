/**
 * A key as the commands that rebuild it, for an AOF base file written without an RDB preamble
 * (aof-use-rdb-preamble no), as Redis 7.0's rewriteAppendOnlyFileRio writes them: SET, RPUSH,
 * SADD, ZADD and HMSET with at most 64 items per command (AOF_REWRITE_ITEMS_PER_CMD), then
 * PEXPIREAT for a key with a TTL. Pure: bytes into a ByteWriter.
 */

import type { ByteWriter } from "../protocol/rdb_buffer.ts";
import { Deque } from "../keyspace/deque.ts";
import type { Value } from "../keyspace/db.ts";
import { formatDouble17g } from "../protocol/bytes.ts";

const ITEMS_PER_CMD = 64;
const enc = new TextEncoder();

function header(w: ByteWriter, count: number): void {
  w.binary(`*${count}\r\n`);
}
function bulkBinary(w: ByteWriter, s: string): void {
  w.binary(`$${s.length}\r\n`);
  w.binary(s);
  w.binary("\r\n");
}
function bulkBytes(w: ByteWriter, b: Uint8Array): void {
  w.binary(`$${b.length}\r\n`);
  w.bytes(b);
  w.binary("\r\n");
}
function bulkText(w: ByteWriter, s: string): void {
  bulkBytes(w, enc.encode(s));
}

/** The SELECT every rewritten file starts with. */
export function writeSelectDb(w: ByteWriter, dbId: number): void {
  header(w, 2);
  bulkText(w, "SELECT");
  bulkText(w, String(dbId));
}

/** A function library as the command that loads it (rewriteFunctions: FUNCTION LOAD <code>). */
export function writeFunctionLoad(w: ByteWriter, code: Uint8Array): void {
  header(w, 3);
  bulkText(w, "FUNCTION");
  bulkText(w, "LOAD");
  bulkBytes(w, code);
}

/** Items in commands of at most 64: `name key item...` (each item writes itself). */
function batched<T>(
  w: ByteWriter,
  name: string,
  key: string,
  items: T[],
  perItem: number,
  write: (item: T) => void,
): void {
  for (let i = 0; i < items.length; i += ITEMS_PER_CMD) {
    const n = Math.min(ITEMS_PER_CMD, items.length - i);
    header(w, 2 + n * perItem);
    bulkText(w, name);
    bulkBinary(w, key);
    for (let j = i; j < i + n; j++) write(items[j]);
  }
}

export function writeKeyCommands(
  w: ByteWriter,
  key: string,
  value: Value,
  expireMs: number | undefined,
): void {
  if (value instanceof Uint8Array) {
    header(w, 3);
    bulkText(w, "SET");
    bulkBinary(w, key);
    bulkBytes(w, value);
  } else if (value instanceof Deque) {
    batched(w, "RPUSH", key, [...value], 1, (item) => bulkBytes(w, item));
  } else if (value instanceof Set) {
    batched(w, "SADD", key, [...value], 1, (m) => bulkBinary(w, m));
  } else if (value instanceof Map) {
    batched(w, "HMSET", key, [...value], 2, ([f, v]) => {
      bulkBinary(w, f);
      bulkBytes(w, v);
    });
  } else {
    batched(w, "ZADD", key, [...value.scores], 2, ([m, score]) => {
      bulkText(w, formatDouble17g(score));
      bulkBinary(w, m);
    });
  }
  if (expireMs !== undefined) {
    header(w, 3);
    bulkText(w, "PEXPIREAT");
    bulkBinary(w, key);
    bulkText(w, String(expireMs));
  }
}
