/**
 * FUNCTION DUMP / RESTORE payloads (Redis 7.0's functionDumpCommand): for each library the
 * RDB_OPCODE_FUNCTION2 byte and its code as an RDB string, then the RDB version (u16le) and a
 * CRC64 (u64le) of everything before it. Pure over bytes.
 */

import { ByteWriter, RdbFormatError } from "../protocol/rdb_buffer.ts";
import { RdbReader, writeString } from "../protocol/rdb_object.ts";
import { finishDumpPayload, verifyDumpPayload } from "../protocol/rdb_dump.ts";
import { RDB_OPCODE } from "../protocol/rdb_file.ts";

const FUNCTION2 = RDB_OPCODE.FUNCTION2;

export function createFunctionsPayload(codes: Uint8Array[], compression: boolean): Uint8Array {
  const w = new ByteWriter(64);
  for (const code of codes) {
    w.u8(FUNCTION2);
    writeString(w, code, compression);
  }
  return finishDumpPayload(w);
}

/** The library codes of a payload, or an error text as FUNCTION RESTORE answers it. */
export function parseFunctionsPayload(p: Uint8Array): Uint8Array[] | { error: string } {
  if (!verifyDumpPayload(p)) return { error: "DUMP payload version or checksum are wrong" };
  const r = new RdbReader(p, 0, p.length - 10);
  const codes: Uint8Array[] = [];
  try {
    while (r.pos < p.length - 10) {
      const op = r.u8();
      if (op !== FUNCTION2) return { error: "given type is not a function" };
      codes.push(r.readString());
    }
  } catch (e) {
    if (e instanceof RdbFormatError) return { error: "DUMP payload version or checksum are wrong" };
    throw e;
  }
  return codes;
}
