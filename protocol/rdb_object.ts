/**
 * RDB object encoding (Redis 7.0, RDB version 10): lengths, strings (integer and LZF forms) and
 * every value type we hold, written as 7.0 writes them and read in every encoding 7.0 loads.
 *
 * Written types: STRING (0); LIST_QUICKLIST_2 (18, listpack nodes); HASH_LISTPACK (16) when small
 * (hash-max-listpack-entries/value) else HASH (4); SET_INTSET (11) when all members are integers
 * and few (set-max-intset-entries) else SET (2); ZSET_LISTPACK (17) while the zset is
 * listpack-encoded else ZSET_2 (5, binary doubles, written tail to head as Redis does);
 * STREAM_LISTPACKS_2 (19: the nodes' listpacks as they are, then counters and consumer groups).
 * Also read: LIST (1), ZSET (3, text doubles), HASH_ZIPMAP (9), LIST_ZIPLIST (10),
 * ZSET_ZIPLIST (12), HASH_ZIPLIST (13), LIST_QUICKLIST (14), STREAM_LISTPACKS (15, without the
 * 7.0 counters, which are then derived as 7.0 does). Modules are rejected.
 *
 * Every reader fully parses and validates (like sanitize-dump-payload yes): malformed input,
 * duplicates, NaN scores and trailing bytes inside a blob throw RdbFormatError; an empty aggregate throws
 * EmptyKeyError (RESTORE refuses it, file loading skips the key, as Redis does).
 */

import {
  ByteReader,
  ByteWriter,
  check,
  copyBytes,
  intToBytes,
  latin1Range,
  RdbFormatError,
} from "./rdb_buffer.ts";
import { lzfCompress, lzfDecompress, LzfError } from "./lzf.ts";
import { ListpackBuilder, listpackDecode } from "./listpack.ts";
import { ziplistDecode } from "./ziplist.ts";
import { intsetDecode, intsetEncode } from "./intset.ts";
import { zipmapDecode } from "./zipmap.ts";
import { formatDouble17g, fromLatin1, latin1, parseInt64, parseInt64Big } from "./bytes.ts";
import { Deque } from "../keyspace/deque.ts";
import { ZSet } from "../keyspace/zset.ts";
import type { HashValue, ListValue, Value } from "../keyspace/db.ts";
import { Hash, type HashLimits } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import { loadedString } from "../keyspace/string_value.ts";
import {
  ConsumerGroup,
  idOfKey,
  type Nack,
  Pel,
  Stream,
  type StreamId,
} from "../keyspace/stream.ts";
import { Listpack } from "../keyspace/stream_listpack.ts";

export { RdbFormatError };

export const RDB_VERSION = 10;

export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
} as const;

/** Is `t` an object type byte (as opposed to an opcode)? */
export function isObjectType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 19);
}

/** An aggregate with no elements: RESTORE refuses it, file loading skips the key. */
export class EmptyKeyError extends RdbFormatError {}

/** The configuration that decides encodings (Redis's directives of the same names). */
export interface RdbOptions {
  /** rdbcompression: LZF-compress strings longer than 20 bytes when it saves space. */
  compression: boolean;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  /** list-max-listpack-size: < 0 a node byte limit (-1 4K ... -5 64K), > 0 an entry count. */
  listMaxListpackSize: number;
}

export const DEFAULT_RDB_OPTIONS: RdbOptions = {
  compression: true,
  hashMaxListpackEntries: 128,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  listMaxListpackSize: -2,
};

const RDB_6BITLEN = 0;
const RDB_14BITLEN = 1;
const RDB_32BITLEN = 0x80;
const RDB_64BITLEN = 0x81;
const RDB_ENCVAL = 3;
const RDB_ENC_INT8 = 0;
const RDB_ENC_INT16 = 1;
const RDB_ENC_INT32 = 2;
const RDB_ENC_LZF = 3;

const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
const QUICKLIST_NODE_CONTAINER_PACKED = 2;

