-- main.lua: the welcome menu of a small company, served at POST /.
--
-- Point Voicenter's External IVR URL at http://YOUR-HOST:8080/ and every call
-- to the number walks through the handlers below. Recording names ("welcome",
-- "goodbye", ...) are the files uploaded in the Voicenter panel.
--
-- Top-level code runs once when the script loads: put constants here.
-- After loading, globals are frozen: keep per-call data in call.state.

SALES     = "0501234567"   -- the sales team's mobile (a string: keep the 0)
SUPPORT   = "0737654321"   -- the support line
MAX_TRIES = 3              -- wrong keys before we say goodbye

-- The main menu: play a recording twice, wait 3 s, collect one digit.
local function main_menu(recording)
  return ivr.menu{
    rec = recording or "welcome",
    menu = "main",          -- Voicenter sends this back as call.menu
    loop = 2, delay = 3, size = 1,
    validation = 1,
  }
end

-- Transfer to a team; if nobody answers, Voicenter comes back with
-- MENU "transfer_failed" and whatever the caller pressed there.
local function transfer(target, team)
  return ivr.call{
    target = target,
    caller_rec = "connecting_" .. team,
    moh_class = "default",
    call_max_dial = 30,         -- ring for at most 30 s
    call_max = 1800,            -- talk for at most 30 min
    rec_status = 1,             -- record the conversation
    next_menu = "transfer_failed",
    next_menu_record = team .. "_unavailable",
    next_menu_loop = 2, next_menu_size = 1, next_menu_wait = 3,
  }
end

local function goodbye()
  return ivr.hangup{ hangup_rec = "goodbye", hangup_cause = 16 }  -- 16: normal clearing
end

-- First request of a call (MENU "-1").
function on_start(call)
  call.state.tries = 0
  ivr.log.info("new call from", call.caller_id, "to", call.did)
  return main_menu()
end

-- One handler per menu name we hand out.
menus = {}

function menus.main(call)
  local key = call.dtmf
  if key == "1" then
    return transfer(SALES, "sales")
  elseif key == "2" then
    return transfer(SUPPORT, "support")
  elseif key == "3" then
    -- Read the caller's own number back, then return to the main menu.
    return ivr.saydigits{
      rec = "your_number_is", saydigitsrecord = "blank",
      digits = call.caller_id, menu = "main",
    }
  elseif key == "9" then
    return goodbye()
  end
  -- Anything else: count the miss, and give up after MAX_TRIES.
  call.state.tries = (call.state.tries or 0) + 1
  if call.state.tries >= MAX_TRIES then
    return goodbye()
  end
  return main_menu("invalid_choice")
end

-- Nobody answered the transfer: 1 leaves a message, anything else goes back.
function menus.transfer_failed(call)
  if call.dtmf == "1" then
    return ivr.silentrecord{ rec = "leave_a_message", maxduration = 120 }
  end
  return main_menu()
end

-- A menu name we do not know (an old call after a change, say): start over.
function on_input(call)
  return main_menu()
end

-- The call ended: its state is dropped right after this.
function on_hangup(call)
  ivr.log.info("call ended:", call.hangup.call_status, "after", call.hangup.call_duration, "s")
end

-- When a handler fails or runs out of time, send the caller to Voicenter
-- layer 1 (set up in the panel) with an apology instead of dropping them.
-- A plain action is also what goes out if the deadline passes.
fallback = ivr.vo{ layer = 1, record = "technical_problem" }
