import Foundation
import IVRWire
import Synchronization
import Testing

/// Hot reload over real HTTP: changed, added and removed scripts, broken ones,
/// modules, versions pinned per call and freed after.
@Suite struct ReloadTests {
    static func script(_ tag: String) -> String {
        """
        function on_start(call) return ivr.menu{ rec = "\(tag)", menu = "m" } end
        menus = {}
        function menus.m(call) return ivr.menu{ rec = "\(tag)-again", menu = "m" } end
        """
    }

    func rec(_ server: TestServer, _ path: String = "/", id: String, menu: String = "-1") throws -> (Int, WireValue?) {
        let response = try server.client().request("POST", path, body: Wire.getAction(id, dtmf: "1", menu: menu, format: .json))
        guard response.status == 200 else { return (response.status, nil) }
        return (200, try Wire.parse(response, .json)["DATA", "REC"])
    }

    /// A one-request call, hung up at once so it pins no version.
    func probe(_ server: TestServer) throws -> WireValue? {
        let id = "probe-\(UUID())"
        let rec = try rec(server, id: id).1
        _ = try server.client().request("POST", "/", body: Wire.hangup(id, format: .json))
        return rec
    }

    /// Polls until `condition` holds, for at most `limit`.
    func eventually(within limit: Duration = .seconds(2), _ condition: () throws -> Bool) rethrows -> Bool {
        let until = ContinuousClock.now + limit
        while ContinuousClock.now < until {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }

    @Test func changedScriptServesNewCallsWhileCallsInProgressKeepTheirVersion() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script("v1")], watchInterval: .milliseconds(200))
        #expect(try rec(server, id: "old-call").1 == .string("v1"))
        let changedAt = ContinuousClock.now
        try server.write("main.lua", Self.script("v2"))
        #expect(try eventually { try probe(server) == .string("v2") })
        #expect(ContinuousClock.now - changedAt < .seconds(2))
        // The call that started on v1 finishes on v1.
        #expect(try rec(server, id: "old-call", menu: "m").1 == .string("v1-again"))
        #expect(server.engine.heldVersions.count == 2)
        // Its hangup frees v1.
        _ = try server.client().request("POST", "/", body: Wire.hangup("old-call", format: .json))
        #expect(eventually { server.engine.heldVersions == [server.engine.currentVersion] })
    }

    @Test func oldVersionIsFreedWhenItsLastCallExpires() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script("v1")], stateTTL: 1, watchInterval: .milliseconds(100))
        #expect(try rec(server, id: "expiring").1 == .string("v1"))
        try server.write("main.lua", Self.script("v2"))
        #expect(try eventually { try probe(server) == .string("v2") })
        #expect(server.engine.heldVersions.count == 2)
        // No hangup: the call goes idle past the TTL, and the sweeper frees v1.
        #expect(eventually(within: .seconds(4)) { server.engine.heldVersions == [server.engine.currentVersion] })
    }

    @Test func addedAndRemovedScripts() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script("main"), "gone.lua": Self.script("gone")],
                                    watchInterval: .milliseconds(200))
        #expect(try rec(server, "/extra", id: "e1").0 == 404)
        #expect(try rec(server, "/gone", id: "in-progress").1 == .string("gone"))
        try server.write("extra.lua", Self.script("extra"))
        try server.write("gone.lua", nil)
        #expect(try eventually { try rec(server, "/extra", id: "e-\(UUID())").1 == .string("extra") })
        // A deleted route answers 404 to new calls, while its call in progress finishes.
        #expect(try rec(server, "/gone", id: "new-gone").0 == 404)
        #expect(try rec(server, "/gone", id: "in-progress", menu: "m").1 == .string("gone-again"))
    }

    @Test func brokenScriptKeepsThePreviousVersionServing() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script("good")], watchInterval: .milliseconds(100))
        let before = server.engine.currentVersion
        try server.write("main.lua", "function on_start(call)\n  return ivr.menu{ rec = 'x', menu = 'm' \nend\n")
        Thread.sleep(forTimeInterval: 0.8)
        #expect(server.engine.currentVersion == before)
        #expect(try rec(server, id: "b1").1 == .string("good"))
        // Fixing it activates the fix.
        try server.write("main.lua", Self.script("fixed"))
        #expect(try eventually { try rec(server, id: "b-\(UUID())").1 == .string("fixed") })
    }

    @Test func changedModuleReloadsTheScriptsUsingIt() throws {
        let main = """
        local greeting = require("lib.greeting")
        function on_start(call) return ivr.menu{ rec = greeting.name, menu = "m" } end
        """
        let server = try TestServer(scripts: ["main.lua": main, "lib/greeting.lua": "return { name = 'hello' }"],
                                    watchInterval: .milliseconds(200))
        #expect(try rec(server, id: "m1").1 == .string("hello"))
        try server.write("lib/greeting.lua", "return { name = 'shalom' }")
        #expect(try eventually { try rec(server, id: "m-\(UUID())").1 == .string("shalom") })
    }

    @Test func explicitReloadWithoutWatcher() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script("a")])
        try server.write("main.lua", Self.script("b"))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try rec(server, id: "r1").1 == .string("a"))  // nothing watches
        #expect(server.engine.reload(reason: "test"))
        #expect(try rec(server, id: "r2").1 == .string("b"))
        #expect(!server.engine.reload(reason: "nothing changed"))
    }

    /// Requests racing reloads always see one whole version: never an error, never a fallback.
    @Test func requestsDuringReloadsAlwaysSeeAWholeVersion() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script("v0")], watchInterval: .milliseconds(20))
        let stop = Atomic<Bool>(false)
        let bad = Mutex<[String]>([])
        let served = Atomic<Int>(0)
        let writer = Thread {
            for v in 1...15 {
                try? server.write("main.lua", Self.script("v\(v)"))
                Thread.sleep(forTimeInterval: 0.05)
            }
            stop.store(true, ordering: .relaxed)
        }
        writer.start()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            guard let client = try? server.client() else { return }
            var n = 0
            while !stop.load(ordering: .relaxed) {
                n += 1
                do {
                    let response = try client.request("POST", "/", body: Wire.getAction("race-\(worker)-\(n)", format: .json))
                    let reply = try Wire.parse(response, .json)
                    guard response.status == 200, reply["STATUS"] == .int(0),
                          case .string(let rec)? = reply["DATA", "REC"], rec.hasPrefix("v") else {
                        bad.withLock { $0.append("\(response.status) \(response.text)") }
                        continue
                    }
                    served.add(1, ordering: .relaxed)
                } catch {
                    bad.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(bad.withLock { $0 } == [])
        #expect(served.load(ordering: .relaxed) > 20)
        #expect(try eventually { try rec(server, id: "final-\(UUID())").1 == .string("v15") })
    }
}
