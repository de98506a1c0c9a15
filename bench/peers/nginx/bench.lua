-- bench/peers/nginx/bench.lua: the benchmark workload in nginx + Lua (see nginx.conf).
-- Parses the JSON body with cjson, counts the call's requests in the shared dict
-- "calls", and answers MENU / CALL / HANGUP as bench/menus/bench.lua does.
local cjson = require "cjson"

ngx.req.read_body()
local ok, msg = pcall(cjson.decode, ngx.req.get_body_data() or "")
local data = ok and type(msg) == "table" and msg.DATA
if type(data) ~= "table" or type(data.IVR_UNIQUE_ID) ~= "string" then
  ngx.status = 400
  ngx.say('{"STATUS":1,"ERROR":"bad request"}')
  return
end

ngx.shared.calls:incr(data.IVR_UNIQUE_ID, 1, 0)

local reply
if data.MENU == "-1" then
  reply = { STATUS = 0, ACTION = "MENU", LANGUAGE = "he", DATA = {
    REC = "welcome", LOOP = 1, DELAY = 1, SIZE = 1, MENU = "main", VALIDATION = 0 } }
elseif data.MENU == "main" and data.DTMF == "1" then
  reply = { STATUS = 0, ACTION = "CALL", LANGUAGE = "he", DATA = {
    TARGET = "0501234567", CALLERID = data.CALLER_ID, CALLERNAME = data.CALLER_NAME,
    CALL_MAX_DIAL = 30, CALL_MAX = 3600, REC_STATUS = 0 } }
else
  reply = { STATUS = 0, ACTION = "HANGUP", LANGUAGE = "he", DATA = { HANGUP_CAUSE = 16 } }
end
ngx.header["Content-Type"] = "application/json; charset=utf-8"
ngx.print(cjson.encode(reply))
