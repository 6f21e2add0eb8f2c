/**
 * Reading and rewriting the parts of a WebAssembly module (binary format 1.0) that
 * `lua_module_patch.ts` needs, as pure functions over bytes: the sections, the body of an
 * exported function, the memory address of a constant in the data segments, and the module with
 * some function bodies replaced (the only change of length: the bodies' and the code section's
 * sizes are encoded again; nothing in a module refers to a byte offset of its code).
 *
 * A module that cannot be read as expected (cut short, an unknown import kind, a data segment
 * that is not active at a constant address) gives null, never a partial answer.
 */

import { concatBytes } from "../protocol/bytes.ts";

/** A section's id, where it begins (its id byte), and where its payload is. */
export interface Section {
  id: number;
  at: number;
  start: number;
  end: number;
}

/** A function body's place in the module, by function index (imports first). */
export interface FunctionBody {
  index: number;
  start: number;
  end: number;
}

const SECTION_IMPORT = 2;
const SECTION_EXPORT = 7;
const SECTION_CODE = 10;
const SECTION_DATA = 11;
const KIND_FUNCTION = 0;
const I32_CONST = 0x41;
const END = 0x0b;

/** The module's sections in order; null if it is not a module or is cut short. */
export function sections(wasm: Uint8Array): Section[] | null {
  return readOrNull(() => {
    const r = new Reader(wasm);
    if (r.u32le() !== 0x6d736100 || r.u32le() !== 1) return null; // "\0asm", version 1
    const out: Section[] = [];
    while (!r.done()) {
      const at = r.pos;
      const id = r.byte();
      const size = r.leb();
      if (r.pos + size > wasm.length) return null;
      out.push({ id, at, start: r.pos, end: r.pos + size });
      r.pos += size;
    }
    return out;
  });
}

/** Every function body of the code section, with its function index. */
export function functionBodies(wasm: Uint8Array): FunctionBody[] | null {
  return readOrNull(() => {
    const all = sections(wasm);
    if (all === null) return null;
    const imported = importedFunctions(wasm, all);
    const code = all.find((s) => s.id === SECTION_CODE);
    if (imported === null || code === undefined) return null;
    const r = new Reader(wasm, code.start);
    const out: FunctionBody[] = [];
    for (let n = r.leb(), index = imported; n > 0; n--, index++) {
      const size = r.leb();
      if (r.pos + size > code.end) return null;
      out.push({ index, start: r.pos, end: r.pos + size });
      r.pos += size;
    }
    return out;
  });
}

/** The body of the function the module exports as `name`; null if none. */
export function exportedFunctionBody(wasm: Uint8Array, name: string): FunctionBody | null {
  return readOrNull(() => {
    const all = sections(wasm);
    const exports = all?.find((s) => s.id === SECTION_EXPORT);
    if (exports === undefined) return null;
    const r = new Reader(wasm, exports.start);
    let index = -1;
    for (let n = r.leb(); n > 0; n--) {
      const length = r.leb();
      const field = new TextDecoder().decode(wasm.subarray(r.pos, r.pos + length));
      r.skip(length);
      const kind = r.byte();
      const i = r.leb();
      if (kind === KIND_FUNCTION && field === name) index = i;
    }
    return functionBodies(wasm)?.find((b) => b.index === index) ?? null;
  });
}

/**
 * The memory address of `bytes` in the module's data segments, if they occur there exactly once
 * (within one segment); null otherwise.
 */
export function dataAddress(wasm: Uint8Array, bytes: Uint8Array): number | null {
  return readOrNull(() => {
    const data = sections(wasm)?.find((s) => s.id === SECTION_DATA);
    if (data === undefined) return null;
    const r = new Reader(wasm, data.start);
    let found: number | null = null;
    for (let n = r.leb(); n > 0; n--) {
      if (r.leb() !== 0 || r.byte() !== I32_CONST) return null; // active, memory 0, i32.const
      const base = r.sleb();
      if (r.byte() !== END) return null;
      const size = r.leb();
      const at = findOnly(wasm, bytes, r.pos, r.pos + size);
      if (at === -2) return null;
      if (at >= 0) {
        if (found !== null) return null;
        found = base + at - r.pos;
      }
      r.skip(size);
    }
    return found;
  });
}

