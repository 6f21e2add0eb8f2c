/**
 * Lua scripting, differential: hundreds of scripts run on our node and on a real redis-server
 * in the same run, every reply compared exactly (`show()`), in RESP2 and in RESP3 (a second
 * pair of connections after `HELLO 3`), and the keyspace compared (`DEBUG DIGEST`) before and
 * after every script. Two cluster-mode pairs cover the redirections: one node serving half of the
 * slots (the other half unserved), and a two-node cluster on each side (MOVED, ASK, importing and
 * migrating slots; the peer's port in MOVED/ASK is normalized).
 *
 * Part of the corpus is generated from a seeded PRNG (the seed is printed; rerun a failure
 * with SCRIPT_COMPARE_SEED=<seed>); the rest is written by hand.
 *
 * Left out on purpose (documented Lua 5.4 vs 5.1 differences): compile-time syntax error texts,
 * the iteration order of tables with more than one key (cjson objects, {map=}/{set=} built by
 * scripts or returned from RESP3 replies with several entries), integer vs float division,
 * tail-call error positions. Also left out: `error({})` and
 * `error({other = 1})` (an error table without `err`), which crash redis-server 7.0.15.
 *
 * A case marked `knownFail` is a difference found and not fixed yet: skipped, so it can be
 * re-enabled by deleting the mark (SCRIPT_COMPARE_KNOWN_FAIL=1 runs only them, and lists how each
 * still differs).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { RespValue } from "../protocol/resp_value.ts";
import { keyHashSlot } from "../protocol/slot.ts";
import {
  haveRedisServer,
  type InProcessNode,
  RespClient,
  type SpawnedProcess,
  spawnRedis,
  startNode,
} from "./harness.ts";
import { type Cmd, cmdText, show, withNodeAndRedis } from "./compare.ts";
import { prng } from "./prng.ts";

const te = new TextEncoder();

// ---- the corpus ---------------------------------------------------------------------------------

interface Case {
  /** Commands run after the fixture; the EVAL-like ones are the scripts. */
  cmds: Cmd[];
  /** Only for the RESP2 pair / the RESP3 pair (default both). */
  only?: 2 | 3;
  /** The difference this case shows, not fixed yet: skipped (see the file comment). */
  knownFail?: string;
  /** Run on the cluster-mode pair instead of the plain one. */
  cluster?: boolean;
  /**
   * Run on the two-node cluster pair: this node serves 0-8191, a peer 8192-16383 (MOVED, ASK).
   * "{{peer}}" in a command stands for the peer's node id on each side.
   */
  moved?: boolean;
}

const cases: Case[] = [];

/** EVAL `script` with keys and args. */
function ev(
  script: string | Uint8Array,
  keys: (string | Uint8Array)[] = [],
  args: (string | Uint8Array)[] = [],
): Cmd {
  return ["EVAL", script, String(keys.length), ...keys, ...args];
}
function add(
  script: string,
  keys: (string | Uint8Array)[] = [],
  args: (string | Uint8Array)[] = [],
  extra: Partial<Case> = {},
): void {
  const knownFail = KNOWN_FAIL.get(script);
  cases.push({ cmds: [ev(script, keys, args)], ...(knownFail ? { knownFail } : {}), ...extra });
}

/**
 * Differences from redis-server found by this test and not fixed yet, by script: skipped until
 * the engine is fixed (delete the entry to re-enable the case).
 */
const KNOWN_FAIL = new Map<string, string>([]);
function addCmds(cmds: Cmd[], extra: Partial<Case> = {}): void {
  const knownFail = cmds.map((c) => KNOWN_FAIL.get(String(c[1]))).find((k) => k !== undefined);
  cases.push({ cmds, ...(knownFail ? { knownFail } : {}), ...extra });
}

/** The keyspace every case starts from (after FLUSHALL). */
const FIXTURE: Cmd[] = [
  ["SET", "s", "hello"],
  ["SET", "n", "10"],
  ["SET", "f", "1.5"],
  ["RPUSH", "l", "a", "b", "c"],
  ["HSET", "h", "f", "v"],
  ["HSET", "h2", "a", "1", "b", "2"],
  ["SADD", "si", "1", "2", "3"],
  ["SADD", "s1", "x"],
  ["ZADD", "z", "1", "a", "2.5", "b"],
  ["ZADD", "z1", "3", "m"],
  ["SET", "bin", new Uint8Array([0, 1, 2, 255, 13, 10])],
];

// Lua snippet: hex of the string s (for binary results of cmsgpack/struct).
const HEX =
  `local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end `;

// ---- Redis -> Lua conversions ----
const r2l: string[] = [
  `return redis.call('get','s')`,
  `return redis.call('get','nokey')`,
  `return type(redis.call('get','nokey'))`,
  `return tostring(redis.call('get','nokey'))`,
  `return redis.call('get','nokey') == false`,
  `return redis.call('incr','n')`,
  `return type(redis.call('incr','n'))`,
  `return redis.call('incr','n') + 0.5`,
  `return redis.call('strlen','s') * 2`,
  `return type(redis.call('set','k','v'))`,
  `return redis.call('set','k','v')`,
  `return redis.call('set','k','v').ok`,
  `local r = redis.call('set','k','v') return {r}`,
  `return redis.call('ping')`,
  `return redis.call('ping').ok`,
  `return redis.call('type','l')`,
  `return redis.call('type','l').ok`,
  `return redis.call('lrange','l',0,-1)`,
  `local r = redis.call('lrange','l',0,-1) return #r`,
  `return redis.call('lrange','nokey',0,-1)`,
  `return type(redis.call('lrange','nokey',0,-1))`,
  `return redis.call('hgetall','h2')`,
  `return redis.call('hgetall','h')`,
  `return redis.call('zrange','z',0,-1,'withscores')`,
  `return redis.call('zrange','z',0,-1,'withscores')[4]`,
  `return redis.call('smembers','si')`,
  `return redis.call('scan',0,'match','s','count',1000)`,
  `return redis.call('hscan','h2',0)`,
  `return redis.call('sscan','si',0)`,
  `return redis.call('zscan','z',0)`,
  `return redis.call('mget','s','nokey','n')`,
  `local r = redis.call('mget','s','nokey','n') return {type(r[1]), type(r[2]), type(r[3])}`,
  `return redis.call('blpop','nokey',0)`,
  `return type(redis.call('blpop','nokey',0))`,
  `return redis.call('zscore','z','b')`,
  `return type(redis.call('zscore','z','b'))`,
  `return redis.call('zscore','z','nomember')`,
  `return redis.call('exists','s','l','nokey')`,
  `return redis.call('lpos','l','b')`,
  `return redis.call('lpos','l','zz')`,
  `return redis.call('object','encoding','l')`,
  `return redis.call('echo','x\\0y')`,
  `return redis.call('get','bin')`,
  `return #redis.call('get','bin')`,
  `return redis.call('zrangebyscore','z','-inf','+inf','withscores','limit',0,1)`,
  `return redis.call('hmget','h2','a','zz','b')`,
  `return redis.call('incrbyfloat','f','0.1')`,
  `return redis.call('hincrbyfloat','h2','a','1e3')`,
  `return redis.call('zincrby','z','1.25','a')`,
  `return {redis.call('lrange','l',0,0), {redis.call('get','s'), {redis.call('incr','n')}}}`,
  // RESP3 replies through redis.setresp(3).
  `redis.setresp(3) return redis.call('hgetall','h')`,
  `redis.setresp(3) local r = redis.call('hgetall','h') return r.map.f`,
  `redis.setresp(3) local r = redis.call('hgetall','h2') return {r.map.a, r.map.b}`,
  `redis.setresp(3) return type(redis.call('hgetall','h').map)`,
  `redis.setresp(3) return redis.call('smembers','s1')`,
  `redis.setresp(3) local r = redis.call('smembers','si') return {r.set['1'], r.set['2'], r.set['4']}`,
  `redis.setresp(3) local r = redis.call('smembers','si') return type(r.set['1'])`,
  `redis.setresp(3) return redis.call('zscore','z','b')`,
  `redis.setresp(3) return redis.call('zscore','z','b').double`,
  `redis.setresp(3) return type(redis.call('zscore','z','b').double)`,
  `redis.setresp(3) return tostring(redis.call('zscore','z','b').double)`,
  `redis.setresp(3) return redis.call('zscore','z','nomember')`,
  `redis.setresp(3) return type(redis.call('zscore','z','nomember'))`,
  `redis.setresp(3) return type(redis.call('get','nokey'))`,
  `redis.setresp(3) return redis.call('get','nokey') == nil`,
  `redis.setresp(3) return {redis.call('get','nokey')}`,
  `redis.setresp(3) return redis.call('zrange','z',0,-1,'withscores')`,
  `redis.setresp(3) local r = redis.call('zrange','z',0,-1,'withscores') return type(r[1][2])`,
  `redis.setresp(3) return redis.call('sismember','si',1)`,
  `redis.setresp(3) return redis.call('hello')`,
  `redis.setresp(3) return type(redis.call('set','k','v'))`,
  `redis.setresp(3) return redis.call('set','k','v')`,
  `redis.setresp(3) return redis.call('incrbyfloat','f','2')`,
  `redis.setresp(3) return redis.call('config','get','maxmemory')`,
  `redis.setresp(3) return redis.call('blpop','nokey',0)`,
  `redis.setresp(3) return type(redis.call('blpop','nokey',0))`,
  `redis.setresp(3) return redis.call('lpos','l','zz')`,
  `redis.setresp(3) local r = redis.call('hgetall','nokey') return type(r.map)`,
  `redis.setresp(3) return redis.call('hgetall','nokey')`,
  `redis.setresp(3) return redis.call('smembers','nokey')`,
  `redis.setresp(3) redis.setresp(2) return redis.call('hgetall','h')`,
  `redis.setresp(2) return redis.call('zscore','z','b')`,
  `redis.setresp(3) return redis.call('zrandmember','z1',1,'withscores')`,
  `redis.setresp(3) return redis.call('zpopmin','z1')`,
  // Verbatim strings (INFO replies one in RESP3).
  `redis.setresp(3) local r = redis.call('info','keyspace') return {type(r), type(r.verbatim_string), r.verbatim_string.format}`,
  `redis.setresp(3) return redis.call('info','keyspace')`,
  `redis.setresp(3) return redis.call('info','keyspace').verbatim_string.string`,
  `redis.setresp(3) return {redis.call('info','keyspace')}`,
  `return redis.call('info','keyspace')`,
  `return type(redis.call('info','keyspace'))`,
];
for (const s of r2l) add(s);

