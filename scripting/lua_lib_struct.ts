/**
 * Roberto Ierusalimschy's "struct" library ("struct" global) re-implemented
 * in pure Lua 5.4, behaving like the C version Redis 7.0 embeds
 * (deps/lua/src/lua_struct.c: struct.c 1.4 plus Redis' security fixes).
 *
 * The chunk is loaded once per VM, called with the table of lua_lib_c51.ts, and returns the
 * module table; the host stores it in the global `struct`.
 *
 * Format characters (Redis is built on x86-64/LP64: long = size_t = 8):
 *   >  big endian            <  little endian        ![n] max alignment (8)
 *   x  one zero byte         b/B int8/uint8          h/H int16/uint16
 *   l/L int64/uint64         T  size_t (8)           i/I[n] n-byte int (default 4, max 32)
 *   c[n] n chars (pack: n==0 -> whole string; unpack: n==0 -> previous value is the length)
 *   s  zero-terminated string   f float   d double   ' ' ignored
 *
 * Numbers are Lua 5.1 doubles in the original; results are returned as Lua 5.4
 * integers when Lua 5.1 would print them without a fraction or exponent
 * (integral and |x| < 1e14), otherwise as floats.
 */
export const STRUCT_LUA: string = String.raw`
-- ===========================================================================
-- struct for Lua 5.4 -- emulates Redis 7.0's lua_struct.c (Lua 5.1 semantics)
-- ===========================================================================
local M = {}

local select, type = select, type
local math_type, ult = math.type, math.ult
local mininteger = math.mininteger
local spack, sunpack, format, lower = string.pack, string.unpack, string.format, string.lower
local byte, char, rep, sub, reverse = string.byte, string.char, string.rep, string.sub, string.reverse
local concat, tunpack = table.concat, table.unpack

local PUBLIC = {}          -- exported function -> registered name

-- The Lua 5.1 C-library helpers shared with the other libraries (lua_lib_c51.ts).
local c51 = ...
local throw = c51.thrower(PUBLIC)
local typename = c51.typename
local tonumber51 = c51.tonumber51
local num51 = c51.num51
local d2i64 = c51.d2i64

local BIG, LITTLE = 0, 1
local NATIVE = LITTLE      -- Redis runs on little-endian hosts
local MAXINTSIZE = 32
local MAXALIGN = 8         -- max(offsetof(struct {char c; double d;}, d), sizeof(int))
local INT_MAX = 2147483647
local LUAI_MAXCSTACK = 8000

-- ---------------------------------------------------------------------------
-- Error helpers (throw and the others come from lua_lib_c51.ts).
-- ---------------------------------------------------------------------------

local function typeerror(tname, v, narg, nargs)
  throw(format("%s expected, got %s", tname, typename(v, narg, nargs)), narg)
end

local function d2u64(d)      -- (uint64_t)d
  if d >= 9223372036854775808.0 then
    return d2i64(d - 9223372036854775808.0) ~ mininteger
  end
  return d2i64(d)
end

-- uint64 bit pattern -> double (rounded to nearest).
local function u2d(u)
  if u >= 0 then return u + 0.0 end
  return (((u >> 1) | (u & 1)) + 0.0) * 2.0
end

-- luaL_checknumber
local function checknumber(narg, nargs, ...)
  local v = select(narg, ...)
  local n = tonumber51(v)
  if n == nil then typeerror("number", v, narg, nargs) end
  return n
end

-- luaL_checklstring: strings, and numbers converted with "%.14g".
local function checklstring(narg, nargs, ...)
  local v = select(narg, ...)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return format("%.14g", v) end
  typeerror("string", v, narg, nargs)
end

-- struct.pack pushes a nil "mark" right after its arguments, so a missing
-- argument is reported as "got nil" instead of "got no value".
local function pack_nargs(nargs) return nargs + 1 end

-- luaL_optinteger
local function optinteger(narg, nargs, def, ...)
  local v = select(narg, ...)
  if v == nil then return def end
  if math_type(v) == "integer" then return v end
  local n = tonumber51(v)
  if n == nil then typeerror("number", v, narg, nargs) end
  return d2i64(n)
end

-- ---------------------------------------------------------------------------
-- Format parsing
-- ---------------------------------------------------------------------------

local function isdigit(c) return c ~= nil and c >= 48 and c <= 57 end

-- getnum(): read an optional decimal number at fmt[i]; returns value, next i.
local function getnum(fmt, i, df)
  local c = byte(fmt, i)
  if not isdigit(c) then return df, i end
  local a = 0
  repeat
    local d = c - 48
    if a > INT_MAX // 10 or a * 10 > INT_MAX - d then
      throw("integral size overflow")
    end
    a = a * 10 + d
    i = i + 1
    c = byte(fmt, i)
  until not isdigit(c)
  return a, i
end

local FIXED = { b = 1, B = 1, h = 2, H = 2, l = 8, L = 8, T = 8, f = 4, d = 8, x = 1 }

-- optsize(): size of option 'opt' (may consume a numeric suffix).
local function optsize(opt, fmt, i)
  local s = FIXED[opt]
  if s then return s, i end
  if opt == "c" then return getnum(fmt, i, 1) end
  if opt == "i" or opt == "I" then
    local sz
    sz, i = getnum(fmt, i, 4)
    if sz > MAXINTSIZE then
      throw(format("integral size %d is larger than limit of %d", sz, MAXINTSIZE))
    end
    return sz, i
  end
  return 0, i
end

-- Padding needed to align an item of 'size' bytes at offset 'len'.
local function gettoalign(len, align, opt, size)
  if size == 0 or opt == "c" then return 0 end
  if size > align then size = align end
  return (size - (len & (size - 1))) & (size - 1)
end

local function isp2(x) return x > 0 and (x & (x - 1)) == 0 end

-- controloptions(): endianness/alignment/space options; anything else is an
-- invalid option.  Returns endian, align, next i.
local function controloptions(opt, fmt, i, endian, align)
  if opt == " " then return endian, align, i end
  if opt == ">" then return BIG, align, i end
  if opt == "<" then return LITTLE, align, i end
  if opt == "!" then
    local a
    a, i = getnum(fmt, i, MAXALIGN)
    if not isp2(a) then throw(format("alignment %d is not a power of 2", a)) end
    return endian, a, i
  end
  throw(format("invalid format option '%s'", opt), 1)
end

local INTEGER_OPTS = { b = true, B = true, h = true, H = true, l = true, L = true,
                       T = true, i = true, I = true }

-- Bytes of a 'size'-byte integer holding the 64-bit pattern 'value' (bytes
-- beyond the 8th are zero because the C code shifts an unsigned long).
local function intbytes(value, size, endian)
  local s
  if size <= 8 then
    s = sub(spack("<i8", value), 1, size)
  else
    s = spack("<i8", value) .. rep("\0", size - 8)
  end
  if endian == BIG then s = reverse(s) end
  return s
end

-- Decode a 'size'-byte integer at data[pos+1 ..]; returns a Lua 5.1 number.
local function getinteger(data, pos, endian, issigned, size)
  local l = 0
  if endian == BIG then
    for i = 1, size do l = (l << 8) | byte(data, pos + i) end
  else
    for i = size, 1, -1 do l = (l << 8) | byte(data, pos + i) end
  end
  if not issigned then return u2d(l) end
  local mask = -1 << ((size * 8 - 1) & 63)   -- x86 masks the shift count
  if l & mask ~= 0 then l = l | mask end
  return l + 0.0
end

-- ---------------------------------------------------------------------------
-- struct.pack(fmt, ...)
-- ---------------------------------------------------------------------------
function M.pack(...)
  local nargs = select("#", ...)
  local fmt = checklstring(1, nargs, ...):match("^[^\0]*")
  nargs = pack_nargs(nargs)
  local endian, align = NATIVE, 1
  local out, arg, totalsize = {}, 2, 0
  local i, flen = 1, #fmt
  while i <= flen do
    local opt = sub(fmt, i, i)
    i = i + 1
    local size
    size, i = optsize(opt, fmt, i)
    local toalign = gettoalign(totalsize, align, opt, size)
    totalsize = totalsize + toalign
    if toalign > 0 then out[#out + 1] = rep("\0", toalign) end
    if INTEGER_OPTS[opt] then
      local n = checknumber(arg, nargs, ...)
      arg = arg + 1
      local value = n < 0 and d2i64(n) or d2u64(n)
      out[#out + 1] = intbytes(value, size, endian)
    elseif opt == "x" then
      out[#out + 1] = "\0"
    elseif opt == "f" then
      local n = checknumber(arg, nargs, ...)
      arg = arg + 1
      out[#out + 1] = spack(endian == BIG and ">f" or "<f", n)
    elseif opt == "d" then
      local n = checknumber(arg, nargs, ...)
      arg = arg + 1
      out[#out + 1] = spack(endian == BIG and ">d" or "<d", n)
    elseif opt == "c" or opt == "s" then
      local s = checklstring(arg, nargs, ...)
      arg = arg + 1
      local l = #s
      if size == 0 then size = l end
      -- note: 'arg' was already incremented, as in the C code
      if l < size then throw("string too short", arg) end
      out[#out + 1] = sub(s, 1, size)
      if opt == "s" then
        out[#out + 1] = "\0"
        size = size + 1
      end
    else
      endian, align, i = controloptions(opt, fmt, i, endian, align)
    end
    totalsize = totalsize + size
  end
  return concat(out)
end

-- ---------------------------------------------------------------------------
-- struct.unpack(fmt, data [, init]) -> values..., next position
-- ---------------------------------------------------------------------------
function M.unpack(...)
  local nargs = select("#", ...)
  local fmt = checklstring(1, nargs, ...):match("^[^\0]*")
  local data = checklstring(2, nargs, ...)
  local ld = #data
  local pos = optinteger(3, nargs, 1, ...)
  -- pos is a size_t in C: only 0 is rejected here, negative values wrap
  -- around and fail the "data string too short" check below.
  if pos == 0 then throw("offset must be 1 or greater", 3) end
  pos = pos - 1
  local endian, align = NATIVE, 1
  local res, n = {}, 0
  local i, flen = 1, #fmt
  while i <= flen do
    local opt = sub(fmt, i, i)
    i = i + 1
    local size
    size, i = optsize(opt, fmt, i)
    pos = pos + gettoalign(pos, align, opt, size)
    -- size <= ld && pos <= ld - size, with unsigned size_t arithmetic
    if not (size <= ld and not ult(ld - size, pos)) then
      throw("data string too short", 2)
    end
    -- luaL_checkstack(L, 2, "too many results"): Lua 5.1 limits a C
    -- function to LUAI_MAXCSTACK stack slots (arguments + results).
    if nargs + n + 2 > LUAI_MAXCSTACK then
      throw("stack overflow (too many results)")
    end
    if INTEGER_OPTS[opt] then
      local issigned = opt == lower(opt)
      n = n + 1
      res[n] = num51(getinteger(data, pos, endian, issigned, size))
    elseif opt == "x" then
      -- padding: nothing to push
    elseif opt == "f" then
      n = n + 1
      res[n] = num51((sunpack(endian == BIG and ">f" or "<f", data, pos + 1)))
    elseif opt == "d" then
      n = n + 1
      res[n] = num51((sunpack(endian == BIG and ">d" or "<d", data, pos + 1)))
    elseif opt == "c" then
      if size == 0 then
        -- the length is the previous result (which is then dropped)
        local prev = n > 0 and tonumber51(res[n]) or nil
        if prev == nil then throw("format 'c0' needs a previous size") end
        size = d2u64(prev)
        res[n] = nil
        n = n - 1
        if not (ult(size, ld + 1) and not ult(ld - size, pos)) then
          throw("data string too short", 2)
        end
      end
      n = n + 1
      res[n] = sub(data, pos + 1, pos + size)
    elseif opt == "s" then
      local e = data:find("\0", pos + 1, true)
      if e == nil then throw("unfinished string in data") end
      size = e - pos
      n = n + 1
      res[n] = sub(data, pos + 1, e - 1)
    else
      endian, align, i = controloptions(opt, fmt, i, endian, align)
    end
    pos = pos + size
  end
  res[n + 1] = pos + 1
  return tunpack(res, 1, n + 1)
end

-- ---------------------------------------------------------------------------
-- struct.size(fmt) -> size of a fixed-size format
-- ---------------------------------------------------------------------------
function M.size(...)
  local nargs = select("#", ...)
  local fmt = checklstring(1, nargs, ...):match("^[^\0]*")
  local endian, align = NATIVE, 1
  local pos = 0
  local i, flen = 1, #fmt
  while i <= flen do
    local opt = sub(fmt, i, i)
    i = i + 1
    local size
    size, i = optsize(opt, fmt, i)
    pos = pos + gettoalign(pos, align, opt, size)
    if opt == "s" then
      throw("option 's' has no fixed size", 1)
    elseif opt == "c" and size == 0 then
      throw("option 'c0' has no fixed size", 1)
    end
    -- only non-alphanumeric options are validated (unknown letters count 0)
    if not opt:find("^%w$") then
      endian, align, i = controloptions(opt, fmt, i, endian, align)
    end
    pos = pos + size
  end
  return pos
end

for name, f in pairs(M) do PUBLIC[f] = name end

return M
`;
