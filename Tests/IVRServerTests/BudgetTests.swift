import Foundation
import IVRWire
import Testing

/// Slow, looping and greedy scripts take the fallback path in time, and the
/// engine keeps serving.
@Suite struct BudgetTests {
    static let script = """
    function on_start(call)
      call.state.started = true
      return ivr.menu{ rec = "welcome", menu = "m" }
    end
    menus = {}
    function menus.loop(call) call.state.touched = true while true do end end
    function menus.bomb(call)
      local t = {}
      while true do t[#t + 1] = string.rep("x", 1 << 20) .. #t end
    end
    function menus.stuck(call)
      -- One long C call (about 1.5 s): the count hook cannot run inside it.
      local s = string.rep("a", 20000)
      return ivr.menu{ rec = tostring(s:find(".-b")), menu = "m" }
    end
    function menus.check(call)
      return ivr.menu{ rec = call.state.touched and "dirty" or "clean", menu = "m" }
    end
    fallback = ivr.vo{ layer = 1, record = "sorry" }
    """

    func expectFallback(_ reply: WireValue) {
        #expect(reply["STATUS"] == .int(0))
        #expect(reply["ACTION"] == .string("VO"))
        #expect(reply["DATA", "RECORD"] == .string("sorry"))
    }

    @Test(arguments: [WireFormat.json, .xml])
    func infiniteLoopTakesFallbackWithinBudget(format: WireFormat) throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], scriptTimeout: .milliseconds(200))
        let client = try server.client()
        let id = "loop-\(format)"
        _ = try client.request("POST", "/", body: Wire.getAction(id, format: format))
        let start = ContinuousClock.now
        let reply = try Wire.parse(try client.request("POST", "/", body: Wire.getAction(id, dtmf: "1", menu: "loop", format: format)), format)
        #expect(ContinuousClock.now - start < .seconds(2))
        expectFallback(reply)
        // The failed request's state change was not saved.
        let check = try Wire.parse(try client.request("POST", "/", body: Wire.getAction(id, menu: "check", format: format)), format)
        #expect(check["DATA", "REC"] == .string("clean"))
    }

    @Test func memoryBombTakesFallbackAndEngineKeepsServing() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], memoryMiB: 16)
        let client = try server.client()
        for i in 0..<3 {
            let reply = try Wire.parse(try client.request("POST", "/", body: Wire.getAction("bomb-\(i)", menu: "bomb", format: .json)), .json)
            expectFallback(reply)
        }
        let ok = try Wire.parse(try client.request("POST", "/", body: Wire.getAction("after-bomb", format: .json)), .json)
        #expect(ok["ACTION"] == .string("MENU"))
    }

    /// A script in one long C call (a pathological pattern): the call is stopped
    /// at the deadline, the prepared fallback leaves in time, and the only HTTP
    /// thread, which ran it, serves the next call.
    @Test func deadlineHoldsWhileStateIsStuckInC() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], deadline: .milliseconds(400),
                                    scriptTimeout: .milliseconds(5000), threads: 1)
        let client = try server.client()
        let start = ContinuousClock.now
        let reply = try Wire.parse(try client.request("POST", "/", body: Wire.getAction("stuck", menu: "stuck", format: .xml)), .xml)
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .milliseconds(1500))
        expectFallback(reply)
        // The thread that ran it is free again: the engine answers new calls.
        let ok = try Wire.parse(try client.request("POST", "/", body: Wire.getAction("after-stuck", format: .json)), .json)
        #expect(ok["ACTION"] == .string("MENU"))
    }

    @Test func builtinFallbackWhenScriptHasNone() throws {
        let script = """
        function on_start(call) error("database down") end
        function on_layer(call) return ivr.menu{ rec = "wrong kind", menu = "m" } end
        """
        let server = try TestServer(scripts: ["main.lua": script])
        let client = try server.client()
        let reply = try Wire.parse(try client.request("POST", "/", body: Wire.getAction("err", format: .json)), .json)
        #expect(reply == .structure([WireMember("STATUS", .int(1)), WireMember("ACTION", .string("HANGUP")),
                                     WireMember("LANGUAGE", .string("he")), WireMember("DATA", .structure([]))]))
        let layer = try client.request("POST", "/", body: Wire.layer("err", dtmf: "1", layer: .int(3), format: .xml))
        #expect(layer.status == 200)
        #expect(try Wire.parse(layer, .xml) == .structure([WireMember("STATUS", .int(1))]))
        // HANGUP_CALL is acknowledged even without on_hangup.
        let ack = try client.request("POST", "/", body: Wire.hangup("err", format: .json))
        #expect(try Wire.parse(ack, .json) == .structure([WireMember("STATUS", .int(0))]))
    }
}
