/**
 * Two behaviours of Redis's Lua 5.1 that live in the C code of wasmoon's Lua 5.4 module, out of
 * the prelude's reach, given to the module by changing a few of its bytes before it is
 * instantiated (`patchLuaModule`, pure: bytes in, bytes out). Each change is made only where the
 * bytes are exactly the expected ones, found exactly once; another build of the module is left as
 * it is (`skipped` names what was not changed, and the differential tests show the difference).
 *
 * 1. **Numbers as text.** Lua 5.1 turns every number into text with "%.14g" (luaconf.h
 *    LUA_NUMBER_FMT): `'x' .. 10/2` is "x5". Lua 5.4's tostringbuff (lobject.c) formats a float
 *    with the same "%.14g" and then appends ".0" when the text "looks like an int":
 *
 *    ```c
 *    if (buff[strspn(buff, "-0123456789")] == '\0') {  // looks like an int?
 *      buff[len++] = lua_getlocaledecpoint();
 *      buff[len++] = '0';  // adds '.0' to result
 *    }
 *    ```
 *
 *    so `'x' .. 10/2` is "x5.0", `string.len(10/2)` is 3 (not 1), and so goes every conversion
 *    the VM's C code makes by itself (concatenation, string functions given a number,
 *    lua_tolstring). The character set "-0123456789" is a string constant in the module's data
 *    (its only copy: the linker merged "0123456789", used elsewhere, into its tail). Its first byte
 *    made the terminator, the set is empty: strspn returns 0, `buff[0]` is never the terminator of
 *    a formatted number, and no ".0" is appended. Integers (a subtype 5.1 lacks) still print with
 *    every digit: `'x' .. 100000000000000` is "x100000000000000" where 5.1 prints "x1e+14" (only
 *    integers of 15 digits or more differ).
 *
 * 2. **Integer arguments.** A library function of Lua 5.1 reads an integer argument with
 *    lua_tointeger, which truncates a float toward zero (`string.sub('abcdef', 2, 4.5)` is "bcd",
 *    `string.sub(s, -2.5)` the last two bytes); Lua 5.4's lua_tointegerx accepts only a float with
 *    an exact integer value and luaL_checkinteger raises "number has no integer representation".
 *    lua_tointegerx (lapi.c) has luaV_tointegerns and luaV_flttointns (lvm.c) inlined with the
 *    mode F2Ieq:
 *
 *    ```c
 *    lua_Number f = l_floor(n);
 *    if (n != f) return 0;  // F2Ieq: fails if not an integral value
 *    return lua_numbertointeger(f, p);  // fails out of range
 *    ```
 *
 *    compiled to `local.tee n; f64.floor; local.tee f; local.get n; f64.ne; br_if` and the range
 *    test's two comparisons, `i32.and; local.tee ok; i32.eqz; br_if`; then the conversion itself,
 *    which gives INT64_MIN for a NaN, an infinity or a float out of range, as x86-64's cvttsd2si
 *    gives it to Lua 5.1. In that function's body alone, the floor becomes f64.trunc, the tee of f
 *    a set, the comparison and its branch five nops, and the range test's result is dropped with
 *    ok set to 1: the same length, so nothing else in the module moves. Every library function's
 *    integer argument (luaL_checkinteger, luaL_optinteger) is then read as 5.1 reads it; the VM's
 *    own conversions (table keys, for-loop limits) call luaV_tointeger, another function, and
 *    are unchanged.
 */

/** What `patchLuaModule` did. */
export interface PatchedLuaModule {
  bytes: Uint8Array;
  /** The changes not made (their bytes were not found as expected). */
  skipped: string[];
}

/** tostringbuff's "looks like an int" set, with the terminators before and after it. */
const LOOKS_LIKE_AN_INT_SET = new TextEncoder().encode("\0-0123456789\0");
/**
 * lua_tointegerx's `f = floor(n); if (n != f || !(f < 2^63 && f >= -2^63)) fail` (wasmoon 1.16:
 * n is local 7, f local 6, the result flag local 0).
 */
