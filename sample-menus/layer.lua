-- layer.lua: an External Layer IVR, served at POST /layer.
--
-- In the Voicenter panel, attach layers 8 and 22 to http://YOUR-HOST:8080/layer.
-- Layer 8 asks for an account number; layer 22 offers "1: your account
-- manager, 2: the front desk". Layer 40 is the voicemail.

MANAGER    = "0501234567"
FRONT_DESK = "201"           -- an extension
VOICEMAIL  = 40              -- the voicemail layer

-- Office hours, in the server's local time: Sunday to Thursday, 08:00 to 18:00.
-- layer_test.lua checks both sides of it by setting the clock (set_time).
local function office_open()
  local now = os.date("*t")   -- wday: 1 is Sunday
  return now.wday <= 5 and now.hour >= 8 and now.hour < 18
end

function on_layer(call)
  if call.layer_id == 8 then
    local account = call.dtmf
    if #account < 4 then
      -- Too short: play layer 8 again.
      return ivr.go_to_layer{ layer = 8 }
    end
    call.state.account = account
    -- CUSTOM_DATA comes back in Voicenter's popup and CDR notifications.
    return ivr.go_to_layer{
      layer = 22,
      caller_name = "Account " .. account,
      custom_data = { account = account, source = "ivr-engine" },
    }
  end

  if call.layer_id == 22 then
    local account = call.state.account or "unknown"
    if call.dtmf == "1" then
      return ivr.dial{
        targets = { MANAGER },             -- a plain string is a PHONE target
        caller_id = call.caller_id,
        caller_name = "Account " .. account,
        max_dial_duration = 30,
        max_call_duration = 3600,
        recording = true,                  -- "yes" on the wire
        -- If the manager does not answer: back to layer 22 in office hours,
        -- to the voicemail after them.
        next_vo_id = office_open() and 22 or VOICEMAIL,
        unavailable_vo_id = 8,
        custom_data = { account = account },
      }
    end
    return ivr.dial{
      targets = { { target = FRONT_DESK, type = "EXTENSION" } },
      custom_data = { account = account },
    }
  end

  -- A layer we were not told about: read the digits back and go to layer 8.
  return ivr.say_digits{
    next_layer = 8,
    data = {
      { record_type = "Recording", content = "you_pressed" },
      { record_type = "Digits", content = call.dtmf },
    },
  }
end

-- A wrong kind of answer or an error: let Voicenter use the layer's own fallback
-- by answering STATUS 1 (the built-in answer), so no `fallback` here.
