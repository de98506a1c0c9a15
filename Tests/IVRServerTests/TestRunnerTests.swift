import Foundation
import IVREngine
import IVRTools
import IVRScript
import IVRState
import IVRWire
import Logging
import Testing

/// `ivr-engine test`: the operators' Lua tests, run by the built binary.
@Suite struct TestRunnerTests {
    /// A menu whose answers show what the script saw: the clock, its state, a module-level counter.
    static let menu = #"""
    local served = 0   -- per Lua state: shows whether tests share an engine

    function on_start(call)
      served = served + 1
      call.state.n = (call.state.n or 0) + 1
      call.state.started = os.time()
      return ivr.menu{ rec = os.date("%Y-%m-%d %H:%M"), menu = "main", loop = 2 }
    end

    menus = {}
    function menus.main(call)
      served = served + 1
      if call.dtmf == "0" then error("zero is broken") end
      if call.dtmf == "3" then
        return ivr.saydigits{ rec = "n", menu = "main", saydigitsrecord = "b", digits = call.caller_id }
      end
      call.state.tries = (call.state.tries or 0) + 1
      return ivr.menu{ rec = "served " .. served, menu = "main" }
    end

    function on_hangup(call) end
    """#

    @Test func passingFileExitsZeroWithTheSummary() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "main_test.lua": #"""
            test("welcome", function()
              local c = call{ caller_id = "0541234567" }
              expect_action(c:start(), "MENU", { menu = "main", loop = 2 })
              expect_action(c:press("3"), "SAYDIGITS", { digits = "0541234567" })
            end)
            test("xml", function()
              local c = call{ format = "xml" }
              eq(c:start().action, "MENU")
            end)
            """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["test", dir])
        #expect(run.status == 0)
        #expect(run.stdout == "2 passed, 0 failed\n")
    }

    @Test func maxStepsIsAFallbackReasonOfTheHarness() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "main_test.lua": #"""
            test("a call that never ends", function()
              local c = call{}
              c:start()
              for i = 2, 200 do eq(c:press("1").fallback, nil) end
              expect_fallback(c:press("1"), "max_steps")
            end)
            """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["test", dir])
        #expect(run.stdout == "1 passed, 0 failed\n")
    }

    @Test func failingAssertionsAreReportedWithTheirLineAndTheTestGoesOn() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "main_test.lua": #"""
            test("wrong expectations", function()
              local c = call()
              local a = c:start()
              expect_action(a, "HANGUP")
              eq(a.loop, 3)
              expect_action(a, "MENU", { menu = "main" })
            end)
            """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["test", dir])
        #expect(run.status == 1)
        try #require(run.lines.count == 3, "\(run.stdout)")
        #expect(run.lines[0].hasPrefix("\(dir)/main_test.lua:4: expected HANGUP, got MENU {"))
        #expect(run.lines[1] == "\(dir)/main_test.lua:5: expected 3, got 2")
        #expect(run.lines[2] == "0 passed, 1 failed")
    }

    @Test func anErrorStopsItsTestOnlyAndAFileThatDoesNotLoadCounts() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "a_test.lua": #"""
            test("errors", function()
              call():start()
              error("boom")
              eq(1, 2)
            end)
            test("still runs", function()
              ok(true)
            end)
            """#, "lib/b_test.lua": "test('x', function() end)\nlocal = 1\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["test", dir])
        #expect(run.status == 1)
        try #require(run.lines.count == 3, "\(run.stdout)")
        #expect(run.lines[0] == "\(dir)/a_test.lua:3: boom")
        #expect(run.lines[1].hasPrefix("\(dir)/lib/b_test.lua:2: "))
        #expect(run.lines[2] == "1 passed, 2 failed")
    }

    @Test func scriptErrorsShowAsTheFallback() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "main_test.lua": #"""
            test("fallback", function()
              local c = call()
              c:start()
              local a = c:press("0")
              expect_fallback(a, "error")
              ok(a.error:find("zero is broken", 1, true), a.error)
              expect_action(a, "MENU")
            end)
            """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["test", dir])
        #expect(run.status == 1)
        try #require(run.lines.count == 2, "\(run.stdout)")
        // No `fallback` in the script: the built-in answer, STATUS 1 and HANGUP.
        #expect(run.lines[0].hasPrefix("\(dir)/main_test.lua:7: expected MENU, got the fallback (error: "))
        #expect(run.lines[0].hasSuffix("main.lua:13: zero is broken): HANGUP {}"))
        #expect(run.lines[1] == "0 passed, 1 failed")
    }

    @Test func setTimeIsWhatTheScriptsSeeUntilTheTestEnds() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "main_test.lua": #"""
            test("night", function()
              local t = set_time{ year = 2026, month = 11, day = 25, hour = 23, min = 30 }
              local c = call()
              eq(c:start().rec, "2026-11-25 23:30")
              eq(c.state.started, t)
              eq(os.time(), t)
            end)
            test("real clock again", function()
              local c = call()
              ok(c:start().rec ~= "2026-11-25 23:30", "the scripts' clock is real again")
              ok(os.time() - c.state.started < 60, "the test's clock is real again")
            end)
            """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["test", dir])
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout == "2 passed, 0 failed\n")
    }

    @Test func stateIsVisibleAndGoneAfterTheHangup() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "main_test.lua": #"""
            test("state", function()
              local c = call()
              eq(c.state, nil)
              c:start()
              c:press("7")
              c:press("7")
              eq(c.state.tries, 2)
              eq(c.state.n, 1)
              eq(c:hangup{ call_status = "CANCEL" }, { status = 0 })
              eq(c.state, nil)
            end)
            """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["test", dir])
        #expect(run.stdout == "1 passed, 0 failed\n")
    }

    @Test func testsShareNoCallStateOrEngine() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "main_test.lua": #"""
            for i = 1, 2 do
              test("same call id " .. i, function()
                local c = call{ id = "same" }
                c:start()
                eq(c.state.n, 1)                                  -- no state left by the other test
                eq(c:press("7").rec, "served 2")                  -- a fresh engine: its counter starts again
              end)
            end
            """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try EngineCLI.run(["test", dir])
        #expect(run.stdout == "2 passed, 0 failed\n")
        #expect(run.status == 0)
    }

    @Test func filterAndVerbose() throws {
        let dir = try TestServer.makeDirectory(["main.lua": Self.menu, "main_test.lua": #"""
            test("day call", function() call():start() end)
            test("night call", function() eq(1, 2) end)
            """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let day = try EngineCLI.run(["test", dir, "--filter", "day", "--verbose"])
        #expect(day.status == 0)
        #expect(day.stdout.contains("--- \(dir)/main_test.lua: day call"))
        #expect(day.stdout.contains("POST /main GET_IVR_ACTION MENU -1 => MENU main"))
        #expect(day.stdout.hasSuffix("1 passed, 0 failed\n"))
        #expect(!day.stdout.contains("night"))
    }

    @Test func testFilesAreNeitherRoutesNorModules() throws {
        let dir = try TestServer.makeDirectory(["main.lua": "function on_start(call) return ivr.hangup{} end",
                                                "main_test.lua": "test('x', function() end)"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let engine = try Engine(config: EngineConfig(scriptsDirectory: dir, watchInterval: nil),
                                store: InMemoryCallStore(ttl: 60), logger: logger)
        defer { engine.shutdown() }
        #expect(engine.routes == ["main"])
        #expect(engine.problems.isEmpty)
        let body = JSON.encode(.structure([WireMember("METHOD", .string("GET_IVR_ACTION")),
                                           WireMember("DATA", .structure([WireMember("IVR_UNIQUE_ID", .string("t"))]))]))
        #expect(engine.process(route: "main_test", body: body).httpStatus == 404)
        let bundle = try ScriptBundle.load(directory: dir, version: 1)
        #expect(Array(bundle.files.keys) == ["main.lua"])
    }

    @Test func theShippedSampleMenuTestsPass() throws {
        let run = try EngineCLI.run(["test", EngineCLI.sampleMenus])
        #expect(run.status == 0, "\(run.stdout)")
        let summary = run.lines.last.map(String.init) ?? ""
        #expect(run.lines.count == 1, "\(run.stdout)")
        #expect(summary.hasSuffix(" passed, 0 failed"))
        #expect((Int(summary.split(separator: " ").first ?? "") ?? 0) >= 20)
    }

    @Test func unreadableDirectoryIsExitTwo() throws {
        let run = try EngineCLI.run(["test", "/nonexistent/ivr-menus"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("/nonexistent/ivr-menus"))
    }
}
