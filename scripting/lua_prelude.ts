/**
 * The Lua side of the scripting engine, run once per VM (Lua 5.4) before any script:
 * - what Redis's Lua 5.1 offers and 5.4 lacks or changed (`unpack`, `loadstring`, `table.getn`,
 *   `math.mod`, numbers printed with "%.14g" by `tostring`, `string.format` and `table.concat`);
 * - the sandbox: scripts see a read-only proxy of the globals (Redis 7's readonly tables), reading
 *   a missing global is an error, `os`/`io`/`require`/`print`/`dofile`/`loadfile` are gone;
 * - Redis's pcall (an error table becomes its `err` string), its message handler
 *   (`__redis__err__handler`: the error table gets `source` and `line`), and the `redis` table's
 *   pure-Lua members (`error_reply`, `status_reply`, constants).
 *
 * Called with the host table (functions written in TypeScript: call, pcall, setresp, set_repl,
 * log, sha1hex, random, randomseed, register_function) and the library modules; returns the
 * entry points the engine uses: compile, run, runFunction, loadLibrary.
 */

export const PRELUDE_LUA = String.raw`
local host, libs = ...
local real = _G
local type, tostring, error, rawget, rawset, rawequal, setmetatable, getmetatable =
  type, tostring, error, rawget, rawset, rawequal, setmetatable, getmetatable
local pairs, next, select, load, xpcall, rawpcall = pairs, next, select, load, xpcall, pcall
local mtype, floor, sformat, tconcat, tpack, tunpack =
  math.type, math.floor, string.format, table.concat, table.pack, table.unpack
local dbg = debug

-- Numbers as Lua 5.1 prints them ("%.14g" of a double; 5.4 would print 5.0 for an integral float
-- and every digit of an integer: 100000000000000 where 5.1 prints 1e+14).
local function numtostring(v)
  if v ~= v then return (sformat('%f', v):sub(1, 1) == '-') and '-nan' or 'nan' end
  if v == math.huge then return 'inf' end
  if v == -math.huge then return '-inf' end
  return sformat('%.14g', v)
end
local rawtostring = tostring
local getmt = dbg.getmetatable
local rawtonumber = tonumber
tostring = function(v)
  if mtype(v) ~= nil then return numtostring(v) end
  -- __tostring called from Lua, not from C, so a long one can yield to the event loop.
  local mt = getmt(v)
  if mt ~= nil then
    local f = rawget(mt, '__tostring')
    if f ~= nil then return f(v) end
  end
  return rawtostring(v)
end
real.tostring = tostring

-- string.format as Lua 5.1 applies it: integer conversions truncate a float argument, and %s or
-- %q of a number uses the 5.1 number format (5.4's %q writes a float in hexadecimal).
-- (A C function through host.cwrap; the local is named 'format' for its argument errors.)
local MININT = math.mininteger
local format = sformat
-- %q as 5.1 quotes a string: only '"', '\', newline, CR and NUL escaped (NUL as \000).
local QUOTE51 = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\\n', ['\r'] = '\\r', ['\0'] = '\\000'}
local function quote51(s) return '"' .. s:gsub('[\\"\n\r%z]', QUOTE51) .. '"' end
local sbyte, ssub = string.byte, string.sub
-- Past at most two decimal digits from j (scanformat's width or precision).
local function twodigits(fmt, j)
  for _ = 1, 2 do
    local c = sbyte(fmt, j) or 0
    if c < 48 or c > 57 then break end
    j = j + 1
  end
  return j
end
string.format = host.cwrap(function(fmt, ...)
  local args = tpack(...)
  if type(fmt) ~= 'string' then return format(fmt, ...) end
  local i, n, len = 1, 0, #fmt
  -- The format handed to 5.4's, when it differs from fmt (a %u, a %q of a string): its pieces.
  local pieces = nil
  local copied = 1
  while true do
    local p = fmt:find('%', i, true)
    if p == nil then break end
    local j = p + 1
    if sbyte(fmt, j) == 37 then
      i = j + 1
    else
      -- The argument first ("no value"), then scanformat: at most 5 flags, 2 digits of width, 2
      -- of precision.
      n = n + 1
      if n > args.n then error(sformat("bad argument #%d to '?' (no value)", n + 1), 0) end
      local f = j
      while j <= len and ('-+ #0'):find(ssub(fmt, j, j), 1, true) do j = j + 1 end
      if j - f > 5 then error('invalid format (repeated flags)', 0) end
      j = twodigits(fmt, j)
      local precision = sbyte(fmt, j) == 46
      if precision then j = twodigits(fmt, j + 1) end
      if (sbyte(fmt, j) or 0) >= 48 and sbyte(fmt, j) <= 57 then
        error('invalid format (width or precision too long)', 0)
      end
      local conv = ssub(fmt, j, j)
      if conv == 'a' or conv == 'A' then
        error("invalid option '%" .. conv .. "' to 'format'", 0)
      end
      local a = args[n]
      -- The conversion handed on, when not conv, and where fmt's part before it ends (the spec's
      -- flags and width kept, or not).
      local as, upto = nil, j - 1
      -- %s and %q take a string or a number (luaL_checklstring), nothing else, no __tostring.
      if (conv == 's' or conv == 'q') and type(a) ~= 'string' and not mtype(a) then
        error(sformat("bad argument #%d to '?' (string expected, got %s)", n + 1, type(a)), 0)
      end
      if mtype(a) == 'integer' then
        if conv == 's' or conv == 'q' then args[n] = numtostring(a) end
      elseif mtype(a) == 'float' then
        if conv:find('[dicoxXu]') then
          if a ~= a or a == math.huge or a == -math.huge then
            args[n] = MININT
          elseif a >= 0 then args[n] = floor(a) else args[n] = -floor(-a) end
        elseif conv == 's' or conv == 'q' then
          args[n] = numtostring(a)
        end
      end
      -- 5.1 formats each item with sprintf and keeps it up to its first NUL (strlen): a %c of a
      -- zero byte adds nothing (nor what follows it: a left-justified one's padding), and a %s
      -- of a string holding a NUL ends there, unless it went whole (no precision, 100 bytes or
      -- more). (5.4 keeps the NUL, and refuses such a %s with modifiers.)
      if conv == 'c' and mtype(args[n]) and args[n] % 256 == 0 then
        local item = format(ssub(fmt, p, j - 1) .. 'c', 1)
        args[n] = ssub(item, 1, item:find('\1', 1, true) - 1)
        as, upto = 's', p -- the item as it came out, by a plain %s
      elseif conv == 's' and type(args[n]) == 'string' and (precision or #args[n] < 100) then
        local z = args[n]:find('\0', 1, true)
        if z then args[n] = ssub(args[n], 1, z - 1) end
      end
      if conv == 'u' then as = 'd' end
      if conv == 'q' and type(args[n]) == 'string' then
        args[n] = quote51(args[n])
        as = 's'
      end
      if as ~= nil then
        pieces = pieces or {}
        pieces[#pieces + 1] = ssub(fmt, copied, upto) .. as
        copied = j + 1
      end
      i = j + 1
    end
  end
  if pieces ~= nil then
    pieces[#pieces + 1] = ssub(fmt, copied)
    fmt = tconcat(pieces)
  end
  return format(fmt, tunpack(args, 1, args.n))
end, 'format')

-- luaL_optint of Lua 5.1: a number or a numeric string, truncated toward zero to an int (NaN,
-- infinities and what is out of range: INT64_MIN, then its low 32 bits, 0).
-- An error is raised at 'level' (0: no position, for a function run through host.cwrap).
local function optint(v, narg, fname, default, level)
  if v == nil then return default end
  local n = rawtonumber(v)
  if n == nil or (type(v) ~= 'number' and type(v) ~= 'string') then
    -- (Under a pcall, a C function, the function has no name: '?'.)
    local caller = level and dbg.getinfo(level, 'S')
    if caller and caller.what == 'C' then fname = '?' end
    error(sformat("bad argument #%d to '%s' (number expected, got %s)", narg, fname, type(v)),
      level or 0)
  end
  if mtype(n) == 'float' then
    if n ~= n or n >= 0x1p63 or n < -0x1p63 then return 0 end
    n = n >= 0 and floor(n) or -floor(-n)
  end
  n = n & 0xffffffff
  return n >= 0x80000000 and n - 0x100000000 or n
end

-- (A C function, through host.cwrap: errors at the caller's position, as the C original's.)
-- (Its arguments checked in 5.1's order: the separator, the table, i, j.)
table.concat = host.cwrap(function(t, sep, i, j)
  if sep ~= nil and type(sep) ~= 'string' and not mtype(sep) then
    error(sformat("bad argument #2 to '?' (string expected, got %s)", type(sep)), 0)
  end
  if type(t) ~= 'table' then
    error(sformat("bad argument #1 to '?' (table expected, got %s)", type(t)), 0)
  end
  i = optint(i, 3, 'concat', 1)
  j = optint(j, 4, 'concat', #t)
  local parts = {}
  for k = i, j do
    local v = t[k]
    if mtype(v) ~= nil then v = numtostring(v)
    elseif type(v) ~= 'string' and type(v) ~= 'number' then
      error(sformat("invalid value (%s) at index %d in table for 'concat'", type(v), k), 0)
    end
    parts[#parts + 1] = v
  end
  return tconcat(parts, sep or '')
end, 'concat')

-- string.rep of Lua 5.1 has no separator.
do
  local rep = string.rep
  string.rep = host.cwrap(function(...)
    if select('#', ...) > 2 then return rep((...), (select(2, ...))) end
    return rep(...)
  end, 'rep')
end

-- Lua 5.1 library members that 5.4 dropped.
unpack = tunpack
math.atan2 = math.atan
table.setn = function() error("'setn' is obsolete", 2) end
math.pow = function(a, b) return a ^ b end
math.log10 = function(x) return math.log(x, 10) end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x) local a, b = math.exp(x), math.exp(-x); return (a - b) / (a + b) end
math.random = host.random
math.randomseed = host.randomseed
gcinfo = function() return floor(collectgarbage('count')) end
string.gfind = string.gmatch

-- Lua 5.1's checks and results where 5.4's library functions differ: pairs and ipairs (of what
-- is not a table), tonumber with a base, math.max and math.min (of numeric strings), math.fmod
-- (by an integer zero), the table functions 5.4 dropped, and (below) next, rawget, getmetatable
-- and setmetatable. Written in Lua (a call through a C closure, host.cwrap, costs more): each
-- raises its error at its caller's position, as luaL_argerror does from a C function; called in
-- a tail position (return f()), where a C function keeps its caller's frame and a Lua one does
-- not, the error has no position. The checks return the error text, so that each stand-in
-- raises it from its own frame (raise: at the stand-in's caller; a bad-argument error names the
-- function '?' when a C function such as pcall called it, as luaL_argerror does).
local rawlen = rawlen
local function argtype(narg, ...)
  if select('#', ...) < narg then return 'no value' end
  return type((select(narg, ...)))
end
local function badarg(narg, fname, msg)
  return sformat("bad argument #%d to '%s' (%s)", narg, fname, msg)
end
local function raise(msg)
  local i = dbg.getinfo(3, 'S')
  if i and i.what == 'C' then msg = msg:gsub("^(bad argument #%d+ to )'[^']*'", "%1'?'") end
  error(msg, 3)
end
local function nottable(narg, fname, ...)
  if type((select(narg, ...))) == 'table' then return nil end
  return badarg(narg, fname, 'table expected, got ' .. argtype(narg, ...))
end
-- luaL_checknumber: a number, or a string that converts to one; else nil and the error text.
local function tonumber51(narg, fname, ...)
  local v = select(narg, ...)
  local n = type(v) == 'number' and v or type(v) == 'string' and rawtonumber(v) or nil
  if n == nil then
    return nil, badarg(narg, fname, 'number expected, got ' .. argtype(narg, ...))
  end
  return n
end

-- pairs and ipairs take a table only (5.4 takes any value, and pairs honours __pairs: here only
-- for the read-only views of the sandbox, which stand for Redis's read-only tables).
-- The read-only views (made by 'readonly', below), weakly.
local protected = setmetatable({}, {__mode = 'k'})
-- The table a read-only view stands for (its __pairs gives it); any other table itself.
local function unviewed(t)
  if protected[t] then
    local _, of = getmt(t).__pairs(t)
    return of
  end
  return t
end
local rawipairs = ipairs
real.pairs = function(...)
  local t = ...
  if type(t) ~= 'table' then raise(nottable(1, 'pairs', ...)) end
  return next, unviewed(t), nil
end
ipairs = function(...)
  local t = ...
  if type(t) ~= 'table' then raise(nottable(1, 'ipairs', ...)) end
  return rawipairs(t)
end

-- tonumber with a base: base 10 converts as without one (any numeral), another base reads an
-- unsigned integer as strtoul does (spaces around it, a sign, "0x" in base 16; a negative one
-- wraps around 2^64, and past 2^64 - 1 it stays there), of a string or a number's text.
local TWO64 = 2.0 ^ 64
local function strtoul51(str, base)
  local sign, digits = str:match('^%s*([-+]?)(.-)%s*$')
  if base == 16 then digits = digits:gsub('^0[xX]', '', 1) end
  if digits == '' then return nil end
  local n = 0.0
  for k = 1, #digits do
    local d = sbyte(digits, k)
    d = d >= 97 and d - 87 or d >= 65 and d - 55 or d >= 48 and d <= 57 and d - 48 or 99
    if d >= base then return nil end
    n = n * base + d
  end
  if n >= TWO64 then n = TWO64 - 1 end
  if sign == '-' and n ~= 0 then n = TWO64 - n end
  return n
end
tonumber = function(...)
  local v, base = ...
  if base == nil and v ~= nil then return (rawtonumber(v)) end
  if select('#', ...) == 0 then raise(badarg(1, 'tonumber', 'value expected')) end
  base = optint(base, 2, 'tonumber', 10, 3)
  if base == 10 then return (rawtonumber(v)) end
  if mtype(v) then v = numtostring(v)
  elseif type(v) ~= 'string' then
    raise(badarg(1, 'tonumber', 'string expected, got ' .. argtype(1, ...)))
  end
  if base < 2 or base > 36 then raise(badarg(2, 'tonumber', 'base out of range')) end
  return strtoul51(v, base)
end

-- Lua 5.1's table functions 5.4 dropped (a table first; foreach and foreachi a function second).
table.getn = function(...)
  local t = ...
  if type(t) ~= 'table' then raise(nottable(1, 'getn', ...)) end
  return rawlen(t)
end
table.maxn = function(...)
  local t = ...
  if type(t) ~= 'table' then raise(nottable(1, 'maxn', ...)) end
  local m = 0
  for k in next, t do if type(k) == 'number' and k > m then m = k end end
  return m
end
local function iterargs(fname, ...)
  local t, f = ...
  if type(t) ~= 'table' then return nottable(1, fname, ...) end
  if type(f) ~= 'function' then
    return badarg(2, fname, 'function expected, got ' .. argtype(2, ...))
  end
end
table.foreach = function(...)
  local e = iterargs('foreach', ...)
  if e then raise(e) end
  local t, f = ...
  for k, v in next, t do local r = f(k, v); if r ~= nil then return r end end
end
table.foreachi = function(...)
  local e = iterargs('foreachi', ...)
  if e then raise(e) end
  local t, f = ...
  for k = 1, rawlen(t) do local r = f(k, t[k]); if r ~= nil then return r end end
end

-- math.max and math.min compare numbers (a numeric string is converted) and return a number;
-- with two numbers, 5.4's give what 5.1's give.
local rawmax, rawmin, rawfmod = math.max, math.min, math.fmod
local function pick(fname, greater, ...)
  local r, e = tonumber51(1, fname, ...)
  if e then return nil, e end
  for i = 2, select('#', ...) do
    local v
    v, e = tonumber51(i, fname, ...)
    if e then return nil, e end
    if greater then
      if v > r then r = v end
    elseif v < r then
      r = v
    end
  end
  return r
end
-- (Two numbers and no third argument, or a nil one: 5.4's function.)
local function extremum(fname, greater, raw)
  return function(...)
    local a, b, c = ...
    if c == nil and mtype(b) and mtype(a) then return (raw(a, b)) end
    local r, e = pick(fname, greater, ...)
    if e then raise(e) end
    return r
  end
end
math.max = extremum('max', true, rawmax)
math.min = extremum('min', false, rawmin)
-- fmod of doubles: x % 0 is NaN (5.4 raises for two integers). As doubles by '* 1.0', which
-- keeps a -0 (fmod(-0, y) is -0; '+ 0.0' would make it 0).
math.fmod = function(...)
  local a, b = ...
  if not (mtype(a) and mtype(b)) then
    -- (5.1's C evaluates fmod's two luaL_checknumber calls right to left: the second is checked
    -- first.)
    local e, e2
    a, e = tonumber51(1, 'fmod', ...)
    b, e2 = tonumber51(2, 'fmod', ...)
    if e or e2 then raise(e2 or e) end
  end
  return (rawfmod(a * 1.0, b * 1.0))
end
math.mod = math.fmod

-- Lua 5.4 names the culprit after the type ("attempt to call a nil value (global 'f')"), 5.1
-- before it ("attempt to call global 'f' (a nil value)"); arithmetic on a string that is not a
-- number is the string library's metamethod error in 5.4.
local function as51(msg)
  if type(msg) ~= 'string' then return msg end
  msg = msg:gsub("attempt to (.-) a (%a+) value %((%a+) '(.-)'%)", "attempt to %1 %3 '%4' (a %2 value)")
  msg = msg:gsub("attempt to %a+ a 'string' with a '%a+'", "attempt to perform arithmetic on a string value")
  msg = msg:gsub("attempt to %a+ a '%a+' with a 'string'", "attempt to perform arithmetic on a string value")
  return msg
end

-- Errors raised by the prelude's stand-ins for C functions: marked, so the stand-in re-raises
-- them at its caller's position (luaL_error level 1); a stand-in's own runtime error loses the
-- prelude's position (a C function has none); a script's error passes as it is.
-- 'positioned': the stand-in's own errors are luaL_error's (they get the caller's position), else
-- runtime errors inside a C function (none).
local function cerror(msg) error({c_error = msg}, 0) end
local function passc(e, positioned)
  if type(e) == 'table' and rawget(e, 'c_error') then error(e.c_error, 3) end
  if type(e) == 'string' then
    local stripped = e:gsub('^prelude:%d+: ', '')
    if stripped ~= e then error(stripped, positioned and 3 or 0) end
  end
  error(e, 0)
end
-- The name a bad-argument error gives a stand-in: '?' when a C function (pcall) called it.
local function argname(name)
  local i = dbg.getinfo(3, 'S')
  return (i and i.what == 'C') and '?' or name
end

-- table.sort as Lua 5.1's ltablib.c (auxsort, the same comparisons in the same order), written
-- in Lua so a long comparator can yield to the event loop (a C sort cannot).
local function sort51(name, nargs, t, comp)
  if type(t) ~= 'table' then
    cerror("bad argument #1 to '" .. name .. "' (table expected, got " ..
      (nargs == 0 and 'no value' or type(t)) .. ")")
  end
  local n = rawlen(t)
  if comp ~= nil and type(comp) ~= 'function' then
    cerror("bad argument #2 to '" .. name .. "' (function expected, got " .. type(comp) .. ")")
  end
  local lt
  if comp then lt = function(a, b) return comp(a, b) and true or false end
  else lt = function(a, b) return a < b end end
  local function auxsort(l, u)
    while l < u do
      local al, au = rawget(t, l), rawget(t, u)
      if lt(au, al) then rawset(t, l, au); rawset(t, u, al) end
      if u - l == 1 then break end
      local i = (l + u) // 2
      local ai, al2 = rawget(t, i), rawget(t, l)
      if lt(ai, al2) then
        rawset(t, i, al2); rawset(t, l, ai)
      else
        local au2 = rawget(t, u)
        if lt(au2, ai) then rawset(t, i, au2); rawset(t, u, ai) end
      end
      if u - l == 2 then break end
      local P = rawget(t, i)
      rawset(t, i, rawget(t, u - 1)); rawset(t, u - 1, P)
      i = l
      local j = u - 1
      while true do
        i = i + 1
        local ai3 = rawget(t, i)
        while lt(ai3, P) do
          if i > u then cerror('invalid order function for sorting') end
          i = i + 1
          ai3 = rawget(t, i)
        end
        j = j - 1
        local aj = rawget(t, j)
        while lt(P, aj) do
          if j < l then cerror('invalid order function for sorting') end
          j = j - 1
          aj = rawget(t, j)
        end
        if j < i then break end
        rawset(t, i, aj); rawset(t, j, ai3)
      end
      local au1, ai4 = rawget(t, u - 1), rawget(t, i)
      rawset(t, u - 1, ai4); rawset(t, i, au1)
      local lo, hi
      if i - l < u - i then lo = l; hi = i - 1; l = i + 1
      else lo = i + 1; hi = u; u = lo - 2 end
      auxsort(lo, hi)
    end
  end
  auxsort(1, n)
end
table.sort = function(...)
  local ok, e = rawpcall(sort51, argname('sort'), select('#', ...), ...)
  if not ok then passc(e, false) end
end

-- string.gsub with a function replacement, in Lua for the same reason (other forms call no
-- Lua code: the C original).
local rawgsub, sfind, ssub = string.gsub, string.find, string.sub
local function gsubf(s, p, f, max)
  local out, count, src, len = {}, 0, 1, #s
  local anchor = ssub(p, 1, 1) == '^'
  max = max or (len + 1)
  while count < max do
    local r = tpack(sfind(s, p, src))
    if r[1] == nil then break end
    local st, e = r[1], r[2]
    out[#out + 1] = ssub(s, src, st - 1)
    count = count + 1
    local whole = ssub(s, st, e)
    local v
    if r.n > 2 then v = f(tunpack(r, 3, r.n)) else v = f(whole) end
    if not v then out[#out + 1] = whole
    elseif type(v) == 'string' then out[#out + 1] = v
    elseif type(v) == 'number' then out[#out + 1] = tostring(v)
    else cerror('invalid replacement value (a ' .. type(v) .. ')') end
    if e >= st then
      src = e + 1
    else
      if st <= len then out[#out + 1] = ssub(s, st, st) end
      src = st + 1
    end
    if anchor or src > len + 1 then break end
  end
  out[#out + 1] = ssub(s, src)
  return tconcat(out), count
end
-- A replacement string as 5.1 reads it: '%' and a character that is not a digit is that
-- character, a '%' at the end a NUL byte (5.4 refuses both).
local sfind = string.find
local function escape51(c)
  if c == '' then return '\0' end
  if c == '%' or sfind('0123456789', c, 1, true) then return '%' .. c end
  return c
end
string.gsub = function(...)
  local s, p, repl, n = ...
  local r
  if type(repl) ~= 'function' or (type(s) ~= 'string' and type(s) ~= 'number') or
    (type(p) ~= 'string' and type(p) ~= 'number') or (n ~= nil and type(n) ~= 'number') then
    -- The C original, its errors at the caller's position.
    if type(repl) == 'string' and sfind(repl, '%', 1, true) then
      r = tpack(rawpcall(rawgsub, s, p, rawgsub(repl, '%%(.?)', escape51), select(4, ...)))
    else
      r = tpack(rawpcall(rawgsub, ...))
    end
    if not r[1] then
      local e = r[2]
      if type(e) == 'string' then
        e = e:gsub("to '%?'", "to '" .. argname('gsub') .. "'")
        error(e, 2)
      end
      error(e, 0)
    end
  else
    r = tpack(rawpcall(gsubf, tostring(s), tostring(p), repl, n and floor(n)))
    if not r[1] then passc(r[2], true) end
  end
  return tunpack(r, 2, r.n)
end

-- SCRIPT KILL raises an error table marked script_killed: a script's own pcall or xpcall
-- cannot catch it, so the script ends.
local function killed(e)
  return type(e) == 'table' and rawget(e, 'script_killed') == true
end
local rawxpcall = xpcall
xpcall = function(f, h, ...)
  local r = tpack(rawxpcall(f, function(e)
    if killed(e) then return e end
    return h(e)
  end, ...))
  if not r[1] then
    if killed(r[2]) then error(r[2], 0) end
    r[2] = as51(r[2])
  end
  return tunpack(r, 1, r.n)
end

-- A script's own coroutines: when the count hook suspends one to let the event loop turn (past
-- busy-reply-threshold), resume passes the suspension up to the engine (through any outer
-- coroutine) and, resumed, resumes the inner one again; the script never sees it.
local cresume, ccreate, cyield = coroutine.resume, coroutine.create, coroutine.yield
coroutine.resume = function(co, ...)
  local r = tpack(cresume(co, ...))
  while host.hookYield() do
    cyield()
    r = tpack(cresume(co))
  end
  if not r[1] and killed(r[2]) then error(r[2], 0) end
  return tunpack(r, 1, r.n)
end
-- Lua 5.1's wrap: an error inside goes on as it is.
coroutine.wrap = function(f)
  local co = ccreate(f)
  return function(...)
    local r = tpack(coroutine.resume(co, ...))
    if not r[1] then error(r[2], 0) end
    return tunpack(r, 2, r.n)
  end
end

-- Redis's pcall: an error table (from redis.call) is returned as its 'err' string.
pcall = function(f, ...)
  local r = tpack(rawpcall(f, ...))
  if not r[1] then
    local e = r[2]
    if killed(e) then error(e, 0) end
    if type(e) == 'table' then
      local m = e.err
      if type(m) == 'string' or type(m) == 'number' then e = m end
    else
      e = as51(e)
    end
    return false, e
  end
  return tunpack(r, 1, r.n)
end


-- The message handler Redis installs (eval.c's __redis__err__handler). Frames of the prelude
-- stand for Redis's C functions, so they are skipped like one.
local function errh(err)
  host.handling()
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source:sub(1, 1) == '=') do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(as51(err))} end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

-- The Lua debugger (SCRIPT DEBUG, scripting/ldb.ts): a value as ldbCatStackValue shows it.
local LDB_MAX_DEPTH = 10 -- LUA_MINSTACK / 2
local reprEscapes = {['\\'] = '\\\\', ['"'] = '\\"', ['\n'] = '\\n', ['\r'] = '\\r',
  ['\t'] = '\\t', ['\a'] = '\\a', ['\b'] = '\\b'}
local sgsub = string.gsub
-- sdscatrepr: in double quotes, escaped; bytes outside isprint() as \xHH.
local function ldbrepr(s)
  return '"' .. sgsub(s, '[%c\\"\128-\255]', function(c)
    return reprEscapes[c] or sformat('\\x%02x', c:byte())
  end) .. '"'
end
local function ldbvalue(v, level)
  if level == LDB_MAX_DEPTH then return '<max recursion level reached! Nested table?>' end
  level = level + 1
  local t = type(v)
  if t == 'string' then return ldbrepr(v) end
  if t == 'boolean' then return v and 'true' or 'false' end
  if t == 'number' then return sformat('%g', v) end
  if t == 'nil' then return 'nil' end
  if t == 'table' then
    -- Shown as an array when its keys, in next()'s order, are 1, 2, 3...
    local expected, isArray, r1, r2 = 1, true, {}, {}
    for k, x in next, v do
      if isArray and (type(k) ~= 'number' or k ~= expected) then isArray = false end
      r1[#r1 + 1] = ldbvalue(x, level)
      r2[#r2 + 1] = '[' .. ldbvalue(k, level) .. ']=' .. ldbvalue(x, level)
      expected = expected + 1
    end
    return '{' .. tconcat(isArray and r1 or r2, '; ') .. '}'
  end
  return '"' .. t .. '@' .. sformat('%p', v) .. '"'
end

-- The 'redis' table.
local redis = {}
for k, v in pairs(host.redis) do redis[k] = v end
redis.error_reply = function(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  local sp = e:find(' ', 1, true)
  local code, msg
  if sp then code, msg = e:sub(2, sp - 1), e:sub(sp + 1) else code, msg = 'ERR', e:sub(2) end
  msg = msg:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return {err = code .. ' ' .. msg}
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return {ok = s}
end
redis.replicate_commands = function() return true end
redis.breakpoint = host.breakpoint
-- redis.debug(...): its arguments logged in the debugger's console; nothing outside a session.
redis.debug = function(...)
  if not host.ldb_active() then return end
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = ldbvalue((select(i, ...)), 0) end
  host.ldb_log(tconcat(parts, ', '))
end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
real.redis = redis
for name, mod in pairs(libs) do real[name] = mod end

-- The C libraries of Redis report errors at their caller's position (luaL_error level 1), and a
-- C function called in a tail position keeps its caller's frame: host.cwrap makes each library
-- function a C function (written in TypeScript) that runs the Lua one.
for _, name in ipairs({'cjson', 'cmsgpack', 'struct', 'bit'}) do
  local mod = real[name]
  if mod then
    for k, f in pairs(mod) do
      if type(f) == 'function' then mod[k] = host.cwrap(f, k) end
    end
  end
end

-- Remove what Redis does not offer (its Lua is 5.1: no 5.2-5.4 additions).
for _, k in ipairs({'os', 'io', 'require', 'package', 'print', 'dofile', 'loadfile', 'utf8',
  'debug', 'warn', 'getfenv', 'setfenv', 'rawlen'}) do real[k] = nil end
for _, k in ipairs({'pack', 'unpack', 'packsize'}) do string[k] = nil end
for _, k in ipairs({'move', 'pack', 'unpack'}) do table[k] = nil end
for _, k in ipairs({'maxinteger', 'mininteger', 'type', 'tointeger', 'ult'}) do math[k] = nil end
for _, k in ipairs({'isyieldable', 'close'}) do coroutine[k] = nil end
real._VERSION = 'Lua 5.1'
-- The table of loaded modules, emptied: Lua 5.4 names a C function that a C function (pcall)
-- called by where it finds it there ("bad argument #1 to 'string.char'"), 5.1 as '?'.
do
  local loaded = dbg.getregistry()._LOADED
  for k in pairs(loaded) do loaded[k] = nil end
end
real.error = host.error
real.__redis__err__handler = errh

-- Read-only views (Redis 7 makes the globals and every library table read-only). rawset and
-- setmetatable refuse them too.
local function readonly(t, missing)
  local mt = {
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
    -- getmetatable(_G) is a table in Redis; a library table has none.
    __metatable = missing and {} or false,
  }
  if missing then
    mt.__index = function(_, k)
      local v = rawget(t, k)
      if v == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end
      return v
    end
  else
    mt.__index = t
  end
  local view = setmetatable({}, mt)
  protected[view] = true
  return view
end
-- next of a read-only view goes through the table it stands for.
real.next = function(...)
  local t, k = ...
  if type(t) ~= 'table' then raise(nottable(1, 'next', ...)) end
  return next(unviewed(t), k)
end
-- rawget of a read-only view reads the table it stands for; getmetatable of a library's view
-- is nil (Redis's library tables have none), of the globals' view a table.
real.rawget = function(...)
  local t, k = ...
  if type(t) ~= 'table' then raise(nottable(1, 'rawget', ...)) end
  if select('#', ...) < 2 then raise(badarg(2, 'rawget', 'value expected')) end
  return rawget(unviewed(t), k)
end
local rawgetmetatable = getmetatable
real.getmetatable = function(...)
  local v = ...
  if select('#', ...) == 0 then raise(badarg(1, 'getmetatable', 'value expected')) end
  if protected[v] then return getmt(v).__metatable or nil end
  return rawgetmetatable(v)
end
local rawrawset, rawsetmetatable = rawset, setmetatable
-- (Raised inside a C function in Redis: no position.)
real.rawset = function(t, k, v)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return rawrawset(t, k, v)
end
real.setmetatable = function(...)
  local t, mt = ...
  if type(t) ~= 'table' then raise(nottable(1, 'setmetatable', ...)) end
  if mt ~= nil and type(mt) ~= 'table' then
    raise(badarg(2, 'setmetatable', 'nil or table expected'))
  end
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  local old = getmt(t)
  if old ~= nil and rawget(old, '__metatable') ~= nil then
    raise('cannot change a protected metatable')
  end
  return rawsetmetatable(t, mt)
end
for _, name in ipairs({'string', 'math', 'table', 'coroutine', 'redis', 'cjson', 'cmsgpack',
  'struct', 'bit'}) do
  if real[name] then real[name] = readonly(real[name], false) end
end
getmetatable('').__index = real.string
local ENV = readonly(real, true)
real._G = ENV
loadstring = function(s, name) return load(s, name or s, 't', ENV) end
real.loadstring = loadstring
real.load = function(s, name, mode, env) return load(s, name, 't', env or ENV) end

local engine = {}

-- FUNCTION LOAD runs a library's code with only this 'redis' table (function_lua.c's library
-- API); its functions, called later, see the globals scripts see.
local loadRedis = {
  register_function = host.register_function,
  log = redis.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}
local function nonexistent(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
setmetatable(loadRedis, {__index = nonexistent, __newindex = function()
  error('Attempt to modify a readonly table', 2)
end, __metatable = false})
local loadGlobals = {redis = loadRedis}

-- Compile a library: its chunk and the state that ends its load time.
function engine.compileLibrary(code)
  local state = {loading = true}
  local env = setmetatable({}, {
    __index = function(_, k)
      local v
      if state.loading then v = rawget(loadGlobals, k) else v = rawget(real, k) end
      if v == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end
      return v
    end,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
  local f, err = load(code, '@user_function', 't', env)
  if not f then return nil, err end
  return f, state
end

-- Run a library's code (it registers its functions); then its globals become the runtime ones.
function engine.runLibrary(f, state)
  local ok, e = rawxpcall(f, errh)
  state.loading = false
  return ok, e
end

-- Compile a script body: the function, or nil and the error text.
function engine.compile(body, name)
  return load(body, name, 't', ENV)
end

-- Run a compiled script inside the engine's coroutine: ok, value (or false, error table).
function engine.run(f, keys, argv)
  rawset(real, 'KEYS', keys)
  rawset(real, 'ARGV', argv)
  local ok, r = rawxpcall(f, errh)
  return ok, r
end

-- The debugger's view of a stopped script (scripting/ldb.ts): co is the stopped coroutine.
-- Only the script's own frames count (the prelude's stand for Redis's C code, which has none).
local function userFrame(info) return info.short_src:find('user_script', 1, true) ~= nil end

-- ldbPrint: the first local called 'name', innermost frame first; KEYS and ARGV else.
function engine.ldbPrint(co, name)
  local level = 0
  while true do
    local info = dbg.getinfo(co, level, 'S')
    if info == nil then break end
    if userFrame(info) then
      local i = 1
      while true do
        local n, v = dbg.getlocal(co, level, i)
        if n == nil then break end
        if n == name then return ldbvalue(v, 0) end
        i = i + 1
      end
    end
    level = level + 1
  end
  if name == 'ARGV' or name == 'KEYS' then return ldbvalue(rawget(real, name), 0) end
  return nil
end

-- ldbPrintAll: name, value, name, value... of the current frame's locals.
function engine.ldbPrintAll(co)
  local out = {}
  if dbg.getinfo(co, 0, 'S') ~= nil then
    local i = 1
    while true do
      local n, v = dbg.getlocal(co, 0, i)
      if n == nil then break end
      if not n:find('temporary)', 1, true) then
        out[#out + 1] = n
        out[#out + 1] = ldbvalue(v, 0)
      end
      i = i + 1
    end
  end
  return out
end

-- ldbEval: the code as an expression ("return " prepended), else as a statement; its first
-- value, or the error.
function engine.ldbEval(code)
  local f = load('return ' .. code, '@ldb_eval', 't', ENV)
  if f == nil then
    local err
    f, err = load(code, '@ldb_eval', 't', ENV)
    if f == nil then return false, err end
  end
  local ok, r = rawpcall(f)
  if not ok then return false, tostring(r) end
  return true, ldbvalue(r, 0)
end

-- ldbTrace: name, line, name, line... of the script's frames, innermost first.
function engine.ldbTrace(co)
  local out = {}
  local level = 0
  while true do
    local info = dbg.getinfo(co, level, 'Snl')
    if info == nil then break end
    if userFrame(info) then
      out[#out + 1] = info.name or 'top level'
      out[#out + 1] = info.currentline
    end
    level = level + 1
  end
  return out
end

-- ldbRedis: the command through redis.call (which logs it and its reply); an error is dropped.
function engine.ldbRedis(...)
  rawpcall(redis.call, ...)
end

-- Run a registered function (FCALL): f(keys, args).
function engine.runFunction(f, keys, argv)
  local ok, r = rawxpcall(f, errh, keys, argv)
  return ok, r
end

return engine
`;
