/**
 * Differential test for the pure-Lua re-implementations of Redis' bundled Lua
 * C libraries (bit, struct, cmsgpack).
 *
 * Every snippet is run twice:
 *   - on a real redis-server (EVAL "<snippet>" 0), started on a free port;
 *   - in a wasmoon (Lua 5.4) engine with our modules loaded as globals, the
 *     snippet compiled like Redis 7.0 does ("function f() <body>\nend" with
 *     chunk name "@user_script").
 * Snippets return strings (binary data hex-encoded inside Lua); the results
 * must be identical.  The test is skipped when redis-server is not installed.
 *
 * Run: deno test -A scripting/lua_libs_test.ts
 *
 * Known differences, deliberately not covered by snippets:
 *  - cmsgpack.pack of a *map* with several keys emits the pairs in Lua 5.4
 *    next() order, Redis in Lua 5.1 next() order (e.g. {a=1,b=2} gives
 *    82 a162 02 a161 01 here vs 82 a161 01 a162 02 in Redis).
 *  - An error raised in a library function that was *tail-called*
 *    ("return bit.tobit()") has no "user_script:N:" prefix here: Lua 5.4
 *    discards the caller's frame, Lua 5.1 keeps it for C functions.
 *  - Lua 5.1 prints -0 as "-0"; results equal to -0 stay the float -0.0 here.
 */
import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import { LuaFactory } from "npm:wasmoon@1.16.0";
import { whilePatchingLuaModule } from "./lua_runtime.ts";
import { BIT_LUA } from "./lua_lib_bit.ts";
import { C51_LUA } from "./lua_lib_c51.ts";
import { STRUCT_LUA } from "./lua_lib_struct.ts";
import { CMSGPACK_LUA } from "./lua_lib_cmsgpack.ts";
import { spawnRedis } from "../tests/harness.ts";

// ---------------------------------------------------------------------------
// Helpers available to every snippet (valid Lua 5.1 and 5.4, kept on one line
// so that snippet errors are reported at "user_script:1:").
//   H(s)        hex of a string
//   S(v)        deterministic serialisation (strings hex, tables key-sorted)
//   A(...)      "count|v1 v2 ..." for a list of values
//   P(f, ...)   A(pcall(f, ...))
// ---------------------------------------------------------------------------
export const PRELUDE = [
  "local unpack = unpack or table.unpack;",
  "local function H(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end;",
  "local S; S = function(v, d) d = d or 0; local t = type(v);",
  "if t == 'string' then return 's:' .. H(v) end;",
  "if t ~= 'table' then return tostring(v) end;",
  "if d > 20 then return '{...}' end;",
  "local ks = {}; for k in pairs(v) do ks[#ks + 1] = k end;",
  "table.sort(ks, function(a, b) local ta, tb = type(a), type(b); if ta ~= tb then return ta < tb end;",
  "if ta == 'number' or ta == 'string' then return a < b end; return tostring(a) < tostring(b) end);",
  "local out = {}; for i = 1, #ks do out[#out + 1] = S(ks[i], d + 1) .. '=' .. S(v[ks[i]], d + 1) end;",
  "return '{' .. table.concat(out, ',') .. '}' end;",
  "local function A(...) local n = select('#', ...); local out = {};",
  "for i = 1, n do out[i] = S((select(i, ...))) end; return n .. '|' .. table.concat(out, ' ') end;",
  "local function P(f, ...) return A(pcall(f, ...)) end; ",
].join(" ");

