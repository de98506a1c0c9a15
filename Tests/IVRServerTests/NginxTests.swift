import Foundation
import IVRWire
import RedisTestSupport
import Testing

/// README "Running several instances": nginx (the repository's example
/// upstream) in front of two instances sharing one Redis plays whole calls,
/// and keeps doing so when one instance goes away.
@Suite struct NginxTests {
    func requests(_ server: TestServer) -> Int {
        server.engine.metrics.render(activeCalls: 0).split(separator: "\n")
            .filter { $0.hasPrefix("ivr_requests_total{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
    }

    /// Start, two menus, HANGUP_CALL, through nginx; the replies show the state carried over.
    func playCall(_ id: String, port: Int, format: WireFormat) throws -> [String] {
        var got: [String] = []
        got.append(try SharedStateTests.rec(port, id, menu: "-1", format: format))
        got.append(try SharedStateTests.rec(port, id, menu: "m", format: format))
        got.append(try SharedStateTests.rec(port, id, menu: "m", format: format))
        let hangup = try RawHTTPClient(port: port).request("POST", "/", body: Wire.hangup(id, format: format))
        got.append("\(hangup.status)")
        return got
    }

    @Test func wholeCallsThroughNginxOverTwoInstancesAndOneDying() throws {
        let redis = try #require(RedisTestServer.shared)
        let (a, b) = try SharedStateTests.pair(redis, prefix: RedisTestServer.uniquePrefix("nginx"))
        let nginx = try NginxTestServer(upstreams: [a.port, b.port])
        defer { nginx.stop() }
        let expected = ["seq1 n1", "seq2 n2", "seq3 n3", "200"]
        for i in 0..<6 {
            #expect(try playCall("ngx-\(i)", port: nginx.port, format: i % 2 == 0 ? .json : .xml) == expected)
        }
        // Round robin spread the requests, so calls crossed instances mid-call.
        #expect(requests(a) > 0 && requests(b) > 0)
        #expect(try RawHTTPClient(port: nginx.port).request("GET", "/readyz").text == "ready\n")

        // One instance stops: nginx retries its refused requests on the other, calls go on.
        #expect(try SharedStateTests.rec(nginx.port, "ngx-live", menu: "-1") == "seq1 n1")
        a.server.stop(grace: .milliseconds(100))
        for i in 0..<4 {
            #expect(try playCall("ngx-after-\(i)", port: nginx.port, format: .json) == expected)
        }
        #expect(try SharedStateTests.rec(nginx.port, "ngx-live", menu: "m") == "seq2 n2")
    }
}
