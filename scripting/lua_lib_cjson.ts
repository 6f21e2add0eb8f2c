/**
 * `cjson` for EVAL scripts: a pure Lua 5.4 re-implementation of lua-cjson 2.1.0
 * as embedded in Redis 7.0 (deps/lua/src/lua_cjson.c + strbuf.c + fpconv.c).
 *
 * The goal is byte-for-byte identical behaviour as seen from a script running on
 * Redis's Lua 5.1: same JSON output, same decoded values, same error texts.
 *
 * Loading contract (host side):
 *   - load CJSON_LUA as a chunk once per VM and call it with ONE argument: the
 *     light userdata used as `cjson.null` (Redis uses a NULL light userdata);
 *   - the chunk returns the module table; the host publishes it as global
 *     `cjson` (and makes it read-only).
 *   - load it while the `debug` library is still reachable: `debug.getinfo` is
 *     captured at load time to build "bad argument #n to 'name'" messages the way
 *     Lua 5.1's luaL_argerror does. Without it the name is reported as '?'.
 *
 * Known, deliberate differences from Redis (see lua_lib_cjson_test.ts):
 *   - Object key order follows Lua 5.4's `next`, which differs from Lua 5.1's.
 *   - Decoded JSON numbers: Lua 5.1 only has doubles. We return a Lua 5.4 integer
 *     when the value is integral and |v| < 1e14 (where "%.14g" prints every digit,
 *     so tostring() matches 5.1), otherwise a float (which 5.4 also prints with
 *     "%.14g"). -0 stays the float -0.0 so that it re-encodes as "-0".
 *   - Errors raised by a C function carry the position of its caller
 *     (luaL_where(L, 1)), even when the C function was tail-called
 *     (`return cjson.encode(f)`). A tail-called Lua function has lost its
 *     caller's frame, so in that case the message gets no / another position and
 *     the function name in "bad argument" messages is '?'.
 */
