import assert from "node:assert/strict";
import { patchLuaModule } from "./lua_module_patch.ts";
import { loadLuaModule, LUA_OK, LuaRuntime, skippedLuaModulePatches } from "./lua_runtime.ts";
import { functionBodies, sections, sleb } from "./wasm_module.ts";
import { type FixtureModule, fixtureModule } from "./wasm_module_test_fixture.ts";

const te = new TextEncoder();
const td = new TextDecoder();

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
/** Where the fixture's "%lld" and "%.14g" are (after the terminator before each). */
const LLD = 6219;
const G14 = 4730;
/** tostringbuff's integer branch: store the integer for snprintf, then its format and buffer. */
const INTEGER_TEXT = (format: number, load: number[]) => [
  ...[0x20, 0x02, 0x20, 0x01, ...load],
  ...[0x20, 0x02, 0x41, 0x20, 0x6a, 0x41, 0x2c, 0x41, ...sleb(format), 0x20, 0x02, 0x10, 0x05],
];
const I64 = [0x29, 0x03, 0x00, 0x37, 0x03, 0x00];
const AS_F64 = [0x29, 0x03, 0x00, 0xb9, 0x39, 0x03, 0x00];

/** 5.4's error texts, and 5.1's written over them. */
const ERRORS_54 = "\0bad argument\0value out of range\0invalid conversion '%s' to 'format'\0" +
  "invalid capture index %%%d\0x\0";
const ERRORS_51 = "\0bad argument\0invalid value\0\0\0\0\0\0invalid option '%s' to 'format'" +
  "\0\0\0\0\0invalid capture index\0\0\0\0\0\0x\0";

function luaLike(
  toInteger: number[],
  toString: number[],
  texts = "\0%.14g\0-1e9999\0-0123456789\0utf8\0",
  errors = ERRORS_54,
): FixtureModule {
  return {
    imports: ["emscripten_memcpy"],
    functions: [
      { code: [0x00, ...toInteger, 0x0b], exportAs: "lua_tointegerx" },
      { code: [0x00, ...toString, ...toString, 0x0b] },
      { code: [0x00, 0x0b], exportAs: "lua_tonumberx" },
    ],
    data: [
      { base: LLD - 1, text: "\0%lld\0" },
      { base: G14 - 1, text: texts },
      { base: 9000, text: errors },
    ],
  };
}

Deno.test("every change, and nothing else moves", () => {
  const wasm = fixtureModule(luaLike(FLOOR_OR_FAIL, INTEGER_TEXT(LLD, I64)));
  const before = wasm.slice();
  const { bytes, skipped } = patchLuaModule(wasm);
  assert.deepEqual(skipped, []);
  const want = luaLike(
    TRUNCATE,
    INTEGER_TEXT(G14, AS_F64),
    "\0%.14g\0-1e9999\0\x000123456789\0utf8\0",
    ERRORS_51,
  );
  assert.deepEqual([...bytes], [...fixtureModule(want)]);
  assert.deepEqual([...wasm], [...before]); // the input is left as it was
});

Deno.test("another build: what is not exactly as expected is not changed", () => {
  const cases: [FixtureModule, string[]][] = [
    // The set twice, or inside a longer string.
    [luaLike(FLOOR_OR_FAIL, INTEGER_TEXT(LLD, I64), "\0-0123456789\0-0123456789\0%.14g\0"), [
      "float text",
    ]],
    [luaLike(FLOOR_OR_FAIL, INTEGER_TEXT(LLD, I64), "\0+-0123456789\0%.14g\0"), ["float text"]],
    // The floor twice in lua_tointegerx's body, or with other locals.
    [luaLike([...FLOOR_OR_FAIL, ...FLOOR_OR_FAIL], INTEGER_TEXT(LLD, I64)), ["integer arguments"]],
    [luaLike([0x22, 0x08, ...FLOOR_OR_FAIL.slice(2)], INTEGER_TEXT(LLD, I64)), [
      "integer arguments",
    ]],
    // No "%.14g"; the store of a double; another format after the store.
    [luaLike(FLOOR_OR_FAIL, INTEGER_TEXT(LLD, I64), "\0-0123456789\0"), ["integer text"]],
    [luaLike(FLOOR_OR_FAIL, INTEGER_TEXT(LLD, AS_F64)), ["integer text"]],
    [luaLike(FLOOR_OR_FAIL, INTEGER_TEXT(LLD + 1, I64)), ["integer text"]],
  ];
  for (const [m, skipped] of cases) {
    const wasm = fixtureModule(m);
    const patched = patchLuaModule(wasm);
    assert.deepEqual(patched.skipped, skipped);
    // What a skipped change would have touched is as it was.
    const bodies = (bytes: Uint8Array) =>
      functionBodies(bytes)!.map((b) => [...bytes.subarray(b.start, b.end)]);
    if (skipped.includes("integer arguments")) {
      assert.deepEqual(bodies(patched.bytes)[0], bodies(wasm)[0]);
    }
    if (skipped.includes("integer text")) {
      assert.deepEqual(bodies(patched.bytes)[1], bodies(wasm)[1]);
    }
    if (skipped.includes("float text")) {
      const sets = (bytes: Uint8Array) =>
        td.decode(bytes.subarray(sections(bytes)!.at(-1)!.start)).split("-0123456789").length;
      assert.equal(sets(patched.bytes), sets(wasm));
    }
  }
  // The data changes alone, when the code is not as expected.
  const lone = patchLuaModule(fixtureModule(luaLike([], [])));
  assert.deepEqual(lone.skipped, ["integer arguments", "integer text"]);
  assert.deepEqual(
    [...lone.bytes],
    [...fixtureModule(luaLike([], [], "\0%.14g\0-1e9999\0\x000123456789\0utf8\0", ERRORS_51))],
  );
  // Error texts not there (or twice): not written.
  const noErrors = patchLuaModule(
    fixtureModule(
      luaLike(FLOOR_OR_FAIL, INTEGER_TEXT(LLD, I64), undefined, "\0value out of range\0"),
    ),
  );
  assert.deepEqual(noErrors.skipped, [
    `error text "invalid option '%s' to 'format'"`,
    `error text "invalid capture index"`,
  ]);
  const twice = patchLuaModule(
    fixtureModule(luaLike(FLOOR_OR_FAIL, INTEGER_TEXT(LLD, I64), undefined, ERRORS_54 + ERRORS_54)),
  );
  assert.deepEqual(twice.skipped, [
    `error text "invalid value"`,
    `error text "invalid option '%s' to 'format'"`,
    `error text "invalid capture index"`,
  ]);
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

Deno.test("wasmoon's module: every change is made", async () => {
  await loadLuaModule();
  assert.deepEqual(skippedLuaModulePatches, []);
});

Deno.test("the VM's own conversions print numbers as Lua 5.1 does", async () => {
  const code = "return 'x' .. 10/2, string.len(7/7), 'y' .. -3/1, 'z' .. 0.5, 'w' .. 2^53, " +
    "'v' .. 1e15, 'u' .. 12, 'q' .. 100000000000000, string.len(123456789012345), " +
    "'h' .. 9223372036854775807, 't' .. -99999999999999";
  // Lua 5.4 unpatched: x5.0, 3, y-3.0, q100000000000000, 15, h9223372036854775807.
  assert.deepEqual(await run(code, 11), [
    ...["x5", 1, "y-3", "z0.5", "w9.007199254741e+15", "v1e+15", "u12", "q1e+14", 19],
    ...["h9.2233720368548e+18", "t-99999999999999"],
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
