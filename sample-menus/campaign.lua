-- campaign.lua: an appointment reminder for outbound campaign calls, served at POST /campaign.
--
-- Voicenter's Dialer (the ForwardDialer API, ConfigureIvrCampaign) dials the
-- customers of a campaign; each call a customer answers is handed to the
-- External IVR URL http://YOUR-HOST:8080/campaign, like an inbound call. The
-- customer hears the date of their appointment and presses
--   1 to confirm, 2 to cancel, 3 for a representative, 4 to hear the date again.
-- Two wrong keys (or silences) and we give up politely.

REPRESENTATIVES = "0737654321"   -- the clinic's front desk
MAX_INVALID     = 2

-- Appointments by the customer's number (in real life: a lookup before the
-- campaign is loaded; here a table so the menu is deterministic).
APPOINTMENTS = {
  ["0541234567"] = "2512",   -- 25/12
  ["0529876543"] = "0301",   -- 03/01
}
DEFAULT_DATE = "1501"

-- "Your appointment is on ..." and the date, digit by digit; then the choices.
local function read_date(call)
  return ivr.saydigits{
    rec = "your_appointment_is_on",
    digits = APPOINTMENTS[call.caller_id] or DEFAULT_DATE,
    saydigitsrecord = "press_1_confirm_2_cancel_3_representative",
    menu = "reminder",
    size = 1, validation = 1,
  }
end

local function choices(recording)
  return ivr.menu{ rec = recording, menu = "reminder", loop = 2, delay = 3, size = 1, validation = 1 }
end

function on_start(call)
  call.state.invalid = 0
  return read_date(call)
end

menus = {}

function menus.reminder(call)
  local key = call.dtmf
  if key == "1" then
    call.state.outcome = "confirmed"
    return ivr.hangup{ hangup_rec = "appointment_confirmed", hangup_cause = 16 }
  elseif key == "2" then
    call.state.outcome = "cancelled"
    return ivr.hangup{ hangup_rec = "appointment_cancelled", hangup_cause = 16 }
  elseif key == "3" then
    call.state.outcome = "representative"
    return ivr.call{
      target = REPRESENTATIVES,
      caller_rec = "connecting_representative",
      call_max_dial = 25,
      next_menu = "no_representative",   -- nobody answered: back to the choices
    }
  elseif key == "4" then
    return read_date(call)
  end
  call.state.invalid = (call.state.invalid or 0) + 1
  if call.state.invalid >= MAX_INVALID then
    call.state.outcome = "gave_up"
    return ivr.hangup{ hangup_rec = "sorry_goodbye", hangup_cause = 16 }
  end
  return choices("invalid_choice")
end

-- The representatives did not answer: offer the choices again.
function menus.no_representative(call)
  return choices("representative_unavailable")
end

function on_input(call)
  return read_date(call)
end

function on_hangup(call)
  ivr.log.info("campaign call", call.id, "ended:", call.hangup.call_status, call.state.outcome or "no answer")
end

fallback = ivr.hangup{ hangup_rec = "technical_problem", hangup_cause = 16 }