// ---------------------------------------------------------------------------------------------
// Lengths and strings

/** rdbSaveLen. */
export function writeLength(w: ByteWriter, n: number): void {
  if (n < 64) {
    w.u8((RDB_6BITLEN << 6) | n);
  } else if (n < 16384) {
    w.u8((RDB_14BITLEN << 6) | (n >>> 8));
    w.u8(n & 0xff);
  } else if (n <= 0xffffffff) {
    w.u8(RDB_32BITLEN);
    w.u32be(n);
  } else {
    w.u8(RDB_64BITLEN);
    w.u64be(n);
  }
}

/**
 * rdbLoadLenByRef: a length, or (when the top two bits are 11) a special string encoding, in
 * which case `lastEncoded` is set and the returned value is the encoding type.
 */
export class RdbReader extends ByteReader {
  lastEncoded = false;

  readLengthOrEncoding(): number {
    const b = this.u8();
    const kind = b >> 6;
    this.lastEncoded = false;
    if (kind === RDB_ENCVAL) {
      this.lastEncoded = true;
      return b & 0x3f;
    }
    if (kind === RDB_6BITLEN) return b & 0x3f;
    if (kind === RDB_14BITLEN) return ((b & 0x3f) << 8) | this.u8();
    if (b === RDB_32BITLEN) return this.u32be();
    if (b === RDB_64BITLEN) return this.u64be();
    throw new RdbFormatError(`unknown length encoding ${b}`);
  }

  /** A plain length (an encoded-string marker here is an error). */
  readLength(): number {
    const n = this.readLengthOrEncoding();
    check(!this.lastEncoded, "unexpected encoded length");
    return n;
  }

  /** rdbGenericLoadStringObject: a string in any of its encodings, as bytes. */
  readString(): Uint8Array {
    const n = this.readLengthOrEncoding();
    if (this.lastEncoded) {
      switch (n) {
        case RDB_ENC_INT8: {
          const v = this.u8();
          return intText(v >= 128 ? v - 256 : v);
        }
        case RDB_ENC_INT16: {
          const v = this.u16le();
          return intText(v >= 32768 ? v - 65536 : v);
        }
        case RDB_ENC_INT32:
          return intText(this.u32le() | 0);
        case RDB_ENC_LZF: {
          const clen = this.readLength();
          const len = this.readLength();
          const comp = this.bytes(clen);
          check(len > 0 || clen === 0, "lzf: empty");
          // A 3-byte back reference expands to at most 264 bytes: bound the allocation.
          check(len <= clen * 88 + 32, "lzf: impossible expansion");
          try {
            return lzfDecompress(comp, len);
          } catch (e) {
            if (e instanceof LzfError) throw new RdbFormatError(e.message);
            throw e;
          }
        }
        default:
          throw new RdbFormatError(`unknown string encoding ${n}`);
      }
    }
    this.need(n);
    const start = this.pos;
    this.pos += n;
    return copyBytes(this.buf, start, start + n);
  }

  /** A string as a binary string (keys, fields, members), without an intermediate copy. */
  readBinaryString(): string {
    const save = this.pos;
    const n = this.readLengthOrEncoding();
    if (this.lastEncoded) {
      this.pos = save;
      return latin1(this.readString());
    }
    this.need(n);
    const start = this.pos;
    this.pos += n;
    return latin1Range(this.buf, start, start + n);
  }