// ---------------------------------------------------------------------------
// Snippets
// ---------------------------------------------------------------------------
export const BIT_SNIPPETS: string[] = [
  "return A(bit.tobit(0xffffffff), bit.tobit(0x100000000), bit.tobit(-1), bit.tobit(2^31), bit.tobit(-2^31 - 1))",
  "return A(bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(-2.5), bit.tobit(0.4999), bit.tobit(3.7))",
  "return A(bit.tobit(2^52), bit.tobit(2^53 + 2), bit.tobit(2^60 + 12345), bit.tobit(-2^55 - 7), bit.tobit(1e300))",
  "return A(bit.tobit(1/0), bit.tobit(-1/0), bit.tobit(0/0), bit.tobit(2^51 + 0.5), bit.tobit(-(2^51) - 3))",
  "return A(bit.tobit('10'), bit.tobit(' 0x10 '), bit.tobit('1e3'), bit.tobit('0xffffffff'), bit.tobit('-7.5'))",
  "return A(bit.tohex(1), bit.tohex(-1), bit.tohex(0x12345678, 4), bit.tohex(255, -2), bit.tohex(255, -8), bit.tohex(1, 0))",
  "return A(bit.tohex(0xabcdef, 12), bit.tohex(0xabcdef, -12), bit.tohex(-2, 3), bit.tohex(3.5), bit.tohex('255', '2'))",
  "return A(bit.bnot(0), bit.bnot(-1), bit.bnot(0x12345678), bit.bnot(2^32), bit.bnot(1.5))",
  "return A(bit.band(0xff, 0x0f), bit.band(-1, 0x80000000), bit.band(7), bit.band(0xf0f0, 0xff00, 0x0ff0))",
  "return A(bit.bor(1, 2, 4, 8), bit.bor(0x80000000), bit.bor(0x7fffffff, 0x80000000))",
  "return A(bit.bxor(0xff, 0x0f), bit.bxor(1, 1, 1), bit.bxor(-1, 0x55555555))",
  "return A(bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(0xff, 28), bit.lshift(1, -1))",
  "return A(bit.rshift(-1, 1), bit.rshift(0x80000000, 31), bit.rshift(256, 4), bit.rshift(1, 32), bit.rshift(-256, 36))",
  "return A(bit.arshift(-256, 4), bit.arshift(0x80000000, 31), bit.arshift(256, 4), bit.arshift(-1, 0), bit.arshift(-8, 33))",
  "return A(bit.rol(0x12345678, 8), bit.rol(0x80000001, 1), bit.rol(1, 0), bit.rol(1, 32), bit.rol(-1, 7))",
  "return A(bit.ror(0x12345678, 8), bit.ror(0x80000001, 1), bit.ror(1, 0), bit.ror(1, 33), bit.ror(2, -1))",
  "return A(bit.bswap(0x12345678), bit.bswap(-1), bit.bswap(0xff), bit.bswap(0x80))",
  "return A(tostring(bit.tobit(5)), tostring(bit.band(12, 10)) .. 'x', bit.tobit(5) + 0.5, bit.tobit(7) / 2)",
  "local t = {} for i = 0, 40 do t[#t+1] = bit.tohex(bit.lshift(3, i)) .. bit.tohex(bit.arshift(-12345, i % 32)) end return table.concat(t, ',')",
  "local h = 0 for i = 1, 200 do h = bit.bxor(bit.lshift(h, 5) + bit.rshift(h, 2) + i, h) end return tostring(h)",
  "return P(bit.tobit)",
  "return P(bit.tobit, nil)",
  "return P(bit.tobit, {})",
  "return P(bit.band, 1, 2, 'x')",
  "return P(bit.bor, 1, nil, 3)",
  "return P(bit.lshift, 1)",
  "return P(bit.tohex, 1, nil)",
  "return P(bit.tobit, 'abc')",
  "return P(bit.bnot, true)",
  "return P(function() local x = bit.tobit() return x end)",
  "return P(function() local x = bit.band(1, {}) return x end)",
  "return P(function() local f = bit.rol local x = f(1, 'z') return x end)",
  "return P(function() local x = bit.tohex('q') return x end)",
  "return A(bit.tobit('0xffffffffffffffff'), bit.tobit('inf'), bit.tobit('-Infinity'), bit.tobit('nan'), bit.tobit('  12  '), bit.tobit('1e400'))",
  "return P(function() local x = bit:tobit() return x end)",
  "return P(function() local x = bit:band(1) return x end)",
  "return P(bit.tobit, '12a')",
  "return A(bit.tobit(0), bit.tobit(-0), pcall(function() local x = bit.band() return x end))",
];

