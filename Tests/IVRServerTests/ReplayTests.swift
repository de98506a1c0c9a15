import Foundation
import IVREngine
import IVRScript
import IVRTools
import IVRWire
import Testing

/// `replay` in both modes, on sessions recorded by a real server with `--record`.
@Suite struct ReplayTests {
    /// A menu whose decisions depend on the digits, the state and the clock.
    static let scripts: [String: String] = [
        "main.lua": """
        function on_start(call)
          call.state.tries = 0
          return ivr.menu{ rec = "welcome", menu = "main", loop = 2 }
        end
        menus = {}
        function menus.main(call)
          if call.dtmf == "1" then
            return ivr.call{ target = "0501234567", next_menu = "main" }
          elseif call.dtmf == "2" then
            return ivr.saydigits{ rec = "your_number", menu = "main", saydigitsrecord = "blank", digits = call.caller_id }
          end
          call.state.tries = call.state.tries + 1
          if call.state.tries >= 2 then return ivr.hangup{ hangup_rec = "bye" } end
          return ivr.menu{ rec = "invalid", menu = "main" }
        end
        """,
        "clock.lua": """
        function on_start(call) return ivr.menu{ rec = os.date("!%Y-%m-%d", math.floor(ivr.now())), menu = "m" } end
        """,
    ]

