import Dispatch
import Foundation
import IVREngine
import IVRRedisState
import IVRState
import IVRWire
import RedisTestSupport
import Synchronization
import Testing

/// Several instances, one call state (cli.md "Call state store"): engines
/// sharing one real redis-server serve the same calls, one request at a time,
/// and answer with the fallback (reason `state`) while Redis is away.
@Suite struct SharedStateTests {
    static let script = """
    function on_start(call) call.state.n = 1 return ivr.menu{ rec = "seq" .. call.seq .. " n1", menu = "m" } end
    menus = {}
    function menus.m(call)
      call.state.n = (call.state.n or 0) + 1
      return ivr.menu{ rec = "seq" .. call.seq .. " n" .. call.state.n, menu = "m" }
    end
    fallback = ivr.vo{ layer = 1, record = "sorry" }
    """

    static func redis() throws -> RedisTestServer {
        try #require(RedisTestServer.shared, "redis-server did not start")
    }

    static func store(_ redis: RedisTestServer, prefix: String, ttl: Double = 7200,
                      deadline: Duration = .milliseconds(3000)) -> RedisCallStore {
        RedisCallStore(address: RedisAddress(host: "127.0.0.1", port: Int32(redis.port)), prefix: prefix, ttl: ttl,
                       lease: deadline + CallStoreChoice.leaseMargin)
    }

    /// Two engines on one Redis and prefix.
    static func pair(_ redis: RedisTestServer, prefix: String, ttl: Double = 7200,
                     deadline: Duration = .milliseconds(3000), threads: Int = 2) throws -> (TestServer, TestServer) {
        (try TestServer(scripts: ["main.lua": script], deadline: deadline, stateTTL: ttl, threads: threads,
                        store: store(redis, prefix: prefix, ttl: ttl, deadline: deadline)),
         try TestServer(scripts: ["main.lua": script], deadline: deadline, stateTTL: ttl, threads: threads,
                        store: store(redis, prefix: prefix, ttl: ttl, deadline: deadline)))
    }

    static func rec(_ port: Int, _ id: String, menu: String, format: WireFormat = .json) throws -> String {
        let response = try RawHTTPClient(port: port).request("POST", "/", body: Wire.getAction(id, dtmf: "1", menu: menu, format: format))
        guard case .string(let rec)? = try Wire.parse(response, format)["DATA", "REC"]
                ?? Wire.parse(response, format)["DATA", "RECORD"] else { return "?" }
        return rec
    }

    @Test(arguments: [WireFormat.json, .xml])
    func oneCallAlternatesBetweenTwoInstances(format: WireFormat) throws {
        let redis = try Self.redis()
        let prefix = RedisTestServer.uniquePrefix("alt")
        let (a, b) = try Self.pair(redis, prefix: prefix)
        #expect(try Self.rec(a.port, "alt-1", menu: "-1", format: format) == "seq1 n1")
        for i in 2...6 {
            let server = i % 2 == 0 ? b : a
            #expect(try Self.rec(server.port, "alt-1", menu: "m", format: format) == "seq\(i) n\(i)")
        }
        #expect(a.engine.state(of: "alt-1")?["n"] == .int(6))
        let hangup = try RawHTTPClient(port: b.port).request("POST", "/", body: Wire.hangup("alt-1", format: format))
        #expect(hangup.status == 200)
        #expect(redis.cli(["EXISTS", "\(prefix)call:{alt-1}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try Self.rec(a.port, "alt-1", menu: "m", format: format) == "seq1 n1")  // a new call
    }