export const STRUCT_SNIPPETS: string[] = [
  "return H(struct.pack('>b<b', 1, -1) .. struct.pack('B', 255) .. struct.pack('b', 128) .. struct.pack('B', -1))",
  "return H(struct.pack('>h', 258) .. struct.pack('<h', 258) .. struct.pack('<H', 65535) .. struct.pack('>h', -2))",
  "return H(struct.pack('>l', 1) .. struct.pack('<L', 2^40 + 7) .. struct.pack('>l', -2))",
  "return H(struct.pack('<T', 123456789) .. struct.pack('>T', 1))",
  "return H(struct.pack('>i', 1) .. struct.pack('<I', -1) .. struct.pack('>i2', 300) .. struct.pack('<i3', -2) .. struct.pack('>I1', 257))",
  "return H(struct.pack('<i16', -2) .. '|' .. struct.pack('>I12', 2^40) .. '|' .. struct.pack('>i0', 5))",
  "return H(struct.pack('<L', 1/0) .. struct.pack('<L', -1/0) .. struct.pack('<L', 0/0) .. struct.pack('<L', 2^64) .. struct.pack('<l', -2^70) .. struct.pack('<L', 2^63 + 2^20))",
  "return H(struct.pack('<i', 3.99) .. struct.pack('<i', -3.99) .. struct.pack('<I', '12') .. struct.pack('<B', ' 0x10 '))",
  "return H(struct.pack('<f', 1.5) .. struct.pack('>f', -0.1) .. struct.pack('<f', 1e300) .. struct.pack('>d', 0.1) .. struct.pack('<d', -2))",
  "return H(struct.pack('c', 'abc') .. struct.pack('c3', 'xyz!') .. struct.pack('c0', 'hello') .. struct.pack('c2', 12))",
  "return H(struct.pack('s', 'abc') .. struct.pack('s', '') .. struct.pack('s', 'a\\0b'))",
  "return H(struct.pack('bxxb', 1, 2) .. struct.pack(' < b > h ', 1, 2))",
  "return H(struct.pack('!4 b i', 1, 2) .. '|' .. struct.pack('!b d', 1, 2) .. '|' .. struct.pack('!2 b h b l', 1, 2, 3, 4) .. '|' .. struct.pack('!8 b c3 h', 1, 'abc', 2))",
  "return H(struct.pack('!4 b i3 b i2', 1, 2, 3, 4) .. '|' .. struct.pack('!16 b d', 1, 2) .. '|' .. struct.pack('!bfbs', 1, 2, 3, 'z'))",
  "return A(struct.unpack('>b<bBb', '\\1\\255\\255\\128'))",
  "return A(struct.unpack('>hH<hH', '\\255\\254\\255\\254\\255\\254\\255\\254'))",
  "return A(struct.unpack('<lL', string.rep('\\255', 16)))",
  "return A(struct.unpack('>lL', '\\0\\0\\1\\0\\0\\0\\0\\0' .. '\\0\\0\\0\\0\\0\\0\\0\\42'))",
  "return A(struct.unpack('<i16', string.rep('\\255', 16)), struct.unpack('<I16', string.rep('\\255', 16)), struct.unpack('<i0', ''))",
  "return A(struct.unpack('>i3I3<i3', '\\255\\255\\254\\255\\255\\254\\128\\0\\0'))",
  "return A(struct.unpack('<fd', struct.pack('<fd', 0.5, 1/3)))",
  "return A(struct.unpack('>d', struct.pack('>d', 2^60)), struct.unpack('<d', struct.pack('<d', 123456789012345)), struct.unpack('<d', struct.pack('<d', 1e13)))",
  "return A(struct.unpack('<f', struct.pack('<f', 1/0)), struct.unpack('>d', struct.pack('>d', -1/0)))",
  "return A(struct.unpack('c3c2', 'abcde'), struct.unpack('c', 'xy'))",
  "return A(struct.unpack('bc0', '\\3abcdef'), struct.unpack('c1c0', '2abc'))",
  "return A(struct.unpack('ss', 'ab\\0\\0cd\\0ef'))",
  "return A(struct.unpack('b', 'abc', 2), struct.unpack('!4 b i', struct.pack('!4 b i', 7, 8)), struct.unpack('x b', 'ab'))",
  "return A(struct.unpack('', 'abc'), struct.unpack('', 'abc', 4), struct.unpack('i', 'abcd', 1.9))",
  "return A(struct.size('bhilfdx'), struct.size('!bhilfd'), struct.size('!4 b d'), struct.size('c10 i8'), struct.size('<>! '), struct.size('bzq'), struct.size(''))",
  "local s = struct.pack('>I2 s b c0 d', 513, 'hey', -5, 'tail', 1.25) return H(s) .. ' ' .. A(struct.unpack('>I2 s b c4 d', s))",
  "local r = {} for _, f in ipairs({'b','B','h','H','i','I','l','L','T','i1','i2','i8','I8'}) do r[#r+1] = A(struct.unpack(f, struct.pack(f, 100))) end return table.concat(r, ';')",
  "return A(struct.unpack('', 'abc', -5), struct.unpack('<d', struct.pack('<d', 2^53)), struct.unpack('>f', struct.pack('>f', 16777217)))",
  "return H(struct.pack('<f', 0/0) .. struct.pack('<d', 0/0) .. struct.pack('>d', -0.0) .. struct.pack('<b', 0/0) .. struct.pack('<b', 300.7))",
  "return A(struct.unpack('>dd', struct.pack('>dd', 1e100, -123.456)), struct.unpack('<I8', string.rep('\\255', 7) .. '\\127'))",
  "return P(function() local x = struct:pack('b') return x end)",
  "return P(struct.pack, 'i33', 1)",
  "return P(struct.pack, 'i99999999999', 1)",
  "return P(struct.pack, '!3 b', 1)",
  "return P(struct.pack, '!0', 1)",
  "return P(struct.pack, 'z', 1)",
  "return P(struct.pack, 'b5', 1)",
  "return P(struct.pack, 'b')",
  "return P(struct.pack, 'b', 'x')",
  "return P(struct.pack, 'c5', 'abc')",
  "return P(struct.pack, 'bc5', 1, 'abc')",
  "return P(struct.pack, 's', nil)",
  "return P(struct.pack, nil)",
  "return P(struct.pack, 'd', {})",
  "return P(struct.unpack, 'i', 'abc')",
  "return P(struct.unpack, 'b', 'a', 0)",
  "return P(struct.unpack, 'b', 'a', 5)",
  "return P(struct.unpack, 'b', 'a', -1)",
  "return P(struct.unpack, 'c0', 'abc')",
  "return P(struct.unpack, 'bc0', '\\9abc')",
  "return P(struct.unpack, 's', 'abc')",
  "return P(struct.unpack, 'b?', 'abc')",
  "return P(struct.unpack, 'b', nil)",
  "return P(struct.unpack, 'b', 'a', 'x')",
  "return P(struct.size, 's')",
  "return P(struct.size, 'bc0')",
  "return P(struct.size, 'b?')",
  "return P(struct.size, 'i40')",
  "return P(struct.size)",
  "return P(function() local x = struct.pack('y') return x end)",
  "return P(function() local x = struct.unpack('!5', '') return x end)",
  "return P(function() local x = struct.unpack('i', 'ab') return x end)",
  "return P(function() local x = {struct.unpack(string.rep('b', 7998), string.rep('a', 8000))} return #x end)",
  "return P(function() local x = {struct.unpack(string.rep('b', 7997), string.rep('a', 8000))} return #x end)",
  "return A(struct.size(12), pcall(function() local x = struct.pack(5) return x end))",
  "return P(struct.pack, 'bb', 1)",
  "return P(struct.pack, 'bc2', 1)",
];

