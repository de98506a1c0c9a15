import Foundation
import Testing

/// `ivr-engine replay` as an operator runs it: output, exit status, report file.
@Suite struct ReplayCommandTests {
    @Test func regressionDiffExitsOneAndWritesTheReport() throws {
        let (path, server) = try ReplayTests.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clean = try EngineCLI.run(["replay", path, "--scripts", server.directory, "--verify"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.lines.first?.hasPrefix("requests 13, calls 4, ") == true)
        #expect(clean.lines.contains("differences 0"))
        #expect(clean.lines.contains { $0.hasPrefix("latency p50=") })

        let candidate = try TestServer.makeDirectory(["main.lua": ReplayTests.scripts["main.lua"]!
            .replacingOccurrences(of: #"rec = "invalid""#, with: #"rec = "try_again""#)])
        defer { try? FileManager.default.removeItem(atPath: candidate) }
        let report = candidate + "/report.json"
        let run = try EngineCLI.run(["replay", path, "--scripts", candidate, "--verify", "--report", report])
        #expect(run.status == 1)
        // The invalid-key menu of each of the three calls, at step 2.
        #expect(run.stdout.contains("call call1 step 2 (\(path):2): GET_IVR_ACTION MENU main, DTMF 9\n"))
        #expect(run.stdout.contains("  recorded: MENU main: play invalid, collect up to 1 digit (validation off)\n"))
        #expect(run.stdout.contains("  now:      MENU main: play try_again, collect up to 1 digit (validation off)\n"))
        #expect(run.stdout.contains(#"  DATA.REC: "invalid" != "try_again""#))
        #expect(run.lines.contains("differences 3"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        #expect(object["requests"] as? Int == 13)
        #expect(object["calls"] as? Int == 4)
        #expect((object["differences"] as? [Any])?.count == 3)
        #expect((object["latency_ms"] as? [String: Any])?.keys.sorted() == ["max", "p50", "p90", "p99", "p99.9"])
    }

    @Test func overHTTPWithoutVerifyExitsZero() throws {
        let (path, server) = try ReplayTests.record()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try EngineCLI.run(["replay", path, "--url", "http://127.0.0.1:\(server.port)", "--copies", "2",
                                     "--concurrency", "4"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.lines.first?.hasPrefix("requests 26, calls 8, ") == true)
        #expect(run.lines.contains("errors 0 (transport 0, HTTP status other than recorded 0)"))
    }

    @Test func badUsageAndUnreadableRecordingsAreClear() throws {
        let neither = try EngineCLI.run(["replay", "x.jsonl"])
        #expect(neither.status != 0)
        #expect(neither.stderr.contains("exactly one of --url and --scripts"))
        let missing = try EngineCLI.run(["replay", "/nonexistent/calls.jsonl", "--scripts", EngineCLI.sampleMenus])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/calls.jsonl: cannot be read"))
        let dir = try TestServer.makeDirectory(["bad.jsonl": "{\"ts\":1}\nnot json\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = try EngineCLI.run(["replay", dir + "/bad.jsonl", "--scripts", EngineCLI.sampleMenus])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(dir)/bad.jsonl:1: 'route' must be a string"))
    }
}
