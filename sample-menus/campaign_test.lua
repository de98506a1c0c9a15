-- campaign_test.lua: tests of campaign.lua, the Dialer's appointment reminder.

local CUSTOMER = "0541234567"

local function reminded(fields)
  local c = call(fields or { route = "campaign", caller_id = CUSTOMER })
  expect_action(c:start(), "SAYDIGITS", { digits = "2512", menu = "reminder" })
  return c
end

test("the reminder reads the appointment's date back", function()
  local c = call{ route = "campaign", caller_id = CUSTOMER }
  expect_action(c:start(), "SAYDIGITS", {
    rec = "your_appointment_is_on", digits = "2512",
    saydigitsrecord = "press_1_confirm_2_cancel_3_representative", menu = "reminder",
  })
  eq(c.state, { invalid = 0 })
end)

test("an unknown customer hears the default date", function()
  local c = call{ route = "campaign", caller_id = "0500000000" }
  expect_action(c:start(), "SAYDIGITS", { digits = "1501" })
end)

test("1 confirms", function()
  local c = reminded()
  expect_action(c:press("1"), "HANGUP", { hangup_rec = "appointment_confirmed" })
  eq(c.state.outcome, "confirmed")
end)

test("2 cancels", function()
  local c = reminded()
  expect_action(c:press("2"), "HANGUP", { hangup_rec = "appointment_cancelled" })
end)

test("3 transfers to a representative; nobody answers, the choices come back", function()
  local c = reminded()
  expect_action(c:press("3"), "CALL", { target = "0737654321", next_menu = "no_representative" })
  eq(c.menu, "no_representative")
  expect_action(c:press(""), "MENU", { rec = "representative_unavailable", menu = "reminder" })
  expect_action(c:press("1"), "HANGUP", { hangup_rec = "appointment_confirmed" })
end)

test("4 reads the date again", function()
  local c = reminded()
  expect_action(c:press("4"), "SAYDIGITS", { digits = "2512" })
end)

test("two invalid keys give up", function()
  local c = reminded()
  expect_action(c:press("7"), "MENU", { rec = "invalid_choice", menu = "reminder" })
  expect_action(c:press(""), "HANGUP", { hangup_rec = "sorry_goodbye" })
  eq(c.state.outcome, "gave_up")
end)

test("XML-RPC gets the same reminder", function()
  local c = reminded{ route = "campaign", caller_id = CUSTOMER, format = "xml" }
  expect_action(c:press("2"), "HANGUP", { hangup_rec = "appointment_cancelled" })
end)

test("hanging up mid-reminder runs on_hangup", function()
  local c = reminded()
  local a = c:hangup{ call_status = "ANSWER" }
  eq(a, { status = 0 })
  eq(c.state, nil)
end)
