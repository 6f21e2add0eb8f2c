import assert from "node:assert/strict";
import { exportedFunctionBody, patchLuaModule } from "./lua_module_patch.ts";
import { loadLuaModule, LUA_OK, LuaRuntime, skippedLuaModulePatches } from "./lua_runtime.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/** LEB128 of a small number. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n !== 0);
  return out;
}

function section(id: number, payload: number[]): number[] {
  return [id, ...leb(payload.length), ...payload];
}

function name(s: string): number[] {
  return [...leb(s.length), ...te.encode(s)];
}

/**
 * A module of the format's layout (not one that would validate): one imported function, one
 * imported memory with a maximum, two functions of its own, the second exported as `exported`
 * with `code` as its body, and `data` in a data section.
 */
function module(exported: string, code: number[], data: string): Uint8Array {
  const imports = [
    2,
    ...name("env"),
    ...name("f"),
    0,
    0,
    ...name("env"),
    ...name("memory"),
    2,
    1,
    1,
    2,
  ];
  const exports = [2, ...name("other"), 0, 1, ...name(exported), 0, 2];
  const bodies = [2, 2, 0, 0x0b, ...leb(code.length), ...code];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(2, imports),
    ...section(7, exports),
    ...section(10, bodies),
    ...section(11, [...te.encode(data)]),
  ]);
}

const RANGE = [
  ...[0x20, 0x06, 0x44, 0, 0, 0, 0, 0, 0, 0xe0, 0x43, 0x63],
  ...[0x20, 0x06, 0x44, 0, 0, 0, 0, 0, 0, 0xe0, 0xc3, 0x66],
];
const FLOOR_OR_FAIL = [
  ...[0x22, 0x07, 0x9c, 0x22, 0x06, 0x20, 0x07, 0x62, 0x0d, 0x01],
  ...RANGE,
  ...[0x71, 0x22, 0x00, 0x45, 0x0d, 0x01],
];
const TRUNCATE = [
  ...[0x22, 0x07, 0x9d, 0x21, 0x06, 0x01, 0x01, 0x01, 0x01, 0x01],
  ...RANGE,
  ...[0x1a, 0x1a, 0x41, 0x01, 0x21, 0x00],
];
const DATA = "\0-1e9999\0-0123456789\0utf8\0";

Deno.test("the body of an exported function is found past imported functions", () => {
  const code = [0x00, ...FLOOR_OR_FAIL, 0x0b];
  const wasm = module("lua_tointegerx", code, DATA);
  const body = exportedFunctionBody(wasm, "lua_tointegerx");
  assert.ok(body !== null);
  assert.deepEqual([...wasm.subarray(body.start, body.end)], code);
  assert.equal(exportedFunctionBody(wasm, "nothing"), null);
  assert.equal(exportedFunctionBody(wasm.subarray(0, wasm.length - 40), "lua_tointegerx"), null);
  assert.equal(exportedFunctionBody(te.encode("not a module"), "lua_tointegerx"), null);
});

Deno.test("both changes, and nothing else moves", () => {
  const wasm = module("lua_tointegerx", [0x00, ...FLOOR_OR_FAIL, 0x0b], DATA);
  const { bytes, skipped } = patchLuaModule(wasm);
  assert.deepEqual(skipped, []);
  const want = module(
    "lua_tointegerx",
    [0x00, ...TRUNCATE, 0x0b],
    "\0-1e9999\0\x000123456789\0utf8\0",
  );
  assert.deepEqual([...bytes], [...want]);
  // The input is left as it was.
  assert.deepEqual([...wasm], [...module("lua_tointegerx", [0x00, ...FLOOR_OR_FAIL, 0x0b], DATA)]);
});

