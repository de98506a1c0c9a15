-- main_test.lua: tests of main.lua, run by `ivr-engine test sample-menus`.
--
-- Each test plays calls through the engine as Voicenter would and checks
-- the replies. See the README, "Testing menus in Lua".

local CALLER = "0541234567"

-- A call already at the main menu (its first reply checked).
local function at_main_menu(fields)
  local c = call(fields or { caller_id = CALLER, caller_name = "Dana" })
  expect_action(c:start(), "MENU", { menu = "main" })
  return c
end

test("a call starts at the welcome menu", function()
  local c = call{ caller_id = CALLER }
  local a = c:start()
  expect_action(a, "MENU", {
    rec = "welcome", menu = "main", loop = 2, delay = 3, size = 1, validation = 1, language = "he",
  })
  eq(a.status, 0)
  eq(c.state, { tries = 0 })
  eq(c.menu, "main")
end)

test("3 reads the caller's number back, then the main menu answers again", function()
  local c = at_main_menu()
  local a = c:press("3")
  expect_action(a, "SAYDIGITS", { digits = CALLER, rec = "your_number_is", saydigitsrecord = "blank", menu = "main" })
  -- The number is a string: its leading zero stays.
  eq(a.digits, "0541234567")
  expect_action(c:press("9"), "HANGUP")
end)

test("1 transfers to sales, as the caller", function()
  local c = at_main_menu()
  expect_action(c:press("1"), "CALL", {
    target = "0501234567", callerid = CALLER, callername = "Dana",
    caller_rec = "connecting_sales", call_max_dial = 30, call_max = 1800, rec_status = 1,
    next_menu = "transfer_failed", next_menu_record = "sales_unavailable", next_menu_loop = 2,
  })
end)

test("2 transfers to support", function()
  local c = at_main_menu()
  local a = c:press("2")
  expect_action(a, "CALL", { target = "0737654321", next_menu_record = "support_unavailable" })
end)

test("1 after a failed transfer leaves a message", function()
  local c = at_main_menu()
  expect_action(c:press("2"), "CALL")
  -- Nobody answered: Voicenter comes back at the CALL's next_menu.
  eq(c.menu, "transfer_failed")
  expect_action(c:press("1"), "SILENTRECORD", { rec = "leave_a_message", maxduration = 120 })
end)

test("another key after a failed transfer goes back to the main menu", function()
  local c = at_main_menu()
  c:press("1")
  expect_action(c:press("5"), "MENU", { rec = "welcome", menu = "main" })
end)

test("wrong keys are counted in call.state; the third says goodbye", function()
  local c = at_main_menu()
  for tries = 1, 2 do
    expect_action(c:press("7"), "MENU", { rec = "invalid_choice", menu = "main" })
    eq(c.state.tries, tries)
  end
  expect_action(c:press("7"), "HANGUP", { hangup_rec = "goodbye", hangup_cause = 16 })
end)

test("no key at all counts as a wrong key", function()
  local c = at_main_menu()
  expect_action(c:press(""), "MENU", { rec = "invalid_choice" })
  eq(c.state.tries, 1)
end)

test("a good key does not reset the count", function()
  local c = at_main_menu()
  c:press("7")
  c:press("3")
  eq(c.state.tries, 1)
end)

test("9 says goodbye", function()
  local c = at_main_menu()
  expect_action(c:press("9"), "HANGUP", { hangup_rec = "goodbye", hangup_cause = 16 })
end)

test("a menu the script does not know starts over at the main menu", function()
  -- A call resumed at a menu of an older version of the script.
  local c = call{ caller_id = CALLER }
  expect_action(c:press("1", "old_menu"), "MENU", { rec = "welcome", menu = "main" })
end)

test("XML-RPC calls get the same answers", function()
  local c = at_main_menu{ caller_id = CALLER, format = "xml" }
  expect_action(c:press("3"), "SAYDIGITS", { digits = CALLER })
end)

test("calls are independent", function()
  local first, second = at_main_menu(), at_main_menu{ caller_id = "0529876543" }
  first:press("7")
  eq(first.state.tries, 1)
  eq(second.state.tries, 0)
  expect_action(second:press("3"), "SAYDIGITS", { digits = "0529876543" })
end)

test("hanging up runs on_hangup and drops the call's state", function()
  local c = at_main_menu()
  local a = c:hangup{ call_status = "ANSWER", call_duration = 42 }
  eq(a, { status = 0 })   -- no `error`: on_hangup ran fine
  eq(c.state, nil)
end)