export const CMSGPACK_SNIPPETS: string[] = [
  "return H(cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296))",
  "return H(cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649))",
  "return H(cmsgpack.pack(2^53, -2^53, 2^62, 2^63, -2^63, 1e15, 123456789012345678))",
  "return H(cmsgpack.pack(0.5, -1.5, 0.1, 1/3, 3.14, 1e300, 1e-300, 2^100 + 0.0))",
  "return H(cmsgpack.pack(1/0, -1/0, -0.0, 1.0, 3.0))",
  "return H(cmsgpack.pack(0/0))",
  "return H(cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('y', 32)))",
  "return H(cmsgpack.pack(string.rep('z', 255)):sub(1, 8)) .. ' ' .. H(cmsgpack.pack(string.rep('z', 256)):sub(1, 8)) .. ' ' .. H(cmsgpack.pack(string.rep('w', 65536)):sub(1, 12)) .. ' ' .. #cmsgpack.pack(string.rep('w', 65536))",
  "return H(cmsgpack.pack(true, false, nil, string.len, coroutine.create(function() end)))",
  "return H(cmsgpack.pack({}, {1, 2, 3}, {'a', {'b'}}, {[1] = 1, [2] = 2}, {a = 1}))",
  "return H(cmsgpack.pack({1, 2, nil, 4}, {[2] = 1}, {[1.5] = 1}, {[-1] = 1}, {[0] = 1}, {['1'] = 1}))",
  "local t = {} for i = 1, 16 do t[i] = i end local u = {} for i = 1, 70000 do u[i] = i % 3 end return H(cmsgpack.pack(t)) .. ' ' .. H(cmsgpack.pack(u):sub(1, 10)) .. ' ' .. #cmsgpack.pack(u)",
  "local t = {} for i = 1, 20 do t['k' .. i] = i end local s = cmsgpack.pack(t) return H(s:sub(1, 3)) .. ' ' .. #s .. ' ' .. S(cmsgpack.unpack(s))",
  "local t = {} for i = 1, 70000 do t['k' .. i] = true end local s = cmsgpack.pack(t) return H(s:sub(1, 5)) .. ' ' .. #s",
  "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return H(cmsgpack.pack(t))",
  "local t = {} t[1] = t return H(cmsgpack.pack(t))",
  "local t = {x = {y = {z = {1, 2, {a = 'b'}}}}} return H(cmsgpack.pack(t)) .. ' ' .. S(cmsgpack.unpack(cmsgpack.pack(t)))",
  "return A(cmsgpack.unpack(cmsgpack.pack(1, -1, 300, -300, 70000, -70000, 2^40, -2^40, 0.5, 'str', true, false)))",
  "return A(cmsgpack.unpack(cmsgpack.pack(2^53 + 0.0, 2^63 - 1024, -2^63, 1e14, 1e14 - 1, 99999999999999.5)))",
  "return A(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255\\211\\128\\0\\0\\0\\0\\0\\0\\0\\207\\0\\0\\0\\1\\0\\0\\0\\0'))",
  "return A(cmsgpack.unpack('\\202\\63\\192\\0\\0\\203\\63\\185\\153\\153\\153\\153\\153\\154\\202\\127\\128\\0\\0'))",
  "return A(cmsgpack.unpack('\\204\\200\\205\\1\\0\\206\\0\\1\\0\\0\\208\\128\\209\\128\\0\\210\\128\\0\\0\\0\\224\\255\\127'))",
  "return A(cmsgpack.unpack('\\217\\3abc\\218\\0\\2xy\\219\\0\\0\\0\\1z\\163qrs\\160'))",
  "return A(cmsgpack.unpack('\\220\\0\\2\\1\\2\\221\\0\\0\\0\\1\\192\\222\\0\\1\\161k\\161v\\223\\0\\0\\0\\1\\1\\2\\147\\1\\192\\3\\130\\1\\2\\3\\4'))",
  "return A(cmsgpack.unpack(''), cmsgpack.unpack('\\192'), cmsgpack.unpack(5), cmsgpack.unpack('\\1', 'extra', 'args'))",
  "return A(cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3)), cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1), cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2))",
  "return A(cmsgpack.unpack_one(''), cmsgpack.unpack_one('\\1\\2', 2), cmsgpack.unpack_one('\\1\\2', 1.9))",
  "return A(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 2), cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 2, 2), cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 10))",
  "return A(cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0), cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1), cmsgpack.unpack_limit('\\1', '1'))",
  "local s = cmsgpack.pack({1, {2, {3}}}, 'x', {k = false}) local out = {} local off = 0 while off >= 0 do local o, v = cmsgpack.unpack_one(s, off) out[#out + 1] = S(v) off = o end return table.concat(out, ';')",
  "local vals = {0, 1, -1, 127, 128, -32, -33, 255, 256, -128, -129, 65535, 65536, -32768, -32769, 2^32 - 1, 2^32, -2^31, -2^31 - 1, 0.25, -0.75, 1e10 + 0.5} local r = {} for i, v in ipairs(vals) do local back = cmsgpack.unpack(cmsgpack.pack(v)) r[#r + 1] = tostring(back == v) .. ':' .. H(cmsgpack.pack(v)) end return table.concat(r, ',')",
  "return A(cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION)",
  "return H(cmsgpack.pack({1, 2, x = 3}, {[1] = 'a', [3] = 'c', [2] = 'b'}, {true}, {[1] = {}, [2] = {{}}}))",
  "local t = {} local c = t for i = 1, 15 do c[1] = {} c = c[1] end return H(cmsgpack.pack(t)) .. ' ' .. H(cmsgpack.pack({t})) .. ' ' .. H(cmsgpack.pack({{t}}))",
  "return H(cmsgpack.pack({[{}] = 1}, {[true] = false}, {[2^31] = 1}, {[2^31 - 1] = 1}, {n = {1}}))",
  "return A(cmsgpack.unpack(cmsgpack.pack('123', 123, '1e3', -0.5, 1e14, 1e-5, 65536.5)))",
  "return A(cmsgpack.unpack('\\147\\192\\192\\3\\145\\192\\129\\161a\\192'))",
  "return P(function() local x = cmsgpack:unpack() return x end)",
  "return P(function() local x = cmsgpack.unpack_limit('\\1', {}) return x end)",
  "return P(cmsgpack.pack)",
  "return P(cmsgpack.unpack, '\\145')",
  "return P(cmsgpack.unpack, '\\205\\1')",
  "return P(cmsgpack.unpack, '\\219\\0\\0\\0\\9abc')",
  "return P(cmsgpack.unpack, '\\193')",
  "return P(cmsgpack.unpack, '\\196\\1a')",
  "return P(cmsgpack.unpack, '\\1\\2\\212')",
  "return P(cmsgpack.unpack, '\\146\\1\\199')",
  "return P(cmsgpack.unpack, '\\129\\192\\1')",
  "return P(cmsgpack.unpack, '\\129\\203\\255\\248\\0\\0\\0\\0\\0\\0\\1')",
  "return P(cmsgpack.unpack, '\\130\\1\\2')",
  "return P(cmsgpack.unpack, nil)",
  "return P(cmsgpack.unpack, {})",
  "return P(cmsgpack.unpack_one, 'abc', -1)",
  "return P(cmsgpack.unpack_one, 'abc', 4)",
  "return P(cmsgpack.unpack_one, 'abc', 3)",
  "return P(cmsgpack.unpack_one, 'abc', 'x')",
  "return P(cmsgpack.unpack_one)",
  "return P(cmsgpack.unpack_limit, 'abc')",
  "return P(cmsgpack.unpack_limit, 'abc', -1)",
  "return P(cmsgpack.unpack_limit, 'abc', 1, 99)",
  "return P(cmsgpack.unpack_limit, nil, 1)",
  "return P(function() local x = cmsgpack.unpack('\\145') return x end)",
  "return P(function() local x = cmsgpack.pack() return x end)",
  "return P(function() local x = cmsgpack.unpack_one('\\1', -5) return x end)",
  "return P(function() local x = {cmsgpack.unpack(string.rep('a', 7999))} return #x end)",
  "return P(function() local x = {cmsgpack.unpack(string.rep('a', 8000))} return #x end)",
  "return P(function() local x = {cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1')} return #x end)",
  "return P(function() local x = {cmsgpack.unpack(string.rep('\\145', 4000) .. '\\1')} return #x end)",
  "return P(function() local x = {cmsgpack.unpack(string.rep('\\129\\1', 3000) .. '\\1')} return #x end)",
  "return P(function() local t = {} for i = 1, 4000 do t[i] = i end return #cmsgpack.pack(unpack(t)) end)",
  "return P(function() local t = {} for i = 1, 4001 do t[i] = i end return #cmsgpack.pack(unpack(t)) end)",
  "return P(function() local t = {} for i = 1, 3999 do t[i] = i end t[4000] = {{}} return #cmsgpack.pack(unpack(t)) end)",
];

