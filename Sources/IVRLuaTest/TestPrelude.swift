import IVRScript

/// The Lua side of the test API, run in a test file's environment before the
/// file: `test`, `eq`, `ok`, `expect_action`, `expect_fallback`, `set_time`
/// (and `call`, a C primitive). Its argument is the primitives table of
/// `ivr_test_push_primitives`; it returns the list of tests the file defines
/// and a function that closes registration once the file's top level has run.
///
/// Failures are recorded by the `fail` primitive at the innermost line of the
/// test file on the stack (this chunk's frames are skipped: it is not named
/// `@...`), so an assertion reports the line that called it.
enum TestPrelude {
    static let chunkName = "=(ivr test api)"

    static let source = #"""
local prim = ...
local fail, set_clock = prim.fail, prim.set_clock
local type, tostring, error, pcall, next, ipairs, rawget, rawlen =
      type, tostring, error, pcall, next, ipairs, rawget, rawlen
local math_type, os_time = math.type, os.time
local concat, sort = table.concat, table.sort
local format, byte = string.format, string.byte

local tests, loading = {}, true

-- Values in messages ------------------------------------------------------

local escapes = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\" }

local function quote(s)
  local body = s:gsub('[%c"\\]', function(c) return escapes[c] or format("\\%d", byte(c)) end)
  return '"' .. body .. '"'
end

local show

local function is_name(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

local function show_key(k)
  if is_name(k) then return k end
  return "[" .. show(k) .. "]"
end

-- Numbers first (in order), then the rest by their text.
local function order(a, b)
  local na, nb = type(a) == "number", type(b) == "number"
  if na and nb then return a < b end
  if na ~= nb then return na end
  return show_key(a) < show_key(b)
end

-- The keys of t, sorted, leaving out 1..skip.
local function keys_of(t, skip)
  local keys = {}
  for k in next, t do
    if not (math_type(k) == "integer" and k >= 1 and k <= skip) then keys[#keys + 1] = k end
  end
  sort(keys, order)
  return keys
end

function show(v, depth)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t ~= "table" then return tostring(v) end
  depth = depth or 0
  if depth >= 3 then return "{...}" end
  local parts, n = {}, rawlen(v)
  for i = 1, n do parts[#parts + 1] = show(rawget(v, i), depth + 1) end
  for _, k in ipairs(keys_of(v, n)) do
    parts[#parts + 1] = show_key(k) .. " = " .. show(rawget(v, k), depth + 1)
  end
  return "{" .. concat(parts, ", ") .. "}"
end

local function cut(text)
  if #text <= 200 then return text end
  return text:sub(1, 197) .. "..."
end

-- Deep comparison ---------------------------------------------------------

local function key_path(k)
  if is_name(k) then return "." .. k end
  return "[" .. show(k) .. "]"
end

local function trim(path)
  if path:sub(1, 1) == "." then return path:sub(2) end
  return path
end

-- The first difference: its path ("" at the top) and the two values there; nil when equal.
local function diff(actual, expected, path, seen)
  if actual == expected then return nil end
  if type(actual) ~= "table" or type(expected) ~= "table" then return path, actual, expected end
  if seen[actual] == expected then return nil end
  seen[actual] = expected
  for _, k in ipairs(keys_of(expected, 0)) do
    local p, a, e = diff(rawget(actual, k), rawget(expected, k), path .. key_path(k), seen)
    if p then return p, a, e end
  end
  for _, k in ipairs(keys_of(actual, 0)) do
    if rawget(expected, k) == nil then return path .. key_path(k), rawget(actual, k), nil end
  end
  return nil
end

local function label(msg)
  if msg == nil then return "" end
  return tostring(msg) .. ": "
end

-- Assertions --------------------------------------------------------------

function eq(actual, expected, msg)
  local path, a, e = diff(actual, expected, "", {})
  if path == nil then return true end
  local text = "expected " .. cut(show(expected)) .. ", got " .. cut(show(actual))
  if path ~= "" then
    text = text .. " (at " .. trim(path) .. ": expected " .. cut(show(e)) .. ", got " .. cut(show(a)) .. ")"
  end
  fail(label(msg) .. text)
  return false
end

function ok(cond, msg)
  if cond then return true end
  fail(msg ~= nil and tostring(msg) or "expected a true value, got " .. show(cond))
  return false
end

local function check_reply(a, name)
  if type(a) ~= "table" or a.status == nil then
    error(name .. ": the first argument must be a reply (what c:start(), c:press(), c:layer() return), got "
          .. cut(show(a)), 3)
  end
end

-- A reply in a few words: HANGUP {hangup_cause = 16, ...}, or STATUS 1.
local function what(a)
  if a.action == nil then return "STATUS " .. tostring(a.status) end
  local fields = {}
  for _, k in ipairs(keys_of(a, 0)) do
    if k ~= "action" and k ~= "status" and k ~= "fallback" and k ~= "error" and k ~= "language" then
      fields[#fields + 1] = show_key(k) .. " = " .. show(rawget(a, k), 1)
    end
  end
  return cut(a.action .. " {" .. concat(fields, ", ") .. "}")
end

local function fallback_text(a)
  return "the fallback (" .. tostring(a.fallback) .. ": " .. tostring(a.error) .. ")"
end

function expect_action(a, action, fields, msg)
  check_reply(a, "expect_action")
  if type(action) ~= "string" then
    error("expect_action: the second argument must be an ACTION, as in expect_action(a, \"MENU\"), got "
          .. show(action), 2)
  end
  if fields ~= nil and type(fields) ~= "table" then
    error("expect_action: the third argument must be a table of fields, as in { menu = \"main\" }, got "
          .. show(fields), 2)
  end
  if a.fallback ~= nil then
    fail(label(msg) .. "expected " .. action .. ", got " .. fallback_text(a) .. ": " .. what(a))
    return false
  end
  if a.action ~= action then
    fail(label(msg) .. "expected " .. action .. ", got " .. what(a))
    return false
  end
  local wrong = {}
  for _, k in ipairs(keys_of(fields or {}, 0)) do
    local p, x, e = diff(rawget(a, k), fields[k], key_path(k), {})
    if p then wrong[#wrong + 1] = trim(p) .. " expected " .. cut(show(e)) .. ", got " .. cut(show(x)) end
  end
  if #wrong > 0 then
    fail(label(msg) .. action .. ": " .. concat(wrong, "; "))
    return false
  end
  return true
end

function expect_fallback(a, reason, msg)
  check_reply(a, "expect_fallback")
  if reason ~= nil and type(reason) ~= "string" then
    error("expect_fallback: the second argument must be a reason such as \"error\" or \"timeout\", got "
          .. show(reason), 2)
  end
  local wanted = reason ~= nil and " (" .. reason .. ")" or ""
  if a.fallback == nil then
    fail(label(msg) .. "expected the fallback" .. wanted .. ", got the script's own answer: " .. what(a))
    return false
  end
  if reason ~= nil and a.fallback ~= reason then
    fail(label(msg) .. "expected the fallback" .. wanted .. ", got " .. fallback_text(a))
    return false
  end
  return true
end

-- Tests, calls, time --------------------------------------------------------

function test(name, fn)
  if not loading then
    error("test: define tests at the top level of the file, not inside another test", 2)
  end
  if type(name) ~= "string" then
    error("test: the first argument must be the test's name (a string), got " .. show(name), 2)
  end
  if type(fn) ~= "function" then
    error("test: the second argument must be a function, as in test(\"name\", function() ... end)", 2)
  end
  tests[#tests + 1] = { name = name, fn = fn }
end

call = prim.call

function set_time(t)
  if loading then error("set_time: set the time inside a test, where the calls are made", 2) end
  if type(t) == "table" then
    local done, value = pcall(os_time, t)
    if not done then error("set_time: " .. tostring(value), 2) end
    t = value
  elseif t ~= nil and type(t) ~= "number" then
    error("set_time: expected a Unix time, a date table as for os.time{...}, or nil; got " .. show(t), 2)
  end
  set_clock(t)
  return t
end

function require(name)
  error("require: a test file cannot require modules; it drives the scripts through calls (call{...})", 2)
end

return tests, function() loading = false end
"""#
}
