/**
 * lua-cmsgpack 0.4.0 ("cmsgpack" global) re-implemented in pure Lua 5.4,
 * behaving like the C version Redis 7.0 embeds (deps/lua/src/lua_cmsgpack.c,
 * compiled for Lua 5.1 on a 64-bit host).
 *
 * The chunk is loaded once per VM, called with the table of lua_lib_c51.ts, and returns the
 * module table; the host stores it in the global `cmsgpack`.
 *
 *   cmsgpack.pack(v1, v2, ...)            -> concatenated encodings
 *   cmsgpack.unpack(s)                    -> all decoded values
 *   cmsgpack.unpack_one(s [, offset])     -> next_offset, value
 *   cmsgpack.unpack_limit(s, n [, offset])-> next_offset, up to n values
 *   (next_offset is -1 once the whole input has been consumed)
 *
 * Encoding rules (Lua 5.1 numbers are doubles):
 *   - a number equal to its int64 truncation -> smallest msgpack int type,
 *     otherwise float32 if (double)(float)n == n, else float64;
 *   - strings -> fixstr / str8 / str16 / str32 (no bin types);
 *   - a table whose keys are exactly the integers 1..N -> array, otherwise map
 *     (so {} is an empty array); tables nested 16 deep encode as nil;
 *   - booleans -> true/false; anything else (nil, functions, ...) -> nil.
 * Decoding supports the same set (no bin/ext types -> "Bad data format").
 *
 * Known difference: the order of the entries of an encoded *map* follows
 * Lua 5.4's `next` order, which can differ from Lua 5.1's for tables with
 * several hash keys (arrays and single-key maps are identical).
 */
