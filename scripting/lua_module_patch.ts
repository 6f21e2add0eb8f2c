/**
 * Behaviours of Redis's Lua 5.1 that live in the C code of wasmoon's Lua 5.4 module, out of
 * the prelude's reach, given to the module by changing a few of its bytes before it is
 * instantiated (`patchLuaModule`, pure: bytes in, bytes out). Each change is made only where the
 * bytes are exactly the expected ones; another build of the module is left as it is (`skipped`
 * names what was not changed, and the differential tests show the difference).
 *
 * 1. **Floats as text.** Lua 5.1 turns every number into text with "%.14g" (luaconf.h
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
 *    a formatted number, and no ".0" is appended.
 *
 * 2. **Integers as text.** An integer (a 5.4 subtype; 5.1 has doubles only) is written by
 *    tostringbuff with LUA_INTEGER_FMT, "%lld", every digit: `'x' .. 100000000000000` is
 *    "x100000000000000" where 5.1 prints "x1e+14" (an integer of 15 digits or more differs). Its
 *    copies (inlined in luaO_tostring and luaO_pushvfstring) store the integer for snprintf's
 *    variable arguments and pass the address of "%lld":
 *    `local.get buf; local.get obj; i64.load; i64.store; ...; i32.const "%lld"; local.get buf`.
 *    There the integer is converted to a double on its way (f64.convert_i64_s, f64.store) and the
 *    format is "%.14g": what 5.1 prints for the same value. One byte longer: those function
 *    bodies and the code section are encoded again (wasm_module.ts).
 *
 * 3. **Error texts** of the C library that 5.1 words differently ("invalid value" for a code
 *    string.char cannot take, "invalid option" for a conversion string.format does not know,
 *    "invalid capture index" without the index), written over 5.4's in the data (`ERROR_TEXTS`).
 *
 * 4. **Integer arguments.** A library function of Lua 5.1 reads an integer argument with
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
 *    ok set to 1: the same length. Every library function's integer argument (luaL_checkinteger,
 *    luaL_optinteger) is then read as 5.1 reads it; the VM's own conversions (table keys, for-loop
 *    limits) call luaV_tointeger, another function, and are unchanged.
 */

import {
  dataAddress,
  exportedFunctionBody,
  findOnly,
  functionBodies,
  sleb,
  withFunctionBodies,
} from "./wasm_module.ts";

/** What `patchLuaModule` did. */
export interface PatchedLuaModule {
  bytes: Uint8Array;
  /** The changes not made ("float text", "integer text", "integer arguments", error texts). */
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

/**
 * Error texts of 5.4's C library where 5.1's say the same thing in other words: each 5.4 text is a
 * string constant of its own (found with its terminators, once), overwritten in place by 5.1's,
 * which is no longer (the rest of the constant is terminators).
 */
const ERROR_TEXTS: [string, string][] = [
  // string.char of a code outside 0..255 (lstrlib.c str_char).
  ["value out of range", "invalid value"],
  // string.format of an unknown conversion (lstrlib.c str_format).
  ["invalid conversion '%s' to 'format'", "invalid option '%s' to 'format'"],
  // A pattern or a replacement naming a capture it does not have (lstrlib.c check_capture,
  // get_onecapture); 5.1 does not say which.
  ["invalid capture index %%%d", "invalid capture index"],
];

/** `wasm` (wasmoon's Lua 5.4 module) with the changes of the file comment, those that apply. */
export function patchLuaModule(wasm: Uint8Array): PatchedLuaModule {
  let bytes: Uint8Array = wasm.slice();
  const skipped: string[] = [];
  const te = new TextEncoder();
  for (const [was, now] of ERROR_TEXTS) {
    const at = findOnly(bytes, te.encode(`\0${was}\0`), 0, bytes.length);
    if (at < 0) {
      skipped.push(`error text "${now}"`);
      continue;
    }
    bytes.fill(0, at + 1, at + 1 + was.length);
    bytes.set(te.encode(now), at + 1);
  }
  const set = findOnly(bytes, LOOKS_LIKE_AN_INT_SET, 0, bytes.length);
  if (set >= 0) bytes[set + 1] = 0; // the set's '-' becomes its terminator
  else skipped.push("float text");
  const body = exportedFunctionBody(bytes, "lua_tointegerx");
  const floor = body === null ? -1 : findOnly(bytes, FLOOR_OR_FAIL, body.start, body.end);
  if (floor >= 0) bytes.set(TRUNCATE, floor);
  else skipped.push("integer arguments");
  // Last: it changes the length of the code.
  const withIntegerText = integersAsFloatText(bytes);
  if (withIntegerText !== null) bytes = withIntegerText;
  else skipped.push("integer text");
  return { bytes, skipped };
}

const I64_LOAD_STORE = Uint8Array.of(0x29, 0x03, 0x00, 0x37, 0x03, 0x00);
const LOCAL_GET = 0x20;
const I32_CONST = 0x41;
const F64_CONVERT_I64_S = 0xb9;
const F64_STORE = 0x39;
/** How far after the store the format's address is looked for. */
const FORMAT_WITHIN_BYTES = 16;

/**
 * The module with tostringbuff's integer branches writing "%.14g" of the integer as a double (see
 * the file comment); null if no such branch is found or the module cannot be read.
 */
function integersAsFloatText(wasm: Uint8Array): Uint8Array | null {
  const te = new TextEncoder();
  const lld = dataAddress(wasm, te.encode("\0%lld\0"));
  const g14 = dataAddress(wasm, te.encode("\0%.14g\0"));
  const bodies = functionBodies(wasm);
  if (lld === null || g14 === null || bodies === null) return null;
  // +1: the address of the text, after the terminator before it.
  const lldConst = [I32_CONST, ...sleb(lld + 1)];
  const g14Const = [I32_CONST, ...sleb(g14 + 1)];
  const replaced = new Map<number, Uint8Array>();
  for (const b of bodies) {
    const code = wasm.subarray(b.start, b.end);
    const out: number[] = [];
    let from = 0;
    for (let i = code.indexOf(0x29, 4); i >= 0; i = code.indexOf(0x29, i + 1)) {
      // local.get buf; local.get obj; i64.load; i64.store
      if (!startsWith(code, I64_LOAD_STORE, i) || code[i - 4] !== LOCAL_GET) continue;
      if (code[i - 2] !== LOCAL_GET) continue;
      const buf = code[i - 3];
      const after = i + I64_LOAD_STORE.length;
      let format = -1;
      for (let j = after; j < after + FORMAT_WITHIN_BYTES && j < code.length; j++) {
        if (startsWith(code, [...lldConst, LOCAL_GET, buf], j)) {
          format = j;
          break;
        }
      }
      if (format < 0) continue;
      out.push(...code.subarray(from, i + 3), F64_CONVERT_I64_S, F64_STORE, 0x03, 0x00);
      out.push(...code.subarray(after, format), ...g14Const);
      from = format + lldConst.length;
    }
    if (from === 0) continue;
    out.push(...code.subarray(from));
    replaced.set(b.index, Uint8Array.from(out));
  }
  if (replaced.size === 0) return null;
  return withFunctionBodies(wasm, replaced);
}

function startsWith(code: Uint8Array, bytes: ArrayLike<number>, at: number): boolean {
  if (at < 0 || at + bytes.length > code.length) return false;
  for (let k = 0; k < bytes.length; k++) if (code[at + k] !== bytes[k]) return false;
  return true;
}