// ---- Lua -> Redis conversions ----
const l2r: string[] = [
  `return 1`,
  `return 0`,
  `return -1`,
  `return 3.7`,
  `return -3.7`,
  `return 0.5`,
  `return -0.5`,
  `return 1e15`,
  `return 2^53`,
  `return 1e20`,
  `return -1e20`,
  `return 1/0`,
  `return -1/0`,
  `return 0/0`,
  `return 123456789012345`,
  `return -2^63`,
  `return 2^62`,
  `return 9007199254740993`,
  `return 9223372036854775807`,
  `return '12'`,
  `return ''`,
  `return 'a\\0b'`,
  `local t = {} for i=0,255 do t[#t+1] = string.char(i) end return table.concat(t)`,
  `return true`,
  `return false`,
  `return nil`,
  `return`,
  `return 1, 2`,
  `return 'a', 'b'`,
  `return {}`,
  `return {1, 2, 3}`,
  `return {1, nil, 3}`,
  `return {nil, 2}`,
  `return {1, 'two', 3.9, true, false}`,
  `return {1, {2, {3, {4}}}}`,
  `return {{}, {{}}}`,
  `return {a = 1}`,
  `return {1, 2, a = 3}`,
  `return {false, true}`,
  `return {1.5, -2.5}`,
  `return {1, 'x', nil, 'y'}`,
  `return {ok = 'fine'}`,
  `return {ok = ''}`,
  `return {ok = 'a\\r\\nb'}`,
  `return {ok = 5}`,
  `return {ok = true}`,
  `return {ok = 'x', err = 'y'}`,
  `return {err = 'my error'}`,
  `return {err = 'CUSTOM my error'}`,
  `return {err = 'x\\ny\\r\\nz'}`,
  `return {err = '\\r\\nlead'}`,
  `return {err = ''}`,
  `return {err = 5}`,
  `return {err = true}`,
  `return {err = '-CODE dash'}`,
  `return {1, {err = 'nested'}, 3}`,
  `return {1, {ok = 'nested'}, 3}`,
  `return {double = 1.5}`,
  `return {double = 3}`,
  `return {double = -0.1}`,
  `return {double = 1/0}`,
  `return {double = -1/0}`,
  `return {double = 0/0}`,
  `return {double = 1e300}`,
  `return {double = '2.5'}`,
  `return {double = 'x'}`,
  `return {double = 10/3}`,
  `return {double = true}`,
  `return {map = {a = 1}}`,
  `return {map = {}}`,
  `return {map = {k = {1, 2}}}`,
  `return {map = {[1] = 'x'}}`,
  `return {map = {k = {map = {x = true}}}}`,
  `return {map = 5}`,
  `return {set = {a = true}}`,
  `return {set = {}}`,
  `return {set = {[7] = true}}`,
  `return {set = 'x'}`,
  `return {big_number = '123456789012345678901234567890'}`,
  `return {big_number = 12}`,
  `return {big_number = {}}`,
  `return {verbatim_string = {format = 'txt', string = 'hello'}}`,
  `return {verbatim_string = {format = 'mkd', string = ''}}`,
  `return {verbatim_string = {string = 'noformat'}}`,
  `return {verbatim_string = 'x'}`,
  `return {1, {double = 2.5}, {map = {a = {set = {b = true}}}}}`,
  `return redis.error_reply('boom')`,
  `return redis.error_reply('MY boom')`,
  `return redis.error_reply('-MY boom')`,
  `return redis.error_reply('')`,
  `return redis.error_reply('x\\r\\n')`,
  `return redis.error_reply(5)`,
  `return redis.error_reply()`,
  `return redis.error_reply('a', 'b')`,
  `return redis.error_reply({})`,
  `return redis.status_reply('FINE')`,
  `return redis.status_reply('')`,
  `return redis.status_reply(5)`,
  `return redis.status_reply()`,
  `return redis.status_reply('a', 'b')`,
  `return type(redis.error_reply('x'))`,
  `return redis.error_reply('x').err`,
  `return redis.status_reply('x').ok`,
  `return {redis.error_reply('in array')}`,
  `redis.setresp(3) return true`,
  `redis.setresp(3) return false`,
  `redis.setresp(3) return nil`,
  `redis.setresp(3) return {true, false, 1}`,
  `redis.setresp(3) return {double = 2.5}`,
  `redis.setresp(3) return {map = {k = 'v'}}`,
  `redis.setresp(3) return {set = {m = true}}`,
  `redis.setresp(3) return {big_number = '999999999999999999999'}`,
  `redis.setresp(3) return {verbatim_string = {format = 'txt', string = 'v'}}`,
  `redis.setresp(3) return {1, {map = {a = {double = 0.5}}}}`,
  `redis.setresp(2) return true`,
  `redis.setresp(2) return {true, false}`,
];
for (const s of l2r) add(s);

// ---- redis.call / redis.pcall ----
const calls: string[] = [
  `return redis.call('get','l')`,
  `return redis.pcall('get','l')`,
  `return type(redis.pcall('get','l'))`,
  `return redis.pcall('get','l').err`,
  `return redis.call('nosuchcommand')`,
  `return redis.pcall('nosuchcommand')`,
  `return redis.call('get')`,
  `return redis.pcall('get')`,
  `return redis.call('set','a')`,
  `return redis.call('config')`,
  `return redis.call('config','nosub')`,
  `return redis.call('object')`,
  `return redis.call()`,
  `return redis.pcall()`,
  `return redis.call({})`,
  `return redis.call('get', {})`,
  `return redis.pcall('get', {})`,
  `return redis.call('get', nil)`,
  `return redis.call('set', 'k', true)`,
  `return redis.call('set', 'k', false)`,
  `return redis.call('get', 'a', nil, 'b')`,
  `redis.call('set','k',0.1) return redis.call('get','k')`,
  `redis.call('set','k',1e20) return redis.call('get','k')`,
  `redis.call('set','k',10/3) return redis.call('get','k')`,
  `redis.call('set','k',-0.0) return redis.call('get','k')`,
  `redis.call('set','k',2^53) return redis.call('get','k')`,
  `redis.call('set','k',2^63) return redis.call('get','k')`,
  `redis.call('set','k',1/0) return redis.call('get','k')`,
  `redis.call('set','k',-1/0) return redis.call('get','k')`,
  `redis.call('set','k',123) return redis.call('get','k')`,
  `redis.call('set','k',-7) return redis.call('get','k')`,
  `redis.call('set','k',1e-7) return redis.call('get','k')`,
  `redis.call('set','k',100000000000000) return redis.call('get','k')`,
  `redis.call('set','k',9007199254740993) return redis.call('get','k')`,
  `return redis.call('incrby','n',2.7)`,
  `return redis.call('incrby','n',3.0)`,
  `return redis.call('expire','s',1e9)`,
  `return redis.call('lrange','l',0.0,-1)`,
  `return redis.call('script','load','return 1')`,
  `return redis.call('eval','return 1',0)`,
  `return redis.pcall('eval','return 1',0)`,
  `return redis.call('multi')`,
  `return redis.call('subscribe','ch')`,
  `return redis.call('watch','s')`,
  `return redis.call('shutdown')`,
  `return redis.call('save')`,
  `return redis.call('client','kill','id','1')`,
  `return redis.call('blpop','l',0)`,
  `return redis.call('brpoplpush','nokey','x',0)`,
  `return pcall(redis.call, 'get', 'l')`,
  `return {pcall(redis.call, 'get', 'l')}`,
  `local ok, e = pcall(redis.call, 'get', 'l') return e`,
  `local ok, e = pcall(redis.call, 'nosuch') return e`,
  `local ok, e = pcall(redis.call, 'get', 's') return {ok, e}`,
  `local ok, e = pcall(function() return redis.call('incr','s') end) return {tostring(ok), e}`,
  `local ok, e = pcall(function() error('plain') end) return e`,
  `local ok, e = pcall(function() error({err = 'TBL x'}) end) return e`,
  // error({}) / error({other = 1}) (a table without err) crash redis-server 7.0.15: not compared.
  `local ok, e = pcall(error) return tostring(e)`,
  `local ok, e = pcall(function() local x = nil; return x.y end) return e`,
  `local ok, e = pcall(function() return undefinedvar end) return e`,
  `local ok, e = pcall(function() error('lvl0', 0) end) return e`,
  `local ok, e = pcall(function() error('lvl2', 2) end) return e`,
  `local ok, e = pcall(function() error(42) end) return {type(e), e}`,
  `local ok, e = xpcall(function() error('x') end, function(m) return 'handled: ' .. m end) return e`,
  `local ok, e = xpcall(function() return redis.call('get','l') end, function(m) return type(m) end) return e`,
  `error({err = 'MYERR custom'})`,
  `error({err = 'no code here'})`,
  `error({err = 'x'}, 0)`,
  `error('string error')`,
  `error('string error', 0)`,
  `error('')`,
  `error(5)`,
  `error()`,
  `error(nil)`,
  `error(true)`,
  `local x = nil; return x.field`,
  `local x = nil; return x + 1`,
  `local t = {} return t.a.b`,
  `return nosuchfn()`,
  `local f = nil; f()`,
  `return #nil`,
  `return 'a' + 1`,
  `return 'a' .. {}`,
  `return {} < {}`,
  `return 1 < 'x'`,
  `return math.floor('x')`,
  `return string.rep()`,
  `return ('x'):bad()`,
  `return undefinedglobal`,
  `x = 5 return x`,
  `myglobal = 1`,
  `local function f() g = 1 end f()`,
  `_G.x = 1`,
  `rawset(_G, 'x', 1) return x`,
  `string.foo = 1`,
  `table.insert = nil`,
  `math.pi = 3`,
  `redis.call = function() end`,
  `redis.x = 1`,
  `cjson.encode = nil`,
  `bit.band = nil`,
  `setmetatable(_G, nil)`,
  `return getmetatable(_G)`,
  `local t = string; t.x = 1`,
  `return redis.call('get', KEYS[1])`,
  `local r = redis.pcall('incr','s') return {type(r), r.err}`,
  `local r = redis.pcall('set','k') return r`,
  `local r = redis.pcall('nosuch','k') return r.err`,
  `redis.pcall('incr','s') return 'continued'`,
  `redis.call('set','w','1') redis.call('incr','s') redis.call('set','w2','2')`,
  `redis.call('set','w','1') error('after write')`,
  `redis.call('del','s','l','h') return redis.call('dbsize')`,
  `redis.call('lpush','l','z') return redis.call('lrange','l',0,-1)`,
  `return redis.call('hset','h','g','w','h','x')`,
  `return redis.call('zadd','z','nan','c')`,
  `return redis.call('zadd','z',0/0,'c')`,
  `return redis.call('zadd','z',1/0,'c')`,
  `return redis.call('setrange','s',1,'ZZ')`,
  `return redis.call('select',1)`,
  `redis.call('select',1) redis.call('set','x','1') return redis.call('dbsize')`,
  `return redis.call('flushall')`,
  `return redis.call('debug','sleep',0)`,
  `return redis.call('randomkey') ~= nil`,
  `return redis.call('time') and 1`,
  `return redis.call('command','count') > 100`,
  `return redis.call('SET','K','V')`,
  `return redis.call('GeT','s')`,
  `return redis.call('client','setname','x')`,
  `return redis.call('client','getname')`,
  `return redis.call('publish','ch','m')`,
  `return redis.call('exec')`,
  `return redis.call('function','flush')`,
  `return redis.call('fcall','f',0)`,
  `return redis.call('readonly')`,
  `return redis.call('hello', 3)`,
  `return redis.call('auth', 'x')`,
  `return redis.call('wait', 0, 0)`,
  `return redis.call('set', string.rep('k', 3), string.rep('v', 1000)) and redis.call('strlen', 'kkk')`,
];
for (const s of calls) add(s, ["s"]);