/**
 * Where `needle` starts in `haystack[from, to)` if it occurs there exactly once; -1 if it does not
 * occur, -2 if it occurs more than once.
 */
export function findOnly(
  haystack: Uint8Array,
  needle: Uint8Array,
  from: number,
  to: number,
): number {
  let found = -1;
  // Scan for the needle's first byte that is not 0 (a module's data is mostly zeros).
  let k = 0;
  while (k < needle.length - 1 && needle[k] === 0) k++;
  const last = to - needle.length;
  outer: for (
    let i = haystack.indexOf(needle[k], from + k) - k;
    i >= from && i <= last;
    i = haystack.indexOf(needle[k], i + k + 1) - k
  ) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    if (found >= 0) return -2;
    found = i;
  }
  return found;
}

/**
 * The module with the bodies (code only, after the size) of the functions in `replaced` (by
 * function index) replaced; null if it cannot be read.
 */
export function withFunctionBodies(
  wasm: Uint8Array,
  replaced: Map<number, Uint8Array>,
): Uint8Array | null {
  const all = sections(wasm);
  const bodies = functionBodies(wasm);
  const code = all?.find((s) => s.id === SECTION_CODE);
  if (bodies === null || code === undefined) return null;
  const parts: Uint8Array[] = [Uint8Array.from(uleb(bodies.length))];
  let payloadBytes = parts[0].length;
  for (const b of bodies) {
    const body = replaced.get(b.index) ?? wasm.subarray(b.start, b.end);
    const size = Uint8Array.from(uleb(body.length));
    parts.push(size, body);
    payloadBytes += size.length + body.length;
  }
  // The code section's size is encoded again, after its id.
  return concatBytes([
    wasm.subarray(0, code.at + 1),
    Uint8Array.from(uleb(payloadBytes)),
    ...parts,
    wasm.subarray(code.end),
  ]);
}

/** Unsigned LEB128 of a non-negative number below 2^32. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an i32. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** The number of imported functions; null on an import kind this reader does not know. */
function importedFunctions(wasm: Uint8Array, all: Section[]): number | null {
  const imports = all.find((s) => s.id === SECTION_IMPORT);
  if (imports === undefined) return 0;
  const r = new Reader(wasm, imports.start);
  let count = 0;
  for (let n = r.leb(); n > 0; n--) {
    r.skip(r.leb()); // module
    r.skip(r.leb()); // field
    const kind = r.byte();
    if (kind === KIND_FUNCTION) {
      r.leb();
      count++;
    } else if (kind === 1) { // table: reference type, limits
      r.byte();
      r.limits();
    } else if (kind === 2) r.limits(); // memory
    else if (kind === 3) r.skip(2); // global: value type, mutability
    else return null;
  }
  return count;
}

/** `read()`, or null when it reads past the end of the module. */
function readOrNull<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** A cursor over a module's bytes; reading past the end throws a RangeError. */
class Reader {
  constructor(private readonly bytes: Uint8Array, public pos = 0) {}

  done(): boolean {
    return this.pos >= this.bytes.length;
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw new RangeError("end of module");
    return this.bytes[this.pos++];
  }

  u32le(): number {
    return (this.byte() | this.byte() << 8 | this.byte() << 16 | this.byte() << 24) >>> 0;
  }

  /** An unsigned LEB128 of at most 32 bits. */
  leb(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new RangeError("LEB128 too long");
  }

  /** A signed LEB128 of at most 32 bits. */
  sleb(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return shift + 7 < 32 && (b & 0x40) !== 0 ? value | (-1 << (shift + 7)) : value;
    }
    throw new RangeError("LEB128 too long");
  }

  skip(n: number): void {
    if (this.pos + n > this.bytes.length) throw new RangeError("end of module");
    this.pos += n;
  }

  /** Table or memory limits: a flag, the minimum, and the maximum when flag bit 0 is set. */
  limits(): void {
    const flags = this.byte();
    this.leb();
    if (flags & 1) this.leb();
  }
}
