/**
 * Whole RDB files (Redis 7.0 rdb.c rdbSaveRio / rdbLoadRio), version 10:
 *   "REDIS0010" <AUX fields> [SELECTDB n RESIZEDB size expires (EXPIRETIME_MS t)? type key value ...]
 *   EOF <CRC64 u64le of everything before it>.
 * Used by full-sync replication, `redis-cli --rdb` and persistence. The reader accepts versions
 * 1-10, both expiry opcodes, IDLE/FREQ, FUNCTION2 (kept as raw code), several databases and a
 * zero checksum (saved with rdbchecksum no); it verifies any other checksum.
 */

import { ByteWriter, check, RdbFormatError } from "./rdb_buffer.ts";
import { Crc64 } from "./crc64.ts";
import {
  EmptyKeyError,
  isObjectType,
  objectType,
  RDB_VERSION,
  type RdbOptions,
  RdbReader,
  readObject,
  writeBinaryString,
  writeLength,
  writeObject,
  writeString,
} from "./rdb_object.ts";
import type { Db, Stored, Value } from "../keyspace/db.ts";
import { unslab } from "../keyspace/value_slab.ts";
import type { KeyValues } from "../keyspace/key_table.ts";
import { REDIS_VERSION } from "../server/version.ts";

export const RDB_OPCODE = {
  FUNCTION2: 245,
  FUNCTION_PRE_GA: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

/** The keyspace a file is written from (a Db or anything with its two maps). */
export interface RdbSource {
  /** Values, or small string values' slab handles (keyspace/value_slab.ts). */
  dict: KeyValues<Stored>;
  expires: Map<string, number>;
  /** A key's RDB_OPCODE_IDLE seconds / RDB_OPCODE_FREQ counter, -1 for none (keyspace/db.ts). */
  rdbIdleSec?(key: string): number;
  rdbFreq?(key: string): number;
}

/** An AUX field: numbers are written as integer strings (rdbSaveAuxFieldStrInt). */
export type AuxField = [string, string | number];

export interface AuxInfo {
  redisVer?: string;
  ctimeSec?: number;
  usedMem?: number;
  /** Replication info (written only when given, as rdbSaveInfo does). */
  repl?: { streamDb: number; replId: string; offset: number };
  aofBase?: boolean;
}

/** The aux fields Redis 7.0 writes, in its order. */
export function standardAux(info: AuxInfo = {}): AuxField[] {
  const aux: AuxField[] = [
    ["redis-ver", info.redisVer ?? REDIS_VERSION],
    ["redis-bits", 64],
    ["ctime", info.ctimeSec ?? Math.floor(Date.now() / 1000)],
    ["used-mem", info.usedMem ?? 0],
  ];
  if (info.repl) {
    aux.push(["repl-stream-db", info.repl.streamDb]);
    aux.push(["repl-id", info.repl.replId]);
    aux.push(["repl-offset", info.repl.offset]);
  }
  aux.push(["aof-base", info.aofBase ? 1 : 0]);
  return aux;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Write the header "REDIS0010", the aux fields, and the function libraries (each FUNCTION2 and
 * its code, as rdbSaveFunctions writes them before the keys).
 */
export function writeRdbHeader(
  w: ByteWriter,
  aux: AuxField[],
  functions: readonly Uint8Array[] = [],
): void {
  w.bytes(enc.encode(`REDIS${String(RDB_VERSION).padStart(4, "0")}`));
  for (const [k, v] of aux) {
    w.u8(RDB_OPCODE.AUX);
    writeString(w, enc.encode(k), true);
    writeString(w, enc.encode(String(v)), true);
  }
  for (const code of functions) {
    w.u8(RDB_OPCODE.FUNCTION2);
    writeString(w, code, true);
  }
}

/** SELECTDB + RESIZEDB for a non-empty database. */
export function writeDbHeader(w: ByteWriter, dbId: number, src: RdbSource): void {
  w.u8(RDB_OPCODE.SELECTDB);
  writeLength(w, dbId);
  w.u8(RDB_OPCODE.RESIZEDB);
  writeLength(w, src.dict.size);
  let expiring = 0;
  for (const k of src.expires.keys()) if (src.dict.has(k)) expiring++;
  writeLength(w, expiring);
}

/**
 * rdbSaveKeyValuePair: [EXPIRETIME_MS t] [IDLE seconds] [FREQ counter] type key value (IDLE under
 * an LRU maxmemory policy, FREQ under an LFU one: `idleSec` / `freq` -1 writes none).
 */
export function writeKeyValue(
  w: ByteWriter,
  key: string,
  value: Value,
  expireMs: number | undefined,
  o: RdbOptions,
  idleSec = -1,
  freq = -1,
): void {
  if (expireMs !== undefined) {
    w.u8(RDB_OPCODE.EXPIRETIME_MS);
    w.i64le(BigInt(expireMs));
  }
  if (idleSec >= 0) {
    w.u8(RDB_OPCODE.IDLE);
    writeLength(w, idleSec);
  }
  if (freq >= 0) {
    w.u8(RDB_OPCODE.FREQ);
    w.u8(freq);
  }
  const type = objectType(value);
  w.u8(type);
  writeBinaryString(w, key, o.compression);
  writeObject(w, type, value, o);
}

/** Write one database section (nothing for an empty database, as Redis). */
export function writeRdbDb(w: ByteWriter, dbId: number, src: RdbSource, o: RdbOptions): void {
  if (src.dict.size === 0) return;
  writeDbHeader(w, dbId, src);
  for (const [key, value] of src.dict) writeSourceKey(w, src, key, value, o);
}

/** writeKeyValue of one key of `src`, with its expiry and its IDLE/FREQ when it has them. */
export function writeSourceKey(
  w: ByteWriter,
  src: RdbSource,
  key: string,
  value: Stored,
  o: RdbOptions,
): void {
  writeKeyValue(
    w,
    key,
    unslab(value),
    src.expires.get(key),
    o,
    src.rdbIdleSec?.(key) ?? -1,
    src.rdbFreq?.(key) ?? -1,
  );
}

/** Write EOF and the CRC64 of everything before it. */
export function writeRdbTrailer(w: ByteWriter): void {
  w.u8(RDB_OPCODE.EOF);
  const crc = new Crc64().update(w.buf, 0, w.length);
  w.reserve(8);
  crc.writeLE(w.buf, w.length);
  w.length += 8;
}

/** A complete RDB file holding database `dbId` (0 by default). */
export function writeRdb(
  src: RdbSource,
  aux: AuxField[],
  o: RdbOptions,
  dbId = 0,
  functions: readonly Uint8Array[] = [],
): Uint8Array {
  const w = new ByteWriter(1024);
  writeRdbHeader(w, aux, functions);
  writeRdbDb(w, dbId, src, o);
  writeRdbTrailer(w);
  return w.view().slice();
}

/** A complete RDB file holding every database of `dbs` (each under its `id`; empty ones left out). */
export function writeRdbAll(
  dbs: readonly (RdbSource & { id: number })[],
  aux: AuxField[],
  o: RdbOptions,
  functions: readonly Uint8Array[] = [],
): Uint8Array {
  const w = new ByteWriter(1024);
  writeRdbHeader(w, aux, functions);
  for (const db of dbs) writeRdbDb(w, db.id, db, o);
  writeRdbTrailer(w);
  return w.view().slice();
}

/**
 * The same file as `writeRdb`, produced in chunks of about `chunkBytes` (for streaming a full
 * sync or a save without building one huge buffer). The keyspace is iterated live: a caller that
 * yields to the event loop between chunks sees later writes in the not-yet-written part only.
 */
export function* rdbChunks(
  src: RdbSource,
  aux: AuxField[],
  o: RdbOptions,
  chunkBytes = 64 * 1024,
  dbId = 0,
): Generator<Uint8Array> {
  const crc = new Crc64();
  let w = new ByteWriter(chunkBytes + 1024);
  const flush = (): Uint8Array => {
    const out = w.view().slice();
    crc.update(out);
    w = new ByteWriter(chunkBytes + 1024);
    return out;
  };
  writeRdbHeader(w, aux);
  if (src.dict.size !== 0) {
    writeDbHeader(w, dbId, src);
    for (const [key, value] of src.dict) {
      writeSourceKey(w, src, key, value, o);
      if (w.length >= chunkBytes) yield flush();
    }
  }
  w.u8(RDB_OPCODE.EOF);
  const last = w.view();
  crc.update(last);
  const tail = new Uint8Array(last.length + 8);
  tail.set(last);
  crc.writeLE(tail, last.length);
  yield tail;
}

export interface RdbEntry {
  dbId: number;
  key: string;
  value: Value;
  /** Absolute expiry in ms since the epoch, or -1. */
  expireMs: number;
  /** IDLE (seconds) / FREQ when the file had them, else -1. */
  idleSec: number;
  freq: number;
  /** Bytes of the file read once this entry was read (load progress). */
  readBytes?: number;
}

export interface RdbFile {
  version: number;
  aux: Map<string, string>;
  /** Per database: RESIZEDB sizes when present. */
  resize: Map<number, { size: number; expires: number }>;
  /** FUNCTION2 payloads (library code), in file order. */
  functions: Uint8Array[];
  /** How many empty aggregates were skipped (Redis logs "empty keys skipped"). */
  emptyKeysSkipped: number;
  /** False when the file carried a zero checksum (saved with rdbchecksum no). */
  checksumVerified: boolean;
  /** Where the RDB ends in the buffer (an AOF with an RDB preamble goes on with commands). */
  endOffset: number;
}

/**
 * Parse a whole RDB file. Each key is handed to `visit` (so a loader can stream into a Db);
 * `readRdb` collects them. Throws RdbFormatError on any malformed input or checksum mismatch.
 */
export function parseRdb(
  buf: Uint8Array,
  o: RdbOptions,
  visit: (e: RdbEntry) => void,
): RdbFile {
  const steps = rdbEntries(buf, o);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    visit(r.value);
  }
}

/**
 * The entries of an RDB file, one at a time, then the file's header facts as the generator's
 * return value (so a loader can stop between keys and serve clients: persistence/rdb_load.ts).
 * The checksum is verified at the end, before the return.
 */
export function* rdbEntries(buf: Uint8Array, o: RdbOptions): Generator<RdbEntry, RdbFile> {
  check(buf.length >= 9, "RDB: too short");
  const magic = dec.decode(buf.subarray(0, 9));
  check(magic.startsWith("REDIS") && /^\d{4}$/.test(magic.slice(5)), "RDB: wrong signature");
  const version = Number(magic.slice(5));
  check(version >= 1 && version <= RDB_VERSION, `RDB: can't handle format version ${version}`);
  const r = new RdbReader(buf, 9);
  const file: RdbFile = {
    version,
    aux: new Map(),
    resize: new Map(),
    functions: [],
    emptyKeysSkipped: 0,
    checksumVerified: false,
    endOffset: 0,
  };
  let dbId = 0;
  let expireMs = -1;
  let idleSec = -1;
  let freq = -1;
  for (;;) {
    const type = r.u8();
    switch (type) {
      case RDB_OPCODE.EXPIRETIME:
        expireMs = r.u32le() * 1000;
        continue;
      case RDB_OPCODE.EXPIRETIME_MS:
        expireMs = Number(r.i64le());
        continue;
      case RDB_OPCODE.FREQ:
        freq = r.u8();
        continue;
      case RDB_OPCODE.IDLE:
        idleSec = r.readLength();
        continue;
      case RDB_OPCODE.EOF:
        break;
      case RDB_OPCODE.SELECTDB:
        dbId = r.readLength();
        continue;
      case RDB_OPCODE.RESIZEDB: {
        const size = r.readLength();
        const expires = r.readLength();
        file.resize.set(dbId, { size, expires });
        continue;
      }
      case RDB_OPCODE.AUX: {
        const k = dec.decode(r.readString());
        const v = dec.decode(r.readString());
        file.aux.set(k, v);
        continue;
      }
      case RDB_OPCODE.FUNCTION2:
        file.functions.push(r.readString());
        continue;
      case RDB_OPCODE.FUNCTION_PRE_GA:
        throw new RdbFormatError("RDB: pre-release function format not supported");
      case RDB_OPCODE.MODULE_AUX:
        throw new RdbFormatError("RDB: module aux data is not supported");
      default: {
        check(isObjectType(type), `RDB: unknown type ${type}`);
        const key = r.readBinaryString();
        let value: Value | null = null;
        try {
          value = readObject(r, type, o);
        } catch (e) {
          if (!(e instanceof EmptyKeyError)) throw e;
          file.emptyKeysSkipped++;
        }
        if (value !== null) yield { dbId, key, value, expireMs, idleSec, freq, readBytes: r.pos };
        expireMs = -1;
        idleSec = -1;
        freq = -1;
        continue;
      }
    }
    break; // EOF
  }
  if (version >= 5) {
    const end = r.pos;
    r.need(8);
    const stored = buf.subarray(end, end + 8);
    if (stored.every((b) => b === 0)) {
      file.checksumVerified = false;
    } else {
      check(new Crc64().update(buf, 0, end).equalsLE(buf, end), "RDB: wrong checksum");
      file.checksumVerified = true;
    }
    file.endOffset = end + 8;
  } else file.endOffset = r.pos;
  return file;
}

/** Parse a whole RDB file into its entries. */
export function readRdb(buf: Uint8Array, o: RdbOptions): RdbFile & { entries: RdbEntry[] } {
  const entries: RdbEntry[] = [];
  const file = parseRdb(buf, o, (e) => entries.push(e));
  return { ...file, entries };
}

export interface LoadResult extends RdbFile {
  /** Keys added to the Db. */
  loaded: number;
  /** Keys already expired and dropped (only when `dropExpired`). */
  expiredSkipped: number;
  /** Keys of databases past the ones given (a file of a server with more `databases`). */
  otherDbSkipped: number;
}

/**
 * The database an RDB entry of database `dbId` goes into: `dbs` alone is database 0; of an array,
 * the one at that index. Null when there is none.
 */
export function targetDb(dbs: Db | readonly Db[], dbId: number): Db | null {
  if (!Array.isArray(dbs)) return dbId === 0 ? dbs as Db : null;
  return (dbs as readonly Db[])[dbId] ?? null;
}

/**
 * Load a whole RDB file into `db` (which the caller has emptied). As rdbLoad on a master,
 * `dropExpired` skips keys whose expiry is already past (a replica keeps them: its master
 * expires them). A key appearing twice is a format error.
 */
export function loadRdb(
  dbs: Db | readonly Db[],
  buf: Uint8Array,
  o: RdbOptions,
  opts: { dropExpired: boolean; nowMs: number },
): LoadResult {
  let loaded = 0;
  let expiredSkipped = 0;
  let otherDbSkipped = 0;
  const file = parseRdb(buf, o, (e) => {
    const db = targetDb(dbs, e.dbId);
    if (db === null) {
      otherDbSkipped++;
      return;
    }
    if (opts.dropExpired && e.expireMs !== -1 && e.expireMs < opts.nowMs) {
      expiredSkipped++;
      return;
    }
    check(!db.dict.has(e.key), "RDB: duplicate key");
    db.addLoaded(e.key, e.value, e.idleSec, e.freq);
    if (e.expireMs !== -1) db.expires.set(e.key, e.expireMs);
    loaded++;
  });
  return { ...file, loaded, expiredSkipped, otherDbSkipped };
}