Deno.test("another build: what is not exactly as expected, exactly once, is not changed", () => {
  const cases: [Uint8Array, string[]][] = [
    // The set twice, or inside a longer string; the floor twice in the body.
    [module("lua_tointegerx", [...FLOOR_OR_FAIL, ...FLOOR_OR_FAIL], DATA + DATA), [
      "number text",
      "integer arguments",
    ]],
    [module("lua_tointegerx", FLOOR_OR_FAIL, "\0+-0123456789\0"), ["number text"]],
    // The floor only outside lua_tointegerx's body (here in the data), other locals.
    [module("lua_tonumberx", [0x0b], DATA + td.decode(Uint8Array.from(FLOOR_OR_FAIL))), [
      "integer arguments",
    ]],
    [module("lua_tointegerx", [0x22, 0x08, ...FLOOR_OR_FAIL.slice(2)], DATA), [
      "integer arguments",
    ]],
  ];
  for (const [wasm, skipped] of cases) {
    const patched = patchLuaModule(wasm);
    assert.deepEqual(patched.skipped, skipped);
    if (skipped.length === 2) assert.deepEqual([...patched.bytes], [...wasm]);
  }
});

/** Runs `code` (which returns `n` values) in a fresh Lua state; the values as numbers or text. */
async function run(code: string, n: number): Promise<(number | string)[]> {
  const rt = new LuaRuntime(await loadLuaModule());
  try {
    const L = rt.L;
    assert.equal(rt.load(L, te.encode(code), "=test"), LUA_OK);
    if (rt.pcall(L, 0, n) !== LUA_OK) return [td.decode(rt.toBytes(L, -1)!)];
    const got = [];
    for (let i = 1; i <= n; i++) {
      const bytes = rt.isInteger(L, i) ? null : rt.toBytes(L, i);
      got.push(rt.isInteger(L, i) ? Number(rt.toInteger(L, i)) : bytes ? td.decode(bytes) : "nil");
    }
    return got;
  } finally {
    rt.close();
  }
}

Deno.test("wasmoon's module: both changes are made", async () => {
  await loadLuaModule();
  assert.deepEqual(skippedLuaModulePatches, []);
});

Deno.test("the VM's own conversions print numbers as Lua 5.1 does", async () => {
  const code = "return 'x' .. 10/2, string.len(7/7), 'y' .. -3/1, 'z' .. 0.5, 'w' .. 2^53, " +
    "'v' .. 1e15, 'u' .. 12";
  // Lua 5.4 unpatched: x5.0, 3, y-3.0.
  assert.deepEqual(await run(code, 7), [
    "x5",
    1,
    "y-3",
    "z0.5",
    "w9.007199254741e+15",
    "v1e+15",
    "u12",
  ]);
});

Deno.test("library functions truncate a float argument toward zero, as Lua 5.1 does", async () => {
  const code = "return string.sub('abcdef', 2, 4.5), string.sub('abcdef', -2.5), " +
    "string.rep('ab', 2.9), select(2.5, 'a', 'b', 'c'), string.byte('abc', 1.9), " +
    "string.char(65.7), string.sub('abcdef', '2.5'), string.sub('abcdef', 3.0)";
  // Lua 5.4 unpatched: "bad argument #3 to 'sub' (number has no integer representation)".
  assert.deepEqual(await run(code, 8), ["bcd", "ef", "abab", "b", 97, "A", "bcdef", "cdef"]);
  // A NaN, an infinity, a float out of range: INT64_MIN, as x86-64 converts them for Lua 5.1.
  assert.deepEqual(
    await run(
      "return string.rep('a', 0/0), string.sub('abc', 2, 1/0), string.sub('abc', 1e300)",
      3,
    ),
    ["", "", "abc"],
  );
  // The VM's own conversions are unchanged: a float key with a fraction is its own key, a for
  // loop's limit is floored.
  assert.deepEqual(
    await run(
      "local t = {} t[2.5] = 1 local n = 0 for i = -3, -1.5 do n = n + 1 end " +
        "return t[2], t[2.5], n",
      3,
    ),
    ["nil", 1, 2],
  );
});
