-- wrk script: each connection plays whole short calls against sample-menus/main.lua:
-- a first GET_IVR_ACTION, one key press in the main menu, then HANGUP_CALL.
local counter = 0
local format = os.getenv("BENCH_FORMAT") or "json"

local function json_body(method, id, dtmf, menu)
  return string.format('{"METHOD":"%s","DATA":{"DID":"0730000000","CALLER_ID":"0541234567","CALLER_NAME":"bench","IVR_UNIQUE_ID":"%s","DTMF":"%s","MENU":"%s","PREVIOUS_MENU":"-1","CALL_STATUS":"ANSWERED"}}', method, id, dtmf, menu)
end

local function xml_member(name, value)
  return "<member><name>" .. name .. "</name><value><string>" .. value .. "</string></value></member>"
end

local function xml_body(method, id, dtmf, menu)
  return '<?xml version="1.0" encoding="utf-8"?><methodCall><methodName>' .. method ..
    "</methodName><params><param><value><struct>" ..
    xml_member("DID", "0730000000") .. xml_member("CALLER_ID", "0541234567") ..
    xml_member("CALLER_NAME", "bench") .. xml_member("IVR_UNIQUE_ID", id) ..
    xml_member("DTMF", dtmf) .. xml_member("MENU", menu) .. xml_member("PREVIOUS_MENU", "-1") ..
    "</struct></value></param></params></methodCall>"
end

local body = format == "xml" and xml_body or json_body
local step = 0
local id

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function request()
  step = step % 3
  if step == 0 then
    id = string.format("bench-%d-%d-%d", tid or 0, math.random(1, 1e9), os.time())
  end
  local b
  if step == 0 then b = body("GET_IVR_ACTION", id, "", "-1")
  elseif step == 1 then b = body("GET_IVR_ACTION", id, "3", "main")
  else b = body("HANGUP_CALL", id, "", "") end
  step = step + 1
  return wrk.format("POST", "/", { ["Content-Type"] = "application/" .. format }, b)
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