// ---- libraries ----
const libs: string[] = [
  // string
  `return string.len('abc')`,
  `return ('abc'):upper()`,
  `return string.lower('ABC')`,
  `return string.sub('hello', 2, -2)`,
  `return string.sub('hello', -3)`,
  `return string.rep('ab', 3)`,
  `return string.rep('ab', 3, ',')`,
  `return string.reverse('abc')`,
  `return string.byte('ABC', 1, 3)`,
  `return {string.byte('ABC', 1, 3)}`,
  `return string.char(72, 105)`,
  `return string.format('%5.2f|%d|%s|%q', 3.14159, 42, 'x', 'a\\nb')`,
  `return string.format('%d', 3.7)`,
  `return string.format('%d', -3.7)`,
  `return string.format('%x', 255.9)`,
  `return string.format('%s', 10/2)`,
  `return string.format('%s', 1e100)`,
  `return string.format('%g', 0.1)`,
  `return string.format('%5s|%-5s|', 'a', 'b')`,
  `return string.format('%c%c', 65, 66)`,
  // 5.1 keeps each formatted item up to its first NUL: %c of a zero byte, %s of a string with one.
  `return string.format('[%c|%3c|%-3c]', 0, 256, -256) .. string.format('%c%c', 65, 0) .. 'x'`,
  `return {string.format('[%5s]', 'a\0b'), string.format('%s', 'a\0b'), string.format('%.2s', 'a\0b')}`,
  `return string.format('%s|', string.rep('x', 100) .. '\0y')`,
  `return string.format('%%')`,
  `return string.format('%.3f', 2/3)`,
  `return string.format('%i', 5)`,
  `return string.format('%o', 8)`,
  `return string.format('%e', 12345.678)`,
  `return string.format('%s %s', 1, 2.5)`,
  `return string.find('hello world', 'o w')`,
  `return {string.find('hello', 'l+')}`,
  `return {string.find('a.b', '.', 1, true)}`,
  `return string.match('key:123', '%a+:(%d+)')`,
  `return {string.match('2024-01-02', '(%d+)-(%d+)-(%d+)')}`,
  `return string.gsub('hello', 'l', 'L')`,
  `return {string.gsub('hello', 'l', 'L', 1)}`,
  `return (string.gsub('abc', '%w', '%0%0'))`,
  `return (string.gsub('hello world', '(%w+)', '<%1>'))`,
  `return (string.gsub('abc', '.', {a = 1, b = true}))`,
  `local t = {} for w in string.gmatch('one two three', '%a+') do t[#t+1] = w end return t`,
  `local t = {} for k, v in string.gfind('a=1, b=2', '(%w+)=(%w+)') do t[#t+1] = k .. v end return t`,
  `return ('%d items'):format(3)`,
  `return #'hello'`,
  `return ('x'):rep(0)`,
  `return string.sub('abc', 0)`,
  `return tostring(string.find('abc', 'z'))`,
  `return string.format('%5.1s|', 'abc')`,
  // table
  `local t = {3, 1, 2} table.sort(t) return t`,
  `local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return t`,
  `local t = {'b', 'a', 'c'} table.sort(t) return t`,
  // table.sort is Lua 5.1's algorithm written in Lua: the same calls, order and errors.
  `local t = {5, 3, 8, 1, 9, 2, 7, 4, 6, 0} table.sort(t) return t`,
  `local t = {} for i = 1, 200 do t[i] = (i * 7919) % 211 end table.sort(t) return {t[1], t[100], t[200]}`,
  `local calls = {} local t = {4, 2, 5, 1, 3} table.sort(t, function(a, b) calls[#calls+1] = a .. '<' .. b return a < b end) return calls`,
  `local t = {3, 1, 2, 5, 4, 6, 9, 7, 8} local ok, e = pcall(table.sort, t, function(a, b) return true end) return {tostring(ok), tostring(e)}`,
  `local t = {1, 2, 3, 4, 5, 6, 7, 8} table.sort(t, function(a, b) return true end) return t`,
  `table.sort({3, 1, 2}, function(a, b) return true end)`,
  `table.sort({1, nil, 3})`,
  `table.sort({1, 'x', 3})`,
  `table.sort({{}, {}, {}})`,
  `table.sort(nil)`,
  `table.sort({1, 2}, 5)`,
  `return {pcall(table.sort, 'x')}`,
  `table.sort({3, 2, 1}, function(a, b) error('in comparator') end)`,
  `local t = {'b', 'c', 'a'} table.sort(t, function(a, b) return a > b end) return table.concat(t)`,
  `local t = setmetatable({3, 1, 2}, {__index = function() return 0 end}) table.sort(t) return {t[1], t[2], t[3]}`,
  // string.gsub with a function is written in Lua too.
  `return {string.gsub('hello world', '%w+', function(w) return w:upper() end)}`,
  `return {string.gsub('abc', '', function() return '-' end)}`,
  `return {string.gsub('abc', 'x*', function(m) return '[' .. m .. ']' end)}`,
  `return {string.gsub('hello', '(l)(l)', function(a, b) return b .. a .. '!' end)}`,
  `return {string.gsub('hello', 'l', function() return nil end)}`,
  `return {string.gsub('hello', 'l', function() return false end)}`,
  `return {string.gsub('hello', 'l', function() return 7 end)}`,
  `return {string.gsub('hello', 'l', function() return 2.5 end)}`,
  `return {string.gsub('hello', 'l', function() return 10/2 end)}`,
  `return {string.gsub('hello', '^h', function(c) return c:upper() end)}`,
  `return {string.gsub('hello', '^l', function(c) return 'X' end)}`,
  `return {string.gsub('hello hello', 'l', function(c) return 'L' end, 3)}`,
  `return {string.gsub('hello', 'l', function(c) return 'L' end, 0)}`,
  `return {string.gsub('a,b,,c', '()(,)', function(p, c) return p end)}`,
  `return {string.gsub(12345, '%d', function(d) return d * 2 end)}`,
  `return {string.gsub('x', 'x', function() return {} end)}`,
  `string.gsub('x', 'x', function() return {} end)`,
  `return {pcall(string.gsub, 'x', 'x', function() return {} end)}`,
  `return {string.gsub('abc', '%w', function(c) error('in gsub') end)}`,
  `return {string.gsub('abc', '[', function() return 1 end)}`,
  `return {string.gsub('a.b.c', '%.', function() return '%' end)}`,
  // tostring calls __tostring from Lua.
  `return tostring(setmetatable({}, {__tostring = function() return 'custom' end}))`,
  `return type(tostring(setmetatable({}, {__tostring = function() return 42 end})))`,
  `return tostring(setmetatable({}, {__tostring = function(t) return 'n=' .. #t end}))`,
  `local t = {1, 2} table.insert(t, 3) table.insert(t, 1, 0) return t`,
  `local t = {1, 2, 3} local r = table.remove(t) return {r, #t}`,
  `local t = {1, 2, 3} table.remove(t, 1) return t`,
  `return table.concat({1, 2, 3}, ',')`,
  `return table.concat({1.5, 2, 'x'}, '-')`,
  `return table.concat({10/2, 7/2}, ' ')`,
  // Integers of 15 digits or more print as Lua 5.1's doubles do ("%.14g"): 1e+14.
  `return {tostring(100000000000000), tostring(-123456789012345), tostring(99999999999999)}`,
  `return table.concat({100000000000000, 5}, ',')`,
  `return {string.format('%s|%5s|%-6s|', 100000000000000, 12, 3), string.format('%d', 2^60)}`,
  `return {redis.sha1hex(100000000000000), redis.sha1hex(10/2), redis.sha1hex(0/0)}`,
  `return {tostring(0/0), tostring(-(0/0)), tostring(2^63), tostring(1e300)}`,
  `return 'x' .. 10/2`,
  `return 'x' .. 100000000000000`,
  `return {'a' .. 9223372036854775807, 'b' .. -123456789012345, string.len(2^53 + 0), 1 .. 2}`,
  // A time in microseconds from TIME's strings (an integer in 5.4, a double in 5.1).
  `local t = {'1765389612', '345678'} return {t[1] * 1000000 + t[2] .. '', t[1] * 1000 .. ''}`,
  `return string.len(10/2)`,
  `return string.sub('abcdef', 2, 4.5)`,
  `return select(2.5, 'a', 'b', 'c')`,
  // A library function's integer argument: a float truncated toward zero, a numeric string too.
  `return {string.sub('abcdef', -2.5), string.sub('abcdef', '2.5', 3.99), ('abcdef'):sub(1.5)}`,
  `return {string.rep('ab', 2.9), string.byte('abc', 1.9), string.char(65.7, 66.2)}`,
  `return {string.find('abcabc', 'b', 2.5), string.format('%d|%x', 3.7, 255.5)}`,
  `return {unpack({1, 2, 3}, 1.5, 2.5)}`,
  `local t = {1, 2} table.insert(t, 1.5, 9) table.remove(t, 2.7) return t`,
  `return {table.concat({'a', 'b', 'c'}, ',', 1.2, 2.8), select(-1.5, 'a', 'b')}`,
  `return {string.gsub('aaa', 'a', 'b', 1.5), math.random(1.5) > 0}`,
  // Lua 5.1's library checks and results where 5.4's differ (pairs/ipairs of a non-table,
  // math.max/min of numeric strings, fmod by zero, string.char's and string.format's words,
  // float arguments truncated).
  `local x = string.char(256) return x`,
  `return string.char(256)`,
  `return {pcall(string.char, -1)}`,
  `return string.format('%y', 1)`,
  `local x = string.format('%', 1) return x`,
  `local x = string.char('65', 66.9) return x`,
  `local x = {unpack({1,2,3}, '2')} return x`,
  `local x = {unpack({1,2,3}, 2, 2.5)} return x`,
  `local t = {1,2,3} table.insert(t, 2, 'x') return t`,
  `local t = {1,2,3} local r = table.remove(t, 1) return {r, t[1], t[2], #t}`,
  `local t = {1,2,3} local r = table.remove(t) return {r, #t}`,
  `local r = {table.remove({})} return #r`,
  `local t = {} for k, v in pairs(nil) do end return 1`,
  `local t = {} for k, v in ipairs(nil) do end return 1`,
  `local ok, e = pcall(pairs, nil) return e`,
  `local x = assert(false) return x`,
  `local x = assert(nil, 'msg') return x`,
  `local a, b = assert(1, 2) return {a, b}`,
  `local x = math.max() return x`,
  `local x = math.min() return x`,
  `return {math.max('10', 2), math.min(3, '1'), math.max(1, 0/0), math.min(0/0, 1)}`,
  `local x = math.max(1, 'x') return x`,
  `local x = math.fmod(1) return x`,
  `return math.fmod(7, 0)`,
  `return math.fmod(7, 3)`,
  `return math.fmod(-7.5, 2)`,
  `return math.mod(7, 0)`,
  `return tostring(math.fmod(7, 0))`,
  `return tostring(math.fmod(-0.0, -1))`,
  `return {tostring(nil), tostring(12), tostring(1.5), tostring(true)}`,
  `local t = setmetatable({}, {__pairs = function() return function() return nil end end}) local n = 0 for k in pairs({1,2}) do n = n + 1 end return n`,
  `local ok, e = pcall(ipairs) return e`,
  `local ok, e = pcall(math.max) return e`,
  `local ok, e = pcall(math.fmod, 1) return e`,
  `local s = 0 for i, v in ipairs({5, 6, 7}) do s = s + i * v end return s`,
  `local s = 0 for k, v in pairs({a = 1, b = 2}) do s = s + v end return s`,
  `local x = table.getn() return x`,
  `return table.getn({1,2,3})`,
  `local x = table.maxn(nil) return x`,
  `return table.maxn({1, 2, [10] = 3, [2.5] = 1})`,
  `local x = table.foreach({1}) return x`,
  `local x = table.foreach(nil, print) return x`,
  `return table.foreach({10, 20}, function(k, v) if v == 20 then return k end end)`,
  `local x = table.foreachi({1}, 3) return x`,
  `return table.foreachi({10, 20}, function(k, v) if v == 20 then return k end end)`,
  `local x = setmetatable(1, {}) return x`,
  `local x = setmetatable({}, 1) return x`,
  `local x = setmetatable() return x`,
  `return getmetatable(setmetatable({}, {__index = {a = 1}})).__index.a`,
  `local ok, e = pcall(setmetatable, 1) return e`,
  `local x = string.gsub('abc', 'a', '%x') return x`,
  `local x = string.gsub('abc', 'a', '%%') return x`,
  `local x = string.gsub('abc', 'a', '%0%0') return x`,
  `local x = string.gsub('abc', 'a', 'z%') return x`,
  `local x = string.gsub('abc', '(a)', '[%1%y%%%2]') return x`,
  `local x = string.gsub('abc', 'a', '%2') return x`,
  `local x = string.find('abc', '%1') return x`,
  `local x = {string.gsub('hello world', '(o)', '<%1>', 1)} return x`,
  `local x = ('a.b'):gsub('%.', '%%') return x`,
  `return {tonumber('1.5', 10), tonumber('1e1', 10), tonumber(' 12 ', 10), tonumber('12', 10), tonumber('0x10', 10)}`,
  `return {tonumber('ff', 16), tonumber('FF', 16), tonumber('z', 36), tonumber('7', 8), tonumber(' ff ', 16), tonumber('0x1F', 16)}`,
  `return tostring(tonumber('-ff', 16))`,
  `return tostring(tonumber('8', 8))`,
  `return tostring(tonumber('', 16))`,
  `return tostring(tonumber('ffffffffffffffffffff', 16))`,
  `return tostring(tonumber('-0', 16))`,
  `return {tonumber(12, 16), tonumber(1.5, 10), tonumber('10', '16')}`,
  `local x = tonumber('10', 1) return x`,
  `local x = tonumber('10', 37) return x`,
  `local x = tonumber() return x`,
  `local x = tonumber({}, 16) return x`,
  `return tostring(tonumber(nil))`,
  `return tostring(tonumber({}))`,
  `return tostring(tonumber('z', 10))`,
  `local x = string.format('%a', 1) return x`,
  `return string.format('%q', 'a\\nb\\0c"\\1\\127')`,
  `return string.format('%q|%q|%5s', 'x', 12, 'ab')`,
  `local x = string.format('%0100d', 1) return x`,
  `local x = string.format('%1.123f', 1) return x`,
  `local x = string.format('%-+ #0-d', 1) return x`,
  `return string.format('%u', 42)`,
  `return string.format('%5u|%x', 7, 255)`,
  `return string.format('%s %d %%', 'a', 3)`,
  `local t = setmetatable({}, {__metatable = 'locked'}) local ok, e = pcall(setmetatable, t, {}) return e`,
  `local t = setmetatable({}, {__metatable = 'locked'}) local x = setmetatable(t, {}) return x`,
  `local t = setmetatable({}, {__metatable = false}) local ok, e = pcall(setmetatable, t, {}) return e`,
  // The sandbox's read-only tables list and iterate as Redis's (pairs, next).
  `local k = {} for name in pairs(redis) do k[#k + 1] = name end table.sort(k) return k`,
  `local k = {} for name in pairs(string) do k[#k + 1] = name end table.sort(k) return k`,
  `local k = {} for name in pairs(table) do k[#k + 1] = name end table.sort(k) return k`,
  `local k = {} for name in pairs(math) do k[#k + 1] = name end table.sort(k) return k`,
  `local k = {} for name in pairs(_G) do k[#k + 1] = name end table.sort(k) return k`,
  `local k = {} for name in pairs(coroutine) do k[#k + 1] = name end table.sort(k) return k`,
  `local k = {} for name in pairs(bit) do k[#k + 1] = name end table.sort(k) return k`,
  `local k = {} for name in pairs(cjson) do k[#k + 1] = name end table.sort(k) return k`,
  `return {next(redis) ~= nil, next(_G) ~= nil, #_G, type(next(string))}`,
  `local n = 0 for k, v in next, math do n = n + 1 end return n`,
  `local x = next() return x`,
  `local x = next(nil) return x`,
  `local k, v = next({10}) return {k, v}`,
  `local ok, e = pcall(next) return e`,
  `return {type(rawget(string, 'len')), type(rawget(_G, 'redis')), type(rawget(redis, 'call'))}`,
  `return tostring(getmetatable(string))`,
  `return type(getmetatable(_G))`,
  `return tostring(getmetatable(redis))`,
  `return tostring(getmetatable('').__index == string)`,
  `local x = rawget() return x`,
  `local x = rawget({}) return x`,
  `local x = rawget(1, 2) return x`,
  `local x = getmetatable() return x`,
  `return tostring(getmetatable(setmetatable({}, {__metatable = 'x'})))`,
  `return tostring(rawget(_G, 'nosuch'))`,
  `return table.concat({'a', 'b'}, ',', {})`,
  `return {table.concat({'a', 'b', 'c'}, ',', '2'), table.concat({'a', 'b'}, ',', 1, 0/0)}`,
  `return {cjson.decode('1.5'), cjson.decode('[2.0, -0.5, 1e300]')}`,
  `return string.sub('abcdef', 2, 0/0)`,
  `return string.rep('a', 1/0)`,
  `return {string.format('%q', 1/3), string.format('%q', 100000000000000), string.format('%q', 7)}`,
  `return table.concat({'a', 'b', 'c'}, ',', 2, 3)`,
  `return table.concat({})`,
  `return table.getn({1, 2, 3})`,
  `return table.maxn({1, 2, [10] = 3})`,
  `return unpack({1, 2, 3})`,
  `return {unpack({1, 2, 3})}`,
  `return {unpack({1, 2, 3}, 2)}`,
  `return select('#', unpack({1, nil, 3}, 1, 3))`,
  `return table.concat({1, {}}, ',')`,
  `local n = 0 table.foreach({a = 1}, function(k, v) n = n + v end) return n`,
  `local s = '' table.foreachi({'a', 'b'}, function(i, v) s = s .. i .. v end) return s`,
  `return #{1, 2, 3, nil}`,
  `return select(2, 'a', 'b', 'c')`,
  `return select('#', 'a', nil, nil)`,
  `return select(-1, 'a', 'b')`,
  // math
  `return math.floor(3.7)`,
  `return math.ceil(3.2)`,
  `return math.abs(-4)`,
  `return math.max(1, 5, 3)`,
  `return math.min(2, -1)`,
  `return math.sqrt(16)`,
  `return math.pow(2, 10)`,
  `return math.mod(7, 3)`,
  `return math.mod(-7, 3)`,
  `return math.fmod(7.5, 2)`,
  `return math.huge > 0`,
  `return math.pi * 1000`,
  `return tostring(math.pi)`,
  `return tostring(math.huge)`,
  `return tostring(-math.huge)`,
  `return math.floor(-0.5)`,
  `return tostring(math.floor(2.5))`,
  `return math.log(100) * 1000`,
  `return tostring(math.log10(1000))`,
  `return tostring(math.exp(1))`,
  `return tostring(math.sin(1))`,
  `return tostring(math.frexp(8))`,
  `return {math.frexp(12)}`,
  `return tostring(math.ldexp(0.5, 3))`,
  `return math.modf(3.7)`,
  `return {tostring(math.modf(-3.7))}`,
  `return tostring(math.atan2(1, 1))`,
  `return tostring(math.cosh(1))`,
  `return tostring(math.deg(math.pi))`,
  `return tostring(math.rad(180))`,
  `math.randomseed(42) return {math.random(100), math.random(100), math.random(100)}`,
  `math.randomseed(42) return tostring(math.random())`,
  `math.randomseed(7) return {math.random(5, 10), math.random(5, 10)}`,
  `return {math.random(1000), math.random(1000)}`,
  `return tostring(math.random())`,
  `math.randomseed(1) local t = {} for i = 1, 10 do t[i] = math.random(3) end return t`,
  `return math.random(0)`,
  `return math.random(3, 1)`,
  `return math.random('x')`,
  `math.randomseed('x')`,
  `return math.random(1, 2, 3)`,
  `math.randomseed(-5) return math.random(1000000)`,
  `math.randomseed(2^40) return math.random(1000000)`,
  // tostring / tonumber
  `return tostring(10/2)`,
  `return tostring(1/3)`,
  `return tostring(100)`,
  `return tostring(-0.0)`,
  `return tostring(0/0)`,
  `return tostring(1e15)`,
  `return tostring(1e16)`,
  `return tostring(2^53)`,
  `return tostring(123456789012)`,
  `return tostring(0.1)`,
  `return tostring(true)`,
  `return tostring(nil)`,
  `return tonumber('42')`,
  `return tonumber('0x10')`,
  `return tonumber('  5  ')`,
  `return tonumber('1e2')`,
  `return tonumber('z', 36)`,
  `return tonumber('ff', 16)`,
  `return tonumber('x')`,
  `return tonumber('')`,
  `return tostring(tonumber('3.0'))`,
  `return tostring(tonumber('10') / 4)`,
  `return tonumber('5') + 1`,
  `return tostring(3) .. 'x'`,
  `return 1 .. ''`,
  `return 'n' .. 12`,
  `return tostring(2^31)`,
  `return tostring(-2^63)`,
  `return tostring(7 % 3)`,
  `return tostring(-7 % 3)`,
  `return tostring(5.5 % 2)`,
  `return type(1)`,
  `return type('x')`,
  `return type({})`,
  `return type(nil)`,
  `return type(print)`,
  `return type(type)`,
  // loadstring / misc base
  `return loadstring('return 1 + 1')()`,
  `local f = loadstring('return ...') return f(7)`,
  `return type(loadstring('syntax error here'))`,
  `local f, e = loadstring('x =') return type(e)`,
  `return loadstring('return KEYS[1]')()`,
  `local f = loadstring('y = 1') return pcall(f)`,
  `return type(load)`,
  `return type(setmetatable)`,
  `local t = setmetatable({}, {__index = function(t, k) return k .. '!' end}) return t.abc`,
  `local t = setmetatable({}, {__tostring = function() return 'custom' end}) return tostring(t)`,
  `return rawequal('a', 'a')`,
  `return rawget({a = 1}, 'a')`,
  `return next({}) == nil`,
  `local n = 0 for _ in pairs({1, 2, 3}) do n = n + 1 end return n`,
  `local s = 0 for i, v in ipairs({5, 6, nil, 8}) do s = s + v end return s`,
  `local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co, 10) return {x, y}`,
  `local g = coroutine.wrap(function() coroutine.yield(1) coroutine.yield(2) end) return {g(), g()}`,
  `return coroutine.status(coroutine.create(function() end))`,
  `return assert(1 == 1, 'x') and 'ok'`,
  `return assert(false, 'assert msg')`,
  `return assert(nil)`,
  `return collectgarbage('count') > 0`,
  `return gcinfo() >= 0`,
  `return #arg`,
  `return type(newproxy)`,
  // cjson
  `return cjson.encode({1, 2, 3})`,
  `return cjson.encode({a = 1})`,
  `return cjson.encode('x"y\\n')`,
  `return cjson.encode(1.5)`,
  `return cjson.encode(10/2)`,
  `return cjson.encode(1e100)`,
  `return cjson.encode(true)`,
  `return cjson.encode({})`,
  `return cjson.encode({{}, {1}, {a = {b = {1, 2}}}})`,
  `return cjson.encode(cjson.null)`,
  `return cjson.encode({1, cjson.null, 3})`,
  `return cjson.encode('\\0\\1\\127/')`,
  `return cjson.encode(0/0)`,
  `return cjson.encode(1/0)`,
  `return cjson.encode(function() end)`,
  `return cjson.encode({[1] = 'a', [3] = 'c'})`,
  `return cjson.encode({[1] = 'a', [30] = 'c'})`,
  `return cjson.encode(-0.0)`,
  `return cjson.encode(123456789012345)`,
  `return cjson.encode(0.1)`,
  `return cjson.encode({[true] = 1})`,
  `return cjson.decode('[1,2,3]')`,
  `return cjson.decode('{"a":{"b":[1,"x",true,false]}}').a.b`,
  `return cjson.decode('"\\\\u00e9"')`,
  `return tostring(cjson.decode('1.5'))`,
  `return cjson.decode('1e2')`,
  `return type(cjson.decode('null'))`,
  `return cjson.decode('[null]')[1] == cjson.null`,
  `return cjson.decode('bad json')`,
  `return cjson.decode('[1,2')`,
  `return cjson.decode('{"a":1,}')`,
  `return cjson.decode('')`,
  `return tostring(cjson.decode('123456789012345678'))`,
  `return cjson.decode('[true]')[1]`,
  `return cjson.encode(cjson.decode('{"k":[1,{"x":null}]}'))`,
  `return cjson.decode(cjson.encode({1, 'two', {3}}))`,
  `return cjson.encode(redis.call('lrange','l',0,-1))`,
  `return type(cjson.encode_keep_buffer)`,
  `return cjson.decode('"\\\\ud83d\\\\ude00"')`,
  // cmsgpack
  HEX + `return hex(cmsgpack.pack(1, -1, 127, 128, 65536, -33))`,
  HEX + `return hex(cmsgpack.pack('abc', true, false))`,
  HEX + `return hex(cmsgpack.pack({1, 2, 3}))`,
  HEX + `return hex(cmsgpack.pack({a = 'b'}))`,
  HEX + `return hex(cmsgpack.pack(1.5))`,
  HEX + `return hex(cmsgpack.pack(10/2))`,
  HEX + `return hex(cmsgpack.pack(2^40))`,
  HEX + `return hex(cmsgpack.pack(string.rep('x', 40)))`,
  HEX + `return hex(cmsgpack.pack({{}, {{}}}))`,
  HEX + `return hex(cmsgpack.pack(-2^40))`,
  HEX + `return hex(cmsgpack.pack(0.1))`,
  HEX + `return hex(cmsgpack.pack(nil))`,
  HEX + `return hex(cmsgpack.pack({1, nil, 3}))`,
  `return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3}))}`,
  `return cmsgpack.unpack(cmsgpack.pack({1, {2, {3}}}))`,
  `return cmsgpack.unpack(cmsgpack.pack({k = 'v'})).k`,
  `return tostring(cmsgpack.unpack(cmsgpack.pack(2.25)))`,
  `return cmsgpack.unpack('\\145\\1')`,
  `return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}`,
  `return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}`,
  `return cmsgpack.unpack('')`,
  `return cmsgpack.unpack('\\193')`,
  `return cmsgpack.pack()`,
  // struct
  HEX + `return hex(struct.pack('>iH', 1, 2))`,
  HEX + `return hex(struct.pack('<i4', -2))`,
  HEX + `return hex(struct.pack('b', 200))`,
  HEX + `return hex(struct.pack('d', 1.5))`,
  HEX + `return hex(struct.pack('s', 'abc'))`,
  HEX + `return hex(struct.pack('c3', 'abcdef'))`,
  HEX + `return hex(struct.pack('>l', 2^40))`,
  HEX + `return hex(struct.pack('!4 b i', 1, 2))`,
  `return {struct.unpack('>iH', struct.pack('>iH', 7, 9))}`,
  `return {struct.unpack('<h', '\\255\\255')}`,
  `return struct.size('>iHd')`,
  `return {struct.unpack('s', 'hello\\0rest')}`,
  `return tostring(struct.unpack('d', struct.pack('d', 0.1)))`,
  `return {struct.unpack('c2', 'abc')}`,
  `return struct.pack('i', 'x')`,
  `return struct.unpack('i', 'ab')`,
  `return struct.pack('z')`,
  `return struct.size('s')`,
  `return {struct.unpack('B', 'A', 1)}`,
  `return {struct.unpack('>I3', '\\1\\2\\3')}`,
  // bit
  `return bit.band(0xff, 0x0f)`,
  `return bit.bor(1, 2, 4)`,
  `return bit.bxor(5, 3)`,
  `return bit.bnot(0)`,
  `return bit.lshift(1, 31)`,
  `return bit.rshift(-1, 28)`,
  `return bit.arshift(-256, 4)`,
  `return bit.rol(0x12345678, 8)`,
  `return bit.ror(0x12345678, 8)`,
  `return bit.bswap(0x12345678)`,
  `return bit.tobit(2^32 + 5)`,
  `return bit.tohex(255)`,
  `return bit.tohex(-1, -4)`,
  `return bit.tohex(0x1234, 2)`,
  `return bit.band(1.7, 3)`,
  `return bit.band('x', 1)`,
  `return bit.tobit(2^31)`,
  `return bit.lshift(1, 32)`,
  // redis.*
  `return redis.sha1hex('')`,
  `return redis.sha1hex('hello')`,
  `return redis.sha1hex(5)`,
  `return redis.sha1hex()`,
  `return redis.sha1hex('a', 'b')`,
  `return redis.sha1hex({})`,
  `return redis.REDIS_VERSION`,
  `return type(redis.REDIS_VERSION_NUM)`,
  `return redis.REDIS_VERSION_NUM`,
  `return redis.setresp()`,
  `return redis.setresp(4)`,
  `return redis.setresp(1, 2)`,
  `return redis.setresp('3')`,
  `return redis.setresp('x')`,
  `return redis.setresp(2.9)`,
  `redis.set_repl(redis.REPL_ALL) return 1`,
  `redis.set_repl(redis.REPL_NONE) redis.call('set','x','1') return 1`,
  `return redis.set_repl()`,
  `return redis.set_repl(5)`,
  `return redis.set_repl(1, 2)`,
  `return redis.set_repl('x')`,
  `return redis.set_repl(-1)`,
  `return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}`,
  `return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}`,
  `return redis.log(redis.LOG_DEBUG, 'from a script')`,
  `return redis.log(redis.LOG_DEBUG, 'a', 'b', 3)`,
  `return redis.log(redis.LOG_DEBUG)`,
  `return redis.log()`,
  `return redis.log('x', 'msg')`,
  `return redis.log(9, 'msg')`,
  `return redis.log(-1, 'msg')`,
  `return redis.replicate_commands()`,
  `return redis.breakpoint()`,
  `return redis.debug('x')`,
  `return redis.acl_check_cmd('get', 'x')`,
  `return redis.acl_check_cmd('nosuch')`,
  `return redis.acl_check_cmd()`,
  `return type(redis.call)`,
  `return type(redis.register_function)`,
  `return type(redis.setresp)`,
];
for (const s of libs) add(s, [], ["argv1"]);

