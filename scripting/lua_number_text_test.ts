import assert from "node:assert/strict";
import { withLua51NumberText } from "./lua_number_text.ts";
import { loadLuaModule, LUA_OK, LuaRuntime } from "./lua_runtime.ts";

const te = new TextEncoder();
const td = new TextDecoder();

Deno.test("the looks-like-an-int set is emptied where it occurs once, and nothing else moves", () => {
  const wasm = te.encode("\0asm..%.14g\0-1e9999\0-0123456789\0utf8\0");
  const patched = withLua51NumberText(wasm);
  assert.ok(patched !== null);
  assert.equal(td.decode(patched), "\0asm..%.14g\0-1e9999\0\x000123456789\0utf8\0");
  // The input is left as it was.
  assert.equal(td.decode(wasm), "\0asm..%.14g\0-1e9999\0-0123456789\0utf8\0");
});

Deno.test("another build: no set, two sets, or the set inside a longer string: nothing patched", () => {
  assert.equal(withLua51NumberText(te.encode("\0asm\x000123456789\0")), null);
  assert.equal(withLua51NumberText(te.encode("\0-0123456789\0-0123456789\0")), null);
  assert.equal(withLua51NumberText(te.encode("\0+-0123456789\0")), null);
});

Deno.test("the VM's own conversions print numbers as Lua 5.1 does", async () => {
  const rt = new LuaRuntime(await loadLuaModule());
  try {
    const L = rt.L;
    const code = "return 'x' .. 10/2, string.len(7/7), 'y' .. -3/1, 'z' .. 0.5, 'w' .. 2^53, " +
      "'v' .. 1e15, 'u' .. 12";
    assert.equal(rt.load(L, te.encode(code), "=test"), LUA_OK);
    assert.equal(rt.pcall(L, 0, 7), LUA_OK);
    const got = [];
    for (let i = 1; i <= 7; i++) {
      got.push(rt.isInteger(L, i) ? Number(rt.toInteger(L, i)) : td.decode(rt.toBytes(L, i)!));
    }
    // Lua 5.4 unpatched: x5.0, 3, y-3.0.
    assert.deepEqual(got, ["x5", 1, "y-3", "z0.5", "w9.007199254741e+15", "v1e+15", "u12"]);
  } finally {
    rt.close();
  }
});
