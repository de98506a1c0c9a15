-- layer_test.lua: tests of layer.lua, run by `ivr-engine test sample-menus`.

-- A call on the layer route that has given its account at layer 8.
local function with_account(account)
  local c = call{ route = "layer", caller_id = "0541234567" }
  expect_action(c:layer(8, account), "GO_TO_LAYER", { layer = 22 })
  return c
end

-- Wednesday 25 November 2026 at `hour`:00, in the local time of the machine
-- running the tests (the scripts' os.date uses the same).
local function wednesday(hour)
  return set_time{ year = 2026, month = 11, day = 25, hour = hour }
end

test("an account number at layer 8 goes to layer 22 with custom data", function()
  local c = call{ route = "layer" }
  local a = c:layer(8, "1234567")
  expect_action(a, "GO_TO_LAYER", {
    layer = 22,
    caller_name = "Account 1234567",
    custom_data = { account = "1234567", source = "ivr-engine" },
  })
  eq(c.state.account, "1234567")
end)

test("a short account number plays layer 8 again", function()
  local c = call{ route = "layer" }
  expect_action(c:layer(8, "12"), "GO_TO_LAYER", { layer = 8, custom_data = {} })
  eq(c.state, {})
end)

test("1 at layer 22 dials the account manager", function()
  wednesday(10)
  local c = with_account("1234567")
  local a = c:layer(22, "1")
  expect_action(a, "DIAL", {
    targets = { { target = "0501234567", type = "PHONE" } },
    caller_id = "0541234567",
    caller_name = "Account 1234567",
    max_dial_duration = 30,
    max_call_duration = 3600,
    recording = "yes",
    unavailable_vo_id = 8,
    custom_data = { account = "1234567" },
  })
end)

test("in office hours an unanswered manager sends the caller back to layer 22", function()
  wednesday(10)
  local c = with_account("1234567")
  expect_action(c:layer(22, "1"), "DIAL", { next_vo_id = 22 })
end)

test("after office hours an unanswered manager sends the caller to the voicemail", function()
  wednesday(23)
  local c = with_account("1234567")
  expect_action(c:layer(22, "1"), "DIAL", { next_vo_id = 40 })
  -- Friday is not an office day, even at noon.
  set_time{ year = 2026, month = 11, day = 27, hour = 12 }
  expect_action(c:layer(22, "1"), "DIAL", { next_vo_id = 40 })
end)

test("another key at layer 22 dials the front desk's extension", function()
  local c = with_account("1234567")
  expect_action(c:layer(22, "2"), "DIAL", {
    targets = { { target = "201", type = "EXTENSION" } },
    custom_data = { account = "1234567" },
  })
end)

test("layer 22 without an account says so in the custom data", function()
  local c = call{ route = "layer" }
  expect_action(c:layer(22, "2"), "DIAL", { custom_data = { account = "unknown" } })
end)

test("an unknown layer reads the digits back and goes to layer 8", function()
  local c = call{ route = "layer" }
  expect_action(c:layer(5, "42"), "SAY_DIGITS", {
    next_layer = 8,
    data = {
      { record_type = "Recording", content = "you_pressed" },
      { record_type = "Digits", content = "42" },
    },
  })
end)

test("a layer call ends with a hang-up", function()
  local c = with_account("1234567")
  eq(c:hangup{ call_status = "CANCEL" }, { status = 0 })
  eq(c.state, nil)
end)
