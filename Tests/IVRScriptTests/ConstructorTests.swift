import IVRScript
import IVRState
import IVRWire
import Testing

/// lua-api.md "Actions": the nine constructors, their defaults, every field, and their errors.
@Suite struct ConstructorTests {
    // MARK: Defaults and all fields, per constructor

    @Test func menuDefaults() {
        let result = evalAction(#"ivr.menu{ rec = "welcome", menu = "main" }"#)
        #expect(result.action == expected(.menu, [
            "REC": .string("welcome"), "MENU": .string("main"),
            "LOOP": .int(1), "DELAY": .int(1), "SIZE": .int(1), "VALIDATION": .int(0),
        ]))
        #expect(result.action?.language == "he")
    }

    @Test func menuAllFields() {
        let result = evalAction(#"ivr.menu{ rec = "w", menu = "m", loop = 2, delay = 3, size = 4, validation = 1, language = "en" }"#)
        #expect(result.action == expected(.menu, language: "en", [
            "REC": .string("w"), "MENU": .string("m"), "LOOP": .int(2), "DELAY": .int(3), "SIZE": .int(4),
            "VALIDATION": .int(1),
        ]))
    }

    @Test func sayDigitsDefaultsAndFields() {
        let result = evalAction(#"ivr.saydigits{ rec = "num", menu = "main", saydigitsrecord = "blank", digits = "0547001122" }"#)
        #expect(result.action == expected(.sayDigits, [
            "REC": .string("num"), "MENU": .string("main"), "LOOP": .int(1), "DELAY": .int(1), "SIZE": .int(1),
            "VALIDATION": .int(0), "SAYDIGITSRECORD": .string("blank"), "DIGITS": .string("0547001122"),
        ]))
        let all = evalAction(#"ivr.saydigits{ rec = "n", menu = "m", saydigitsrecord = "b", digits = "007", loop = 3, delay = 0, size = 2, validation = 1, language = "EN" }"#)
        #expect(all.action == expected(.sayDigits, language: "EN", [
            "REC": .string("n"), "MENU": .string("m"), "LOOP": .int(3), "DELAY": .int(0), "SIZE": .int(2),
            "VALIDATION": .int(1), "SAYDIGITSRECORD": .string("b"), "DIGITS": .string("007"),
        ]))
    }

    @Test func callDefaultsToTheCaller() {
        let request = getAction(callerID: "0521112233", callerName: "ישראל")
        let result = evalAction(#"ivr.call{ target = "0501234567" }"#, request: request)
        #expect(result.action == expected(.call, [
            "TARGET": .string("0501234567"), "CALLERID": .string("0521112233"), "CALLERNAME": .string("ישראל"),
            "CALL_MAX_DIAL": .int(30), "CALL_MAX": .int(3600), "REC_STATUS": .int(0),
        ]))
    }

    @Test func callAllFields() {
        let expression = """
            ivr.call{ target = "0501234567", callerid = "035551234", callername = "Office", caller_rec = "cr",
              moh_class = "jazz", target_rec = "tr", call_max_dial = 25, call_max = 600, next_menu = "main",
              next_menu_record = "nmr", next_menu_loop = 3, next_menu_size = 1, next_menu_wait = 5, rec_status = 1,
              dtmf_play = "1w2", dialstrings = { "SIP/100", "SIP/200" }, language = "en" }
            """
        #expect(evalAction(expression).action == expected(.call, language: "en", [
            "TARGET": .string("0501234567"), "CALLERID": .string("035551234"), "CALLERNAME": .string("Office"),
            "CALLER_REC": .string("cr"), "MOH_CLASS": .string("jazz"), "TARGET_REC": .string("tr"),
            "CALL_MAX_DIAL": .int(25), "CALL_MAX": .int(600), "NEXT_MENU": .string("main"),
            "NEXT_MENU_RECORD": .string("nmr"), "NEXT_MENU_LOOP": .int(3), "NEXT_MENU_SIZE": .int(1),
            "NEXT_MENU_WAIT": .int(5), "REC_STATUS": .int(1), "DTMF_PLAY": .string("1w2"),
            "DIALSTRINGS": .array([.string("SIP/100"), .string("SIP/200")]),
        ]))
    }

    @Test func callBuiltAtLoadDefaultsToEmptyCaller() {
        let source = """
            PREPARED = ivr.call{ target = "100" }
            function on_start(call) return PREPARED end
            """
        let action = run(source).action
        #expect(action?["CALLERID"] == .string(""))
        #expect(action?["CALLERNAME"] == .string(""))
    }

    @Test func voDefaultsAndFields() {
        #expect(evalAction(#"ivr.vo{ layer = 12, record = "sorry" }"#).action == expected(.vo, [
            "LAYER": .int(12), "RECORD": .string("sorry"), "LOOP": .int(1), "DELAY": .int(1),
        ]))
        #expect(evalAction(#"ivr.vo{ layer = 12, record = "sorry", loop = 2, delay = 4, language = "en" }"#).action
            == expected(.vo, language: "en", ["LAYER": .int(12), "RECORD": .string("sorry"), "LOOP": .int(2), "DELAY": .int(4)]))
    }

    @Test func hangupDefaultsAndFields() {
        #expect(evalAction("ivr.hangup{}").action == expected(.hangup, [:]))
        #expect(evalAction(#"ivr.hangup{ hangup_rec = "bye", hangup_cause = 16 }"#).action
            == expected(.hangup, ["HANGUP_REC": .string("bye"), "HANGUP_CAUSE": .int(16)]))
    }

    @Test func silentRecordDefaultsAndFields() {
        #expect(evalAction("ivr.silentrecord{}").action == expected(.silentRecord, [:]))
        #expect(evalAction(#"ivr.silentrecord{ rec = "msg", maxduration = 60, language = "en" }"#).action
            == expected(.silentRecord, language: "en", ["REC": .string("msg"), "MAXDURATION": .int(60)]))
    }

    @Test func goToLayerDefaultsAndFields() {
        #expect(evalAction("ivr.go_to_layer{ layer = 22 }", layer: true).action
            == expected(.goToLayer, language: nil, ["LAYER": .int(22), "CUSTOM_DATA": .structure([])]))
        let all = evalAction(#"ivr.go_to_layer{ layer = 22, caller_name = "דנה", custom_data = { source = "ivr", b = 7, a = 1.5 } }"#, layer: true)
        #expect(all.action == expected(.goToLayer, language: nil, [
            "LAYER": .int(22), "CALLER_NAME": .string("דנה"),
            "CUSTOM_DATA": .structure([WireMember("a", .string("1.5")), WireMember("b", .string("7")),
                                       WireMember("source", .string("ivr"))]),
        ]))
        #expect(all.action?.language == nil)
    }

    @Test func dialDefaultsAndFields() {
        let phone: (String, String) -> WireValue = { .structure([WireMember("TARGET", .string($0)), WireMember("TYPE", .string($1))]) }
        #expect(evalAction(#"ivr.dial{ targets = { "0501234567" } }"#, layer: true).action
            == expected(.dial, language: nil, ["TARGETS": .array([phone("0501234567", "PHONE")]), "CUSTOM_DATA": .structure([])]))
        let expression = """
            ivr.dial{ targets = { "0501234567", { target = "201", type = "EXTENSION" }, { target = "0509999999" } },
              caller_id = "035551234", caller_name = "Desk", max_call_duration = 300, max_dial_duration = 20,
              recording = true, next_vo_id = 1, answer_next_vo_id = 2, unavailable_vo_id = 3,
              custom_data = { ticket = "A-1" } }
            """
        #expect(evalAction(expression, layer: true).action == expected(.dial, language: nil, [
            "TARGETS": .array([phone("0501234567", "PHONE"), phone("201", "EXTENSION"), phone("0509999999", "PHONE")]),
            "CALLER_ID": .string("035551234"), "CALLER_NAME": .string("Desk"), "MAX_CALL_DURATION": .int(300),
            "MAX_DIAL_DURATION": .int(20), "RECORDING": .string("yes"), "NEXT_VO_ID": .int(1),
            "ANSWER_NEXT_VO_ID": .int(2), "UNAVAILABLE_VO_ID": .int(3),
            "CUSTOM_DATA": .structure([WireMember("ticket", .string("A-1"))]),
        ]))
    }

    @Test(arguments: [("false", "no"), (#""yes""#, "yes"), (#""no""#, "no")])
    func dialRecording(lua: String, wire: String) {
        let action = evalAction(#"ivr.dial{ targets = { "1" }, recording = \#(lua) }"#, layer: true).action
        #expect(action?["RECORDING"] == .string(wire))
    }

    @Test func layerSayDigitsDefaultsAndFields() {
        let worker = makeWorker(language: "en")
        let item: (String, String) -> WireValue = { .structure([WireMember("RecordType", .string($0)), WireMember("Content", .string($1))]) }
        let result = evalAction(#"ivr.say_digits{ next_layer = 9, data = { { record_type = "Recording", content = "your_balance" }, { record_type = "Number", content = "0120" } } }"#,
                                layer: true, worker: worker)
        #expect(result.action == expected(.layerSayDigits, language: "en", [
            "NEXT_LAYER": .int(9), "DATA": .array([item("Recording", "your_balance"), item("Number", "0120")]),
        ]))
        let he = evalAction(#"ivr.say_digits{ next_layer = 9, data = {}, language = "he" }"#, layer: true)
        #expect(he.action?.language == "he")
    }

    @Test func languageDefaultComesFromLimits() {
        let worker = makeWorker(language: "en")
        #expect(evalAction(#"ivr.hangup{}"#, worker: worker).action?.language == "en")
    }

    // MARK: Errors at the call site

    /// One wrong-typed call per constructor, with the message it must give.
    static let wrongTypes: [(String, Bool, String)] = [
        (#"ivr.menu{ rec = 5, menu = "m" }"#, false, "ivr.menu: 'rec' must be a string, got a number (5)"),
        (#"ivr.saydigits{ rec = "r", menu = "m", saydigitsrecord = "b", digits = 0547 }"#, false,
         "ivr.saydigits: 'digits' must be a string, got a number (547)"),
        (#"ivr.call{ target = 501234567 }"#, false, "ivr.call: 'target' must be a string, got a number (501234567)"),
        (#"ivr.vo{ layer = "1", record = "r" }"#, false, #"ivr.vo: 'layer' must be an integer, got a string ("1")"#),
        (#"ivr.hangup{ hangup_cause = 16.5 }"#, false, "ivr.hangup: 'hangup_cause' must be an integer, got a number (16.5)"),
        (#"ivr.silentrecord{ maxduration = true }"#, false, "ivr.silentrecord: 'maxduration' must be an integer, got a boolean (true)"),
        (#"ivr.go_to_layer{ layer = {} }"#, true, "ivr.go_to_layer: 'layer' must be an integer, got a table"),
        (#"ivr.dial{ targets = "0501234567" }"#, true, "ivr.dial: 'targets' must be a non-empty list of targets"),
        (#"ivr.say_digits{ next_layer = 1, data = "x" }"#, true, "ivr.say_digits: 'data' must be a list of {record_type="),
    ]

    @Test(arguments: wrongTypes)
    func wrongTypeIsRaisedAtTheReturnLine(expression: String, layer: Bool, message: String) {
        let handler = layer ? "on_layer" : "on_start"
        let source = "function \(handler)(call)\n  local unused = 1\n  return \(expression)\nend"
        let failure = run(source, layer ? layerInput() : getAction()).failure
        #expect(failure?.reason == .error)
        #expect(failure?.message.hasPrefix("menus/main.lua:3: " + message) == true, "\(failure?.message ?? "")")
    }

    @Test(arguments: wrongTypes)
    func wrongTypeIsRaisedAtTheAssignmentLine(expression: String, layer: Bool, message: String) {
        let handler = layer ? "on_layer" : "on_start"
        let source = "function \(handler)(call)\n  local a = \(expression)\n  return a\nend"
        let failure = run(source, layer ? layerInput() : getAction()).failure
        #expect(failure?.message.hasPrefix("menus/main.lua:2: " + message) == true, "\(failure?.message ?? "")")
    }

    @Test(arguments: ActionKind.allCases)
    func unknownKey(kind: ActionKind) {
        let failure = evalAction("ivr.\(kind.constructorName){ bogus = 1 }", layer: kind.isLayerAction).failure
        #expect(failure?.message == "menus/main.lua:2: ivr.\(kind.constructorName): unknown key 'bogus'")
    }

    @Test func wireNamesInUpperCaseAreUnknown() {
        let failure = evalAction(#"ivr.hangup{ HANGUP_CAUSE = 16 }"#).failure
        #expect(failure?.message.contains("unknown key 'HANGUP_CAUSE'") == true)
    }

    @Test(arguments: [
        (#"ivr.menu{ menu = "m" }"#, false, "ivr.menu: missing mandatory key 'rec'"),
        (#"ivr.menu{ rec = "r" }"#, false, "ivr.menu: missing mandatory key 'menu'"),
        (#"ivr.saydigits{ rec = "r", menu = "m", digits = "1" }"#, false, "ivr.saydigits: missing mandatory key 'saydigitsrecord'"),
        (#"ivr.saydigits{ rec = "r", menu = "m", saydigitsrecord = "b" }"#, false, "ivr.saydigits: missing mandatory key 'digits'"),
        ("ivr.call{}", false, "ivr.call: missing mandatory key 'target'"),
        ("ivr.vo{ layer = 1 }", false, "ivr.vo: missing mandatory key 'record'"),
        (#"ivr.vo{ record = "r" }"#, false, "ivr.vo: missing mandatory key 'layer'"),
        ("ivr.go_to_layer{}", true, "ivr.go_to_layer: missing mandatory key 'layer'"),
        ("ivr.dial{}", true, "ivr.dial: missing mandatory key 'targets'"),
        ("ivr.say_digits{ next_layer = 1 }", true, "ivr.say_digits: missing mandatory key 'data'"),
        ("ivr.say_digits{ data = {} }", true, "ivr.say_digits: missing mandatory key 'next_layer'"),
    ])
    func missingMandatoryKey(expression: String, layer: Bool, message: String) {
        #expect(evalAction(expression, layer: layer).failure?.message == "menus/main.lua:2: " + message)
    }

    // MARK: Field conversion rules

    @Test func integralFloatIsAnInteger() {
        #expect(evalAction(#"ivr.vo{ layer = 2.0, record = "r" }"#).action?["LAYER"] == .int(2))
    }

    @Test func numericStringIsNotAnInteger() {
        #expect(evalAction(#"ivr.hangup{ hangup_cause = "16" }"#).failure?.message.contains("must be an integer") == true)
    }

    @Test func leadingZeroSurvives() {
        let action = evalAction(#"ivr.saydigits{ rec = "r", menu = "m", saydigitsrecord = "b", digits = "0547001122" }"#).action
        #expect(action?["DIGITS"] == .string("0547001122"))
    }

    @Test func invalidUTF8IsRefused() {
        #expect(evalAction(#"ivr.hangup{ hangup_rec = "\xff\xfe" }"#).failure?.message.contains("must be UTF-8 text") == true)
    }

    @Test(arguments: [
        (#"ivr.call{ target = "1", dialstrings = { "a", 2 } }"#, false, "dialstrings[2] must be a string"),
        (#"ivr.call{ target = "1", dialstrings = { "a", x = "b" } }"#, false, "'dialstrings' must be a list of strings"),
        (#"ivr.dial{ targets = {} }"#, true, "'targets' must be a non-empty list"),
        (#"ivr.dial{ targets = { { target = "1", type = "MOBILE" } } }"#, true, "targets[1].type must be 'PHONE' or 'EXTENSION'"),
        (#"ivr.dial{ targets = { { type = "PHONE" } } }"#, true, "targets[1].target is missing"),
        (#"ivr.dial{ targets = { { target = "1", kind = "x" } } }"#, true, "targets[1] has unknown key 'kind'"),
        (#"ivr.dial{ targets = { 5 } }"#, true, "targets[1] must be a string or {target=, type=}"),
        (#"ivr.dial{ targets = { "1" }, recording = "maybe" }"#, true, "'recording' must be a boolean, or 'yes' or 'no'"),
        (#"ivr.dial{ targets = { "1" }, custom_data = { flag = true } }"#, true, "custom_data.flag must be a string or a number"),
        (#"ivr.dial{ targets = { "1" }, custom_data = { "positional" } }"#, true, "found a key that is not a string"),
        (#"ivr.say_digits{ next_layer = 1, data = { { record_type = "Money", content = "1" } } }"#, true, "data[1].record_type must be one of"),
        (#"ivr.say_digits{ next_layer = 1, data = { { record_type = "Digits" } } }"#, true, "data[1] needs both record_type and content"),
        (#"ivr.say_digits{ next_layer = 1, data = { { record_type = "Digits", content = 12 } } }"#, true, "data[1].content must be a string"),
        (#"ivr.menu{ rec = "r", menu = "m", language = 1 }"#, false, "'language' must be a string"),
        (#"ivr.go_to_layer{ layer = 1, language = "he" }"#, true, "ivr.go_to_layer: unknown key 'language'"),
        (#"ivr.dial{ targets = { "1" }, language = "he" }"#, true, "ivr.dial: unknown key 'language'"),
        (#"ivr.menu{ "welcome", "main" }"#, false, "ivr.menu: keys must be field names"),
        (#"ivr.menu("welcome")"#, false, "ivr.menu: expected a table of fields, as in ivr.menu{...}, got string"),
        ("ivr.hangup()", false, "ivr.hangup: expected a table of fields, as in ivr.hangup{...}, got no value"),
    ])
    func conversionErrors(expression: String, layer: Bool, fragment: String) {
        let failure = evalAction(expression, layer: layer).failure
        #expect(failure?.reason == .error)
        #expect(failure?.message.hasPrefix("menus/main.lua:2: ") == true, "\(failure?.message ?? "")")
        #expect(failure?.message.contains(fragment) == true, "\(failure?.message ?? "")")
    }

    @Test func constructorErrorsCanBeCaughtWithPcall() {
        let source = """
            function on_start(call)
              local ok, err = pcall(ivr.menu, { rec = 1 })
              return ivr.hangup{ hangup_rec = err }
            end
            """
        let rec = run(source).action?["HANGUP_REC"]
        #expect(rec == .string("ivr.menu: 'rec' must be a string, got a number (1)"))
    }

    // MARK: The action value

    @Test func actionValueIsReadOnlyAndReadable() {
        let source = """
            function on_start(call)
              local a = ivr.menu{ rec = "welcome", menu = "main", loop = 2 }
              assert(a.action == "MENU", "action")
              assert(a.rec == "welcome" and a.loop == 2 and a.size == 1, "fields")
              assert(a.language == "he", "language")
              assert(a.nothing == nil, "unknown field")
              assert(type(a) == "userdata" and getmetatable(a) == false, "opaque")
              assert(tostring(a):find('^ivr.menu{rec="welcome", loop=2'), tostring(a))
              local ok, err = pcall(function() a.rec = "other" end)
              assert(not ok and err:find("actions are read%-only"), err)
              local d = ivr.dial{ targets = { "1", { target = "2", type = "EXTENSION" } }, custom_data = { k = "v" } }
              assert(d.targets[2].type == "EXTENSION" and d.targets[1].target == "1", "targets")
              assert(d.custom_data.k == "v" and d.recording == nil, "custom data")
              return a
            end
            """
        let result = run(source)
        #expect(result.succeeded, "\(result.failure?.message ?? "")")
        #expect(result.action?["LOOP"] == .int(2))
    }

    @Test func actionsAreCollected() {
        // Thousands of actions: every box is released by __gc (ASan would report leaks or double frees).
        let source = """
            function on_start(call)
              for i = 1, 5000 do local a = ivr.hangup{ hangup_cause = i } end
              collectgarbage("collect")
              return ivr.hangup{}
            end
            """
        #expect(run(source).succeeded)
    }
}