const FLOOR_OR_FAIL = Uint8Array.of(
  ...[0x22, 0x07, 0x9c, 0x22, 0x06, 0x20, 0x07, 0x62, 0x0d, 0x01], // tee n, floor, tee f, n != f?
  ...[0x20, 0x06, 0x44, 0, 0, 0, 0, 0, 0, 0xe0, 0x43, 0x63], // f < 2^63
  ...[0x20, 0x06, 0x44, 0, 0, 0, 0, 0, 0, 0xe0, 0xc3, 0x66], // f >= -2^63
  ...[0x71, 0x22, 0x00, 0x45, 0x0d, 0x01], // and, tee ok, fail if not
);
/** `f = trunc(n)`, five nops, the range tests dropped and ok = 1. */
const TRUNCATE = Uint8Array.of(
  ...[0x22, 0x07, 0x9d, 0x21, 0x06, 0x01, 0x01, 0x01, 0x01, 0x01],
  ...FLOOR_OR_FAIL.subarray(10, 34),
  ...[0x1a, 0x1a, 0x41, 0x01, 0x21, 0x00],
);

/** `wasm` (wasmoon's Lua 5.4 module) with Lua 5.1's number text and integer arguments. */
export function patchLuaModule(wasm: Uint8Array): PatchedLuaModule {
  const bytes = wasm.slice();
  const skipped: string[] = [];
  const set = findOnly(bytes, LOOKS_LIKE_AN_INT_SET, 0, bytes.length);
  if (set >= 0) bytes[set + 1] = 0; // the set's '-' becomes its terminator
  else skipped.push("number text");
  const body = exportedFunctionBody(bytes, "lua_tointegerx");
  const floor = body === null ? -1 : findOnly(bytes, FLOOR_OR_FAIL, body.start, body.end);
  if (floor >= 0) bytes.set(TRUNCATE, floor);
  else skipped.push("integer arguments");
  return { bytes, skipped };
}

/** Where `needle` starts in `haystack[from, to)` if it occurs there exactly once, else -1. */
function findOnly(haystack: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  let found = -1;
  const last = to - needle.length;
  outer: for (
    let i = haystack.indexOf(needle[0], from);
    i >= 0 && i <= last;
    i = haystack.indexOf(needle[0], i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    if (found >= 0) return -1;
    found = i;
  }
  return found;
}

const SECTION_IMPORT = 2;
const SECTION_EXPORT = 7;
const SECTION_CODE = 10;
const KIND_FUNCTION = 0;

/**
 * The byte range of the body of the function a WebAssembly module exports as `name`; null if it
 * exports no such function or the module cannot be read (WebAssembly binary format 1.0).
 */
export function exportedFunctionBody(
  wasm: Uint8Array,
  name: string,
): { start: number; end: number } | null {
  try {
    return findBody(wasm, name);
  } catch (e) {
    if (e instanceof RangeError) return null; // read past the end: not a module we can read
    throw e;
  }
}

function findBody(wasm: Uint8Array, name: string): { start: number; end: number } | null {
  const r = new Reader(wasm);
  if (r.u32le() !== 0x6d736100 || r.u32le() !== 1) return null; // "\0asm", version 1
  let importedFunctions = 0;
  let index = -1;
  while (!r.done()) {
    const id = r.byte();
    const size = r.leb();
    const end = r.pos + size;
    if (end > wasm.length) return null; // cut short
    if (id === SECTION_IMPORT) {
      for (let n = r.leb(); n > 0; n--) {
        r.skip(r.leb()); // module
        r.skip(r.leb()); // field
        const kind = r.byte();
        if (kind === KIND_FUNCTION) {
          r.leb();
          importedFunctions++;
        } else if (kind === 1) { // table: reference type, limits
          r.byte();
          r.limits();
        } else if (kind === 2) r.limits(); // memory
        else if (kind === 3) r.skip(2); // global: value type, mutability
        else return null;
      }
    } else if (id === SECTION_EXPORT) {
      for (let n = r.leb(); n > 0; n--) {
        const length = r.leb();
        const field = new TextDecoder().decode(wasm.subarray(r.pos, r.pos + length));
        r.skip(length);
        const kind = r.byte();
        const i = r.leb();
        if (kind === KIND_FUNCTION && field === name) index = i;
      }
    } else if (id === SECTION_CODE) {
      if (index < importedFunctions) return null;
      let n = r.leb();
      for (let f = importedFunctions; n > 0; n--, f++) {
        const bodySize = r.leb();
        if (f === index) {
          return r.pos + bodySize <= end ? { start: r.pos, end: r.pos + bodySize } : null;
        }
        r.skip(bodySize);
      }
      return null;
    }
    r.pos = end;
  }
  return null;
}

/** A cursor over a module's bytes; reading past the end throws a RangeError. */
class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

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