    /// Records three calls (both formats, a bad request) through a real server; returns the file and the server.
    static func record() throws -> (path: String, server: TestServer) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ivr-rec-\(UUID().uuidString).jsonl").path
        let recorder = try ExchangeRecorder(path: path)
        let server = try TestServer(scripts: scripts, recorder: recorder)
        let client = try server.client()
        for (n, format) in [(1, WireFormat.json), (2, .xml), (3, .json)] {
            let id = "call\(n)"
            _ = try client.request("POST", "/", body: Wire.getAction(id, format: format))
            _ = try client.request("POST", "/", body: Wire.getAction(id, dtmf: "9", menu: "main", format: format))
            _ = try client.request("POST", "/", body: Wire.getAction(id, dtmf: "\(n)", menu: "main", format: format))
            _ = try client.request("POST", "/", body: Wire.hangup(id, format: format))
        }
        _ = try client.request("POST", "/", body: Array("{not json".utf8), contentType: "application/json")
        recorder.close()
        return (path, server)
    }

    static func inProcess(_ directory: String, _ path: String, options: ReplayOptions = ReplayOptions(verify: true)) throws -> ReplaySummary {
        let calls = try Recording.load([path])
        return try InProcessPlayer(config: EngineConfig(scriptsDirectory: directory), options: options).run(calls)
    }

    @Test func recordingGroupsExchangesIntoCalls() throws {
        let (path, _) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let calls = try Recording.load([path])
        #expect(calls.map(\.id) == ["call1", "call2", "call3", "\(path):13"])
        #expect(calls.map(\.steps.count) == [4, 4, 4, 1])
        #expect(calls[1].format == .xml)
        #expect(calls[3].steps[0].status == 400)
    }

    @Test func honestRecordingVerifiesCleanInProcess() throws {
        let (path, server) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try Self.inProcess(server.directory, path)
        #expect(summary.differences == [])
        #expect(summary.requests == 13)
        #expect(summary.calls == 4)
        #expect(summary.errors == 0)
    }

    @Test func changedScriptIsCaughtAndTheDifferenceNamed() throws {
        let (path, _) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let candidate = try TestServer.makeDirectory(["main.lua": Self.scripts["main.lua"]!
            .replacingOccurrences(of: "target = \"0501234567\"", with: "target = \"0509999999\"")])
        defer { try? FileManager.default.removeItem(atPath: candidate) }
        let summary = try Self.inProcess(candidate, path)
        // call1 pressed 1 (CALL); clock.lua is gone from the candidate, but no call used it.
        #expect(summary.differences.count == 1)
        let difference = try #require(summary.differences.first)
        #expect(difference.callID == "call1")
        #expect(difference.step == 3)
        #expect(difference.request == "GET_IVR_ACTION MENU main, DTMF 1")
        #expect(difference.recorded.hasPrefix("CALL 0501234567 ("))
        #expect(difference.now.hasPrefix("CALL 0509999999 ("))
        #expect(difference.fields == [#"DATA.TARGET: "0501234567" != "0509999999""#])
    }

    @Test func tamperedRecordingIsCaught() throws {
        let (path, server) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: #"\"REC\":\"invalid\""#, with: #"\"REC\":\"forged\""#)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try Self.inProcess(server.directory, path)
        // The JSON calls (1 and 3) had the invalid-key menu at step 2; call2 is XML-RPC.
        #expect(summary.differences.map(\.callID) == ["call1", "call3"])
        #expect(summary.differences.map(\.step) == [2, 2])
        #expect(summary.differences[0].fields == [#"DATA.REC: "forged" != "invalid""#])
        #expect(summary.differences[0].recorded.hasPrefix("MENU main: play forged"))
    }

    @Test func repliesAreComparedAsValuesNotBytes() throws {
        let (path, server) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Reorder members and add whitespace in every recorded JSON reply: same values.
        var lines: [String] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            var edited = object
            if let response = object["response"] as? String, response.hasPrefix("{"),
               let reply = try JSONSerialization.jsonObject(with: Data(response.utf8)) as? [String: Any] {
                let data = try JSONSerialization.data(withJSONObject: reply, options: [.sortedKeys, .prettyPrinted])
                edited["response"] = String(decoding: data, as: UTF8.self)
                #expect(edited["response"] as? String != response)
            }
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: edited), as: UTF8.self))
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try Self.inProcess(server.directory, path)
        #expect(summary.differences == [])
        #expect(summary.requests == 13)
    }

    @Test func scriptClockIsPinnedToTheRecordedTime() throws {
        let directory = try TestServer.makeDirectory(Self.scripts)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/old.jsonl"
        let request = #"{\"METHOD\":\"GET_IVR_ACTION\",\"DATA\":{\"IVR_UNIQUE_ID\":\"old\",\"MENU\":\"-1\"}}"#
        let reply = #"{\"STATUS\":0,\"ACTION\":\"MENU\",\"LANGUAGE\":\"he\",\"DATA\":{\"REC\":\"2020-09-13\",\"LOOP\":1,\"DELAY\":1,\"SIZE\":1,\"MENU\":\"m\",\"VALIDATION\":0}}"#
        let line = #"{"ts":1600000000000,"route":"clock","format":"json","request":""# + request
            + #"","status":200,"response":""# + reply + #"","micros":50}"#
        try (line + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try Self.inProcess(directory, path)
        #expect(summary.differences == [])
        #expect(summary.requests == 1)
    }

    @Test func copiesAndConcurrencyInProcessStayDeterministic() throws {
        let (path, server) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try Self.inProcess(server.directory, path, options: ReplayOptions(concurrency: 4, copies: 5, verify: true))
        #expect(summary.differences == [])
        #expect(summary.requests == 65)
        #expect(summary.calls == 20)
    }

    @Test func overHTTPWithCopiesVerifiesClean() throws {
        let (path, server) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let calls = try Recording.load([path])
        let player = try HTTPPlayer(url: "http://127.0.0.1:\(server.port)", options: ReplayOptions(concurrency: 3, copies: 4, verify: true))
        let summary = try player.run(calls)
        #expect(summary.differences == [])
        #expect(summary.requests == 52)
        #expect(summary.calls == 16)
        #expect(summary.errors == 0)
        // Fresh ids: every play hung up its own call, so nothing is left.
        #expect(server.engine.activeCalls == 0)
        let line = summary.lines(verified: true)[2]
        #expect(line.hasPrefix("latency p50="))
        #expect(line.contains(" p90=") && line.contains(" p99=") && line.contains(" p99.9=") && line.contains(" max="))
    }

    @Test func overHTTPATamperedRecordingIsCaught() throws {
        let (path, server) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "<name>REC</name><value><string>invalid</string>", with: "<name>REC</name><value><string>forged</string>")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let calls = try Recording.load([path])
        let summary = try HTTPPlayer(url: "http://127.0.0.1:\(server.port)", options: ReplayOptions(concurrency: 2, verify: true)).run(calls)
        #expect(summary.differences.map(\.callID) == ["call2"])
        #expect(summary.differences.first?.fields == [#"DATA.REC: "forged" != "invalid""#])
    }

    @Test func durationLoopsAndRateCaps() throws {
        let (path, server) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let calls = try Recording.load([path])
        let url = "http://127.0.0.1:\(server.port)"
        let looped = try HTTPPlayer(url: url, options: ReplayOptions(concurrency: 2, duration: 0.3)).run(calls)
        #expect(looped.seconds >= 0.3)
        #expect(looped.requests > 13)
        #expect(looped.errors == 0)
        // 26 requests at 100/s cannot take less than about a quarter of a second.
        let capped = try HTTPPlayer(url: url, options: ReplayOptions(concurrency: 2, copies: 2, rate: 100)).run(calls)
        #expect(capped.requests == 26)
        #expect(capped.seconds >= 0.2)
    }

    @Test func unreachableEngineCountsTransportErrors() throws {
        let (path, _) = try Self.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let calls = try Recording.load([path])
        let summary = try HTTPPlayer(url: "http://127.0.0.1:1", options: ReplayOptions(concurrency: 1)).run(calls)
        #expect(summary.transportErrors == 13)
    }
}
