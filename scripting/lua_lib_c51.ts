/**
 * What the bit, struct and cmsgpack chunks share to behave like Redis's C libraries on Lua 5.1:
 * raising errors as luaL_error/luaL_argerror do from a C function, luaL_typename's "no value",
 * Lua 5.1's lua_tonumber (strtod), a 5.1 number as a 5.4 value that prints the same, and the
 * x86-64 (int64_t) cast of a double.
 *
 * The chunk is loaded once per VM before those libraries (while `debug` is still there), called
 * with no arguments, and returns the table each of them receives as its argument.
 */
export const C51_LUA: string = String.raw`
local type, tonumber, error = type, tonumber, error
local math_type, floor, ceil, mininteger = math.type, math.floor, math.ceil, math.mininteger
local format, lower, sub = string.format, string.lower, string.sub
local getinfo = debug and debug.getinfo

local c51 = {}

-- throw(msg, narg, noposition) for a library whose exported functions are the keys of PUBLIC
-- (function -> registered name). It raises 'msg' like luaL_error from a C function: prefixed
-- with the position of the caller of the library function. With 'narg', formatted like
-- luaL_argerror ("bad argument #narg to 'fname' (msg)"). With 'noposition', like luaG_runerror
-- inside a C function (no position at all).
function c51.thrower(PUBLIC)
  return function(msg, narg, noposition)
    local level, ar = 2, nil
    if getinfo then
      while true do
        local info = getinfo(level, "fnt")
        if info == nil then level = nil; break end
        if PUBLIC[info.func] then ar = info; break end
        level = level + 1
      end
    else
      level = nil
    end
    if narg then
      local name = ar and ar.name
      -- Lua 5.1 still knows the name of a tail-called C function.
      if ar and name == nil and ar.istailcall then name = PUBLIC[ar.func] end
      if ar and ar.namewhat == "method" then
        narg = narg - 1
        if narg == 0 then
          msg = format("calling '%s' on bad self (%s)", name, msg)
          narg = nil
        end
      end
      if narg then
        msg = format("bad argument #%d to '%s' (%s)", narg, name or "?", msg)
      end
    end
    if noposition then level = nil end
    -- level + 1 designates the caller of the library function.
    error(msg, level and level + 1 or 0)
  end
end

-- luaL_typename of argument 'narg' of 'nargs': "no value" past the last one.
function c51.typename(v, narg, nargs)
  if narg > nargs then return "no value" end
  return type(v)
end

-- Lua 5.1's lua_tonumber (strtod based); returns a float or nil.
function c51.tonumber51(v)
  local t = type(v)
  if t == "number" then return v + 0.0 end
  if t ~= "string" then return nil end
  v = v:match("^[^\0]*")            -- the C string ends at the first NUL
  local n = tonumber(v)
  if n ~= nil then
    if math_type(n) == "integer" and v:find("[xX]") then
      -- Lua 5.4 wraps hex integers modulo 2^64, strtod does not.
      local sign, digits = v:match("^%s*([-+]?)0[xX](%x+)%s*$")
      if digits then
        n = 0.0
        for i = 1, #digits do n = n * 16 + tonumber(sub(digits, i, i), 16) end
        if sign == "-" then n = -n end
      end
    end
    return n + 0.0
  end
  -- strtod also understands inf/infinity/nan.
  local sign, word = v:match("^%s*([-+]?)(%a+)%s*$")
  if word then
    word = lower(word)
    local r
    if word == "inf" or word == "infinity" then r = 1 / 0
    elseif word == "nan" then r = -(0 / 0) end
    if r then
      if sign == "-" then r = -r end
      return r
    end
  end
  return nil
end

-- Lua 5.1 number -> Lua 5.4 value that prints the same way.
function c51.num51(x)
  if x == floor(x) and x > -1e14 and x < 1e14 and (x ~= 0 or 1 / x > 0) then
    return floor(x)
  end
  return x
end

-- (int64_t)d as gcc compiles it on x86-64: truncation toward zero; out of range
-- 0x8000000000000000 (cvttsd2si's "integer indefinite").
function c51.d2i64(d)
  if d >= -9223372036854775808.0 and d < 9223372036854775808.0 then
    return d >= 0 and floor(d) or ceil(d)
  end
  return mininteger
end

return c51
`;
