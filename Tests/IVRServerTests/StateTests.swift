import Foundation
import IVRWire
import Testing

/// call.state and call.seq over real HTTP: kept, deleted after HANGUP_CALL, expired after the TTL.
@Suite struct StateTests {
    static let script = """
    function on_start(call) call.state.visits = 1 return ivr.menu{ rec = "seq" .. call.seq, menu = "m" } end
    menus = {}
    function menus.m(call)
      call.state.visits = (call.state.visits or 0) + 1
      return ivr.menu{ rec = "seq" .. call.seq .. " visits" .. call.state.visits, menu = "m" }
    end
    function on_hangup(call) call.state.visits = 99 end
    """

    func rec(_ server: TestServer, _ id: String, menu: String) throws -> WireValue? {
        let response = try server.client().request("POST", "/", body: Wire.getAction(id, dtmf: "1", menu: menu, format: .json))
        return try Wire.parse(response, .json)["DATA", "REC"]
    }

    @Test func stateIsDeletedAfterHangup() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script])
        #expect(try rec(server, "h1", menu: "-1") == .string("seq1"))
        #expect(try rec(server, "h1", menu: "m") == .string("seq2 visits2"))
        _ = try server.client().request("POST", "/", body: Wire.hangup("h1", format: .xml))
        #expect(server.engine.activeCalls == 0)
        // The same id again is a new call with empty state, even mid-menu.
        #expect(try rec(server, "h1", menu: "m") == .string("seq1 visits1"))
    }

    @Test func stateExpiresAfterTTL() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], stateTTL: 1)
        #expect(try rec(server, "t1", menu: "-1") == .string("seq1"))
        #expect(try rec(server, "t1", menu: "m") == .string("seq2 visits2"))
        Thread.sleep(forTimeInterval: 1.6)
        #expect(try rec(server, "t1", menu: "m") == .string("seq1 visits1"))
    }
}