// ---------------------------------------------------------------------------
// Minimal RESP client
// ---------------------------------------------------------------------------
type Reply = { ok: true; value: string } | { ok: false; error: string };

class Resp {
  private buf = new Uint8Array(0);
  private dec = new TextDecoder("latin1");
  constructor(private conn: Deno.Conn) {}

  static async connect(port: number): Promise<Resp> {
    return new Resp(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  close() {
    this.conn.close();
  }

  async command(args: string[]): Promise<Reply> {
    const enc = new TextEncoder();
    let out = `*${args.length}\r\n`;
    for (const a of args) out += `$${enc.encode(a).length}\r\n${a}\r\n`;
    const data = enc.encode(out);
    let off = 0;
    while (off < data.length) off += await this.conn.write(data.subarray(off));
    return this.readReply();
  }

  private async fill(): Promise<void> {
    const chunk = new Uint8Array(65536);
    const n = await this.conn.read(chunk);
    if (n === null) throw new Error("connection closed");
    const merged = new Uint8Array(this.buf.length + n);
    merged.set(this.buf);
    merged.set(chunk.subarray(0, n), this.buf.length);
    this.buf = merged;
  }

  private async line(): Promise<string> {
    while (true) {
      const i = this.buf.indexOf(10);
      if (i >= 0) {
        const s = this.dec.decode(this.buf.subarray(0, i - 1));
        this.buf = this.buf.subarray(i + 1);
        return s;
      }
      await this.fill();
    }
  }

  private async readReply(): Promise<Reply> {
    const head = await this.line();
    const kind = head[0], rest = head.slice(1);
    if (kind === "-") return { ok: false, error: rest };
    if (kind === "+" || kind === ":") return { ok: true, value: `${kind}${rest}` };
    if (kind === "$") {
      const len = Number(rest);
      if (len < 0) return { ok: true, value: "(nil)" };
      while (this.buf.length < len + 2) await this.fill();
      const s = this.dec.decode(this.buf.subarray(0, len));
      this.buf = this.buf.subarray(len + 2);
      return { ok: true, value: s };
    }
    if (kind === "*") {
      const n = Number(rest);
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await this.readReply();
        parts.push(r.ok ? r.value : `-${r.error}`);
      }
      return { ok: true, value: `[${parts.join(",")}]` };
    }
    throw new Error(`unexpected reply ${head}`);
  }
}

// ---------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------
async function haveRedisServer(): Promise<boolean> {
  try {
    const out = await new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

async function startRedis(): Promise<{ port: number; proc: Deno.ChildProcess }> {
  const r = await spawnRedis();
  return { port: r.port, proc: r.child };
}

/** Lua side: load the modules as globals and run snippets like Redis does. */
const DRIVER = `
local src = __SNIPPET
local f, err = load("return function() " .. src .. "\\nend", "@user_script")
if not f then return "ERR:" .. tostring(err) end
local ok, res = pcall(f())
if not ok then return "ERR:" .. tostring(res) end
if type(res) == "string" then return "OK:" .. res end
return "OK:<" .. type(res) .. ">" .. tostring(res)
`;

async function createLua() {
  // The module as the node runs it: with Lua 5.1's number text and integer arguments.
  const lua = await whilePatchingLuaModule(() => new LuaFactory().createEngine());
  lua.global.set("__C51", C51_LUA);
  lua.global.set("__BIT", BIT_LUA);
  lua.global.set("__STRUCT", STRUCT_LUA);
  lua.global.set("__CMSGPACK", CMSGPACK_LUA);
  // NB: wasmoon 1.16's async doString() corrupts the VM after ~50 calls
  // ("memory access out of bounds"); the synchronous variant is fine.
  lua.doStringSync(`
    local c51 = assert(load(__C51, "=c51"))()
    bit = assert(load(__BIT, "=bit"))(c51)
    struct = assert(load(__STRUCT, "=struct"))(c51)
    cmsgpack = assert(load(__CMSGPACK, "=cmsgpack"))(c51)
    __C51, __BIT, __STRUCT, __CMSGPACK = nil, nil, nil, nil
  `);
  return lua;
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------
const hasRedis = await haveRedisServer();

for (
  const [name, snippets] of [
    ["bit", BIT_SNIPPETS],
    ["struct", STRUCT_SNIPPETS],
    ["cmsgpack", CMSGPACK_SNIPPETS],
  ] as const
) {
  Deno.test({
    name: `lua ${name} library matches redis-server (${snippets.length} snippets)`,
    ignore: !hasRedis,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      assert.ok(snippets.length >= 30);
      const { proc, port } = await startRedis();
      const client = await Resp.connect(port);
      const lua = await createLua();
      const failures: string[] = [];
      try {
        for (const snippet of snippets) {
          const script = PRELUDE + snippet;
          const r = await client.command(["EVAL", script, "0"]);
          const expected = r.ok ? `OK:${r.value}` : `ERR:${r.error}`;
          lua.global.set("__SNIPPET", script);
          const actual = String(lua.doStringSync(DRIVER));
          if (actual !== expected) {
            failures.push(`snippet: ${snippet}\n  redis: ${expected}\n  ours:  ${actual}`);
          }
        }
      } finally {
        lua.global.close();
        client.close();
        proc.kill("SIGTERM");
        await proc.status;
      }
      console.log(
        `${name}: ${snippets.length - failures.length}/${snippets.length} snippets identical`,
      );
      assert.deepEqual(failures, [], failures.join("\n"));
    },
  });
}