  /** rdbLoadDoubleValue (text double of RDB_TYPE_ZSET). */
  readTextDouble(): number {
    const len = this.u8();
    if (len === 253) return NaN;
    if (len === 254) return Infinity;
    if (len === 255) return -Infinity;
    return parseScoreText(this.bytes(len));
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

const intText = intToBytes;

/** A score as strtod reads it from a listpack/ziplist/text entry; NaN or junk throws. */
function parseScoreText(b: Uint8Array): number {
  const s = dec.decode(b).trim().toLowerCase();
  let v: number;
  if (s === "inf" || s === "+inf" || s === "infinity") v = Infinity;
  else if (s === "-inf" || s === "-infinity") v = -Infinity;
  else v = s === "" ? NaN : Number(s);
  check(!Number.isNaN(v), "score is not a number");
  return v;
}

/** rdbTryIntegerEncoding: a canonical integer string of <= 11 bytes fitting in 32 bits. */
function tryIntegerEncoding(w: ByteWriter, b: Uint8Array): boolean {
  if (b.length === 0 || b.length > 11) return false;
  const c = b[0];
  if (c !== 45 && (c < 48 || c > 57)) return false;
  const v = parseInt64(b);
  if (v === null) return false;
  if (v >= -128 && v <= 127) {
    w.u8((RDB_ENCVAL << 6) | RDB_ENC_INT8);
    w.u8(v & 0xff);
  } else if (v >= -32768 && v <= 32767) {
    w.u8((RDB_ENCVAL << 6) | RDB_ENC_INT16);
    w.u16le(v & 0xffff);
  } else if (v >= -2147483648 && v <= 2147483647) {
    w.u8((RDB_ENCVAL << 6) | RDB_ENC_INT32);
    w.u32le(v >>> 0);
  } else {
    return false;
  }
  return true;
}

/** rdbSaveRawString: integer form, else LZF when enabled and smaller, else length + bytes. */
export function writeString(w: ByteWriter, b: Uint8Array, compression: boolean): void {
  const len = b.length;
  if (len <= 11 && tryIntegerEncoding(w, b)) return;
  if (compression && len > 20) {
    const comp = lzfCompress(b, len - 4);
    if (comp !== null) {
      w.u8((RDB_ENCVAL << 6) | RDB_ENC_LZF);
      writeLength(w, comp.length);
      writeLength(w, len);
      w.bytes(comp);
      return;
    }
  }
  writeLength(w, len);
  w.bytes(b);
}

/** writeString for a binary string (one char per byte). */
export function writeBinaryString(w: ByteWriter, s: string, compression: boolean): void {
  if (s.length <= 20 || !compression) {
    if (s.length !== 0 && s.length <= 11) {
      const c = s.charCodeAt(0);
      if ((c === 45 || (c >= 48 && c <= 57)) && tryIntegerEncoding(w, fromLatin1(s))) return;
    }
    writeLength(w, s.length);
    w.binary(s);
    return;
  }
  writeString(w, fromLatin1(s), compression);
}

// ---------------------------------------------------------------------------------------------
// Writing objects

/** Is the binary string a canonical int64 (what an intset can hold)? Returns it as bigint. */
function int64OfBinary(s: string): bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  const c = s.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return null;
  return parseInt64Big(fromLatin1(s));
}

/** Quicklist node size limits for negative list-max-listpack-size values (-1 .. -5). */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT = 8192;

/** Redis's SIZE_ESTIMATE_OVERHEAD: the per-entry overhead quicklist assumes when filling nodes. */
const SIZE_ESTIMATE_OVERHEAD = 8;

/** _quicklistNodeAllowInsert (7.0): may a node of `nodeBytes`/`count` take an element of `sz`? */
function nodeAllowsInsert(nodeBytes: number, count: number, fill: number, sz: number): boolean {
  const newSz = nodeBytes + sz + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) {
    const idx = -fill - 1;
    if (idx < OPTIMIZATION_LEVEL.length && newSz <= OPTIMIZATION_LEVEL[idx]) return true;
  }
  if (newSz > SIZE_SAFETY_LIMIT) return false;
  return count < fill;
}

/** The listpack nodes a 7.0 quicklist would hold for these elements. */
export function quicklistNodes(items: Iterable<string | Uint8Array>, fill: number): Uint8Array[] {
  const nodes: Uint8Array[] = [];
  let cur: ListpackBuilder | null = null;
  for (const e of items) {
    if (cur !== null && !nodeAllowsInsert(cur.bytes, cur.count, fill, e.length)) {
      nodes.push(cur.finish());
      cur = null;
    }
    if (cur === null) cur = new ListpackBuilder();
    if (typeof e === "string") cur.addBinary(e); // an element held as a binary string
    else cur.add(e);
  }
  if (cur !== null) nodes.push(cur.finish());
  return nodes;
}

