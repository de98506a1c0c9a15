-- bench/wrk/workload.lua: wrk script for scripts/bench. Environment:
--   BENCH_FORMAT = json | xml         request body format (default json)
--   BENCH_MODE   = mix                ids drawn at random from BENCH_IDS calls, 1/3 each of
--                                     MENU "-1", ("main","1"), ("main","2")   (default)
--                  new                every request a new call: distinct id, MENU "-1"
--                  calls              whole calls on sample-menus: start, key 3, HANGUP_CALL;
--                                     1024 calls interleaved, so that a call's next request
--                                     leaves long after the previous one was answered (wrk
--                                     cannot tie a call to a connection)
--   BENCH_IDS    = number of call ids in mix mode (default 10000)
--   BENCH_COUNT  = stop after this many responses (per thread; default: run for -d)
-- done() prints one line "BENCH requests=N duration_us=N p50_us=N p99_us=N errors=N".
local format = os.getenv("BENCH_FORMAT") or "json"
local mode = os.getenv("BENCH_MODE") or "mix"
local ids = tonumber(os.getenv("BENCH_IDS") or "10000")
local count = tonumber(os.getenv("BENCH_COUNT") or "0")
local path = wrk.path ~= "" and wrk.path or "/"
local headers = { ["Content-Type"] = format == "xml" and "text/xml" or "application/json" }

-- wrk's LuaJIT hashes 16 sampled bytes of a string (among them its last 4), and these
-- requests differ only in the id: thousands would share a hash chain and wrk would spend
-- seconds of CPU interning them. So each body is built as one string that ends with 4
-- bytes of whitespace (valid after a JSON or an XML document) varying with n: 256 chains.
local ws = { " ", "\t", "\r", "\n" }
local function tail(n)
  local s = {}
  for i = 1, 4 do s[i] = ws[n % 4 + 1]; n = math.floor(n / 4) end
  return table.concat(s)
end

local function json_body(method, id, dtmf, menu, pad)
  return string.format('{"METHOD":"%s","DATA":{"DID":"0730000000","CALLER_ID":"0541234567",'
    .. '"CALLER_NAME":"bench","IVR_UNIQUE_ID":"%s","DTMF":"%s","MENU":"%s","PREVIOUS_MENU":"-1"}}%s',
    method, id, dtmf, menu, pad)
end

local function member(name, value)   -- only for values shared by many requests (see tail)
  return "<member><name>" .. name .. "</name><value><string>" .. value .. "</string></value></member>"
end

local function xml_body(method, id, dtmf, menu, pad)
  return '<?xml version="1.0"?><methodCall><methodName>' .. method
    .. "</methodName><params><param><value><struct>"
    .. member("DID", "0730000000") .. member("CALLER_ID", "0541234567") .. member("CALLER_NAME", "bench")
    .. "<member><name>IVR_UNIQUE_ID</name><value><string>" .. id .. "</string></value></member>"
    .. member("DTMF", dtmf) .. member("MENU", menu) .. member("PREVIOUS_MENU", "-1")
    .. "</struct></value></param></params></methodCall>" .. pad
end

local body = format == "xml" and xml_body or json_body
local function req(n, method, id, dtmf, menu)
  return wrk.format("POST", path, headers, body(method, id, dtmf, menu, tail(n)))
end

-- The three kinds of request of the mix, as (dtmf, menu).
local kinds = { { "", "-1" }, { "1", "main" }, { "2", "main" } }
local cache = {}          -- mix mode: formatted requests, built on first use
local serial = 0
local slots, slot, slot_step, slot_id = 1024, 0, {}, {}   -- calls mode
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function request()
  if mode == "new" then
    if count == 0 or serial < count then serial = serial + 1 end   -- at most BENCH_COUNT ids
    return req(serial, "GET_IVR_ACTION", string.format("bench-new-%d-%d", tid or 0, serial), "", "-1")
  elseif mode == "calls" then
    slot = slot % slots + 1
    local step = slot_step[slot] or 0
    slot_step[slot] = (step + 1) % 3
    if step == 0 then
      serial = serial + 1
      slot_id[slot] = string.format("bench-%d-%d-%d", tid or 0, serial, os.time())
      return req(serial, "GET_IVR_ACTION", slot_id[slot], "", "-1")
    elseif step == 1 then
      return req(serial + slot, "GET_IVR_ACTION", slot_id[slot], "3", "main")
    end
    return req(serial + slot, "HANGUP_CALL", slot_id[slot], "", "")
  end
  local key = math.random(0, ids - 1) * 3 + math.random(1, 3)
  local r = cache[key]
  if not r then
    local k = kinds[(key - 1) % 3 + 1]
    r = req(key, "GET_IVR_ACTION", string.format("bench-call-%04d", math.floor((key - 1) / 3)), k[1], k[2])
    cache[key] = r
  end
  return r
end

-- BENCH_COUNT: stop after that many responses. wrk's main thread sleeps for the
-- whole -d whatever the threads do, so also wake it with the SIGINT it handles,
-- again and again until wrk is gone (a SIGINT that lands on this thread, while it
-- is still running, sets wrk's stop flag but does not end the main thread's sleep).
if count > 0 then
  local seen = 0
  function response()
    seen = seen + 1
    if seen == count then
      wrk.thread:stop()
      local f = io.open("/proc/self/stat")
      local pid = f:read("*n")
      f:close()
      -- io.popen, not os.execute: system() ignores SIGINT while its child runs
      io.popen("(while kill -INT " .. pid .. " 2>/dev/null; do sleep 0.05; done) >/dev/null 2>&1 &"):close()
    end
  end
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
