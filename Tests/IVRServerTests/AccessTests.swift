import Foundation
import IVRHTTP
import IVRWire
import Synchronization
import Testing

/// cli.md "Access control": URL token, basic auth, allow list, trusted proxies.
@Suite struct AccessTests {
    static let script = #"function on_start(call) return ivr.menu{ rec = "ok", menu = "m" } end"#
    static let token = "s3cr3t-token-0123456789"

    final class Refusals: Sendable {
        let list = Mutex<[HTTPRefusal]>([])
        func add(_ r: HTTPRefusal) { list.withLock { $0.append(r) } }
        var all: [HTTPRefusal] { list.withLock { $0 } }
    }

    @Test func urlTokenHidesTheRoutes() throws {
        let refusals = Refusals()
        let server = try TestServer(scripts: ["main.lua": Self.script, "other.lua": Self.script],
                                    access: HTTPAccessPolicy(urlToken: Self.token), onRefused: refusals.add)
        let client = try server.client()
        let body = Wire.getAction("tok", format: .json)
        #expect(try client.request("POST", "/t/\(Self.token)/", body: body).status == 200)
        #expect(try client.request("POST", "/t/\(Self.token)/other", body: body).status == 200)
        // The bare route and a wrong token look exactly like an unknown route.
        let unknown = try client.request("POST", "/t/\(Self.token)/nope", body: body)
        let bare = try client.request("POST", "/other", body: body)
        let wrong = try client.request("POST", "/t/s3cr3t-token-0123456780/other", body: body)
        #expect(unknown.status == 404)
        #expect(bare.status == 404)
        #expect(wrong.status == 404)
        #expect(bare.headers["content-type"] == unknown.headers["content-type"])
        #expect(bare.headers["connection"] == unknown.headers["connection"])
        #expect(bare.text == "error: no script for /other\n")
        #expect(try client.request("GET", "/metrics").status == 200)
        #expect(try client.request("GET", "/healthz").status == 200)
        #expect(refusals.all.count == 2)
        #expect(refusals.all.allSatisfy { $0.reason == .token && $0.peer == "127.0.0.1" })
        #expect(server.server.refused(.token) == 2)
        // Refused requests never reached a script or touched state (only the served call is held).
        #expect(server.engine.activeCalls == 1)
    }

    @Test func basicAuthIsRequiredAndComparedExactly() throws {
        let refusals = Refusals()
        let server = try TestServer(scripts: ["main.lua": Self.script],
                                    access: HTTPAccessPolicy(basicAuth: "voicenter:pa55word"), onRefused: refusals.add)
        let body = Wire.getAction("auth", format: .json)
        let good = "Authorization: Basic " + Data("voicenter:pa55word".utf8).base64EncodedString()
        let bad = "Authorization: Basic " + Data("voicenter:pa55wore".utf8).base64EncodedString()
        var response = try server.client().request("POST", "/", body: body)
        #expect(response.status == 401)
        #expect(response.headers["www-authenticate"] == #"Basic realm="ivr-engine""#)
        #expect(response.text.count < 20)
        response = try server.client().request("POST", "/", body: body, extraHeaders: [bad])
        #expect(response.status == 401)
        response = try server.client().request("GET", "/metrics")
        #expect(response.status == 401)
        #expect(try server.client().request("GET", "/healthz").status == 200)
        let client = try server.client()
        #expect(try client.request("POST", "/", body: body, extraHeaders: [good]).status == 200)
        #expect(try client.request("POST", "/", body: body, extraHeaders: [good]).status == 200)
        #expect(refusals.all.count == 3)
        #expect(refusals.all.allSatisfy { $0.reason == .basicAuth && !"\($0)".contains("pa55") })
        #expect(server.engine.activeCalls == 1)
    }

    @Test func allowListAndTrustedProxies() throws {
        let body = Wire.getAction("allow", format: .json)
        let denied = try TestServer(scripts: ["main.lua": Self.script],
                                    access: HTTPAccessPolicy(allow: [try #require(CIDR("10.0.0.0/8")), try #require(CIDR("::1"))]))
        let response = try denied.client().request("POST", "/", body: body)
        #expect(response.status == 403)
        #expect(try denied.client().request("GET", "/healthz").status == 200)
        // X-Forwarded-For from an untrusted peer is ignored.
        #expect(try denied.client().request("POST", "/", body: body, extraHeaders: ["X-Forwarded-For: 10.1.2.3"]).status == 403)
        #expect(denied.engine.activeCalls == 0)

        let refusals = Refusals()
        let proxied = try TestServer(scripts: ["main.lua": Self.script],
                                     access: HTTPAccessPolicy(allow: [try #require(CIDR("192.0.2.0/24"))],
                                                              trustedProxies: [try #require(CIDR("127.0.0.1/32")),
                                                                               try #require(CIDR("172.16.0.0/12"))]),
                                     onRefused: refusals.add)
        // The right-most entry that is not a trusted proxy is the client.
        #expect(try proxied.client().request("POST", "/", body: body, extraHeaders: ["X-Forwarded-For: 198.51.100.9, 192.0.2.7, 172.16.0.1"]).status == 200)
        #expect(try proxied.client().request("POST", "/", body: body, extraHeaders: ["X-Forwarded-For: 192.0.2.7, 198.51.100.9"]).status == 403)
        #expect(try proxied.client().request("POST", "/", body: body).status == 403)
        #expect(refusals.all.map(\.peer) == ["198.51.100.9", "127.0.0.1"])
        #expect(refusals.all.first?.proxy == "127.0.0.1")
    }

    @Test func cidrParsing() throws {
        #expect(CIDR("10.0.0.0/8") != nil)
        #expect(CIDR("2001:db8::/32") != nil)
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("10.0.0/8") == nil)
        #expect(CIDR("banana") == nil)
        let net = try #require(CIDR("192.168.1.77/24"))
        #expect([UInt8]([192, 168, 1, 5]).withUnsafeBufferPointer { net.contains($0) })
        #expect(![UInt8]([192, 168, 2, 5]).withUnsafeBufferPointer { net.contains($0) })
        #expect(LogSafe.text("a\nb\u{1B}c") == "a\\nb\\x1Bc")
        #expect(LogSafe.text(String(repeating: "x", count: 600)).utf8.count < 520)
    }
}
