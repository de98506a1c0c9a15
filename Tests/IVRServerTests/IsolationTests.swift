import Foundation
import IVRWire
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A route whose script ran out of time is quarantined: its requests run on a
/// pool of their own, so the HTTP thread keeps serving the other routes.
@Suite struct IsolationTests {
    @Test func aLoopingRouteNoLongerHoldsTheHTTPThread() throws {
        let server = try TestServer(scripts: [
            "main.lua": #"function on_start(call) return ivr.menu{ rec = "ok", menu = "m" } end"#,
            "loop.lua": #"function on_start(call) while true do end end"#,
        ], scriptTimeout: .milliseconds(600), threads: 1)
        // The first timeout runs on the HTTP thread and quarantines the route.
        let first = try server.client().request("POST", "/loop", body: Wire.getAction("loop-1", format: .json))
        #expect(first.status == 200)
        // Now a looping request runs on the pool, and the one HTTP thread answers a healthy request meanwhile.
        let looping = try server.client()
        try looping.send(Array("POST /loop HTTP/1.1\r\nHost: x\r\nContent-Length: \(Wire.getAction("loop-2", format: .json).count)\r\n\r\n".utf8)
                         + Wire.getAction("loop-2", format: .json))
        usleep(50_000)
        let healthy = try server.client().request("POST", "/", body: Wire.getAction("healthy", format: .json))
        #expect(try Wire.parse(healthy, .json)["DATA", "REC"] == .string("ok"))
        var poll = pollfd(fd: looping.fd, events: Int16(POLLIN), revents: 0)
        #expect(Glibc.poll(&poll, 1, 0) == 0)  // the looping request is still running
        let late = try looping.readResponse()
        #expect(late.status == 200)
        #expect(try Wire.parse(late, .json)["DATA", "REC"] != .string("ok"))
    }
}