/** (double)(LLONG_MAX / 2): double2ll's bound. */
const DOUBLE2LL_MAX = 4611686018427387904;

/**
 * zzlInsertAt: a score that double2ll can hold exactly (integral, |d| <= 2^62; -0 counts as 0)
 * is stored as a listpack integer, anything else as d2string's "%.17g" text.
 */
function addScore(lp: ListpackBuilder, score: number): void {
  if (Number.isInteger(score) && score >= -DOUBLE2LL_MAX && score <= DOUBLE2LL_MAX) {
    lp.addInt(Number.isSafeInteger(score) ? (score === 0 ? 0 : score) : BigInt(score));
  } else if (score === Infinity) {
    lp.addString(enc.encode("inf"));
  } else if (score === -Infinity) {
    lp.addString(enc.encode("-inf"));
  } else {
    lp.addString(enc.encode(formatDouble17g(score)));
  }
}

/** The type byte `writeObject` will use for this value (each value knows its encoding). */
export function objectType(v: Value): number {
  if (typeof v === "string" || v instanceof Uint8Array) return RDB_TYPE.STRING;
  if (v instanceof Deque) return RDB_TYPE.LIST_QUICKLIST_2;
  if (v instanceof Hash) return v.listpack ? RDB_TYPE.HASH_LISTPACK : RDB_TYPE.HASH;
  if (v instanceof MemberSet) return v.intset ? RDB_TYPE.SET_INTSET : RDB_TYPE.SET;
  if (v instanceof Stream) return RDB_TYPE.STREAM_LISTPACKS_2;
  return v.listpack ? RDB_TYPE.ZSET_LISTPACK : RDB_TYPE.ZSET_2;
}

/** rdbSaveObjectType + rdbSaveObject: the type byte, then the value. */
export function writeTypedObject(w: ByteWriter, v: Value, o: RdbOptions): void {
  const type = objectType(v);
  w.u8(type);
  writeObject(w, type, v, o);
}