// Globals and library members: present, absent (an error for globals), and their types.
const globals = [
  "print",
  "os",
  "io",
  "require",
  "module",
  "package",
  "dofile",
  "loadfile",
  "debug",
  "utf8",
  "getfenv",
  "setfenv",
  "newproxy",
  "gcinfo",
  "unpack",
  "loadstring",
  "load",
  "rawlen",
  "xpcall",
  "_VERSION",
  "collectgarbage",
  "coroutine",
  "bit",
  "struct",
  "cjson",
  "cmsgpack",
  "redis",
  "_G",
  "KEYS",
  "ARGV",
  "string",
  "table",
  "math",
  "warn",
  "__redis__err__handler",
  "ipairs",
  "pairs",
  "next",
  "rawequal",
  "rawget",
  "rawset",
  "select",
  "tonumber",
];
for (const g of globals) add(`return type(${g})`);
add(`return _VERSION`);
const members: [string, string[]][] = [
  ["string", ["pack", "unpack", "packsize", "gfind", "len", "dump", "format", "gmatch"]],
  ["table", [
    "move",
    "pack",
    "unpack",
    "getn",
    "setn",
    "maxn",
    "foreach",
    "foreachi",
    "concat",
    "sort",
  ]],
  ["math", [
    "maxinteger",
    "mininteger",
    "type",
    "tointeger",
    "ult",
    "mod",
    "pow",
    "log10",
    "ldexp",
    "frexp",
    "cosh",
    "atan2",
    "huge",
    "pi",
  ]],
  ["coroutine", ["isyieldable", "running", "close", "wrap"]],
  ["redis", [
    "breakpoint",
    "debug",
    "acl_check_cmd",
    "set_repl",
    "setresp",
    "REDIS_VERSION_NUM",
    "register_function",
  ]],
  ["cjson", [
    "encode_keep_buffer",
    "encode_invalid_numbers",
    "decode_invalid_numbers",
    "encode_sparse_array",
    "new",
    "null",
  ]],
  ["cmsgpack", ["unpack_one", "unpack_limit", "pack"]],
  ["bit", ["tohex", "bswap", "arshift"]],
  ["struct", ["size", "pack", "unpack"]],
];
for (const [lib, names] of members) for (const m of names) add(`return type(${lib}.${m})`);

