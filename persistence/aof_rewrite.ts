/**
 * A key as the commands that rebuild it, for an AOF base file written without an RDB preamble
 * (aof-use-rdb-preamble no), as Redis 7.0's rewriteAppendOnlyFileRio writes them: SET, RPUSH,
 * SADD, ZADD and HMSET with at most 64 items per command (AOF_REWRITE_ITEMS_PER_CMD), a stream
 * as rewriteStreamObject does (XADD per entry, XSETID, XGROUP CREATE, XCLAIM per pending entry,
 * XGROUP CREATECONSUMER for idle consumers), then PEXPIREAT for a key with a TTL. Pure: bytes into
 * a ByteWriter.
 */

import type { ByteWriter } from "../protocol/rdb_buffer.ts";
import { Deque } from "../keyspace/deque.ts";
import type { Value } from "../keyspace/db.ts";
import { Hash } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import { idText, MAX_ID, Stream, ZERO_ID } from "../keyspace/stream.ts";
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

/** rewriteStreamObject. */
function writeStreamCommands(w: ByteWriter, key: string, s: Stream): void {
  if (s.length !== 0) {
    for (const e of s.range(ZERO_ID, MAX_ID, false)) {
      header(w, 3 + e.fields.length * 2);
      bulkText(w, "XADD");
      bulkBinary(w, key);
      bulkText(w, idText(e.id));
      for (let i = 0; i < e.fields.length; i++) {
        bulkBytes(w, e.fields[i]);
        bulkBytes(w, e.values[i]);
      }
    }
  } else {
    // The XADD MAXLEN 0 trick: an empty stream.
    header(w, 7);
    for (const a of ["XADD", key, "MAXLEN", "0", "0-1", "x", "y"]) bulkBinary(w, a);
  }
  header(w, 7);
  bulkText(w, "XSETID");
  bulkBinary(w, key);
  bulkText(w, idText(s.lastId));
  bulkText(w, "ENTRIESADDED");
  bulkText(w, String(BigInt.asIntN(64, s.entriesAdded)));
  bulkText(w, "MAXDELETEDID");
  bulkText(w, idText(s.maxDeletedId));
  for (const name of s.groupNames()) {
    const g = s.group(name)!;
    header(w, 7);
    for (const a of ["XGROUP", "CREATE", key, name, idText(g.lastId), "ENTRIESREAD"]) {
      bulkBinary(w, a);
    }
    bulkText(w, String(g.entriesRead));
    for (const c of g.sortedConsumers()) {
      if (c.pel.size === 0) {
        header(w, 5);
        for (const a of ["XGROUP", "CREATECONSUMER", key, name, c.name]) bulkBinary(w, a);
        continue;
      }
      for (const [, nack] of c.pel.entries()) {
        header(w, 12);
        for (const a of ["XCLAIM", key, name, c.name, "0", idText(nack.id), "TIME"]) {
          bulkBinary(w, a);
        }
        bulkText(w, String(nack.deliveryTime));
        bulkText(w, "RETRYCOUNT");
        bulkText(w, String(BigInt.asIntN(64, nack.deliveryCount)));
        bulkText(w, "JUSTID");
        bulkText(w, "FORCE");
      }
    }
  }
}

export function writeKeyCommands(
  w: ByteWriter,
  key: string,
  value: Value,
  expireMs: number | undefined,
): void {
  if (typeof value === "string" || value instanceof Uint8Array) {
    header(w, 3);
    bulkText(w, "SET");
    bulkBinary(w, key);
    if (typeof value === "string") bulkBinary(w, value); // a string value held as a binary string
    else bulkBytes(w, value);
  } else if (value instanceof Deque) {
    batched(w, "RPUSH", key, [...value], 1, (item) => {
      if (typeof item === "string") bulkBinary(w, item); // held as a binary string
      else bulkBytes(w, item);
    });
  } else if (value instanceof MemberSet) {
    batched(w, "SADD", key, [...value], 1, (m) => bulkBinary(w, m));
  } else if (value instanceof Hash) {
    batched(w, "HMSET", key, [...value], 2, ([f, v]) => {
      bulkBinary(w, f);
      if (typeof v === "string") bulkBinary(w, v);
      else bulkBytes(w, v);
    });
  } else if (value instanceof Stream) {
    writeStreamCommands(w, key, value);
  } else {
    batched(w, "ZADD", key, [...value], 2, ([m, score]) => {
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