    @Test func fiftyConcurrentCallsOverBothInstances() throws {
        let redis = try Self.redis()
        let (a, b) = try Self.pair(redis, prefix: RedisTestServer.uniquePrefix("fifty"))
        let wrong = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 50) { c in
            for i in 1...4 {
                let server = (c + i) % 2 == 0 ? a : b
                let got = (try? Self.rec(server.port, "fifty-\(c)", menu: i == 1 ? "-1" : "m")) ?? "error"
                if got != "seq\(i) n\(i)" { wrong.withLock { $0.append("call \(c) request \(i): \(got)") } }
            }
        }
        #expect(wrong.withLock { $0 } == [])
    }

    @Test func twentyRequestsOfOneCallAtOnceOnBothInstancesLoseNoUpdate() throws {
        let redis = try Self.redis()
        let (a, b) = try Self.pair(redis, prefix: RedisTestServer.uniquePrefix("hot"), threads: 4)
        #expect(try Self.rec(a.port, "hot-1", menu: "-1") == "seq1 n1")
        let answers = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            let got = (try? Self.rec(i % 2 == 0 ? a.port : b.port, "hot-1", menu: "m")) ?? "error"
            answers.withLock { $0.append(got) }
        }
        // Each request saw the previous one's state: 20 distinct counts, ending at exactly 21.
        let expected = Set((2...21).map { "seq\($0) n\($0)" })
        #expect(Set(answers.withLock { $0 }) == expected)
        #expect(b.engine.state(of: "hot-1")?["n"] == .int(21))
    }

    @Test func aCallOutlivesAnInstanceKilledMidCall() throws {
        let redis = try Self.redis()
        let prefix = RedisTestServer.uniquePrefix("kill")
        let dir = try TestServer.makeDirectory(["main.lua": Self.script + """

        function menus.slow(call) call.state.n = 1000 while true do end end
        """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A real `ivr-engine serve` child; its lease lasts --deadline + 500 ms.
        let (child, port) = try ExecutableTests.startServe(scripts: dir, [
            "--state", redis.url, "--state-prefix", prefix, "--deadline", "1200", "--script-timeout", "5000",
            "--log-level", "error"])
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        try #require(port > 0)
        let b = try TestServer(scripts: ["main.lua": Self.script], store: Self.store(redis, prefix: prefix))

        #expect(try Self.rec(port, "kill-1", menu: "-1") == "seq1 n1")
        #expect(try Self.rec(port, "kill-1", menu: "m") == "seq2 n2")
        // The child takes the call's lease for a request that never finishes, and dies holding it.
        let body = Wire.getAction("kill-1", dtmf: "1", menu: "slow", format: .json)
        let client = try RawHTTPClient(port: port)
        try client.send(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(redis.cli(["EXISTS", "\(prefix)lock:{kill-1}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()

        // The other instance waits out the dead holder's lease, then finishes the call
        // from what the child had answered (the unfinished request saved nothing).
        let start = ContinuousClock.now
        #expect(try Self.rec(b.port, "kill-1", menu: "m") == "seq3 n3")
        #expect(ContinuousClock.now - start < .milliseconds(2900))  // the 1700 ms lease, within b's 3 s deadline
        #expect(try Self.rec(b.port, "kill-1", menu: "m") == "seq4 n4")
    }

    @Test func redisDownSlowAndBackAgain() throws {
        let port = FreePort.pick()
        var redis = try RedisTestServer(port: port, extraArguments: ["--enable-debug-command", "local"])
        defer { redis.stop() }
        let server = try TestServer(scripts: ["main.lua": Self.script], deadline: .milliseconds(400),
                                    store: Self.store(redis, prefix: "ivr:", deadline: .milliseconds(400)))
        let probe = Self.store(redis, prefix: "probe:")
        let client = { try RawHTTPClient(port: server.port) }
        #expect(try Self.rec(server.port, "down-1", menu: "-1") == "seq1 n1")
        #expect(try client().request("GET", "/readyz").status == 200)

        // Slow: Redis stalls for a second; the request answers with the fallback within the deadline.
        let stalled = redis
        let stall = Thread { _ = stalled.cli(["DEBUG", "SLEEP", "1"]) }
        stall.start()
        // Until Redis really stalls (starting redis-cli may take a while on a busy machine).
        let waitFrom = ContinuousClock.now
        while probe.ping(timeout: .milliseconds(50)), ContinuousClock.now - waitFrom < .seconds(5) {}
        var start = ContinuousClock.now
        #expect(try Self.rec(server.port, "down-1", menu: "m") == "sorry")
        #expect(ContinuousClock.now - start < .milliseconds(800))
        // Redis ran the timed-out request's lease script once it woke: that lease runs out by itself
        // (--deadline + 500 ms) and the call goes on from its last saved state.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try Self.rec(server.port, "down-1", menu: "m") == "seq2 n2")

        // Down: every request gets the fallback, quickly; /readyz says 503, /healthz stays 200.
        redis.stop()
        for (id, menu) in [("down-1", "m"), ("down-2", "-1")] {
            start = ContinuousClock.now
            #expect(try Self.rec(server.port, id, menu: menu) == "sorry")
            #expect(ContinuousClock.now - start < .milliseconds(800))  // the 400 ms deadline, with slack for a busy machine
        }
        #expect(try client().request("GET", "/readyz").status == 503)
        #expect(try client().request("GET", "/healthz").status == 200)
        let metrics = try client().request("GET", "/metrics").text
        #expect(metrics.contains("reason=\"state\""))

        // Back (empty: no persistence): served again without restarting the engine.
        redis = try RedisTestServer(port: port)
        #expect(try client().request("GET", "/readyz").status == 200)
        #expect(try Self.rec(server.port, "down-3", menu: "-1") == "seq1 n1")
        #expect(try Self.rec(server.port, "down-3", menu: "m") == "seq2 n2")
    }

    @Test func recordsExpireInRedisAfterTheTTLAndLiveUnderThePrefix() throws {
        let redis = try Self.redis()
        let prefix = RedisTestServer.uniquePrefix("ttl")
        let (a, _) = try Self.pair(redis, prefix: prefix, ttl: 1)
        #expect(try Self.rec(a.port, "ttl-1", menu: "-1") == "seq1 n1")
        #expect(redis.cli(["--raw", "KEYS", "\(prefix)*"]).split(separator: "\n") == ["\(prefix)call:{ttl-1}"])
        let pttl = Int(redis.cli(["PTTL", "\(prefix)call:{ttl-1}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(pttl > 0 && pttl <= 1000)
        Thread.sleep(forTimeInterval: 1.3)
        #expect(redis.cli(["EXISTS", "\(prefix)call:{ttl-1}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try Self.rec(a.port, "ttl-1", menu: "m") == "seq1 n1")
    }

    @Test func maxStepsCountsAcrossInstances() throws {
        let redis = try Self.redis()
        let prefix = "steps\(UInt32.random(in: 0...UInt32.max)):"
        let a = try TestServer(scripts: ["main.lua": Self.script], store: Self.store(redis, prefix: prefix), maxSteps: 3)
        let b = try TestServer(scripts: ["main.lua": Self.script], store: Self.store(redis, prefix: prefix), maxSteps: 3)
        #expect(try Self.rec(a.port, "s", menu: "-1") == "seq1 n1")
        #expect(try Self.rec(b.port, "s", menu: "m") == "seq2 n2")
        #expect(try Self.rec(a.port, "s", menu: "m") == "seq3 n3")
        // The fourth request, on the other instance, is past --max-steps 3: the fallback, no handler.
        let fourth = try RawHTTPClient(port: b.port).request("POST", "/", body: Wire.getAction("s", dtmf: "1", menu: "m", format: .json))
        #expect(try Wire.parse(fourth, .json)["ACTION"] == .string("VO"))
        #expect(b.engine.metrics.render(activeCalls: 0).contains(#"reason="max_steps""#))
    }

    @Test func aRequestCostsTwoRedisRoundTrips() throws {
        let redis = try RedisTestServer()
        defer { redis.stop() }
        let stores = (Self.store(redis, prefix: "ivr:"), Self.store(redis, prefix: "ivr:"))
        let a = try TestServer(scripts: ["main.lua": Self.script], store: stores.0)
        let b = try TestServer(scripts: ["main.lua": Self.script], store: stores.1)
        // Warm up: each engine thread's connection loads the two scripts once.
        for i in 0..<8 { _ = try Self.rec(i % 2 == 0 ? a.port : b.port, "warm-\(i)", menu: "-1") }
        _ = redis.cli(["CONFIG", "RESETSTAT"])
        let sentBefore = stores.0.commandsSent + stores.1.commandsSent
        let requests = 40
        for i in 0..<requests { _ = try Self.rec(i % 2 == 0 ? a.port : b.port, "rt-\(i / 4)", menu: i % 4 == 0 ? "-1" : "m") }
        let stats = redis.cli(["INFO", "commandstats"])
        let calls = stats.split(whereSeparator: \.isNewline).compactMap { line -> (String, Int)? in
            guard line.hasPrefix("cmdstat_"), let colon = line.firstIndex(of: ":"),
                  let c = line.range(of: "calls="), let comma = line[c.upperBound...].firstIndex(of: ",") else { return nil }
            return (String(line[line.index(line.startIndex, offsetBy: 8)..<colon]), Int(line[c.upperBound..<comma]) ?? -1)
        }
        let byCommand = Dictionary(calls, uniquingKeysWith: +)
        #expect(byCommand["evalsha"] == 2 * requests, "\(byCommand)")
        // And the engines sent nothing else (commandstats also counts the commands inside the scripts).
        #expect(stores.0.commandsSent + stores.1.commandsSent - sentBefore == 2 * requests)
    }

    @Test func instancesAgreeOnACallsScriptVersionByContentHash() throws {
        let redis = try Self.redis()
        let prefix = RedisTestServer.uniquePrefix("ver")
        let v1 = #"function on_start(call) return ivr.menu{ rec = "v1 start", menu = "m" } end menus = {} function menus.m(call) return ivr.menu{ rec = "v1 seq" .. call.seq, menu = "m" } end"#
        let v2 = v1.replacingOccurrences(of: "v1", with: "v2")
        let (a, b) = try Self.pair(redis, prefix: prefix)
        try a.write("main.lua", v1)
        try b.write("main.lua", v1)
        #expect(a.engine.reload(reason: "test") && b.engine.reload(reason: "test"))
        #expect(try Self.rec(a.port, "ver-1", menu: "-1") == "v1 start")
        // Both deploy v2: the call stays on v1 on either instance (both hold it, by the same hash).
        try a.write("main.lua", v2)
        try b.write("main.lua", v2)
        #expect(a.engine.reload(reason: "test") && b.engine.reload(reason: "test"))
        #expect(try Self.rec(b.port, "ver-1", menu: "m") == "v1 seq2")
        #expect(try Self.rec(a.port, "ver-1", menu: "m") == "v1 seq3")
        #expect(try Self.rec(a.port, "ver-2", menu: "-1") == "v2 start")  // new calls get v2
        // An instance that never had v1 serves the call with its current version (and logs it).
        let c = try TestServer(scripts: ["main.lua": v2], store: Self.store(redis, prefix: prefix))
        #expect(try Self.rec(c.port, "ver-1", menu: "m") == "v2 seq4")
    }
}