/** rdbSaveObject for a value whose type byte (from `objectType`) was already written. */
export function writeObject(w: ByteWriter, type: number, v: Value, o: RdbOptions): void {
  const z = o.compression;
  switch (type) {
    case RDB_TYPE.STRING:
      if (typeof v === "string") writeBinaryString(w, v, z);
      else writeString(w, v as Uint8Array, z);
      return;
    case RDB_TYPE.LIST_QUICKLIST_2: {
      const nodes = quicklistNodes(v as ListValue, o.listMaxListpackSize);
      writeLength(w, nodes.length);
      for (const lp of nodes) {
        writeLength(w, QUICKLIST_NODE_CONTAINER_PACKED);
        writeString(w, lp, z);
      }
      return;
    }
    case RDB_TYPE.HASH_LISTPACK: {
      const lp = new ListpackBuilder();
      for (const [f, val] of v as HashValue) {
        lp.addBinary(f);
        if (typeof val === "string") lp.addBinary(val);
        else lp.add(val);
      }
      writeString(w, lp.finish(), z);
      return;
    }
    case RDB_TYPE.HASH: {
      const h = v as HashValue;
      writeLength(w, h.size);
      for (const [f, val] of h) {
        writeBinaryString(w, f, z);
        if (typeof val === "string") writeBinaryString(w, val, z);
        else writeString(w, val, z);
      }
      return;
    }
    case RDB_TYPE.SET_INTSET: {
      const ints: bigint[] = [];
      for (const m of v as MemberSet) ints.push(int64OfBinary(m)!);
      writeString(w, intsetEncode(ints), z);
      return;
    }
    case RDB_TYPE.SET: {
      const s = v as MemberSet;
      writeLength(w, s.size);
      for (const m of s) writeBinaryString(w, m, z);
      return;
    }
    case RDB_TYPE.ZSET_LISTPACK: {
      const lp = new ListpackBuilder();
      for (const [m, score] of v as ZSet) {
        lp.addBinary(m);
        addScore(lp, score);
      }
      writeString(w, lp.finish(), z);
      return;
    }
    case RDB_TYPE.ZSET_2: {
      const zs = v as ZSet;
      const items = [...zs];
      writeLength(w, items.length);
      // Tail to head, as rdbSaveObject does (so loading inserts at the head).
      for (let i = items.length - 1; i >= 0; i--) {
        writeBinaryString(w, items[i][0], z);
        w.f64le(items[i][1]);
      }
      return;
    }
    case RDB_TYPE.STREAM_LISTPACKS_2:
      writeStream(w, v as Stream, z);
      return;
    default:
      throw new Error(`cannot write RDB type ${type}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading objects

/** A list's elements are held as string values are: small ones as binary strings. */
function buildList(items: Iterable<Uint8Array>, d = new Deque()): Deque {
  for (const e of items) d.push(loadedString(e));
  return d;
}

/** The limits a loaded hash is kept packed within (rdbLoadObject's hashTypeConvert calls). */
function hashLimits(o: RdbOptions): HashLimits {
  return { maxEntries: o.hashMaxListpackEntries, maxValueBytes: o.hashMaxListpackValue };
}

/** A hash from a listpack, ziplist or zipmap's field/value items, in their order. */
function pairsToHash(items: Uint8Array[], o: RdbOptions): HashValue {
  check(items.length % 2 === 0, "hash: odd number of entries");
  const n = items.length / 2;
  if (n === 0) throw new EmptyKeyError("empty hash");
  // Checked for duplicates through a Set: a packed hash's lookups are linear.
  const seen = new Set<string>();
  const h = n > o.hashMaxListpackEntries ? Hash.table() : new Hash();
  for (let i = 0; i < items.length; i += 2) {
    const f = latin1(items[i]);
    check(!seen.has(f), "hash: duplicate field");
    seen.add(f);
    h.set(f, loadedString(items[i + 1]));
  }
  h.fit(hashLimits(o));
  return h;
}

function addZsetMember(z: ZSet, member: string, score: number): void {
  check(!Number.isNaN(score), "zset: NaN score");
  check(z.score(member) === undefined, "zset: duplicate member");
  z.add(member, score);
}

/** A zset read from a listpack/ziplist: stays a listpack while within the entries limit. */
function pairsToZset(items: Uint8Array[], o: RdbOptions): ZSet {
  check(items.length % 2 === 0, "zset: odd number of entries");
  const n = items.length / 2;
  if (n === 0) throw new EmptyKeyError("empty zset");
  const z = new ZSet(n <= o.zsetMaxListpackEntries);
  for (let i = 0; i < items.length; i += 2) {
    addZsetMember(z, latin1(items[i]), parseScoreText(items[i + 1]));
  }
  return z;
}

/** rdbLoadObject: read a value of type `type` (the type byte was already consumed). */
export function readObject(r: RdbReader, type: number, o: RdbOptions): Value {
  switch (type) {
    case RDB_TYPE.STRING:
      return loadedString(r.readString()); // small ones as binary strings (keyspace memory)
    case RDB_TYPE.LIST: {
      const n = r.readLength();
      if (n === 0) throw new EmptyKeyError("empty list");
      const d = new Deque();
      for (let i = 0; i < n; i++) d.push(loadedString(r.readString()));
      return d;
    }
    case RDB_TYPE.SET: {
      const n = r.readLength();
      if (n === 0) throw new EmptyKeyError("empty set");
      const s = MemberSet.empty();
      for (let i = 0; i < n; i++) {
        const m = r.readBinaryString();
        check(s.add(m), "set: duplicate member");
      }
      // rdbLoadObject: an intset when it may be one, converted as its members are added.
      s.settle(o.setMaxIntsetEntries);
      return s;
    }
    case RDB_TYPE.ZSET:
    case RDB_TYPE.ZSET_2: {
      const n = r.readLength();
      if (n === 0) throw new EmptyKeyError("empty zset");
      const members: string[] = [];
      const scores: number[] = [];
      let maxLen = 0;
      for (let i = 0; i < n; i++) {
        const m = r.readBinaryString();
        const s = type === RDB_TYPE.ZSET_2 ? r.f64le() : r.readTextDouble();
        if (m.length > maxLen) maxLen = m.length;
        members.push(m);
        scores.push(s);
      }
      const z = new ZSet(n <= o.zsetMaxListpackEntries && maxLen <= o.zsetMaxListpackValue);
      for (let i = 0; i < n; i++) addZsetMember(z, members[i], scores[i]);
      return z;
    }
    case RDB_TYPE.HASH: {
      const n = r.readLength();
      if (n === 0) throw new EmptyKeyError("empty hash");
      const seen = new Set<string>();
      const h = n > o.hashMaxListpackEntries ? Hash.table() : new Hash();
      for (let i = 0; i < n; i++) {
        const f = r.readBinaryString();
        const v = r.readString();
        check(!seen.has(f), "hash: duplicate field");
        seen.add(f);
        h.set(f, loadedString(v));
      }
      h.fit(hashLimits(o));
      return h;
    }
    case RDB_TYPE.HASH_ZIPMAP: {
      const pairs = zipmapDecode(r.readString());
      const flat: Uint8Array[] = [];
      for (const [f, v] of pairs) flat.push(f, v);
      return pairsToHash(flat, o);
    }
    case RDB_TYPE.LIST_ZIPLIST: {
      const items = ziplistDecode(r.readString());
      if (items.length === 0) throw new EmptyKeyError("empty list");
      return buildList(items);
    }
    case RDB_TYPE.SET_INTSET: {
      const items = intsetDecode(r.readString());
      if (items.length === 0) throw new EmptyKeyError("empty set");
      const s = MemberSet.of(items);
      s.settle(o.setMaxIntsetEntries);
      return s;
    }
    case RDB_TYPE.ZSET_ZIPLIST:
      return pairsToZset(ziplistDecode(r.readString()), o);
    case RDB_TYPE.ZSET_LISTPACK:
      return pairsToZset(listpackDecode(r.readString()), o);
    case RDB_TYPE.HASH_ZIPLIST:
      return pairsToHash(ziplistDecode(r.readString()), o);
    case RDB_TYPE.HASH_LISTPACK:
      return pairsToHash(listpackDecode(r.readString()), o);
    case RDB_TYPE.LIST_QUICKLIST:
    case RDB_TYPE.LIST_QUICKLIST_2: {
      const nodes = r.readLength();
      const d = new Deque();
      for (let i = 0; i < nodes; i++) {
        let container = QUICKLIST_NODE_CONTAINER_PACKED;
        if (type === RDB_TYPE.LIST_QUICKLIST_2) {
          container = r.readLength();
          check(
            container === QUICKLIST_NODE_CONTAINER_PACKED ||
              container === QUICKLIST_NODE_CONTAINER_PLAIN,
            "quicklist: bad container",
          );
        }
        const blob = r.readString();
        if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
          d.push(loadedString(blob));
          continue;
        }
        // Empty nodes are skipped silently, as 7.0 does.
        buildList(type === RDB_TYPE.LIST_QUICKLIST ? ziplistDecode(blob) : listpackDecode(blob), d);
      }
      if (d.length === 0) throw new EmptyKeyError("empty list");
      return d;
    }
    case RDB_TYPE.STREAM_LISTPACKS:
    case RDB_TYPE.STREAM_LISTPACKS_2:
      return readStream(r, type);
    case RDB_TYPE.MODULE:
    case RDB_TYPE.MODULE_2:
      throw new RdbFormatError("module values are not supported");
    default:
      throw new RdbFormatError(`unknown object type ${type}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Streams (rdb.c rdbSaveObject / rdbLoadObject for OBJ_STREAM)

/** rdbSaveLen of a uint64 (a 64-bit length past 2^32). */
function writeLength64(w: ByteWriter, v: bigint): void {
  if (v <= 0xffffffffn) writeLength(w, Number(v));
  else {
    w.u8(RDB_64BITLEN);
    w.u32be(Number(v >> 32n));
    w.u32be(Number(v & 0xffffffffn));
  }
}

/** rdbLoadLen of a uint64. */
function readLength64(r: RdbReader): bigint {
  if (r.remaining > 0 && r.buf[r.pos] === RDB_64BITLEN) {
    r.pos++;
    const hi = BigInt(r.u32be());
    return (hi << 32n) | BigInt(r.u32be());
  }
  return BigInt(r.readLength());
}

function writeId(w: ByteWriter, id: StreamId): void {
  writeLength64(w, id.ms);
  writeLength64(w, id.seq);
}

function readId(r: RdbReader): StreamId {
  const ms = readLength64(r);
  return { ms, seq: readLength64(r) };
}

/** rdbSaveStreamPEL: raw 16-byte IDs, with delivery time and count for the group's PEL. */
function writePel(w: ByteWriter, pel: Pel, nacks: boolean): void {
  writeLength(w, pel.size);
  for (const [k, nack] of pel.entries()) {
    w.binary(k);
    if (nacks) {
      w.i64le(BigInt(nack.deliveryTime));
      writeLength64(w, BigInt.asUintN(64, nack.deliveryCount));
    }
  }
}

/** RDB_TYPE_STREAM_LISTPACKS_2: nodes as they are, counters, then the consumer groups. */
function writeStream(w: ByteWriter, s: Stream, compression: boolean): void {
  writeLength(w, s.nodes.length);
  for (const node of s.nodes) {
    writeBinaryString(w, node.key, compression);
    writeString(w, node.lp.toBytes(), compression);
  }
  writeLength(w, s.length);
  writeId(w, s.lastId);
  writeId(w, s.firstId);
  writeId(w, s.maxDeletedId);
  writeLength64(w, BigInt.asUintN(64, s.entriesAdded));
  const names = s.groupNames();
  writeLength(w, names.length);
  for (const name of names) {
    const g = s.group(name)!;
    writeBinaryString(w, name, compression);
    writeId(w, g.lastId);
    writeLength64(w, BigInt.asUintN(64, g.entriesRead));
    writePel(w, g.pel, true);
    const consumers = g.sortedConsumers();
    writeLength(w, consumers.length);
    for (const c of consumers) {
      writeBinaryString(w, c.name, compression);
      w.i64le(BigInt(c.seenTime));
      writePel(w, c.pel, false);
    }
  }
}

/**
 * streamValidateListpackIntegrity (deep): a valid listpack holding a master entry (count,
 * deleted, fields, 0) then exactly count+deleted entries whose lp-count matches their shape.
 */
function validateStreamListpack(bytes: Uint8Array): Listpack {
  listpackDecode(bytes); // the listpack encoding itself
  const lp = Listpack.fromBytes(bytes);
  const int = (p: number): bigint => {
    check(p !== -1, "stream listpack: truncated");
    const v = lp.getIntOrNull(p);
    check(v !== null, "stream listpack: not an integer");
    return v;
  };
  let p = lp.first();
  check(p !== -1, "Empty listpack inside stream");
  let entries = int(p);
  p = lp.next(p);
  entries += int(p);
  p = lp.next(p);
  const masterFields = int(p);
  for (let j = 0n; j < masterFields; j++) {
    p = lp.next(p);
    check(p !== -1, "stream listpack: truncated");
  }
  p = lp.next(p);
  check(int(p) === 0n, "stream listpack: no master terminator");
  p = lp.next(p);
  for (; entries > 0n; entries--) {
    const flags = int(p);
    p = lp.next(p);
    int(p);
    p = lp.next(p);
    int(p);
    p = lp.next(p);
    let fields = masterFields;
    let extra = 3n;
    if ((flags & 2n) === 0n) {
      fields = int(p);
      p = lp.next(p);
      for (let j = 0n; j < fields; j++) {
        check(p !== -1, "stream listpack: truncated");
        p = lp.next(p);
      }
      extra += fields + 1n;
    }
    for (let j = 0n; j < fields; j++) {
      check(p !== -1, "stream listpack: truncated");
      p = lp.next(p);
    }
    check(int(p) === fields + extra, "stream listpack: bad lp-count");
    p = lp.next(p);
  }
  check(p === -1, "stream listpack: trailing elements");
  return lp;
}

/** A PEL's raw 16-byte ID. */
function readRawId(r: RdbReader): string {
  r.need(16);
  const start = r.pos;
  r.pos += 16;
  return latin1Range(r.buf, start, start + 16);
}

/** rdbLoadObject for RDB_TYPE_STREAM_LISTPACKS (15, 5.x-6.x) and _2 (19, 7.0). */
function readStream(r: RdbReader, type: number): Stream {
  const s = new Stream();
  const v2 = type === RDB_TYPE.STREAM_LISTPACKS_2;
  const count = r.readLength();
  const byKey = new Map<string, Listpack>();
  for (let i = 0; i < count; i++) {
    const key = r.readBinaryString();
    check(key.length === 16, "Stream node key entry is not the size of a stream ID");
    const lp = validateStreamListpack(r.readString());
    check(!byKey.has(key), "Listpack re-added with existing key");
    byKey.set(key, lp);
  }
  for (const key of [...byKey.keys()].sort()) {
    s.nodes.push({ master: idOfKey(key), key, lp: byKey.get(key)! });
  }
  s.length = r.readLength();
  s.lastId = readId(r);
  if (v2) {
    s.firstId = readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = readLength64(r);
  } else {
    s.entriesAdded = BigInt(s.length);
    s.firstId = s.edgeId(true, true);
  }
  check(s.length === 0 || s.nodes.length !== 0, "Stream length inconsistent with rax entries");
  const groups = r.readLength();
  for (let i = 0; i < groups; i++) {
    const name = r.readBinaryString();
    const lastId = readId(r);
    const entriesRead = v2 ? BigInt.asIntN(64, readLength64(r)) : s.estimateDistance(lastId);
    const g: ConsumerGroup | undefined = s.createGroup(name, lastId, entriesRead);
    check(g !== undefined, "Duplicated consumer group name");
    const pelSize = r.readLength();
    for (let j = 0; j < pelSize; j++) {
      const k = readRawId(r);
      const deliveryTime = Number(r.i64le());
      const nack: Nack = {
        id: idOfKey(k),
        deliveryTime,
        deliveryCount: BigInt.asIntN(64, readLength64(r)),
        consumer: null,
      };
      check(g.pel.tryInsert(k, nack), "Duplicated global PEL entry loading stream consumer group");
    }
    const consumers = r.readLength();
    for (let j = 0; j < consumers; j++) {
      const cname = r.readBinaryString();
      const c = g.createConsumer(cname, 0);
      check(c !== undefined, "Duplicate stream consumer detected.");
      c.seenTime = Number(r.i64le());
      const n = r.readLength();
      for (let k = 0; k < n; k++) {
        const key = readRawId(r);
        const nack = g.pel.get(key);
        check(nack !== undefined, "Consumer entry not found in group global PEL");
        nack.consumer = c;
        check(
          c.pel.tryInsert(key, nack),
          "Duplicated consumer PEL entry loading a stream consumer group",
        );
      }
    }
    for (const [, nack] of g.pel.entries()) {
      check(nack.consumer !== null, "Stream CG PEL entry without consumer");
    }
  }
  return s;
}

/** Read a type byte and the object after it. */
export function readTypedObject(r: RdbReader, o: RdbOptions): Value {
  const type = r.u8();
  check(isObjectType(type), `not an object type: ${type}`);
  return readObject(r, type, o);
}
