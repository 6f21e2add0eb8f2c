/**
 * Differential test: our pure-Lua `cjson` (scripting/lua_lib_cjson.ts) running
 * in wasmoon (Lua 5.4) vs. the real cjson of a local redis-server (Lua 5.1).
 *
 * Every snippet is a one-line Lua chunk body returning a value. Both sides wrap
 * it identically, convert the result to a string and hex-encode it inside Lua
 * (wasmoon's high-level API decodes strings as UTF-8, so raw bytes would not
 * survive), and the hex strings must be equal.
 *
 * Snippets avoid depending on Lua 5.1 vs 5.4 differences unrelated to cjson:
 * objects with several keys are compared after decoding (key order follows
 * `next`, which differs), results are strings (tostring() of floats differs),
 * and config changes are made on `cjson.new()` instances so the shared module
 * state of the redis VM is not disturbed.
 *
 * The test is skipped when `redis-server` is not installed.
 */
import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import { LuaFactory } from "npm:wasmoon@1.16.0";
import { whilePatchingLuaModule } from "./lua_runtime.ts";
import { CJSON_LUA } from "./lua_lib_cjson.ts";
import { haveRedisServer, spawnRedis } from "../tests/harness.ts";

const S = String.raw;

// deno-fmt-ignore
const SNIPPETS: string[] = [
  // ---- encode: scalars ----
  S`return cjson.encode(nil)`,
  S`return cjson.encode(true) .. cjson.encode(false)`,
  S`return cjson.encode(cjson.null)`,
  S`return cjson.encode('hello world')`,
  S`return cjson.encode('')`,
  S`return cjson.encode(123) .. ' ' .. cjson.encode(-42) .. ' ' .. cjson.encode(0)`,
  S`return cjson.encode(3.0) .. ' ' .. cjson.encode(-2.5) .. ' ' .. cjson.encode(0.1)`,
  S`return cjson.encode(1/3) .. ' ' .. cjson.encode(math.pi) .. ' ' .. cjson.encode(-1/7)`,
  S`return cjson.encode(1e15) .. ' ' .. cjson.encode(2^53) .. ' ' .. cjson.encode(123456789012345)`,
  S`return cjson.encode(99999999999999) .. ' ' .. cjson.encode(100000000000000) .. ' ' .. cjson.encode(9007199254740993)`,
  S`return cjson.encode(-0.0) .. ' ' .. cjson.encode(1e-7) .. ' ' .. cjson.encode(1.5e300) .. ' ' .. cjson.encode(5e-324)`,
  S`return cjson.encode(2^63) .. ' ' .. cjson.encode(-2^63) .. ' ' .. cjson.encode(0.5) .. ' ' .. cjson.encode(100)`,
  // ---- encode: strings / escaping ----
  S`return cjson.encode('a"b\\c/d\b\f\n\r\t')`,
  S`local s = '' for i = 0, 255 do s = s .. string.char(i) end return cjson.encode(s)`,
  S`return cjson.encode('caf\195\169 \226\130\172 \240\159\152\128')`,
  S`return cjson.encode({['a/b"c'] = 'x\0y'})`,
  // ---- encode: tables ----
  S`return cjson.encode({})`,
  S`return cjson.encode({1, 2, 3})`,
  S`return cjson.encode({1, 'a', true, false, cjson.null, 2.5})`,
  S`return cjson.encode({{}, {{}}, {1, {2, {3}}}})`,
  S`return cjson.encode({a = 1})`,
  S`return cjson.encode({a = {b = {c = {1, 2, {d = 'e'}}}}})`,
  S`return cjson.encode({[1] = 1, [3] = 3})`,
  S`return cjson.encode({[10] = 1})`,
  S`return cjson.encode({[5] = 1, [6] = 1, [7] = 1, [8] = 1, [9] = 1, [12] = 1})`,
  S`return cjson.encode({[1.5] = 1}) .. cjson.encode({[0] = 'z'}) .. cjson.encode({[-1] = 1})`,
  S`return cjson.encode({[2^31] = 1}) .. cjson.encode({[1e20] = 1}) .. cjson.encode({[2^32 + 5] = 1}) .. cjson.encode({[2^63] = 1})`,
  S`return cjson.encode({[2^31 - 1] = 1})`,
  S`local t = cjson.decode(cjson.encode({1, 2, x = 3})) return t['1'] .. t['2'] .. t.x`,
  S`local t = cjson.decode(cjson.encode({a = 1, b = 'two', c = {true}, [7] = 7})) return t.a .. t.b .. tostring(t.c[1]) .. t['7']`,
  S`local t = setmetatable({}, {__index = function() return 1 end}) return cjson.encode(t)`,
  // ---- encode: errors ----
  S`local ok, e = pcall(cjson.encode, {[1] = 1, [20] = 20}) return e`,
  S`local ok, e = pcall(cjson.encode, {[11] = 1}) return e`,
  S`local ok, e = pcall(cjson.encode, function() end) return e`,
  S`local ok, e = pcall(cjson.encode, {f = coroutine.create(function() end)}) return e`,
  S`local ok, e = pcall(cjson.encode, {[true] = 1}) return e`,
  S`local ok, e = pcall(cjson.encode, {[{}] = 1}) return e`,
  S`local ok, e = pcall(cjson.encode, 0/0) return e`,
  S`local ok, e = pcall(cjson.encode, {1, math.huge}) return e`,
  S`local ok, e = pcall(cjson.encode, {[-math.huge] = 1}) return e`,
  S`local ok, e = pcall(cjson.encode) return e`,
  S`local ok, e = pcall(cjson.encode, 1, 2) return e`,
  S`local ok, e = pcall(function() local x = cjson.encode() return x end) return e`,
  S`local ok, e = pcall(function() local x = cjson.encode({function() end}) return x end) return e`,
  S`local enc = cjson.encode local ok, e = pcall(function() local x = enc(1, 2) return x end) return e`,
  S`local ok, e = pcall(function() local x = cjson:encode() return x end) return e`,
  // ---- encode: nesting ----
  S`local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)`,
  S`local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end local ok, e = pcall(cjson.encode, t) return e`,
  S`local t = {} t[1] = t local ok, e = pcall(cjson.encode, t) return e`,
  S`local t = {} t.a = t local ok, e = pcall(function() local x = cjson.encode(t) return x end) return e`,
  // ---- decode: values ----
  S`return tostring(cjson.decode('null') == cjson.null)`,
  S`return type(cjson.decode('true')) .. tostring(cjson.decode('true')) .. tostring(cjson.decode(' false '))`,
  S`return tostring(cjson.decode('123')) .. ' ' .. tostring(cjson.decode('-5')) .. ' ' .. tostring(cjson.decode('1.5'))`,
  S`return tostring(cjson.decode('1e3')) .. ' ' .. tostring(cjson.decode('1E2')) .. ' ' .. tostring(cjson.decode('0.1'))`,
  S`return tostring(cjson.decode('1e20')) .. ' ' .. tostring(cjson.decode('12345678901234567890')) .. ' ' .. tostring(cjson.decode('-2.5e-3'))`,
  S`return tostring(cjson.decode('99999999999999')) .. ' ' .. tostring(cjson.decode('100000000000000')) .. ' ' .. tostring(cjson.decode('123456789012345'))`,
  S`return tostring(cjson.decode('3') + 1) .. ' ' .. tostring(cjson.decode('0.5') * 3) .. ' ' .. tostring(cjson.decode('10') / 4)`,
  S`return cjson.encode(cjson.decode('-0')) .. cjson.encode(cjson.decode('0')) .. cjson.encode(cjson.decode('-0.0'))`,
  S`return cjson.encode(cjson.decode('[1,2,3]'))`,
  S`return cjson.encode(cjson.decode(' \t\n\r[ 1 , [ ] , { } , "x" , null , true ] \r\n'))`,
  S`return cjson.encode(cjson.decode('{"a":{"b":[1,{"c":null}]}}'))`,
  S`local t = cjson.decode('[1,null,3,null]') return #t .. tostring(t[2] == cjson.null) .. tostring(t[4] == cjson.null)`,
  S`return tostring(cjson.decode('{"a":1,"a":2}').a)`,
  S`local t = cjson.decode('{"x":1,"y":[true,false],"z":"s"}') return t.x .. tostring(t.y[2]) .. t.z`,
  S`return cjson.decode('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"')`,
  S`return cjson.decode('"\\u0041\\u00e9\\u00E9\\u20ac\\ud83d\\ude00\\uD83D\\uDE00\\u0000z"')`,
  S`return cjson.decode('"\\u007f\\u0080\\u07ff\\u0800\\uffff\\udbff\\udfff"')`,
  S`return cjson.decode('"raw \195\169 \255 bytes"')`,
  S`return cjson.decode('[1]\0garbage')[1] .. ''`,
  S`return tostring(cjson.decode(123)) .. tostring(cjson.decode(1.5))`,
  S`return cjson.encode(cjson.decode(cjson.encode({1, {2, {3, {'x', {y = 'z'}}}}})))`,
  // ---- decode: numbers accepted by strtod ----
  S`local c = cjson.new() c.encode_invalid_numbers(true) return c.encode(c.decode('[+5, 0x1F, -0x10, 0x1p4, 0x1.8p1, 01, 1., -.5, 1e400, -1e400]'))`,
  S`local c = cjson.new() c.encode_invalid_numbers(true) return c.encode(c.decode('[inf, -Infinity, INF, NaN, -nan, nan(123), infinity]'))`,
  S`local c = cjson.new() c.encode_invalid_numbers(true) return c.encode(c.decode('[0x, 1]'))`,
  S`return cjson.encode(function() end)`,
  S`local ok, e = pcall(cjson.decode, '[0x, 1]') return e`,
  S`local ok, e = pcall(cjson.decode, '[1e, 1]') return e`,
  S`local ok, e = pcall(cjson.decode, '[1e+]') return e`,
  S`local ok, e = pcall(cjson.decode, '[-]') return e`,
  S`local ok, e = pcall(cjson.decode, '[-a]') return e`,
  S`local ok, e = pcall(cjson.decode, '[.5]') return e`,
  S`local ok, e = pcall(cjson.decode, '+x') return e`,
  S`local ok, e = pcall(cjson.decode, 'nil') return e`,
  S`local ok, e = pcall(cjson.decode, 'Nope') return e`,
  S`local ok, e = pcall(cjson.decode, '[infinit]') return e`,
  // ---- decode: errors ----
  S`local ok, e = pcall(cjson.decode, '') return e`,
  S`local ok, e = pcall(cjson.decode, '   ') return e`,
  S`local ok, e = pcall(cjson.decode, '[') return e`,
  S`local ok, e = pcall(cjson.decode, '[1,') return e`,
  S`local ok, e = pcall(cjson.decode, '[1 2]') return e`,
  S`local ok, e = pcall(cjson.decode, '[1,]') return e`,
  S`local ok, e = pcall(cjson.decode, '{"a" 1}') return e`,
  S`local ok, e = pcall(cjson.decode, '{1:2}') return e`,
  S`local ok, e = pcall(cjson.decode, '{"a":1,}') return e`,
  S`local ok, e = pcall(cjson.decode, '{"a":1 "b":2}') return e`,
  S`local ok, e = pcall(cjson.decode, 'nul') return e`,
  S`local ok, e = pcall(cjson.decode, 'tru') return e`,
  S`local ok, e = pcall(cjson.decode, '@') return e`,
  S`local ok, e = pcall(cjson.decode, '[1]x') return e`,
  S`local ok, e = pcall(cjson.decode, '{"a":1} {') return e`,
  S`local ok, e = pcall(cjson.decode, '"abc') return e`,
  S`local ok, e = pcall(cjson.decode, '"ab\0c"') return e`,
  S`local ok, e = pcall(cjson.decode, '"ab\\') return e`,
  S`local ok, e = pcall(cjson.decode, '"\\x"') return e`,
  S`local ok, e = pcall(cjson.decode, '["ok", "\\ud83d"]') return e`,
  S`local ok, e = pcall(cjson.decode, '"\\ude00"') return e`,
  S`local ok, e = pcall(cjson.decode, '"\\ud83d\\u0041"') return e`,
  S`local ok, e = pcall(cjson.decode, '"\\u12"') return e`,
  S`local ok, e = pcall(cjson.decode, '"\\u12g4"') return e`,
  S`local ok, e = pcall(cjson.decode, '\0a') return e`,
  S`local ok, e = pcall(cjson.decode, 'a\0') return e`,
  S`local ok, e = pcall(cjson.decode, '\239\187\191[]') return e`,
  S`local ok, e = pcall(cjson.decode) return e`,
  S`local ok, e = pcall(cjson.decode, {}) return e`,
  S`local ok, e = pcall(cjson.decode, nil) return e`,
  S`local ok, e = pcall(cjson.decode, '1', '2') return e`,
  S`local ok, e = pcall(function() local x = cjson.decode('[') return x end) return e`,
  S`local ok, e = pcall(function() local x = cjson:decode() return x end) return e`,
  // ---- decode: nesting ----
  S`local t = cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)) return cjson.encode(t[1][1][1][1])`,
  S`local ok, e = pcall(cjson.decode, string.rep('[', 1001)) return e`,
  S`local ok, e = pcall(cjson.decode, string.rep('{"a":', 1001)) return e`,
  S`local ok, e = pcall(cjson.decode, ' [ ' .. string.rep('{"k": [', 600)) return e`,
  // ---- config functions: defaults / return values ----
  S`local a, b, c = cjson.encode_sparse_array() return tostring(a) .. b .. c .. select('#', cjson.encode_sparse_array())`,
  S`return cjson.encode_max_depth() .. ' ' .. cjson.decode_max_depth() .. ' ' .. cjson.encode_number_precision()`,
  S`return tostring(cjson.encode_keep_buffer()) .. tostring(cjson.encode_invalid_numbers()) .. tostring(cjson.decode_invalid_numbers())`,
  S`return select('#', cjson.encode(1)) .. select('#', cjson.decode('1')) .. select('#', cjson.encode_max_depth())`,
  S`local t = {} for k, v in pairs(cjson) do t[#t + 1] = k .. ':' .. type(v) end table.sort(t) return table.concat(t, ',')`,
  S`return cjson._NAME .. ' ' .. cjson._VERSION .. ' ' .. type(cjson.null) .. tostring(cjson.new().null == cjson.null) .. tostring(cjson.new() ~= cjson)`,
  // ---- config functions: setting (on private instances) ----
  S`local c = cjson.new() local a, b, d = c.encode_sparse_array(true) return tostring(a) .. b .. d .. c.encode({[20] = 2})`,
  S`local c = cjson.new() c.encode_sparse_array(true, 0) return c.encode({[20] = 2})`,
  S`local c = cjson.new() local a, b, d = c.encode_sparse_array('on', 3, 100) return tostring(a) .. b .. d .. c.encode({[50] = 1})`,
  S`local c = cjson.new() c.encode_sparse_array(false, 1, 0) local ok, e = pcall(c.encode, {[1] = 1, [3] = 3}) return e`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_sparse_array, true, -1) local a, b, d = c.encode_sparse_array() return e .. tostring(a) .. b .. d`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_sparse_array, 'maybe') return e`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_sparse_array, true, 'x') return e`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_sparse_array, 1, 2, 3, 4) return e`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_max_depth, 0) return e`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_max_depth, {}) return e`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_max_depth, 1, 2) return e`,
  S`local c = cjson.new() local ok, e = pcall(function() local x = c.decode_max_depth(-3) return x end) return e`,
  S`local c = cjson.new() c.encode_max_depth(2) local ok, e = pcall(c.encode, {{{}}}) return c.encode({{1}}) .. e`,
  S`local c = cjson.new() c.decode_max_depth(2) local ok, e = pcall(c.decode, '[[[1]]]') return c.encode(c.decode('[[1]]')) .. e`,
  S`local c = cjson.new() c.decode_max_depth(3) local ok, e = pcall(c.decode, '{"a":{"b":{"c":{}}}}') return e`,
  S`local c = cjson.new() return c.encode_number_precision(3) .. c.encode(math.pi) .. c.encode(123456) .. c.encode({[1/3] = 1})`,
  S`local c = cjson.new() return c.encode_number_precision('5') .. c.encode_number_precision(7.9) .. c.encode(math.pi)`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_number_precision, 15) return e`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_number_precision, 0) return e`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_number_precision, 'abc') return e`,
  S`local c = cjson.new() return tostring(c.encode_keep_buffer('off')) .. tostring(c.encode_keep_buffer(true)) .. c.encode({1})`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_keep_buffer, 1) return e`,
  S`local c = cjson.new() return tostring(c.encode_invalid_numbers('null')) .. c.encode({0/0, math.huge, -math.huge, 1})`,
  S`local c = cjson.new() return tostring(c.encode_invalid_numbers('on')) .. c.encode({math.huge, -math.huge, 0/0, -(0/0)})`,
  S`local c = cjson.new() c.encode_invalid_numbers(true) return c.encode({[math.huge] = 1})`,
  S`local c = cjson.new() c.encode_invalid_numbers('null') return c.encode({[-math.huge] = 1})`,
  S`local c = cjson.new() return tostring(c.encode_invalid_numbers(false)) .. tostring(c.encode_invalid_numbers('off'))`,
  S`local c = cjson.new() local ok, e = pcall(c.encode_invalid_numbers, 'maybe') return e`,
  S`local c = cjson.new() local ok, e = pcall(c.decode_invalid_numbers, 'null') return e`,
  S`local c = cjson.new() local ok, e = pcall(c.decode_invalid_numbers, {}) return e`,
  S`local c = cjson.new() return tostring(c.decode_invalid_numbers(false)) .. tostring(c.decode_invalid_numbers('on'))`,
  S`local c = cjson.new() c.decode_invalid_numbers(false) local r = {} for _, s in ipairs({'+5', '0x10', '01', '-01', 'inf', '-inf', 'NaN', '[1, nan]', '0', '-0.5', '1e5'}) do local ok, e = pcall(c.decode, s) r[#r + 1] = ok and c.encode(e) or e end return table.concat(r, '|')`,
  S`local c = cjson.new() local ok, e = pcall(c.decode_invalid_numbers, 1, 2) return e`,
  // ---- Lua 5.1 stack limit (lua_checkstack) with raised depth limits ----
  S`local c = cjson.new() c.encode_max_depth(100000) local t = {} local x = t for i = 1, 10000 do x.a = {} x = x.a end local ok, e = pcall(c.encode, t) return e`,
  S`local c = cjson.new() c.encode_max_depth(100000) local t = {} local x = t for i = 1, 10000 do x[1] = {} x = x[1] end local ok, e = pcall(c.encode, t) return e`,
  S`local c = cjson.new() c.decode_max_depth(100000) local ok, e = pcall(c.decode, string.rep('[', 10000)) return e`,
  S`local c = cjson.new() c.decode_max_depth(100000) local ok, e = pcall(c.decode, string.rep('{"a":', 10000)) return e`,
];