export const CMSGPACK_LUA: string = String.raw`
-- ===========================================================================
-- cmsgpack for Lua 5.4 -- emulates Redis 7.0's lua_cmsgpack.c (Lua 5.1)
-- ===========================================================================
local M = {
  _NAME = "cmsgpack",
  _VERSION = "lua-cmsgpack 0.4.0",
  _COPYRIGHT = "Copyright (C) 2012, Salvatore Sanfilippo",
  _DESCRIPTION = "MessagePack C implementation for Lua",
}

local select, type, error, next, rawget = select, type, error, next, rawget
local math_type, floor = math.type, math.floor
local spack, sunpack, format = string.pack, string.unpack, string.format
local byte, char, sub = string.byte, string.char, string.sub
local concat, tunpack = table.concat, table.unpack

local PUBLIC = {}          -- exported function -> registered name

-- The Lua 5.1 C-library helpers shared with the other libraries (lua_lib_c51.ts).
local c51 = ...
local throw = c51.thrower(PUBLIC)
local typename = c51.typename
local tonumber51 = c51.tonumber51
local num51 = c51.num51
local d2i64 = c51.d2i64

local MAX_NESTING = 16     -- LUACMSGPACK_MAX_NESTING
local LUAI_MAXCSTACK = 8000
local INT_MAX = 2147483647
local ERR_EOF, ERR_BADFMT = 1, 2

-- ---------------------------------------------------------------------------
-- Error helpers (throw and the others come from lua_lib_c51.ts).
-- ---------------------------------------------------------------------------

-- luaL_checkstack(L, space, mes) for a C function whose stack currently holds
-- 'height' slots.
local function checkstack(height, space, mes)
  if height + space > LUAI_MAXCSTACK then
    throw(format("stack overflow (%s)", mes))
  end
end

-- luaL_checkinteger / luaL_optinteger (lua_tointeger truncates doubles).
local function checkinteger(narg, nargs, v)
  if math_type(v) == "integer" then return v end
  local n = tonumber51(v)
  if n == nil then
    throw(format("number expected, got %s", typename(v, narg, nargs)), narg)
  end
  return d2i64(n)
end
local function optinteger(narg, nargs, v, def)
  if v == nil then return def end
  return checkinteger(narg, nargs, v)
end

-- luaL_checklstring: strings, and numbers converted with "%.14g".
local function checklstring(narg, nargs, v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return format("%.14g", v) end
  throw(format("string expected, got %s", typename(v, narg, nargs)), narg)
end

-- (int) cast used by the "%d" error messages.
local function int32(i)
  i = i & 0xffffffff
  if i >= 0x80000000 then i = i - 0x100000000 end
  return i
end

-- ---------------------------------------------------------------------------
-- Encoding
-- ---------------------------------------------------------------------------

local function encode_bytes(out, s)
  local len = #s
  if len < 32 then
    out[#out + 1] = char(0xa0 | len)              -- fixstr
  elseif len <= 0xff then
    out[#out + 1] = "\xd9" .. char(len)           -- str 8
  elseif len <= 0xffff then
    out[#out + 1] = "\xda" .. spack(">I2", len)   -- str 16
  else
    out[#out + 1] = "\xdb" .. spack(">I4", len & 0xffffffff) -- str 32
  end
  out[#out + 1] = s
end

local function encode_int(out, n)
  local b
  if n >= 0 then
    if n <= 127 then b = char(n)                           -- positive fixnum
    elseif n <= 0xff then b = "\xcc" .. char(n)            -- uint 8
    elseif n <= 0xffff then b = "\xcd" .. spack(">I2", n)  -- uint 16
    elseif n <= 0xffffffff then b = "\xce" .. spack(">I4", n) -- uint 32
    else b = "\xcf" .. spack(">i8", n) end                 -- uint 64
  else
    if n >= -32 then b = char(n & 0xff)                    -- negative fixnum
    elseif n >= -128 then b = "\xd0" .. spack(">i1", n)    -- int 8
    elseif n >= -32768 then b = "\xd1" .. spack(">i2", n)  -- int 16
    elseif n >= -2147483648 then b = "\xd2" .. spack(">i4", n) -- int 32
    else b = "\xd3" .. spack(">i8", n) end                 -- int 64
  end
  out[#out + 1] = b
end

local function encode_double(out, d)
  local f = sunpack("<f", spack("<f", d))
  if f == d then
    out[#out + 1] = "\xca" .. spack(">f", d)   -- float 32 represents it exactly
  else
    out[#out + 1] = "\xcb" .. spack(">d", d)
  end
end

local function encode_number(out, v)
  if math_type(v) == "integer" and v >= -9007199254740992 and v <= 9007199254740992 then
    encode_int(out, v)
    return
  end
  local n = v + 0.0                            -- Lua 5.1 numbers are doubles
  -- IS_INT64_EQUIVALENT: !isinf(n) && (int64_t)n == n
  if n == floor(n) and n >= -9223372036854775808.0 and n < 9223372036854775808.0 then
    encode_int(out, floor(n))
  else
    encode_double(out, n)
  end
end

-- table_is_an_array(): keys are exactly the numbers 1..N (N = key count).
-- In Lua 5.1 each key must be a number with (int)n == n and n > 0.
local function table_is_an_array(t)
  local count, max = 0, 0
  local k = next(t)
  while k ~= nil do
    if type(k) ~= "number" or k <= 0 or k > INT_MAX or k ~= floor(k) then
      return false
    end
    if k > max then max = k end
    count = count + 1
    k = next(t, k)
  end
  return max == count, count
end

local encode

-- Encode value 'v' at nesting 'level'; 'height' is the number of slots the C
-- implementation would have on its Lua stack (v included).
encode = function(out, v, level, height)
  local t = type(v)
  if t == "table" and level == MAX_NESTING then t = "nil" end
  if t == "string" then
    encode_bytes(out, v)
  elseif t == "boolean" then
    out[#out + 1] = v and "\xc3" or "\xc2"
  elseif t == "number" then
    encode_number(out, v)
  elseif t == "table" then
    checkstack(height, 2, "in function table_is_an_array")
    local isarray, len = table_is_an_array(v)
    if isarray then
      -- array: header then elements 1..len
      if len <= 15 then out[#out + 1] = char(0x90 | len)
      elseif len <= 65535 then out[#out + 1] = "\xdc" .. spack(">I2", len)
      else out[#out + 1] = "\xdd" .. spack(">I4", len & 0xffffffff) end
      checkstack(height, 1, "in function mp_encode_lua_table_as_array")
      for j = 1, len do
        encode(out, rawget(v, j), level + 1, height + 1)
      end
    else
      -- map: count the pairs first, then encode key/value pairs in next() order
      checkstack(height, 3, "in function mp_encode_lua_table_as_map")
      local n = 0
      for _ in next, v do n = n + 1 end
      if n <= 15 then out[#out + 1] = char(0x80 | n)
      elseif n <= 65535 then out[#out + 1] = "\xde" .. spack(">I2", n)
      else out[#out + 1] = "\xdf" .. spack(">I4", n & 0xffffffff) end
      for key, val in next, v do
        encode(out, key, level + 1, height + 3)
        encode(out, val, level + 1, height + 2)
      end
    end
  else
    out[#out + 1] = "\xc0"                     -- nil and unsupported types
  end
end

function M.pack(...)
  local nargs = select("#", ...)
  if nargs == 0 then throw("MessagePack pack needs input.", 0) end
  if nargs + nargs > LUAI_MAXCSTACK then       -- lua_checkstack(L, nargs)
    throw("Too many arguments for MessagePack pack.", 0)
  end
  local out = {}
  for i = 1, nargs do
    checkstack(nargs + i - 1, 1, "in function mp_check")
    encode(out, (select(i, ...)), 0, nargs + i)
  end
  return concat(out)
end

-- ---------------------------------------------------------------------------
-- Decoding
-- ---------------------------------------------------------------------------

local decode

-- Decode 'l' array elements starting at p; 'height' as in decode().
local function decode_array(s, p, l, height)
  local t = {}
  checkstack(height + 1, 1, "in function mp_decode_to_lua_array")
  for i = 1, l do
    local v, err
    v, p, err = decode(s, p, height + 2)
    if err then return nil, p, err end
    t[i] = v
  end
  return t, p
end

-- Decode 'l' key/value pairs starting at p.
local function decode_hash(s, p, l, height)
  local t = {}
  for _ = 1, l do
    local k, v, err
    k, p, err = decode(s, p, height + 1)
    if err then return nil, p, err end
    v, p, err = decode(s, p, height + 2)
    if err then return nil, p, err end
    if k == nil then throw("table index is nil", nil, true) end
    if k ~= k then throw("table index is NaN", nil, true) end
    t[k] = v
  end
  return t, p
end

-- Decode one value at byte index p of s.  Returns value, next index, and an
-- error code (ERR_EOF / ERR_BADFMT) on failure.  'height' is the number of
-- slots the C implementation holds on its Lua stack below this value.
decode = function(s, p, height)
  local left = #s - p + 1
  if left < 1 then return nil, p, ERR_EOF end
  checkstack(height, 1,
    "too many return values at once; use unpack_one or unpack_limit instead.")
  local c = byte(s, p)
  if c < 0x80 then                                     -- positive fixnum
    return c, p + 1
  elseif c >= 0xe0 then                                -- negative fixnum
    return c - 256, p + 1
  elseif c >= 0xa0 and c <= 0xbf then                  -- fixstr
    local l = c & 0x1f
    if left < 1 + l then return nil, p, ERR_EOF end
    return sub(s, p + 1, p + l), p + 1 + l
  elseif c >= 0x90 and c <= 0x9f then                  -- fixarray
    return decode_array(s, p + 1, c & 0xf, height)
  elseif c <= 0x8f then                                -- fixmap
    return decode_hash(s, p + 1, c & 0xf, height)
  elseif c == 0xc0 then return nil, p + 1
  elseif c == 0xc2 then return false, p + 1
  elseif c == 0xc3 then return true, p + 1
  elseif c == 0xcc then                                -- uint 8
    if left < 2 then return nil, p, ERR_EOF end
    return byte(s, p + 1), p + 2
  elseif c == 0xcd then                                -- uint 16
    if left < 3 then return nil, p, ERR_EOF end
    return (sunpack(">I2", s, p + 1)), p + 3
  elseif c == 0xce then                                -- uint 32
    if left < 5 then return nil, p, ERR_EOF end
    return (sunpack(">I4", s, p + 1)), p + 5
  elseif c == 0xcf or c == 0xd3 then                   -- uint 64 / int 64
    -- Lua 5.1 pushes both through a signed 64-bit integer, then a double
    if left < 9 then return nil, p, ERR_EOF end
    return num51(sunpack(">i8", s, p + 1) + 0.0), p + 9
  elseif c == 0xd0 then                                -- int 8
    if left < 2 then return nil, p, ERR_EOF end
    return (sunpack(">i1", s, p + 1)), p + 2
  elseif c == 0xd1 then                                -- int 16
    if left < 3 then return nil, p, ERR_EOF end
    return (sunpack(">i2", s, p + 1)), p + 3
  elseif c == 0xd2 then                                -- int 32
    if left < 5 then return nil, p, ERR_EOF end
    return (sunpack(">i4", s, p + 1)), p + 5
  elseif c == 0xca then                                -- float 32
    if left < 5 then return nil, p, ERR_EOF end
    return num51((sunpack(">f", s, p + 1))), p + 5
  elseif c == 0xcb then                                -- float 64
    if left < 9 then return nil, p, ERR_EOF end
    return num51((sunpack(">d", s, p + 1))), p + 9
  elseif c == 0xd9 then                                -- str 8
    if left < 2 then return nil, p, ERR_EOF end
    local l = byte(s, p + 1)
    if left < 2 + l then return nil, p, ERR_EOF end
    return sub(s, p + 2, p + 1 + l), p + 2 + l
  elseif c == 0xda then                                -- str 16
    if left < 3 then return nil, p, ERR_EOF end
    local l = sunpack(">I2", s, p + 1)
    if left < 3 + l then return nil, p, ERR_EOF end
    return sub(s, p + 3, p + 2 + l), p + 3 + l
  elseif c == 0xdb then                                -- str 32
    if left < 5 then return nil, p, ERR_EOF end
    local l = sunpack(">I4", s, p + 1)
    if left - 5 < l then return nil, p, ERR_EOF end
    return sub(s, p + 5, p + 4 + l), p + 5 + l
  elseif c == 0xdc then                                -- array 16
    if left < 3 then return nil, p, ERR_EOF end
    return decode_array(s, p + 3, (sunpack(">I2", s, p + 1)), height)
  elseif c == 0xdd then                                -- array 32
    if left < 5 then return nil, p, ERR_EOF end
    return decode_array(s, p + 5, (sunpack(">I4", s, p + 1)), height)
  elseif c == 0xde then                                -- map 16
    if left < 3 then return nil, p, ERR_EOF end
    return decode_hash(s, p + 3, (sunpack(">I2", s, p + 1)), height)
  elseif c == 0xdf then                                -- map 32
    if left < 5 then return nil, p, ERR_EOF end
    return decode_hash(s, p + 5, (sunpack(">I4", s, p + 1)), height)
  end
  return nil, p, ERR_BADFMT             -- 0xc1, bin, ext, fixext types
end

-- mp_unpack_full(): 'base' is the C stack height (arguments left in place).
-- Returns the results in a table plus their count (the public functions do
-- the final table.unpack, so that they are never replaced by a tail call:
-- error messages need their stack frame).
local function unpack_full(s, limit, offset, base)
  local len = #s
  local decode_all = limit == 0 and offset == 0
  if offset < 0 or limit < 0 then
    -- (sic) the C code prints the input length as the "limit"
    throw(format("Invalid request to unpack with offset of %d and limit of %d.",
      int32(offset), int32(len)))
  elseif offset > len then
    throw(format("Start offset %d greater than input length %d.", int32(offset), int32(len)))
  end
  if decode_all then limit = INT_MAX end
  -- when not decoding everything, slot 1 is reserved for the next offset
  local first = decode_all and 0 or 1
  local res, cnt, p = {}, 0, offset + 1
  while p <= len and cnt < limit do
    local v, err
    v, p, err = decode(s, p, base + cnt)
    if err == ERR_EOF then
      throw("Missing bytes in input.")
    elseif err == ERR_BADFMT then
      throw("Bad data format in input.")
    end
    cnt = cnt + 1
    res[first + cnt] = v
  end
  if not decode_all then
    checkstack(base + cnt, 1, "in function mp_unpack_full")
    -- next offset, or -1 when the whole input has been processed
    res[1] = (p > len) and -1 or (p - 1)
  end
  return res, first + cnt
end

function M.unpack(...)
  local nargs = select("#", ...)
  local s = checklstring(1, nargs, (...))
  local res, n = unpack_full(s, 0, 0, nargs)
  return tunpack(res, 1, n)
end

function M.unpack_one(...)
  local nargs = select("#", ...)
  local s, offset = ...
  offset = optinteger(2, nargs, offset, 0)
  if nargs > 1 then nargs = 1 end               -- extra arguments are popped
  s = checklstring(1, nargs, s)
  local res, n = unpack_full(s, 1, offset, nargs)
  return tunpack(res, 1, n)
end

function M.unpack_limit(...)
  local nargs = select("#", ...)
  local s, limit, offset = ...
  limit = checkinteger(2, nargs, limit)
  offset = optinteger(3, nargs, offset, 0)
  if nargs > 1 then nargs = 1 end
  s = checklstring(1, nargs, s)
  local res, n = unpack_full(s, limit, offset, nargs)
  return tunpack(res, 1, n)
end

for name, f in pairs(M) do
  if type(f) == "function" then PUBLIC[f] = name end
end

return M
`;
