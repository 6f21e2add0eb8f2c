/**
 * LuaBitOp ("bit" global) re-implemented in pure Lua 5.4, behaving like the
 * C library (deps/lua/src/lua_bit.c, LuaBitOp 1.0.2) that Redis 7.0 embeds in
 * its Lua 5.1 interpreter.
 *
 * The chunk is loaded once per VM, called with the table of lua_lib_c51.ts, and returns the
 * module table; the host stores it in the global `bit`.
 *
 * Fidelity notes:
 *  - Every result is a signed 32-bit value returned as a Lua 5.4 *integer*,
 *    so `tostring` prints it like Lua 5.1 does ("-1", never "-1.0").
 *  - Arguments are converted like `lua_tonumber` in Lua 5.1 (numbers, numeric
 *    strings incl. hex/inf/nan) and then normalised with the 2^52+2^51
 *    trick, i.e. non-integral numbers are rounded half-to-even and huge
 *    numbers keep the low 32 bits of the biased double's bit pattern.
 *  - Errors reproduce luaL_typerror/luaL_argerror: "bad argument #N to
 *    'name' (number expected, got T)" with the name of the calling
 *    expression and the position of the caller ("user_script:1: ...").
 */
export const BIT_LUA: string = String.raw`
-- ===========================================================================
-- LuaBitOp for Lua 5.4 -- emulates Redis 7.0's lua_bit.c (Lua 5.1 semantics)
-- ===========================================================================
local M = {}

local select, type, error = select, type, error
local math_type, floor = math.type, math.floor
local spack, sunpack, format = string.pack, string.unpack, string.format

-- Functions exported by this module (function -> registered name). Used to
-- find the library frame on the call stack when building error messages.
local PUBLIC = {}

-- The Lua 5.1 C-library helpers shared with the other libraries (lua_lib_c51.ts).
local c51 = ...
local throw = c51.thrower(PUBLIC)
local typename = c51.typename
local tonumber51 = c51.tonumber51

-- ---------------------------------------------------------------------------
-- Bit helpers
-- ---------------------------------------------------------------------------

local BIAS = 6755399441055744.0     -- 2^52 + 2^51
local LIMIT = 2251799813685248      -- 2^51: below it the bias trick is exact

-- barg(): convert argument number 'narg' to an unsigned 32-bit value
-- (returned as a Lua integer in 0 .. 2^32-1), like barg() in lua_bit.c.
local function barg(v, narg, nargs)
  local mt = math_type(v)
  if mt == "integer" then
    if v > -LIMIT and v < LIMIT then return v & 0xffffffff end
    v = v + 0.0                     -- Lua 5.1 would have had a double
  elseif mt == "float" then
    if v > -LIMIT and v < LIMIT and v == floor(v) then
      return floor(v) & 0xffffffff
    end
  else
    local n = tonumber51(v)
    if n == nil then
      throw(format("number expected, got %s", typename(v, narg, nargs)), narg)
    end
    v = n
  end
  -- General case: add 2^52+2^51 and take the low 32 bits of the IEEE-754
  -- representation (rounds half-to-even, wraps huge values like the C code).
  return (sunpack("<I4", spack("<d", v + BIAS)))
end

-- Return an unsigned 32-bit value as a signed 32-bit integer (BRET).
local function sret(b)
  b = b & 0xffffffff
  if b >= 0x80000000 then return b - 0x100000000 end
  return b
end

-- ---------------------------------------------------------------------------
-- Public functions
-- ---------------------------------------------------------------------------

function M.tobit(...)
  local b = barg((...), 1, select("#", ...))
  return sret(b)
end

function M.bnot(...)
  local b = barg((...), 1, select("#", ...))
  return sret(~b)
end

-- band/bor/bxor fold over all arguments (like the C loop from the last
-- argument down to the second one; the order only matters for errors, and
-- the C code checks argument 1 first, then the last, then downwards).
local function fold(op)
  return function(...)
    local n = select("#", ...)
    local b = barg((...), 1, n)
    for i = n, 2, -1 do
      local x = barg((select(i, ...)), i, n)
      if op == 1 then b = b & x elseif op == 2 then b = b | x else b = b ~ x end
    end
    return sret(b)
  end
end
M.band = fold(1)
M.bor = fold(2)
M.bxor = fold(3)

-- Shifts and rotations: the count is taken modulo 32, as in BIT_SH.
local function shifter(kind)
  return function(...)
    local nargs = select("#", ...)
    local b, s = ...
    b = barg(b, 1, nargs)
    s = barg(s, 2, nargs) & 31
    local r
    if kind == "lshift" then
      r = b << s
    elseif kind == "rshift" then
      r = b >> s
    elseif kind == "arshift" then
      r = sret(b) // (1 << s)      -- floor division == arithmetic shift
    elseif kind == "rol" then
      r = (b << s) | (b >> (32 - s))
    else -- ror
      r = (b << (32 - s)) | (b >> s)
    end
    return sret(r)
  end
end
M.lshift = shifter("lshift")
M.rshift = shifter("rshift")
M.arshift = shifter("arshift")
M.rol = shifter("rol")
M.ror = shifter("ror")

function M.bswap(...)
  local b = barg((...), 1, select("#", ...))
  b = (b >> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24)
  return sret(b)
end

-- tohex(x [, n]): n hex digits (default 8, at most 8); a negative n selects
-- upper-case digits.  An explicit nil n is an error, like in C.
function M.tohex(...)
  local nargs = select("#", ...)
  local x, n = ...
  local b = barg(x, 1, nargs)
  if nargs < 2 then
    n = 8
  else
    n = sret(barg(n, 2, nargs))
  end
  local digits = "%08x"
  if n < 0 then
    n = -n
    digits = "%08X"
  end
  if n > 8 then n = 8 end
  if n <= 0 then return "" end
  local s = format(digits, b)
  return s:sub(9 - n)
end

for name, f in pairs(M) do PUBLIC[f] = name end

return M
`;