// ---- KEYS / ARGV / numkeys / EVALSHA / SCRIPT / shebang / read-only ----
const B256 = new Uint8Array(256).map((_, i) => i);
add(`return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}`, ["k1", "k2"], ["a1", "a2"]);
add(`return {#KEYS, #ARGV}`, ["k1"], ["a1", "a2", "a3"]);
add(`return {#KEYS, #ARGV}`);
add(`return KEYS`, ["x", "y", "z"]);
add(`return ARGV`, [], ["", "x", ""]);
add(`return ARGV[1]`, [], [B256]);
add(`return #ARGV[1]`, [], [B256]);
add(`return KEYS[1]`, [B256]);
add(`return redis.call('set', KEYS[1], ARGV[1])`, [B256], [B256]);
add(`redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])`, [
  new Uint8Array([0, 10, 13, 0]),
], [B256]);
add(`return string.byte(ARGV[1], 1, -1)`, [], [new Uint8Array([0, 128, 255])]);
add(`return {string.byte(ARGV[1], 1, -1)}`, [], [new Uint8Array([0, 128, 255])]);
add(`return redis.sha1hex(ARGV[1])`, [], [B256]);
add(`return type(KEYS[1])`, ["1"]);
add(`return KEYS[1] + 1`, ["41"]);
add(`return tonumber(ARGV[1]) * 2`, [], ["21"]);
add(`return ARGV[1] .. KEYS[1]`, ["k"], ["a"]);
add(`KEYS[1] = 'changed' return KEYS[1]`, ["k"]);
add(`KEYS = {} return 1`, ["k"]);
add(`return table.concat(ARGV, '|')`, [], ["a", "b", "c"]);
add(`return redis.call('mget', unpack(KEYS))`, ["s", "n", "nokey"]);
add(`return redis.call('exists', unpack(KEYS))`, ["s", "n", "nokey"]);
const NK = `return {#KEYS, #ARGV}`;
for (const nk of ["-1", "4", "x", "1.5", "", " 1", "01", "99999999999999999999", "-0"]) {
  addCmds([["EVAL", NK, nk, "a", "b", "c"]]);
}
addCmds([["EVAL", NK, "3", "a", "b", "c"]]);
addCmds([["EVAL", NK, "0"]]);
addCmds([["EVAL", NK]]);
addCmds([["EVAL"]]);
addCmds([["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"]]);
addCmds([["EVALSHA", "short", "0"]]);
addCmds([["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "-1"]]);
addCmds([["EVALSHA_RO", "ffffffffffffffffffffffffffffffffffffffff", "0"]]);
{
  const body = `return {'loaded', KEYS[1], ARGV[1]}`;
  const sha = sha1(body);
  addCmds([
    ["SCRIPT", "EXISTS", sha, "ffffffffffffffffffffffffffffffffffffffff"],
    ["SCRIPT", "LOAD", body],
    ["SCRIPT", "EXISTS", sha, sha.toUpperCase(), "ffffffffffffffffffffffffffffffffffffffff", "x"],
    ["EVALSHA", sha, "1", "k", "a"],
    ["EVALSHA", sha.toUpperCase(), "1", "k", "a"],
    ["EVALSHA_RO", sha, "1", "k", "a"],
    ["EVALSHA", sha, "2", "k"],
    ["SCRIPT", "FLUSH"],
    ["SCRIPT", "EXISTS", sha],
    ["EVALSHA", sha, "0"],
  ]);
}
{
  const body = `return redis.call('incr', KEYS[1])`;
  const sha = sha1(body);
  addCmds([["EVAL", body, "1", "n"], ["EVALSHA", sha, "1", "n"], ["SCRIPT", "EXISTS", sha], [
    "SCRIPT",
    "FLUSH",
    "ASYNC",
  ], ["EVALSHA", sha, "1", "n"]]);
}
// SCRIPT FLUSH starts a new Lua VM: after cjson.encode_max_depth(2), `return
// cjson.encode({{{1}}})` (third command) is an error, after SCRIPT FLUSH (fifth) it is not.
addCmds([
  ["EVAL", "return cjson.encode_max_depth(2)", "0"],
  ["EVAL", "return cjson.encode({{1}})", "0"],
  ["EVAL", "return cjson.encode({{{1}}})", "0"],
  ["SCRIPT", "FLUSH"],
  ["EVAL", "return cjson.encode({{{1}}})", "0"],
  ["EVAL", "return cjson.encode_max_depth(1000)", "0"],
], {});
addCmds([["SCRIPT", "LOAD", "return 'syntax"]]);
addCmds([["SCRIPT", "LOAD", "#!lua flags=bogus\nreturn 1"]]);
addCmds([["SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 1"], [
  "EVALSHA_RO",
  sha1("#!lua flags=no-writes\nreturn 1"),
  "0",
]]);
addCmds([["SCRIPT", "LOAD"]]);
addCmds([["SCRIPT", "FLUSH", "bogus"]]);
addCmds([["SCRIPT", "FLUSH", "SYNC", "x"]]);
addCmds([["SCRIPT", "KILL"]]);
addCmds([["SCRIPT", "NOSUCH"]]);
addCmds([["SCRIPT", "EXISTS"]]);
addCmds([["SCRIPT"]]);
addCmds([["SCRIPT", "HELP"]]);
// Shebangs.
const shebangs: [string, string[]][] = [
  ["#!lua\nreturn 1", []],
  ["#!lua\nreturn redis.call('get', KEYS[1])", ["s"]],
  ["#!lua\nreturn redis.call('set', KEYS[1], 'v')", ["s"]],
  ["#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", ["s"]],
  ["#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'v')", ["s"]],
  ["#!lua flags=no-writes\nreturn redis.pcall('set', KEYS[1], 'v')", ["s"]],
  ["#!lua flags=no-writes\nreturn redis.call('publish', 'ch', 'm')", []],
  ["#!lua flags=no-writes,allow-oom\nreturn 1", []],
  ["#!lua flags=allow-stale,no-cluster,allow-cross-slot-keys\nreturn 2", []],
  ["#!lua flags=\nreturn 3", []],
  ["#!lua flags=no-writes,no-writes\nreturn 4", []],
  ["#!lua flags=bogus\nreturn 1", []],
  ["#!lua flags=no-writes,bogus\nreturn 1", []],
  ["#!lua name=x\nreturn 1", []],
  ["#!lua bogus=x\nreturn 1", []],
  ["#!lua  flags=no-writes\nreturn 5", []],
  ["#!luajit\nreturn 1", []],
  ["#!python\nreturn 1", []],
  ["#!\nreturn 1", []],
  ["#!lua", []],
  ["#!lua flags=no-writes", []],
  ["#!lua\n", []],
  ["#! lua\nreturn 1", []],
  ["#lua\nreturn 1", []],
  ["#!lua\r\nreturn 6", []],
  ["#!lua\nreturn redis.call('set', 'undeclared', 'v')", []],
  ["#!lua\nreturn redis.call('get', 'undeclared')", []],
];
for (const [body, keys] of shebangs) add(body, keys);
for (const [body, keys] of shebangs.slice(0, 8)) {
  addCmds([["EVAL_RO", body, String(keys.length), ...keys]]);
}
addCmds([["EVAL_RO", "return redis.call('set', KEYS[1], 'v')", "1", "s"]]);
addCmds([["EVAL_RO", "return redis.pcall('set', KEYS[1], 'v')", "1", "s"]]);
addCmds([["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "s"]]);
addCmds([["EVAL_RO", "return redis.call('incr', 'n')", "0"]]);
addCmds([["EVAL_RO", "redis.call('get','s') return redis.call('del', 's')", "0"]]);
addCmds([["EVAL_RO", "return redis.call('publish', 'ch', 'x')", "0"]]);
addCmds([["EVAL_RO", "return 'ro'", "0"]]);
addCmds([["EVAL_RO"]]);
addCmds([["EVAL_RO", "return 1", "1"]]);

// ---- the cluster pair (slots 0-8191 served) ----
// b: 3300, c: 7365, {b}x: 3300, a: 15495 (not served).
for (const k of ["b", "c", "a"]) assert.equal(keyHashSlot(te.encode(k)) < 8192, k !== "a");
const clusterCases: [string, string[]][] = [
  [`return redis.call('get', KEYS[1])`, ["b"]],
  [`return redis.call('get', KEYS[1])`, ["a"]],
  [`return redis.call('get', KEYS[1])`, ["b", "c"]],
  [`return redis.call('get', KEYS[1])`, ["b", "{b}x"]],
  [`return redis.call('set', KEYS[1], '1')`, ["{b}x"]],
  [`return redis.call('get', 'a')`, []],
  [`return redis.pcall('get', 'a')`, []],
  [`return redis.pcall('get', 'a').err`, []],
  [`local ok, e = pcall(redis.call, 'set', 'a', 1) return e`, []],
  [`return redis.call('set', 'a', 1)`, []],
  [`return redis.call('get', 'b')`, []],
  [`redis.call('set', 'b', '1') return redis.call('set', 'c', '2')`, []],
  [`redis.call('get', KEYS[1]) return redis.call('get', 'c')`, ["b"]],
  [`return redis.call('mget', 'b', 'c')`, []],
  [`return redis.call('mget', 'b', '{b}x')`, []],
  [`return redis.call('mget', 'b', 'a')`, []],
  [`return redis.call('ping')`, []],
  [`return redis.call('dbsize')`, []],
  [`return redis.call('cluster', 'keyslot', 'a')`, []],
  [`return redis.call('cluster', 'countkeysinslot', 3300)`, []],
  ["#!lua\nreturn redis.call('get', KEYS[1])", ["b"]],
  ["#!lua\nredis.call('get', KEYS[1]) return redis.call('get', 'c')", ["b"]],
  ["#!lua\nreturn redis.call('get', 'c')", []],
  ["#!lua\nredis.call('get', 'b') return redis.call('get', 'c')", []],
  ["#!lua\nredis.call('get', 'b') return redis.pcall('get', 'c')", []],
  ["#!lua\nreturn redis.call('get', 'a')", []],
  ["#!lua flags=allow-cross-slot-keys\nredis.call('get', 'b') return redis.call('get', 'c')", []],
  ["#!lua flags=allow-cross-slot-keys\nreturn redis.call('get', KEYS[1])", ["b", "c"]],
  ["#!lua flags=no-cluster\nreturn 1", []],
  ["#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", ["a"]],
  [`return 1`, ["a"]],
  [`return 1`, []],
];
for (const [s, keys] of clusterCases) add(s, keys, [], { cluster: true });
addCmds([["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "a"]], { cluster: true });
addCmds([["EVAL_RO", "return redis.call('get', KEYS[1])", "2", "b", "c"]], { cluster: true });
addCmds([["READONLY"], ["EVAL", "return redis.call('get', KEYS[1])", "1", "b"], ["READWRITE"]], {
  cluster: true,
});
// ---- the two-node cluster pair: a (slot 15495) is served by the peer ----
const movedCases: [string, string[]][] = [
  [`return redis.call('get', KEYS[1])`, ["a"]],
  [`return redis.call('get', KEYS[1])`, ["b"]],
  [`return redis.call('get', KEYS[1])`, ["b", "a"]],
  [`return 'moved?'`, ["a"]],
  [`return redis.call('get', 'a')`, []],
  [`return redis.pcall('get', 'a')`, []],
  [`local ok, e = pcall(redis.call, 'set', 'a', 1) return {ok, e}`, []],
  [`redis.call('set', 'b', 1) return redis.call('get', 'a')`, []],
  [`#!lua\nreturn redis.pcall('get', 'a')`, []],
  [`#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])`, ["a"]],
];
for (const [script, keys] of movedCases) {
  add(script, keys, [], { moved: true, knownFail: undefined });
}
// A cross-slot command inside a script: "non local key", as Redis says.
add(`return redis.call('mget', 'b', 'a')`, [], [], { moved: true });
addCmds([["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "a"]], {
  moved: true,
  knownFail: undefined,
});
addCmds([["READONLY"], ["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "a"], ["READWRITE"]], {
  moved: true,
  knownFail: undefined,
});
addCmds([["ASKING"], ["EVAL", "return redis.call('get', KEYS[1])", "1", "a"]], {
  moved: true,
  knownFail: undefined,
});
// Slot 3300 (b) migrating to the peer: missing keys are ASK, present ones served here.
addCmds([
  ["CLUSTER", "SETSLOT", "3300", "MIGRATING", "{{peer}}"],
  ["EVAL", "return redis.call('get', KEYS[1])", "1", "b"],
  ["EVAL", "return redis.call('get', KEYS[1])", "1", "{b}1"],
  ["EVAL", "return redis.call('get', KEYS[1])", "2", "b", "{b}1"],
  ["EVAL", "return redis.call('get', 'b')", "0"],
  ["EVAL", "return redis.pcall('set', 'b', '1')", "0"],
  ["SET", "b", "here"],
  ["EVAL", "return redis.call('get', KEYS[1])", "1", "b"],
  ["EVAL", "return redis.call('get', KEYS[1])", "2", "b", "{b}1"],
  ["EVAL", "return redis.call('get', 'b')", "0"],
  ["EVAL", "return redis.call('mget', 'b', '{b}1')", "0"],
  ["CLUSTER", "SETSLOT", "3300", "STABLE"],
], { moved: true, knownFail: undefined });
// Slot 15495 (a) importing from the peer: only ASKING reaches it here.
addCmds([
  ["CLUSTER", "SETSLOT", "15495", "IMPORTING", "{{peer}}"],
  ["EVAL", "return redis.call('get', KEYS[1])", "1", "a"],
  ["ASKING"],
  ["EVAL", "return redis.call('get', KEYS[1])", "1", "a"],
  ["ASKING"],
  ["EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "a"],
  ["ASKING"],
  ["EVAL", "return redis.call('get', 'a')", "0"],
  ["ASKING"],
  ["EVAL", "#!lua\nreturn redis.call('get', 'a')", "0"],
  ["CLUSTER", "SETSLOT", "15495", "STABLE"],
], { moved: true, knownFail: undefined });
// A key of a slot nobody serves, after ASKING: "non local key", as Redis says.
addCmds([["ASKING"], ["EVAL", "return redis.call('get', 'a')", "0"]], { cluster: true });

// ---- the generated part ----
/** A fixed seed keeps CI deterministic; SCRIPT_COMPARE_SEED explores others. */
const SEED = Number(Deno.env.get("SCRIPT_COMPARE_SEED") ?? 20261204);
const GENERATED = 140;

function generate(seed: number, count: number): string[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)];
  // Commands safe in any RESP version (no multi-entry map or set replies).
  const cmdsSafe = [
    `'get','s'`,
    `'get','nokey'`,
    `'incr','n'`,
    `'incrby','n',${int(100) - 50}`,
    `'set','t','v${int(9)}'`,
    `'lrange','l',0,-1`,
    `'llen','l'`,
    `'hget','h','f'`,
    `'hgetall','h'`,
    `'zrange','z',0,-1,'withscores'`,
    `'zscore','z','b'`,
    `'smembers','s1'`,
    `'type','l'`,
    `'exists','s','l','x'`,
    `'get','l'`,
    `'nosuchcmd'`,
    `'set','a'`,
    `'ping'`,
    `'echo','e${int(99)}'`,
    `'scan',0,'match','s','count',100`,
    `'hkeys','h2'`,
    `'lpop','l'`,
    `'del','s'`,
    `'append','s','xyz'`,
    `'strlen','s'`,
    `'getrange','s',1,3`,
    `'mget','s','n','nokey'`,
    `'sismember','si',2`,
    `'zrank','z','b'`,
    `'zincrby','z',1.5,'a'`,
    `'incrbyfloat','f',0.25`,
    `'ttl','s'`,
    `'setnx','s','x'`,
    `'rpush','l','q'`,
    `'hincrby','h2','a',3`,
    `'sadd','si',${int(10)}`,
    `'zcard','z'`,
    `'lindex','l',${int(5) - 2}`,
    `'incr','s'`,
    `'hlen','h2'`,
    `'zrangebyscore','z',0,2`,
    `'getdel','n'`,
    `'expire','s',100`,
    `'persist','s'`,
    `'spop','s1'`,
    `'zpopmax','z1'`,
    `'blpop','nokey',0`,
    `'lpos','l','c'`,
    `'set','t',${pick(["0.1", "10/3", "1e20", "-7", "2^53", "3.0", "-0.5"])}`,
    `'incrby','n',${pick(["2.5", "1e3", "-1"])}`,
  ];
  const cmdsResp2Only = [
    `'hgetall','h2'`,
    `'smembers','si'`,
    `'hscan','h2',0`,
    `'config','get','maxmemory'`,
  ];
  const genValue = (depth: number, resp3: boolean): string => {
    const k = int(depth > 0 ? 20 : 12);
    switch (k) {
      case 0:
        return String(int(2001) - 1000);
      case 1:
        return pick([
          "3.7",
          "-2.5",
          "0.5",
          "1e15",
          "2^40",
          "1/0",
          "-1/0",
          "0/0",
          "10/3",
          "7/7",
          "1e20",
          "-0.0",
        ]);
      case 2:
        return `'${pick(["", "x", "hello world", "a\\0b", "\\r\\n", "\\255\\1"])}'`;
      case 3:
        return pick(["true", "false"]);
      case 4:
        return "nil";
      case 5:
        return `{ok='${pick(["OK", "fine", "", "QUEUED"])}'}`;
      case 6:
        return `{err='${pick(["ERR x", "CUSTOM y", "plain", "a\\nb"])}'}`;
      case 7:
        return `{double=${pick(["1.5", "3", "-0.25", "1/0", "1e100", "10/3"])}}`;
      case 8:
        return `redis.call(${
          pick(cmdsSafe.filter((c) => !/nosuch|'set','a'$|'get','l'|'incr','s'/.test(c)))
        })`;
      case 9:
        return `redis.pcall(${pick(resp3 ? cmdsSafe : [...cmdsSafe, ...cmdsResp2Only])})`;
      case 10: {
        // A number turned into text by tostring, by the VM's concatenation, by a string function.
        const n = pick(["10/2", "1/3", "2^53", "-7", "0.1", "1e300", "100", "-6/3", "2^63"]);
        return pick([`tostring(${n})`, `'n' .. ${n}`, `string.len(${n})`, `${n} .. ''`]);
      }
      case 11:
        return `${pick(["#ARGV", "#KEYS", "KEYS[1]", "ARGV[1]", "ARGV[2]"])}`;
      case 12:
      case 13:
      case 14: {
        const n = int(4);
        const items: string[] = [];
        for (let i = 0; i < n; i++) items.push(genValue(depth - 1, resp3));
        return `{${items.join(", ")}}`;
      }
      case 15:
        return `{map={k=${genValue(depth - 1, resp3)}}}`;
      case 16:
        return `{set={${pick(["e", "['1']", "[2]"])}=true}}`;
      case 17:
        return `{big_number='${int(1e9)}${int(1e9)}'}`;
      case 18:
        return `{verbatim_string={format='txt',string='v${int(99)}'}}`;
      default:
        return `redis.error_reply('${pick(["E1 one", "two", "-E3 three"])}')`;
    }
  };
  const out = new Set<string>();
  while (out.size < count) {
    const resp3 = rnd() < 0.35;
    const pre = resp3 ? "redis.setresp(3) " : "";
    const shape = int(8);
    let body: string;
    if (shape <= 2) {
      body = `return ${genValue(3, resp3)}`;
    } else if (shape === 3) {
      body = `local r = ${genValue(2, resp3)} return type(r)`;
    } else if (shape === 4) {
      const cs = resp3 ? cmdsSafe : [...cmdsSafe, ...cmdsResp2Only];
      const n = 1 + int(4);
      const parts: string[] = [];
      for (let i = 0; i < n; i++) parts.push(`redis.${pick(["call", "pcall"])}(${pick(cs)})`);
      body = `local t = {} ${parts.map((p, i) => `t[${i + 1}] = ${p}`).join(" ")} return t`;
    } else if (shape === 5) {
      body = `local ok, e = pcall(redis.call, ${pick(cmdsSafe)}) return {ok, e}`;
    } else if (shape === 6) {
      // (An error table has two keys, err and ignore_error_stats_update: their order is not.)
      body = `local r = redis.pcall(${
        pick(cmdsSafe)
      }) if type(r) == 'table' and r.err then return r.err end return cjson.encode(r)`;
    } else {
      body = `local r = ${genValue(2, resp3)} if type(r) == 'table' then return #r end return r`;
    }
    out.add(pre + body);
  }
  return [...out];
}
const generated = generate(SEED, GENERATED);
for (const s of generated) add(s, ["s", "kk"], ["a1", "a2"]);

/**
 * Library functions whose Lua 5.1 behaviour the node puts into Lua 5.4 (the prelude's stand-ins,
 * the module's changes), called under pcall with arguments drawn from a pool: every result and
 * error text, and how many results, as strings (a function or a table by its type only).
 * Left out: the edges the README lists (table.insert/remove, integer '%' by zero, a string
 * position of 2^32 or more, string.find from past the end, tostring()) and values that 5.1 cuts
 * to a 32-bit int (NaN, infinities and 2^31 or more for string.char & co).
 */
function generateLibraryCalls(seed: number, count: number): string[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)];
  const values = [
    ...["nil", "0", "1", "-1", "2", "3", "2.5", "-2.5", "10", "16", "36", "37", "true", "{}"],
    ...["{1, 2, 3}", "{'a', 'b'}", "'10'", "'1.5'", "' 12 '", "'ff'", "'0x10'", "'x'", "''"],
    ...["'abc'", "'a1b2'", "2^30", "-0.0"],
  ];
  const formats = ["'%d'", "'%5.2f'", "'%s'", "'%q'", "'%x'", "'%c'", "'%5s|%-5d'", "'%%'"]
    .concat(["'%'", "'%y'", "'%05d'", "'%.3s'", "'%g'", "'%e'", "'%i'", "'%o'", "'%X'", "'%a'"])
    .concat(["'%123d'", "'%1.123f'", "'%s %s'", "'x'"]);
  const patterns = ["'a'", "'%d'", "'(a)'", "'.'", "''", "'[a-c]'", "'%s+'", "'^a'", "'b$'"]
    .concat(["'('", "'%'", "'(%d)(%a)'"]);
  const repls = ["'x'", "'%1'", "'%0'", "'%%'", "'%x'", "'%'", "'%2'", "'[%1]'", "''", "{a = 1}"];
  const args = (n: number) => Array.from({ length: n }, () => pick(values));
  const calls: (() => string)[] = [
    () => ["tonumber", ...args(int(3))].join(", "),
    () =>
      ["tonumber", pick(["'ff'", "'10'", "' -7 '", "'z'", "'0x1F'", "12", "'1.5'"]), pick(values)]
        .join(", "),
    () => ["string.format", pick(formats), ...args(int(3))].join(", "),
    () =>
      ["string.gsub", pick(["'abc'", "'a1b2'", "'aaa'"]), pick(patterns), pick(repls)]
        .concat(int(2) ? [pick(values)] : []).join(", "),
    () =>
      ["string.find", pick(["'abc'", "'a1b2'"]), pick(patterns)]
        .concat(int(2) ? [pick(["1", "2", "-1", "-10", "'2'", "2.5"])] : []).join(", "),
    () => [pick(["math.max", "math.min", "math.fmod"]), ...args(int(4))].join(", "),
    () =>
      [pick(["string.sub", "string.byte"]), pick(["'abcdef'", "''"]), ...args(int(3))]
        .join(", "),
    () =>
      ["table.concat", pick(["{'a', 'b', 'c'}", "{1, 2.5, 'x'}", "{}"]), ...args(int(3))]
        .join(", "),
    () => ["select", ...args(1 + int(3))].join(", "),
    () => ["unpack", pick(["{1, 2, 3}", "{}", "{'a', nil, 'c'}"]), ...args(int(3))].join(", "),
    () =>
      [pick(["pairs", "ipairs", "next", "rawget", "table.getn", "table.maxn"])]
        .concat(args(int(3))).join(", "),
    // (Not of a table: its text is its address.)
    () => ["tostring", pick(values.filter((v) => !v.startsWith("{")))].join(", "),
    () => ["setmetatable", pick(["{}", "1", "nil"]), pick(["{}", "1", "nil", "'x'"])].join(", "),
  ];
  const show = "local function show(v) local t = type(v) " +
    "if t == 'string' or t == 'number' or t == 'boolean' or t == 'nil' then return tostring(v) end " +
    "return t end ";
  const out = new Set<string>();
  while (out.size < count) {
    out.add(
      show +
        `local function all(...) return select('#', ...), {...} end ` +
        `local n, r = all(pcall(${pick(calls)()})) local out = {tostring(n)} ` +
        `for i = 1, n do out[#out + 1] = show(r[i]) end return out`,
    );
  }
  return [...out];
}
for (const s of generateLibraryCalls(SEED + 1, 120)) add(s);

function sha1(s: string): string {
  return createHash("sha1").update(s).digest("hex");
}

// ---- running ------------------------------------------------------------------------------------

interface Pair {
  a: RespClient;
  b: RespClient;
  /** The peer's node id on each side (the two-node cluster pair). */
  peer?: [string, string];
}

function isScriptCmd(c: Cmd): string | null {
  const name = (typeof c[0] === "string" ? c[0] : new TextDecoder().decode(c[0])).toUpperCase();
  if ((name === "EVAL" || name === "EVAL_RO") && c.length >= 2) return key(c[1]);
  if (name === "SCRIPT" && c.length >= 3 && String(c[1]).toUpperCase() === "LOAD") return key(c[2]);
  return null;
}
function key(x: string | Uint8Array): string {
  return typeof x === "string" ? x : String.fromCharCode(...x);
}

async function both(p: Pair, c: Cmd): Promise<[string, string]> {
  let ra: RespValue, rb: RespValue;
  const sub = (side: 0 | 1) =>
    p.peer === undefined ? c : c.map((x) => x === "{{peer}}" ? p.peer![side] : x);
  try {
    ra = await p.a.callRaw(...sub(0));
    rb = await p.b.callRaw(...sub(1));
  } catch (e) {
    throw new Error(`${(e as Error).message} (command: ${cmdText(c)})`);
  }
  return [show(ra), show(rb)];
}

interface Mismatch {
  resp: 2 | 3;
  cmds: string;
  what: string;
  ours: string;
  redis: string;
}

/** Run one case on one pair; mismatches are collected, not thrown, so one run lists them all. */
async function runCase(p: Pair, cs: Case, resp: 2 | 3, out: Mismatch[]): Promise<void> {
  const trail = cs.cmds.map(cmdText).join(" ; ");
  const note = (what: string, ours: string, redis: string) =>
    out.push({ resp, cmds: trail, what, ours, redis });
  for (const c of [["FLUSHALL"], ["SELECT", "0"], ...FIXTURE] as Cmd[]) {
    const [x, y] = await both(p, c);
    if (normalize(x) !== normalize(y)) note(`fixture ${cmdText(c)}`, x, y);
  }
  let [da, db] = await both(p, ["DEBUG", "DIGEST"]);
  if (da !== db) note("digest before", da, db);
  for (const c of cs.cmds) {
    const [x, y] = await both(p, c);
    if (normalize(x) !== normalize(y)) note(`reply to ${cmdText(c)}`, x, y);
  }
  [da, db] = await both(p, ["DEBUG", "DIGEST"]);
  if (da !== db) note("digest after", da, db);
}

/**
 * The documented exclusion: compile-time error texts come from Lua 5.4's parser, so only the
 * part before the parser's message is compared.
 */
function normalize(shown: string): string {
  const m = /^-ERR Error compiling script \(new function\): user_script:\d+:/.exec(shown);
  // MOVED / ASK name the peer's port, which differs between the two clusters.
  return m !== null ? m[0] : shown.replace(/^-(MOVED|ASK) (\d+) 127\.0\.0\.1:\d+$/, "-$1 $2 PEER");
}

async function openPair(portA: number, portB: number, resp: 2 | 3): Promise<Pair> {
  const a = await RespClient.connect(portA);
  const b = await RespClient.connect(portB);
  if (resp === 3) {
    const ra = await a.callRaw("HELLO", "3");
    const rb = await b.callRaw("HELLO", "3");
    assert.equal(ra.type, "map");
    assert.equal(rb.type, "map");
  }
  return { a, b };
}

Deno.test("scripting: hundreds of scripts, replies and keyspace identical to redis-server (RESP2 and RESP3)", async () => {
  if (!haveRedisServer()) {
    console.log("redis-server not installed: skipped");
    return;
  }
  console.log(`scripting_compare: seed ${SEED} (rerun with SCRIPT_COMPARE_SEED=${SEED})`);
  const runKnown = Deno.env.get("SCRIPT_COMPARE_KNOWN_FAIL") === "1";
  const distinct = new Set<string>();
  for (const c of cases) {
    for (const cmd of c.cmds) {
      const s = isScriptCmd(cmd);
      if (s !== null) distinct.add(s);
    }
  }
  console.log(`scripting_compare: ${cases.length} cases, ${distinct.size} distinct scripts`);
  assert.ok(distinct.size >= 300, `only ${distinct.size} distinct scripts`);

  const started: { nodes: InProcessNode[]; redis: SpawnedProcess[]; clients: RespClient[] } = {
    nodes: [],
    redis: [],
    clients: [],
  };
  const mismatches: Mismatch[] = [];
  const skipped: Case[] = [];
  try {
    const plainNode = await startNode();
    started.nodes.push(plainNode);
    const plainRedis = await spawnRedis({ "enable-debug-command": "yes" });
    started.redis.push(plainRedis);
    const cl = {
      "cluster-enabled": "yes",
      "cluster-require-full-coverage": "no",
      "cluster-node-timeout": "5000",
    };
    const clusterNode = await startNode(cl);
    started.nodes.push(clusterNode);
    const clusterRedis = await spawnRedis({ ...cl, "enable-debug-command": "yes" });
    started.redis.push(clusterRedis);

    // The two-node clusters: (movedNode, peerNode) and (movedRedis, peerRedis).
    const movedNode = await startNode(cl);
    started.nodes.push(movedNode);
    const peerNode = await startNode(cl);
    started.nodes.push(peerNode);
    const movedRedis = await spawnRedis({ ...cl, "enable-debug-command": "yes" });
    started.redis.push(movedRedis);
    const peerRedis = await spawnRedis({ ...cl, "enable-debug-command": "yes" });
    started.redis.push(peerRedis);
    const peerIds: string[] = [];
    for (
      const [main, peer] of [[movedNode.port, peerNode.port], [movedRedis.port, peerRedis.port]]
    ) {
      const m = await RespClient.connect(main);
      const q = await RespClient.connect(peer);
      try {
        assert.equal(await m.call("CLUSTER", "ADDSLOTSRANGE", "0", "8191"), "OK");
        assert.equal(await q.call("CLUSTER", "ADDSLOTSRANGE", "8192", "16383"), "OK");
        peerIds.push(await q.call("CLUSTER", "MYID") as string);
        assert.equal(await m.call("CLUSTER", "MEET", "127.0.0.1", String(peer)), "OK");
        const deadline = Date.now() + 20000;
        for (;;) {
          const info = await m.call("CLUSTER", "INFO") as string;
          const slots = await m.call("CLUSTER", "SLOTS") as unknown[];
          if (info.startsWith("cluster_state:ok") && slots.length === 2) break;
          if (Date.now() > deadline) throw new Error(`cluster on ${main} did not form: ${info}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        m.close();
        q.close();
      }
    }

    const pairs: Record<string, Pair> = {};
    for (const resp of [2, 3] as const) {
      pairs[`plain${resp}`] = await openPair(plainNode.port, plainRedis.port, resp);
      pairs[`cluster${resp}`] = await openPair(clusterNode.port, clusterRedis.port, resp);
      pairs[`moved${resp}`] = {
        ...await openPair(movedNode.port, movedRedis.port, resp),
        peer: [peerIds[0], peerIds[1]],
      };
    }
    for (const p of Object.values(pairs)) started.clients.push(p.a, p.b);
    // The cluster pair serves slots 0-8191.
    const cp = pairs.cluster2;
    const [x, y] = await both(cp, ["CLUSTER", "ADDSLOTSRANGE", "0", "8191"]);
    assert.equal(x, "+OK");
    assert.equal(y, "+OK");
    for (const c of [cp.a, cp.b]) {
      for (let i = 0; i < 100; i++) {
        const info = await c.call("CLUSTER", "INFO") as string;
        if (info.startsWith("cluster_state:ok")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    const t0 = Date.now();
    // SCRIPT_COMPARE_KNOWN_FAIL=1: only the known-fail cases, those that kill the VM last.
    const todo = runKnown
      ? cases.filter((c) => c.knownFail !== undefined).sort((x, y) =>
        Number(x.knownFail!.startsWith("VM abort")) - Number(y.knownFail!.startsWith("VM abort"))
      )
      : cases;
    run: for (const cs of todo) {
      if (cs.knownFail !== undefined && !runKnown) {
        skipped.push(cs);
        continue;
      }
      for (const resp of [2, 3] as const) {
        if (cs.only !== undefined && cs.only !== resp) continue;
        try {
          const which = cs.moved ? "moved" : cs.cluster ? "cluster" : "plain";
          await runCase(pairs[`${which}${resp}`], cs, resp, mismatches);
        } catch (e) {
          // A server went away (a crash): report it with the differences so far, and stop.
          mismatches.push({
            resp,
            cmds: cs.cmds.map(cmdText).join(" ; "),
            what: "no reply",
            ours: (e as Error).message,
            redis: "",
          });
          break run;
        }
      }
    }
    console.log(
      `scripting_compare: ran in ${Date.now() - t0} ms, ${skipped.length} known-fail cases skipped`,
    );
  } finally {
    for (const c of started.clients) c.close();
    for (const n of started.nodes) await n.stop();
    for (const r of started.redis) await r.stop();
  }
  if (mismatches.length > 0) {
    const lines = mismatches.map((m) =>
      `RESP${m.resp} ${m.cmds}\n    ${m.what}\n    ours:  ${m.ours}\n    redis: ${m.redis}`
    );
    assert.fail(
      `${mismatches.length} differences from redis-server (seed ${SEED}):\n${lines.join("\n")}`,
    );
  }
});

Deno.test({
  name: "scripting: compile errors Lua 5.4 words otherwise are answered in Lua 5.1's words",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (ours, theirs) => {
      // A bare name or field, an assignment to a call, the end of the script quoted, a token
      // class expected; then ones both parsers word alike.
      const bodies = [
        "x",
        "a.b",
        "x y",
        "a, b",
        "f() = 1",
        "f(), x = 1",
        "return 1 +",
        "return 1 1",
        "local function",
        "if x then",
        "x = = 1",
        "return {a=}",
      ];
      for (const body of bodies) {
        const a = show(await ours.callRaw("EVAL", body, "0"));
        assert.equal(a, show(await theirs.callRaw("EVAL", body, "0")), body);
        assert.match(a, /^-ERR Error compiling script \(new function\): user_script:1: /);
      }
    }, { redis: {} });
  },
});

Deno.test({
  name: "scripting: FUNCTION LOAD, LIST, DELETE, FLUSH, FCALL and their errors as redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (ours, theirs) => {
      const lib1 =
        "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return redis.call('GET', keys[1]) end)\nredis.register_function{function_name='f2', callback=function(keys, args) return redis.call('SET', keys[1], args[1]) end, flags={'no-writes'}}";
      const lib2 =
        "#!lua name=lib2\nredis.register_function('f3', function(keys, args) return #keys end)";
      const bad = [
        "#!lua name=bad\nredis.register_function('f1', function() return 1 end)",
        "#!lua\nreturn 1",
        "#!lua name=x\n",
        "#!lua name=x\nredis.register_function('a b', function() end)",
        "#!lua name=x\nredis.call('GET','k')",
        "#!lua name=x y=z\n",
        "#!lua name=x flags=no-writes\n",
        "#!lua name=x\nredis.register_function{function_name='g', callback=function() end, flags={'bogus'}}",
        "#!lua name=x\nredis.register_function{function_name='g', callback=function() end, description='d'}",
        "#!js name=x\n",
        "not a shebang",
        "#!lua name=x\nerror('boom')",
        "#!lua name=x\nredis.register_function('g', 'notafunction')",
        "#!lua name=x\nredis.register_function('g')",
        "#!lua name=lib1\nredis.register_function('zz', function() return 2 end)",
      ];
      const cmds: string[][] = [
        ["FUNCTION", "LOAD", lib1],
        ["FUNCTION", "LOAD", lib1],
        ["FUNCTION", "LOAD", "REPLACE", lib1],
        ["FUNCTION", "LOAD", lib2],
        ...bad.map((c) => ["FUNCTION", "LOAD", c]),
        ...bad.map((c) => ["FUNCTION", "LOAD", "REPLACE", c]),
        ["FCALL", "f1", "1", "k"],
        ["FCALL", "f2", "1", "k", "v"],
        ["FCALL_RO", "f2", "1", "k", "v"],
        ["FCALL_RO", "f1", "1", "k"],
        ["FCALL", "f3", "0"],
        ["FCALL", "f3", "2", "a", "b"],
        ["FCALL", "nosuch", "0"],
        ["FCALL", "f1", "x"],
        ["FCALL", "f1", "-1"],
        ["FCALL", "f1", "5", "k"],
        ["FUNCTION", "LIST"],
        ["FUNCTION", "LIST", "WITHCODE"],
        ["FUNCTION", "LIST", "LIBRARYNAME", "lib*"],
        ["FUNCTION", "LIST", "LIBRARYNAME"],
        ["FUNCTION", "LIST", "x"],
        ["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
        ["FUNCTION", "STATS"],
        ["FUNCTION", "DELETE", "lib2"],
        ["FUNCTION", "DELETE", "lib2"],
        ["FUNCTION", "DELETE"],
        ["FUNCTION", "FLUSH", "x"],
        ["FUNCTION", "RESTORE", "x"],
        ["FUNCTION", "RESTORE", "x", "REPLACE"],
        ["FUNCTION", "RESTORE", "x", "BOGUS"],
        ["FUNCTION", "DUMP", "x"],
        ["FUNCTION", "KILL"],
        ["FUNCTION", "HELP", "x"],
        ["FUNCTION", "FLUSH", "ASYNC"],
        ["FUNCTION", "LIST"],
        ["FCALL", "f1", "1", "k"],
      ];
      // FUNCTION LIST answers in the order of Redis's dict of libraries (its hash, seeded at
      // random per process): compared as a set of libraries.
      const canon = (c: string[], v: RespValue) =>
        c[0] === "FUNCTION" && c[1] === "LIST" && v.type === "array"
          ? `{${v.value.map(show).sort().join(",")}}`
          : show(v);
      for (const c of cmds) {
        assert.equal(
          canon(c, await ours.callRaw(...c)),
          canon(c, await theirs.callRaw(...c)),
          c.join(" "),
        );
      }
    });
  },
});
