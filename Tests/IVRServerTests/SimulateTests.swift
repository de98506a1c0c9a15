import Foundation
import IVREngine
import IVRTools
import IVRWire
import Testing

/// A small menu: 3 reads the caller's number back, 9 says goodbye; on_hangup logs.
private let smallMenu = #"""
function on_start(call)
  return ivr.menu{ rec = "welcome", menu = "main", loop = 2, validation = 1 }
end
menus = {}
function menus.main(call)
  if call.dtmf == "3" then
    return ivr.saydigits{ rec = "your_number_is", saydigitsrecord = "blank", digits = call.caller_id, menu = "main" }
  elseif call.dtmf == "9" then
    return ivr.hangup{ hangup_rec = "goodbye", hangup_cause = 16 }
  end
  return ivr.menu{ rec = "invalid_" .. call.dtmf .. "_after_" .. call.previous_menu, menu = "main" }
end
function on_hangup(call)
  ivr.log.info("on_hangup ran:", call.hangup.call_status, call.hangup.target)
end
"""#

@Suite struct SimulateTests {
    @Test func dtmfPathThroughMenuSayDigitsHangup() throws {
        let dir = try TestServer.makeDirectory(["main.lua": smallMenu])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["simulate", "--scripts", dir, "--dtmf", "3,9"])
        #expect(run.status == 0)
        let lines = run.lines
        try #require(lines.count == 4, "\(run.stdout)")
        #expect(lines[0] == "#1 GET_IVR_ACTION MENU -1 => MENU main: play welcome x2, collect up to 1 digit (validation on), 1 s between plays")
        #expect(lines[1] == "#2 GET_IVR_ACTION MENU main, DTMF 3 => SAYDIGITS 0541234567 after your_number_is, then menu main: collect up to 1 digit (validation off), digits record blank")
        #expect(lines[2] == "#3 GET_IVR_ACTION MENU main, DTMF 9 => HANGUP: play goodbye, cause 16 (normal clearing)")
        #expect(lines[3] == "#4 HANGUP_CALL ANSWER => STATUS 0")
        #expect(run.stderr.contains("on_hangup ran: ANSWER"))
    }

    @Test func menuAndPreviousMenuFollowTheMenusHandedOut() throws {
        let dir = try TestServer.makeDirectory(["main.lua": smallMenu])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["simulate", "--scripts", dir, "--dtmf", "5,,#"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("MENU main, DTMF 5 => MENU main: play invalid_5_after_-1,"))
        #expect(run.stdout.contains("MENU main, no digits => MENU main: play invalid__after_main,"))
        #expect(run.stdout.contains("MENU main, DTMF # => MENU main: play invalid_#_after_main,"))
        #expect(run.lines.last == "#5 HANGUP_CALL CANCEL => STATUS 0")  // the digits ran out: the caller hung up
        #expect(run.stderr.contains("on_hangup ran: CANCEL"))
    }

    @Test func xmlVerboseShowsTheRawBodies() throws {
        let dir = try TestServer.makeDirectory(["main.lua": smallMenu])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["simulate", "--scripts", dir, "--format", "xml", "--verbose", "--dtmf", "9"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("<methodCall><methodName>GET_IVR_ACTION</methodName>"))
        #expect(run.stdout.contains("<name>MENU</name><value><string>-1</string></value>"))
        #expect(run.stdout.contains("<methodResponse><params><param><value><struct><member><name>STATUS</name>"))
        #expect(run.stdout.contains("<methodCall><methodName>HANGUP_CALL</methodName>"))
        #expect(run.stdout.contains("HANGUP: play goodbye"))
    }

    @Test func digitsFromStandardInputWithoutAPrompt() throws {
        let dir = try TestServer.makeDirectory(["main.lua": smallMenu])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["simulate", "--scripts", dir], stdin: "3\n9\n")
        #expect(run.status == 0)
        #expect(!run.stdout.contains("digits for"))
        #expect(run.lines.count == 4)
        #expect(run.stdout.contains("DTMF 3 => SAYDIGITS"))
        #expect(run.stdout.contains("DTMF 9 => HANGUP"))

        let short = try EngineCLI.run(["simulate", "--scripts", dir], stdin: "3\n")  // end of input hangs up
        #expect(short.status == 0)
        #expect(short.lines.count == 3)
        #expect(short.lines.last == "#3 HANGUP_CALL CANCEL => STATUS 0")
        #expect(short.stderr.contains("on_hangup ran: CANCEL"))
    }

    @Test func aFailingHandlerShowsTheFallbackAndExits1() throws {
        let dir = try TestServer.makeDirectory(["main.lua": #"""
        function on_start(call)
          return ivr.menu{ rec = "hi", menu = "m" }
        end
        menus = {}
        function menus.m(call)
          error("boom " .. call.dtmf)
        end
        """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["simulate", "--scripts", dir, "--dtmf", "7"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("#2 GET_IVR_ACTION MENU m, DTMF 7 => FALLBACK (error: \(dir)/main.lua:6: boom 7) HANGUP [STATUS 1]"))
        #expect(run.stdout.contains("HANGUP_CALL"))
    }

    @Test func layerFlowGoesToLayerThenDials() throws {
        let dir = try TestServer.makeDirectory(["ivr.lua": #"""
        function on_layer(call)
          local prev = tostring(call.previous_layer_id)
          if call.layer_id == 8 then
            return ivr.go_to_layer{ layer = 22, custom_data = { account = call.dtmf, prev = prev } }
          end
          return ivr.dial{ targets = { "0501234567", { target = "201", type = "EXTENSION" } },
                           recording = true, custom_data = { prev = prev } }
        end
        function on_hangup(call) ivr.log.info("layer call ended, target", call.hangup.target) end
        """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["simulate", "--scripts", dir, "--route", "ivr", "--layer", "8", "--dtmf", "1234,1,5"])
        #expect(run.status == 0)
        #expect(run.lines == [
            "#1 IVR_LAYER_INPUT LAYER_ID 8, DTMF 1234 => GO_TO_LAYER 22 (custom data account=1234, prev=-1)",
            "#2 IVR_LAYER_INPUT LAYER_ID 22, DTMF 1 => DIAL 0501234567 (PHONE), 201 (EXTENSION), recording yes (custom data prev=8)",
            "#3 HANGUP_CALL ANSWER => STATUS 0",
        ])
        #expect(run.stderr.contains("layer call ended, target 0501234567"))
    }

    @Test func sampleMenusFollowMainLua() throws {
        let run = try EngineCLI.run(["simulate", "--scripts", EngineCLI.sampleMenus, "--dtmf", "3,1"])
        #expect(run.status == 0)
        let lines = run.lines
        try #require(lines.count == 4, "\(run.stdout)")
        #expect(lines[0].hasSuffix("MENU main: play welcome x2, collect up to 1 digit (validation on), 3 s between plays"))
        #expect(lines[1].contains("SAYDIGITS 0541234567 after your_number_is, then menu main"))
        #expect(lines[2].contains("=> CALL 0501234567 (caller id 0541234567, ring 30 s, max 1800 s"))
        #expect(lines[2].contains("if it fails: menu transfer_failed"))
        #expect(lines[3] == "#4 HANGUP_CALL ANSWER => STATUS 0")
        #expect(run.stderr.contains("call ended: ANSWER"))

        let failed = try EngineCLI.run(["simulate", "--scripts", EngineCLI.sampleMenus, "--transfer-fails", "--dtmf", "2,1"])
        #expect(failed.status == 0)
        #expect(failed.stdout.contains("#3 GET_IVR_ACTION MENU transfer_failed, DTMF 1 => SILENTRECORD: play leave_a_message, record up to 120 s"))

        let layer = try EngineCLI.run(["simulate", "--scripts", EngineCLI.sampleMenus, "--route", "layer", "--layer", "8",
                                       "--dtmf", "1234,2"])
        #expect(layer.status == 0)
        #expect(layer.stdout.contains("GO_TO_LAYER 22 (caller name Account 1234; custom data account=1234, source=ivr-engine)"))
        #expect(layer.stdout.contains("DIAL 201 (EXTENSION) (custom data account=1234)"))
    }

    @Test func unknownRouteAndBadDigitsAreClearErrors() throws {
        let route = try EngineCLI.run(["simulate", "--scripts", EngineCLI.sampleMenus, "--route", "nope"])
        #expect(route.status == 1)
        #expect(route.stderr.contains("no script for route 'nope'"))
        let digits = try EngineCLI.run(["simulate", "--scripts", EngineCLI.sampleMenus, "--dtmf", "1,x"])
        #expect(digits.status != 0)
        #expect(digits.stderr.contains("--dtmf"))
    }

    @Test func helpDocumentsTheCommand() throws {
        let run = try EngineCLI.run(["simulate", "--help"])
        #expect(run.status == 0)
        for text in ["--dtmf", "--layer", "--verbose", "HANGUP_CALL", "Exit status"] {
            #expect(run.stdout.contains(text), "\(text)")
        }
    }
}

extension SimulateTests {
    /// The words of each action kind, in-process.
    @Suite struct ReplyWords {
        private func action(_ kind: ActionKind, _ fields: [String: WireValue], language: String? = nil) throws -> IVRAction {
            try IVRAction(kind: kind, language: language, fields: fields)
        }

        @Test func everyKindInWords() throws {
            let cases: [(IVRAction, String)] = [
                (try action(.menu, ["REC": .string("welcome"), "MENU": .string("main"), "SIZE": .int(4)]),
                 "MENU main: play welcome, collect up to 4 digits (validation off)"),
                (try action(.call, ["TARGET": .string("0501234567"), "CALLERID": .string("0541234567"),
                                    "CALLERNAME": .string("Dana"), "NEXT_MENU": .string("transfer_failed")]),
                 "CALL 0501234567 (caller id 0541234567, caller name Dana, ring 30 s, max 3600 s, if it fails: menu transfer_failed)"),
                (try action(.vo, ["LAYER": .int(1), "RECORD": .string("sorry")]), "VO: layer 1, play sorry"),
                (try action(.sayDigits, ["REC": .string("your_number_is"), "MENU": .string("main"), "LOOP": .int(2),
                                         "SAYDIGITSRECORD": .string("blank"), "DIGITS": .string("0541234567")]),
                 "SAYDIGITS 0541234567 after your_number_is x2, then menu main: collect up to 1 digit (validation off), "
                    + "1 s between plays, digits record blank"),
                (try action(.vo, ["LAYER": .int(1), "RECORD": .string("sorry"), "LOOP": .int(3), "DELAY": .int(2)]),
                 "VO: layer 1, play sorry x3, 2 s between plays"),
                (try action(.hangup, [:]), "HANGUP"),
                (try action(.silentRecord, [:]), "SILENTRECORD: record"),
                (try action(.goToLayer, ["LAYER": .int(8)]), "GO_TO_LAYER 8"),
                (try action(.layerSayDigits, ["NEXT_LAYER": .int(8), "DATA": .array([
                    .structure([WireMember("RecordType", .string("Recording")), WireMember("Content", .string("you_pressed"))]),
                    .structure([WireMember("RecordType", .string("Digits")), WireMember("Content", .string("12"))]),
                ])]), "SAY_DIGITS recording you_pressed, digits 12, then layer 8"),
                (try action(.hangup, ["HANGUP_CAUSE": .int(17)], language: "en"), "HANGUP: cause 17 (user busy), language en"),
            ]
            for (action, words) in cases {
                #expect(ReplyDescription.line(for: action) == words)
            }
            #expect(ReplyDescription.line(for: .status(1)) == "STATUS 1 (Voicenter uses its own fallback)")
        }
    }
}
