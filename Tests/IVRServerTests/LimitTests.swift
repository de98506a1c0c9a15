import Foundation
import Synchronization
import IVRWire
import Testing

/// cli.md "Limits": request timeout, connections, steps, calls, retries answered once.
@Suite struct LimitTests {
    static let script = #"""
    function on_start(call)
      call.state.n = (call.state.n or 0) + 1
      return ivr.menu{ rec = "n" .. call.state.n, menu = "m" }
    end
    on_input = on_start
    function fallback(call) return ivr.menu{ rec = "sorry", menu = "m" } end
    """#

    @Test func aRequestDribbledByteByByteIsCutAtTheRequestTimeout() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], requestTimeout: 1)
        let slow = try server.client()
        let start = ContinuousClock.now
        var cut = false
        // One byte every 100 ms never lets the connection go idle, yet must not hold it past 1 s.
        for byte in Array("POST /main HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
            do { try slow.send([byte]) } catch { cut = true; break }
            usleep(100_000)
            if ContinuousClock.now - start > .seconds(3) { break }
        }
        if !cut { cut = slow.isClosedByServer() }
        #expect(cut)
        #expect(ContinuousClock.now - start < .seconds(3))
        // A keep-alive connection idle longer than the request timeout is still served (idle timeout governs it).
        let idle = try server.client()
        #expect(try idle.request("POST", "/", body: Wire.getAction("idle", format: .json)).status == 200)
        usleep(1_500_000)
        #expect(try idle.request("POST", "/", body: Wire.getAction("idle", format: .json)).status == 200)
    }

    @Test func connectionsBeyondTheLimitAreClosedAtOnce() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], threads: 1, connectionLimit: 2)
        let first = try server.client(), second = try server.client()
        #expect(try first.request("POST", "/", body: Wire.getAction("c1", format: .json)).status == 200)
        #expect(try second.request("POST", "/", body: Wire.getAction("c2", format: .json)).status == 200)
        let third = try RawHTTPClient(port: server.port, timeout: 2)
        #expect(third.isClosedByServer())
        #expect(try first.request("POST", "/", body: Wire.getAction("c1", format: .json)).status == 200)
    }

    @Test func newCallsBeyondMaxCallsGetTheFallbackAndKeepNoState() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], maxCalls: 2)
        let client = try server.client()
        for id in ["a", "b"] {
            #expect(try Wire.parse(client.request("POST", "/", body: Wire.getAction(id, format: .json)), .json)["DATA", "REC"] == .string("n1"))
        }
        let refused = try client.request("POST", "/", body: Wire.getAction("c", format: .json))
        #expect(refused.status == 200)
        #expect(try Wire.parse(refused, .json)["ACTION"] != nil)
        #expect(try Wire.parse(refused, .json)["DATA", "REC"] != .string("n1"))
        #expect(server.engine.activeCalls == 2)
        #expect(server.engine.state(of: "c") == nil)
        // Calls in progress go on.
        let next = try client.request("POST", "/", body: Wire.getAction("a", dtmf: "1", menu: "m", format: .json))
        #expect(try Wire.parse(next, .json)["DATA", "REC"] == .string("n2"))
        #expect(server.engine.metrics.render(activeCalls: 0).contains(#"reason="max_calls""#))
    }

    @Test func requestsAfterMaxStepsGetTheFallbackAndHangupIsServed() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], maxSteps: 2)
        let client = try server.client()
        for n in 1...2 {
            let reply = try Wire.parse(client.request("POST", "/", body: Wire.getAction("s", menu: n == 1 ? "-1" : "m", format: .json)), .json)
            #expect(reply["DATA", "REC"] == .string("n\(n)"))
        }
        let third = try Wire.parse(client.request("POST", "/", body: Wire.getAction("s", menu: "m", format: .json)), .json)
        #expect(third["DATA", "REC"] != .string("n3"))
        #expect(third["ACTION"] != nil)
        let hangup = try client.request("POST", "/", body: Wire.hangup("s", format: .json))
        #expect(hangup.status == 200)
        #expect(try Wire.parse(hangup, .json)["STATUS"] == .int(0))
        #expect(server.engine.metrics.render(activeCalls: 0).contains(#"reason="max_steps""#))
    }

    @Test func aRetryThatOvertookItsOriginalGetsTheSameReplyAndTheHandlerRunsOnce() throws {
        let slow = #"""
        function on_start(call)
          local t = os.clock() while os.clock() - t < 0.3 do end
          call.state.n = (call.state.n or 0) + 1
          return ivr.menu{ rec = "n" .. call.state.n, menu = "m" }
        end
        """#
        // In process, from two threads, so the retry surely waits behind its original in the call's turn
        // (over HTTP both may land on one HTTP thread, and then the second simply runs after the first).
        let server = try TestServer(scripts: ["main.lua": slow], threads: 2)
        let body = Wire.getAction("retry", format: .json)
        let replies = Mutex<[[UInt8]]>([])
        let group = DispatchGroup()
        for delay in [0, 100_000] {
            group.enter()
            Thread.detachNewThread {
                usleep(useconds_t(delay))
                let result = server.engine.process(route: "main", body: body)
                replies.withLock { $0.append(result.body) }
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 5) == .success)
        let both = replies.withLock { $0 }
        #expect(both.count == 2)
        #expect(both.first == both.last)
        #expect(both.first.map { String(decoding: $0, as: UTF8.self).contains("\"n1\"") } == true)
        #expect(server.engine.state(of: "retry")?["n"] == .int(1))
    }
}
