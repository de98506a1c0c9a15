import Dispatch
import Foundation
import IVRWire
import Synchronization
import Testing

/// SIGTERM under load: `serve` answers every request it has accepted, tells
/// keep-alive clients to leave, and exits 0 (cli.md "serve").
@Suite struct ShutdownTests {
    struct Tally {
        var answered = 0
        /// Requests sent on a connection the server had already answered on, never answered.
        var lost: [String] = []
        var badStatus: [Int] = []
        var closedByServer = 0
    }

    final class Shared: Sendable {
        let tally = Mutex(Tally())
        let signalled = Atomic<Bool>(false)
    }

    @Test func sigtermUnderLoadAnswersEveryAcceptedRequestAndExitsZero() throws {
        let script = """
        function on_start(call) call.state.n = 1 return ivr.menu{ rec = "hi", menu = "m" } end
        menus = {}
        function menus.m(call)
          call.state.n = (call.state.n or 0) + 1
          local t = os.clock() while os.clock() - t < 0.0005 do end   -- some work per request
          return ivr.menu{ rec = tostring(call.state.n), menu = "m" }
        end
        """
        let dir = try TestServer.makeDirectory(["main.lua": script])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (process, port) = try ExecutableTests.startServe(scripts: dir, ["--threads", "2", "--log-level", "error"])
        defer { if process.isRunning { process.terminate() } }
        try #require(port > 0)

        let shared = Shared()
        let clients = 16
        let group = DispatchGroup()
        for c in 0..<clients {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                Self.drive(client: c, port: port, shared: shared)
            }
        }
        Thread.sleep(forTimeInterval: 1.5)
        let before = shared.tally.withLock { $0.answered }
        shared.signalled.store(true, ordering: .releasing)
        let sent = ContinuousClock.now
        process.terminate()  // SIGTERM, under load
        process.waitUntilExit()
        let exitTime = ContinuousClock.now - sent
        #expect(group.wait(timeout: .now() + 20) == .success)

        let result = shared.tally.withLock { $0 }
        #expect(before > 100, "the load did not get going: \(before) answers")
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(result.lost == [], "requests accepted and never answered")
        #expect(result.badStatus == [])
        // Keep-alive clients were told to leave instead of being cut off or kept.
        #expect(result.closedByServer >= 1)
        #expect(exitTime < .seconds(10))
    }

    /// One client: keep-alive calls in a loop until the server has stopped.
    /// A request on a connection that was answered before and then gets no
    /// answer is lost; a refused or reset fresh connection is not (the server
    /// never accepted it: it had stopped listening).
    static func drive(client c: Int, port: Int, shared: Shared) {

        var call = 0
        while true {
            guard let connection = try? RawHTTPClient(port: port, timeout: 15) else {
                if shared.signalled.load(ordering: .acquiring) { return }
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            var answeredHere = 0
            while true {
                call += 1
                let id = "shutdown-\(c)-\(call)"
                let body = answeredHere == 0 ? Wire.getAction(id, format: .json)
                                             : Wire.getAction(id, dtmf: "1", menu: "m", format: .json)
                do {
                    let response = try connection.request("POST", "/", body: body)
                    answeredHere += 1
                    let closing = response.headers["connection"]?.lowercased() == "close"
                    shared.tally.withLock {
                        $0.answered += 1
                        if response.status != 200 { $0.badStatus.append(response.status) }
                        if closing { $0.closedByServer += 1 }
                    }
                    if closing { break }
                } catch {
                    if answeredHere > 0 {
                        shared.tally.withLock { $0.lost.append("\(id): \(error)") }
                    }
                    break
                }
            }
            if shared.signalled.load(ordering: .acquiring) {
                // After SIGTERM: one more try shows whether the server still accepts; it must not.
                if (try? RawHTTPClient(port: port, timeout: 2)) == nil { return }
            }
        }
    }
}
