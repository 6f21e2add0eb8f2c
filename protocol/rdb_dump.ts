/**
 * DUMP payloads (Redis 7.0 cluster.c createDumpPayload / verifyDumpPayload):
 *   <type byte> <object encoding> <RDB version u16le> <CRC64 u64le of everything before it>.
 */

import { ByteWriter, RdbFormatError } from "./rdb_buffer.ts";
import { Crc64 } from "./crc64.ts";
import {
  RDB_VERSION,
  type RdbOptions,
  RdbReader,
  readTypedObject,
  writeTypedObject,
} from "./rdb_object.ts";
import type { Value } from "../keyspace/db.ts";

/** The DUMP payload of a value. */
export function createDumpPayload(v: Value, o: RdbOptions): Uint8Array {
  const w = new ByteWriter(64);
  writeTypedObject(w, v, o);
  return finishDumpPayload(w);
}

/**
 * The footer of a DUMP payload (a key's or FUNCTION DUMP's): the RDB version and the CRC64 of all
 * before it. Returns the payload.
 */
export function finishDumpPayload(w: ByteWriter): Uint8Array {
  w.u16le(RDB_VERSION);
  const crc = new Crc64().update(w.buf, 0, w.length);
  w.reserve(8);
  crc.writeLE(w.buf, w.length);
  w.length += 8;
  return w.view().slice();
}

/**
 * verifyDumpPayload: at least the 10-byte footer, an RDB version we can read (<= 10) and a
 * matching CRC64 (unless `skipChecksum`).
 */
export function verifyDumpPayload(p: Uint8Array, skipChecksum = false): boolean {
  if (p.length < 10) return false;
  const f = p.length - 10;
  const version = p[f] | (p[f + 1] << 8);
  if (version > RDB_VERSION) return false;
  if (skipChecksum) return true;
  return new Crc64().update(p, 0, p.length - 8).equalsLE(p, p.length - 8);
}

/** Decode the value of a verified payload; throws RdbFormatError (RESTORE: "Bad data format"). */
export function parseDumpPayload(p: Uint8Array, o: RdbOptions): Value {
  if (p.length < 10) throw new RdbFormatError("payload too short");
  const r = new RdbReader(p, 0, p.length - 10);
  return readTypedObject(r, o);
}