export const CJSON_LUA: string = String.raw`
local null = ...

-- Cache globals: the host may sandbox / lock the global table after loading us.
local type, next, rawget, rawset, select, error, pcall, tonumber =
      type, next, rawget, rawset, select, error, pcall, tonumber
local setmetatable, getmetatable = setmetatable, getmetatable
local sbyte, schar, ssub, sfind, sfmt, sgsub, smatch, slower =
      string.byte, string.char, string.sub, string.find, string.format,
      string.gsub, string.match, string.lower
local tconcat = table.concat
local floor, mtype, rawtointeger, huge = math.floor, math.type, math.tointeger, math.huge
-- math.tointeger as Lua 5.4 defines it: the integer of an integral float in range, else nil (this
-- VM's lua_tointegerx truncates, as Lua 5.1 reads integer arguments: lua_module_patch.ts).
local function mtointeger(v)
  if mtype(v) == "float" and (v ~= floor(v) or v >= 0x1p63 or v < -0x1p63) then return nil end
  return rawtointeger(v)
end
local getinfo = type(debug) == "table" and debug.getinfo or nil

local VERSION = "2.1.0"
local INT_MAX = 2147483647
local INT_MIN = -2147483648
-- Lua 5.1's LUAI_MAXCSTACK: lua_checkstack() fails beyond this many slots in
-- one C frame. lua_cjson recurses in C, so deep nesting can hit this limit.
local MAXCSTACK = 8000

-- A NaN with the sign bit clear (0/0 is a "negative" NaN on x86 and wasm).
local NAN = 0 / 0
if ssub(sfmt("%f", NAN), 1, 1) == "-" then NAN = -NAN end

---------------------------------------------------------------------------
-- Error handling
--
-- In Redis, cjson functions are C functions; luaL_error() prefixes the message
-- with the position of the *caller* (luaL_where(L, 1)), and luaL_argerror()
-- builds "bad argument #n to 'name' (msg)" from the caller's view of the
-- function. Internally we raise a tagged table, and each API function (a
-- wrapper around pcall) re-raises it with error(msg, 2) from its own frame.
---------------------------------------------------------------------------
local Raised = {}  -- metatable tagging errors raised by this module

local function throw(msg)
  error(setmetatable({ msg = msg }, Raised), 0)
end

local function argerror(narg, extramsg)
  error(setmetatable({ narg = narg, msg = extramsg }, Raised), 0)
end

-- Builds the final message. Must be called directly by the API function, so
-- that level 2 (seen from here) is the API function itself.
local function message(e)
  if e.narg == nil then return e.msg end
  local narg, name = e.narg, nil
  local ar = getinfo and getinfo(2, "n")
  if ar then
    name = ar.name
    if ar.namewhat == "method" then    -- do not count 'self' (as in 5.1)
      narg = narg - 1
      if narg == 0 then
        return sfmt("calling '%s' on bad self (%s)", name, e.msg)
      end
    end
  end
  return sfmt("bad argument #%d to '%s' (%s)", narg, name or "?", e.msg)
end

-- Wrap an implementation returning exactly one value.
local function api1(impl)
  return function(...)
    local ok, r = pcall(impl, ...)
    if ok then return r end
    if getmetatable(r) == Raised then error(message(r), 2) end
    error(r, 0)
  end
end

-- Wrap an implementation returning exactly three values.
local function api3(impl)
  return function(...)
    local ok, a, b, c = pcall(impl, ...)
    if ok then return a, b, c end
    if getmetatable(a) == Raised then error(message(a), 2) end
    error(a, 0)
  end
end

---------------------------------------------------------------------------
-- Emulation of Lua 5.1 / C argument conversions
---------------------------------------------------------------------------

-- lua_tolstring() on a number in 5.1 formats with LUA_NUMBER_FMT "%.14g".
local function num2str(n)
  return sfmt("%.14g", n)
end

-- luaL_checklstring(): strings, or numbers converted to strings.
local function checkstring(v, narg)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return num2str(v) end
  argerror(narg, sfmt("string expected, got %s", t))
end

-- (int)luaL_checkinteger(): number or numeric string, truncated towards zero
-- to a 64-bit lua_Integer (out of range => INT64_MIN on x86-64), then
-- truncated to a 32-bit C int.
local function checkint(v, narg)
  local n = v
  if type(n) == "string" then n = tonumber(n) end
  if type(n) ~= "number" then
    argerror(narg, sfmt("number expected, got %s", type(v)))
  end
  if mtype(n) == "float" then
    if n ~= n or n >= 0x1p63 or n < -0x1p63 then return 0 end
    n = mtointeger(n >= 0 and floor(n) or -floor(-n))
  end
  n = n & 0xffffffff
  if n >= 0x80000000 then n = n - 0x100000000 end
  return n
end

-- luaL_checkoption() with no default: returns the 0-based option index.
local function checkoption(v, narg, options)
  local name = checkstring(v, narg)
  for i = 1, #options do
    if options[i] == name then return i - 1 end
  end
  argerror(narg, sfmt("invalid option '%s'", name))
end

-- (int)(double) of a positive integral double as done by x86-64 cvttsd2si:
-- values that do not fit an int become INT_MIN.
local function dbl2int(k)
  if k >= 2147483648.0 then return INT_MIN end
  return mtointeger(k) or INT_MIN
end

-- 32-bit signed wrap-around of an int multiplication.
local function wrap32(n)
  n = n & 0xffffffff
  if n >= 0x80000000 then n = n - 0x100000000 end
  return n
end

---------------------------------------------------------------------------
-- Encoding
---------------------------------------------------------------------------

-- char2escape[] from lua_cjson.c: control characters, '"', '\', '/' and DEL.
local ESCAPES = {}
for c = 0, 31 do ESCAPES[schar(c)] = sfmt("\\u%04x", c) end
ESCAPES["\b"] = "\\b"
ESCAPES["\t"] = "\\t"
ESCAPES["\n"] = "\\n"
ESCAPES["\f"] = "\\f"
ESCAPES["\r"] = "\\r"
ESCAPES['"'] = '\\"'
ESCAPES["\\"] = "\\\\"
ESCAPES["/"] = "\\/"
ESCAPES["\127"] = "\\u007f"
local ESCAPE_PATTERN = '[\0-\31"/\\\127]'

local function encode_string(s)
  return '"' .. sgsub(s, ESCAPE_PATTERN, ESCAPES) .. '"'
end

-- json_append_number(): lua_tonumber() gives a double, printed by fpconv with
-- "%.<precision>g". Invalid numbers depend on encode_invalid_numbers.
local function encode_number(cfg, x)
  if mtype(x) == "integer" then x = x + 0.0 end  -- (double) cast; keeps -0.0 intact
  if x ~= x or x == huge or x == -huge then
    local mode = cfg.encode_invalid_numbers
    if mode == 0 then
      throw("Cannot serialise number: must not be NaN or Inf")
    elseif mode == 1 then
      if x ~= x then return "nan" end   -- avoid platform "-nan"
      -- +/-inf falls through: "%g" prints "inf" / "-inf"
    else
      return "null"
    end
  end
  return sfmt(cfg.number_fmt, x)
end

local encode_value  -- forward declaration

-- lua_array_length(): >0 => array of that length, otherwise an object.
local function array_length(cfg, t)
  local max, items = 0, 0
  for k in next, t do
    -- Positive integral number keys only (k ~= 0 mirrors "(k = lua_tonumber())").
    if type(k) == "number" and k ~= 0 and floor(k) == k and k >= 1 then
      if k > max then max = dbl2int(k) end
      items = items + 1
    else
      return -1
    end
  end
  -- Encode excessively sparse arrays as objects (if enabled)
  local ratio = cfg.encode_sparse_ratio
  if ratio > 0 and max > wrap32(items * ratio) and max > cfg.encode_sparse_safe then
    if cfg.encode_sparse_convert == 0 then
      throw("Cannot serialise table: excessively sparse array")
    end
    return -1
  end
  return max
end

-- buf/n: output fragments. depth: current nesting. used: Lua 5.1 stack slots
-- in use by the C encoder (for the lua_checkstack() emulation).
local function encode_table(cfg, t, buf, n, depth, used)
  depth = depth + 1
  -- json_check_encode_depth(): depth limit, or lua_checkstack(l, 3) failure
  if depth > cfg.encode_max_depth or used + 3 > MAXCSTACK then
    throw(sfmt("Cannot serialise, excessive nesting (%d)", depth))
  end
  local len = array_length(cfg, t)
  if len > 0 then
    n = n + 1; buf[n] = "["
    for i = 1, len do
      if i > 1 then n = n + 1; buf[n] = "," end
      n = encode_value(cfg, rawget(t, i), buf, n, depth, used + 1)
    end
    n = n + 1; buf[n] = "]"
  else
    n = n + 1; buf[n] = "{"
    local comma = false
    for k, v in next, t do
      if comma then n = n + 1; buf[n] = "," else comma = true end
      local kt = type(k)
      if kt == "number" then
        n = n + 1; buf[n] = '"' .. encode_number(cfg, k) .. '":'
      elseif kt == "string" then
        n = n + 1; buf[n] = encode_string(k) .. ":"
      else
        throw(sfmt("Cannot serialise %s: table key must be a number or string", kt))
      end
      n = encode_value(cfg, v, buf, n, depth, used + 2)
    end
    n = n + 1; buf[n] = "}"
  end
  return n
end

-- json_append_data()
function encode_value(cfg, v, buf, n, depth, used)
  local t = type(v)
  if t == "string" then
    n = n + 1; buf[n] = encode_string(v)
  elseif t == "number" then
    n = n + 1; buf[n] = encode_number(cfg, v)
  elseif t == "boolean" then
    n = n + 1; buf[n] = v and "true" or "false"
  elseif t == "table" then
    n = encode_table(cfg, v, buf, n, depth, used)
  elseif v == nil or v == null then
    n = n + 1; buf[n] = "null"
  else
    -- function, thread, userdata (full or non-NULL light userdata)
    throw(sfmt("Cannot serialise %s: type not supported", t))
  end
  return n
end

---------------------------------------------------------------------------
-- Decoding
--
-- The C parser walks a NUL-terminated buffer: an embedded "\0" (or the end of
-- the string) acts as end of input. Positions below are 1-based byte indexes,
-- which is exactly the "character %d" lua_cjson reports (ptr - data + 1).
---------------------------------------------------------------------------

-- ch2token[] classification: single-character tokens...
local SIMPLE = {
  [123] = "T_OBJ_BEGIN", [125] = "T_OBJ_END", [91] = "T_ARR_BEGIN",
  [93] = "T_ARR_END", [44] = "T_COMMA", [58] = "T_COLON",
}
-- ...and characters needing more work (T_UNKNOWN): f i I n N t " + - 0-9
local UNKNOWN = {}
for _, c in ipairs({ 102, 105, 73, 110, 78, 116, 34, 43, 45 }) do UNKNOWN[c] = true end
for c = 48, 57 do UNKNOWN[c] = true end

-- escape2char[]
local ESCAPE2CHAR = {
  [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [116] = "\t",
  [110] = "\n", [102] = "\f", [114] = "\r", [117] = "u",
}

-- Parser state (decode never calls user code, so it is not re-entered).
local s, slen, pos, dcfg

local function byte_at(i)
  if i > slen then return 0 end
  return sbyte(s, i)
end

-- hexdigit2int() over four bytes; -1 on any invalid digit (including NUL).
local function decode_hex4(i)
  local h = ssub(s, i, i + 3)
  if #h ~= 4 or not sfind(h, "^%x%x%x%x$") then return -1 end
  return tonumber(h, 16)
end

-- codepoint_to_utf8()
local function utf8_encode(cp)
  if cp <= 0x7F then
    return schar(cp)
  elseif cp <= 0x7FF then
    return schar((cp >> 6) | 0xC0, (cp & 0x3F) | 0x80)
  elseif cp <= 0xFFFF then
    return schar((cp >> 12) | 0xE0, ((cp >> 6) & 0x3F) | 0x80, (cp & 0x3F) | 0x80)
  else
    return schar((cp >> 18) | 0xF0, ((cp >> 12) & 0x3F) | 0x80,
                 ((cp >> 6) & 0x3F) | 0x80, (cp & 0x3F) | 0x80)
  end
end

-- json_append_unicode_escape(): i points at the backslash of "\uXXXX".
-- Returns the UTF-8 bytes and the escape length, or nil on error.
local function unicode_escape(i)
  local cp = decode_hex4(i + 2)
  if cp < 0 then return nil end
  local esc_len = 6
  if (cp & 0xF800) == 0xD800 then
    -- Error if the 1st surrogate is not high
    if (cp & 0x400) ~= 0 then return nil end
    -- Ensure the next code is a unicode escape
    if byte_at(i + 6) ~= 92 or byte_at(i + 7) ~= 117 then return nil end
    local low = decode_hex4(i + 8)
    if low < 0 or (low & 0xFC00) ~= 0xDC00 then return nil end
    cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
    esc_len = 12
  end
  return utf8_encode(cp), esc_len
end

-- json_next_string_token(): pos at the opening quote.
-- Returns token type, value (string or error text), token index.
local function string_token()
  local p = pos + 1
  -- Fast path: no escapes before the closing quote.
  local q = sfind(s, '["\\\0]', p)
  if q and sbyte(s, q) == 34 then
    pos = q + 1
    return "T_STRING", ssub(s, p, q - 1)
  end
  local parts, np = {}, 0
  while true do
    local q = sfind(s, '["\\\0]', p)
    if q == nil then              -- hit the terminating NUL
      pos = slen + 1
      return "T_ERROR", "unexpected end of string", pos
    end
    if q > p then np = np + 1; parts[np] = ssub(s, p, q - 1) end
    local c = sbyte(s, q)
    if c == 34 then               -- closing quote
      pos = q + 1
      return "T_STRING", tconcat(parts)
    elseif c == 0 then
      pos = q
      return "T_ERROR", "unexpected end of string", pos
    end
    -- backslash escape
    local ch = ESCAPE2CHAR[byte_at(q + 1)]
    if ch == "u" then
      local bytes, len = unicode_escape(q)
      if not bytes then
        pos = q
        return "T_ERROR", "invalid unicode escape code", pos
      end
      np = np + 1; parts[np] = bytes
      p = q + len
    elseif ch == nil then
      pos = q
      return "T_ERROR", "invalid escape code", pos
    else
      np = np + 1; parts[np] = ch
      p = q + 2
    end
  end
end

-- json_is_invalid_number(): numbers strict JSON rejects but strtod() accepts.
local function is_invalid_number()
  local p = pos
  local c = byte_at(p)
  if c == 43 then return true end              -- leading '+'
  if c == 45 then p = p + 1; c = byte_at(p) end -- skip '-'
  if c == 48 then                              -- '0'
    local c2 = byte_at(p + 1)
    return (c2 | 0x20) == 120 or (c2 >= 48 and c2 <= 57)  -- hex / leading zero
  elseif c <= 57 or c >= 128 then              -- (signed char) <= '9'
    return false
  end
  local w = slower(ssub(s, p, p + 2))
  return w == "inf" or w == "nan"
end

-- glibc strtod() at position p: returns value, end position; nil if no number.
local function strtod(p)
  local neg = false
  local c = byte_at(p)
  if c == 43 or c == 45 then neg = c == 45; p = p + 1; c = byte_at(p) end
  local value, q
  local w = slower(ssub(s, p, p + 7))
  if ssub(w, 1, 3) == "inf" then
    value = huge
    q = (w == "infinity") and p + 8 or p + 3
  elseif ssub(w, 1, 3) == "nan" then
    value = NAN
    q = smatch(s, "^%([%w_]*%)()", p + 3) or p + 3   -- optional "(chars)"
  elseif c == 48 and (byte_at(p + 1) | 0x20) == 120 then
    -- hexadecimal: 0x[hex][.hex][p[+-]digits]; "0x" alone parses as "0"
    local int = smatch(s, "^%x*", p + 2)
    q = p + 2 + #int
    local frac = ""
    if byte_at(q) == 46 then
      frac = smatch(s, "^%x*", q + 1)
      if #int + #frac > 0 then q = q + 1 + #frac end
    end
    if #int + #frac == 0 then
      value, q = 0.0, p + 1
    else
      local exp = smatch(s, "^[pP]([+-]?%d+)", q)
      if exp then q = q + 1 + #exp end
      value = tonumber("0x" .. (int == "" and "0" or int) .. "." .. frac .. "p" .. (exp or "0"))
    end
  else
    -- decimal: digits[.digits][e[+-]digits], at least one digit
    local int = smatch(s, "^%d*", p)
    q = p + #int
    local frac = ""
    if byte_at(q) == 46 then
      frac = smatch(s, "^%d*", q + 1)
      if #int + #frac > 0 then q = q + 1 + #frac end
    end
    if #int + #frac == 0 then return nil end
    local exp = smatch(s, "^[eE][+-]?%d+", q)
    if exp then q = q + #exp end
    -- Force a float conversion (Lua 5.4 would read "123" as an integer).
    value = tonumber((int == "" and "0" or int) .. "." .. frac .. "e" .. (exp and ssub(exp, 2) or "0"))
  end
  if neg then value = -value end
  return value, q
end

-- json_next_number_token()
local function number_token()
  local index = pos
  -- Fast path: a plain integer of at most 14 digits (not "-0...", not hex),
  -- not followed by anything strtod() would continue with. Its double value
  -- is exact, and lua_number() would turn it into this integer anyway.
  local digits_end = smatch(s, "^-?[1-9]%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?()", pos)
  if digits_end then
    local c = byte_at(digits_end)
    if not (c == 46 or c == 101 or c == 69 or (c >= 48 and c <= 57)) then
      local value = tonumber(ssub(s, pos, digits_end - 1))
      pos = digits_end
      return "T_NUMBER", value
    end
  end
  local value, q = strtod(pos)
  if value == nil then return "T_ERROR", "invalid number", index end
  pos = q
  return "T_NUMBER", value
end

-- json_next_token(): returns type, value, index (1-based).
local function next_token()
  local c = byte_at(pos)
  if c == 32 or c == 9 or c == 10 or c == 13 then
    pos = sfind(s, "[^ \t\n\r]", pos) or slen + 1
    c = byte_at(pos)
  end
  local index = pos
  local simple = SIMPLE[c]
  if simple then
    pos = pos + 1
    return simple, nil, index
  end
  if c == 0 then return "T_END", nil, index end
  if not UNKNOWN[c] then return "T_ERROR", "invalid token", index end

  local t, v
  if c == 34 then
    t, v = string_token()
  elseif c == 45 or (c >= 48 and c <= 57) then
    if dcfg.decode_invalid_numbers == 0 and is_invalid_number() then
      return "T_ERROR", "invalid number", index
    end
    t, v = number_token()
  elseif ssub(s, pos, pos + 3) == "true" then
    pos = pos + 4
    return "T_BOOLEAN", true, index
  elseif ssub(s, pos, pos + 4) == "false" then
    pos = pos + 5
    return "T_BOOLEAN", false, index
  elseif ssub(s, pos, pos + 3) == "null" then
    pos = pos + 4
    return "T_NULL", nil, index
  elseif dcfg.decode_invalid_numbers ~= 0 and is_invalid_number() then
    t, v = number_token()
  else
    return "T_ERROR", "invalid token", index
  end
  if t == "T_ERROR" then return t, v, pos end
  return t, v, index
end

-- json_throw_parse_error()
local function parse_error(expected, t, v, index)
  local found = t == "T_ERROR" and v or t
  throw(sfmt("Expected %s but found %s at character %d", expected, found, index))
end

-- json_decode_descend(): depth limit, or lua_checkstack(l, slots) failure.
local function descend(depth, used, slots)
  if depth > dcfg.decode_max_depth or used + slots > MAXCSTACK then
    throw(sfmt("Found too many nested data structures (%d) at character %d", depth, pos - 1))
  end
end

-- Convert a decoded double to the Lua 5.4 value that best mimics 5.1.
local function lua_number(v)
  if v == 0 then
    if 1 / v < 0 then return v end   -- keep -0.0 (re-encodes as "-0")
    return 0
  end
  if v > -1e14 and v < 1e14 then
    local i = mtointeger(v)
    if i then return i end
  end
  return v
end

local process_value  -- forward declaration

-- json_parse_object_context(); used = Lua 5.1 stack slots in use.
local function parse_object(depth, used)
  depth = depth + 1
  descend(depth, used, 3)
  local obj = {}
  local t, v, index = next_token()
  if t == "T_OBJ_END" then return obj end
  while true do
    if t ~= "T_STRING" then parse_error("object key string", t, v, index) end
    local key = v
    t, v, index = next_token()
    if t ~= "T_COLON" then parse_error("colon", t, v, index) end
    t, v, index = next_token()
    rawset(obj, key, process_value(t, v, index, depth, used + 2))
    t, v, index = next_token()
    if t == "T_OBJ_END" then return obj end
    if t ~= "T_COMMA" then parse_error("comma or object end", t, v, index) end
    t, v, index = next_token()
  end
end

-- json_parse_array_context()
local function parse_array(depth, used)
  depth = depth + 1
  descend(depth, used, 2)
  local arr = {}
  local t, v, index = next_token()
  if t == "T_ARR_END" then return arr end
  local i = 1
  while true do
    rawset(arr, i, process_value(t, v, index, depth, used + 1))
    i = i + 1
    t, v, index = next_token()
    if t == "T_ARR_END" then return arr end
    if t ~= "T_COMMA" then parse_error("comma or array end", t, v, index) end
    t, v, index = next_token()
  end
end

-- json_process_value()
function process_value(t, v, index, depth, used)
  if t == "T_STRING" or t == "T_BOOLEAN" then
    return v
  elseif t == "T_NUMBER" then
    return lua_number(v)
  elseif t == "T_OBJ_BEGIN" then
    return parse_object(depth, used)
  elseif t == "T_ARR_BEGIN" then
    return parse_array(depth, used)
  elseif t == "T_NULL" then
    return null
  end
  parse_error("value", t, v, index)
end

---------------------------------------------------------------------------
-- Module construction (lua_cjson_new): each module table has its own config.
---------------------------------------------------------------------------
local BOOL_OPTIONS = { "off", "on" }
local INVALID_NUMBER_OPTIONS = { "off", "on", "null" }

local function new()
  local cfg = {
    encode_sparse_convert = 0,
    encode_sparse_ratio = 2,
    encode_sparse_safe = 10,
    encode_max_depth = 1000,
    decode_max_depth = 1000,
    encode_invalid_numbers = 0,
    decode_invalid_numbers = 1,
    encode_keep_buffer = 1,
    encode_number_precision = 14,
    number_fmt = "%.14g",
  }

  -- json_arg_init(): at most max arguments.
  local function arg_init(nargs, max)
    if nargs > max then argerror(max + 1, "found too many arguments") end
  end

  -- json_integer_option(); note the range error always names argument #1.
  local function integer_option(v, narg, field, min, max)
    if v ~= nil then
      local value = checkint(v, narg)
      if value < min or value > max then
        argerror(1, sfmt("expected integer between %d and %d", min, max))
      end
      cfg[field] = value
    end
    return cfg[field]
  end

  -- json_enum_option() with bool_true = 1: booleans map to 0/1.
  local function enum_option(v, narg, field, options)
    if v ~= nil then
      if type(v) == "boolean" then
        cfg[field] = v and 1 or 0
      else
        cfg[field] = checkoption(v, narg, options)
      end
    end
    local setting = cfg[field]
    if setting == 0 or setting == 1 then return setting == 1 end
    return options[setting + 1]
  end

  local M = {}

  M.encode = api1(function(...)
    if select("#", ...) ~= 1 then argerror(1, "expected 1 argument") end
    local buf = {}
    local n = encode_value(cfg, (...), buf, 0, 0, 1)
    return tconcat(buf, "", 1, n)
  end)

  M.decode = api1(function(...)
    if select("#", ...) ~= 1 then argerror(1, "expected 1 argument") end
    local str = checkstring((...), 1)
    if #str >= 2 and (sbyte(str, 1) == 0 or sbyte(str, 2) == 0) then
      throw("JSON parser does not support UTF-16 or UTF-32")
    end
    s, slen, pos, dcfg = str, #str, 1, cfg
    local t, v, index = next_token()
    local value = process_value(t, v, index, 0, 1)
    -- Ensure there is no more input left
    t, v, index = next_token()
    if t ~= "T_END" then parse_error("the end", t, v, index) end
    s = nil
    return value
  end)

  M.encode_sparse_array = api3(function(...)
    arg_init(select("#", ...), 3)
    local convert, ratio, safe = ...
    return enum_option(convert, 1, "encode_sparse_convert", BOOL_OPTIONS),
      integer_option(ratio, 2, "encode_sparse_ratio", 0, INT_MAX),
      integer_option(safe, 3, "encode_sparse_safe", 0, INT_MAX)
  end)

  M.encode_max_depth = api1(function(...)
    arg_init(select("#", ...), 1)
    return integer_option((...), 1, "encode_max_depth", 1, INT_MAX)
  end)

  M.decode_max_depth = api1(function(...)
    arg_init(select("#", ...), 1)
    return integer_option((...), 1, "decode_max_depth", 1, INT_MAX)
  end)

  M.encode_number_precision = api1(function(...)
    arg_init(select("#", ...), 1)
    local p = integer_option((...), 1, "encode_number_precision", 1, 14)
    cfg.number_fmt = "%." .. p .. "g"
    return p
  end)

  M.encode_keep_buffer = api1(function(...)
    arg_init(select("#", ...), 1)
    -- Only affects buffer reuse in C; we just track the setting.
    return enum_option((...), 1, "encode_keep_buffer", BOOL_OPTIONS)
  end)

  M.encode_invalid_numbers = api1(function(...)
    arg_init(select("#", ...), 1)
    return enum_option((...), 1, "encode_invalid_numbers", INVALID_NUMBER_OPTIONS)
  end)

  M.decode_invalid_numbers = api1(function(...)
    arg_init(select("#", ...), 1)
    return enum_option((...), 1, "decode_invalid_numbers", BOOL_OPTIONS)
  end)

  M.new = new   -- ignores its arguments, like lua_cjson_new
  M.null = null
  M._NAME = "cjson"
  M._VERSION = VERSION
  return M
end

return new()
`;