/** Wrap a snippet identically for both engines: one line, hex-encoded result. */
function wrap(snippet: string): string {
  return `local __f = function() ${snippet} end ` +
    `local __r = __f() ` +
    `if type(__r) ~= 'string' then __r = type(__r) .. ':' .. tostring(__r) end ` +
    `return (string.gsub(__r, '.', function(c) return string.format('%02x', string.byte(c)) end))`;
}

function unhex(hex: string): string {
  let out = "";
  for (let i = 0; i < hex.length; i += 2) {
    const b = parseInt(hex.slice(i, i + 2), 16);
    out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${hex.slice(i, i + 2)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Minimal RESP client (binary safe)
// ---------------------------------------------------------------------------
class Resp {
  private buf = new Uint8Array(0);
  private constructor(private conn: Deno.Conn) {}

  static async connect(port: number): Promise<Resp> {
    return new Resp(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async command(...args: string[]): Promise<{ ok: boolean; value: string | number | null }> {
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = enc.encode(a);
      parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) (out.set(p, o), o += p.length);
    for (let w = 0; w < out.length;) w += await this.conn.write(out.subarray(w));
    return await this.reply();
  }

  private async fill(): Promise<void> {
    const chunk = new Uint8Array(65536);
    const n = await this.conn.read(chunk);
    if (n === null) throw new Error("redis connection closed");
    const merged = new Uint8Array(this.buf.length + n);
    merged.set(this.buf);
    merged.set(chunk.subarray(0, n), this.buf.length);
    this.buf = merged;
  }

  private async line(): Promise<string> {
    for (;;) {
      const i = this.buf.findIndex((b, j) => b === 13 && this.buf[j + 1] === 10);
      if (i >= 0) {
        const s = new TextDecoder("latin1").decode(this.buf.subarray(0, i));
        this.buf = this.buf.subarray(i + 2);
        return s;
      }
      await this.fill();
    }
  }

  private async reply(): Promise<{ ok: boolean; value: string | number | null }> {
    const l = await this.line();
    const rest = l.slice(1);
    switch (l[0]) {
      case "+":
        return { ok: true, value: rest };
      case "-":
        return { ok: false, value: rest };
      case ":":
        return { ok: true, value: Number(rest) };
      case "$": {
        const len = Number(rest);
        if (len < 0) return { ok: true, value: null };
        while (this.buf.length < len + 2) await this.fill();
        const s = new TextDecoder("latin1").decode(this.buf.subarray(0, len));
        this.buf = this.buf.subarray(len + 2);
        return { ok: true, value: s };
      }
      default:
        throw new Error(`unexpected reply: ${l}`);
    }
  }

  close() {
    this.conn.close();
  }
}

// ---------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------
/**
 * A real redis-server in a directory of its own (tests/harness.ts spawnRedis), once it answers PONG:
 * started in the working directory, it loaded any dump.rdb there and answered -LOADING meanwhile.
 */
async function startRedis(): Promise<{ client: Resp; stop: () => Promise<void> }> {
  const redis = await spawnRedis();
  const client = await Resp.connect(redis.port);
  return {
    client,
    stop: async () => {
      client.close();
      await redis.stop();
    },
  };
}

/** A wasmoon engine with our module installed as global `cjson`. */
async function createLua() {
  // The module as the node runs it: with Lua 5.1's number text and integer arguments.
  const engine = await whilePatchingLuaModule(() => new LuaFactory().createEngine());
  const g = engine.global;
  const L = g.address;
  g.loadString(CJSON_LUA, "=cjson");
  g.lua.lua_pushlightuserdata(L, 0); // NULL light userdata, as Redis's cjson.null
  const rc = g.lua.lua_pcallk(L, 1, 1, 0, 0, null);
  if (rc !== 0) throw new Error(`loading cjson failed: ${g.lua.lua_tolstring(L, -1, null)}`);
  g.lua.lua_setglobal(L, "cjson");
  return {
    run(script: string): { ok: boolean; value: string } {
      g.setTop(0);
      try {
        g.loadString(script, "@user_script");
        const res = g.runSync();
        return { ok: true, value: String(res[0]) };
      } catch (e) {
        return { ok: false, value: String((e as Error).message ?? e) };
      } finally {
        g.setTop(0);
      }
    },
    close: () => engine.global.close(),
  };
}

Deno.test({
  name: "cjson: pure-Lua module matches Redis 7 cjson byte for byte",
  ignore: !haveRedisServer(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert.ok(SNIPPETS.length >= 60);
    const redis = await startRedis();
    const lua = await createLua();
    const failures: string[] = [];
    try {
      for (const snippet of SNIPPETS) {
        const script = wrap(snippet);
        const want = await redis.client.command("EVAL", script, "0");
        const got = lua.run(script);
        // An uncaught error: Redis adds "ERR " and " script: <sha>, on @user_script:N."
        const wantText = want.ok
          ? unhex(String(want.value))
          : `ERROR ${
            String(want.value).replace(/^ERR /, "").replace(
              / script: [0-9a-f]+, on @user_script:\d+\.$/,
              "",
            )
          }`;
        const gotText = got.ok ? unhex(got.value) : `ERROR ${got.value}`;
        if (wantText !== gotText) {
          failures.push(`snippet: ${snippet}\n  redis: ${wantText}\n  ours:  ${gotText}`);
        }
      }
    } finally {
      lua.close();
      await redis.stop();
    }
    console.log(
      `cjson differential: ${SNIPPETS.length - failures.length}/${SNIPPETS.length} snippets match`,
    );
    assert.equal(failures.length, 0, `${failures.length} mismatches:\n${failures.join("\n")}`);
  },
});
