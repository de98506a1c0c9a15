-- bench/menus/bench.lua: the benchmark workload as an ivr-engine route (POST /bench).
-- The same behaviour as every peer in bench/peers/: count the call's requests in
-- call.state.n; MENU "-1" -> menu "main"; "main" + DTMF 1 -> CALL; else HANGUP.

local function count(call)
  call.state.n = (call.state.n or 0) + 1
end

function on_start(call)
  count(call)
  return ivr.menu{ rec = "welcome", menu = "main" }
end

menus = {}

function menus.main(call)
  count(call)
  if call.dtmf == "1" then
    return ivr.call{ target = "0501234567" }
  end
  return ivr.hangup{ hangup_cause = 16 }
end

function on_input(call)
  count(call)
  return ivr.hangup{ hangup_cause = 16 }
end
