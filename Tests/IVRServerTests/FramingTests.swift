import Foundation
import IVRWire
import Testing

/// Strict HTTP/1.1 framing (wire-protocol.md "Errors"): ambiguous requests get
/// 400 and the connection is closed, so nothing smuggled behind them is answered.
@Suite struct FramingTests {
    static let script = #"function on_start(call) return ivr.menu{ rec = "ok", menu = "m" } end"#

    /// Sends `head` (then `body`) and expects 400, a closed connection, and no second answer.
    func expectRefused(_ server: TestServer, _ head: String, _ body: [UInt8], _ why: String) throws {
        let client = try server.client()
        try client.send(Array(head.utf8) + body)
        let response = try client.readResponse()
        #expect(response.status == 400, "\(why)")
        #expect(response.headers["connection"] == "close", "\(why)")
        #expect(response.text.contains("framing"), "\(why)")
        // Whatever was smuggled after it (a GET /metrics) is never answered: the stream just ends.
        #expect(client.isClosedByServer(), "\(why)")
    }

    @Test func ambiguousFramingIsRefusedAndTheConnectionClosed() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script])
        let body = Wire.getAction("framing", format: .json)
        let smuggled = Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        try expectRefused(server, "POST /main HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\nContent-Length: 5\r\n\r\n",
                          body + smuggled, "two Content-Length")
        try expectRefused(server, "POST /main HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                          Array("0\r\n\r\n".utf8) + smuggled, "Content-Length with Transfer-Encoding")
        try expectRefused(server, "POST /main HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", body, "gzip coding")
        try expectRefused(server, "POST /main HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", body,
                          "gzip, chunked")
        try expectRefused(server, "POST /main%00 HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n", body, "%00")
        let rawNUL = Array("POST /main".utf8) + [0] + Array("x HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        let client = try server.client()
        try client.send(rawNUL + body)
        #expect(try client.readResponse().status == 400)
        #expect(client.isClosedByServer())
        #expect(server.server.framingErrors == 6)
        // No call was started by any of them.
        #expect(server.engine.activeCalls == 0)
    }

    @Test func wellFramedRequestsStillWork() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script])
        let client = try server.client()
        let body = Wire.getAction("ok-framing", format: .json)
        // Identical repeated Content-Length is not a conflict; chunked alone is fine; %00 in the query is not the path.
        try client.send(Array("POST /main?x=%00 HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        #expect(try client.readResponse().status == 200)
        let hex = String(body.count, radix: 16)
        try client.send(Array("POST /main HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\(hex)\r\n".utf8) + body
                        + Array("\r\n0\r\n\r\n".utf8))
        #expect(try client.readResponse().status == 200)
    }

    @Test func callIDsThatAreTooLongOrHoldControlCharactersAreRefused() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script])
        let client = try server.client()
        for format in [WireFormat.json, .xml] {
            for id in [String(repeating: "a", count: 129), "abc\ndef", "tab\there", "del\u{7F}"] {
                let response = try client.request("POST", "/", body: Wire.getAction(id, format: format))
                #expect(response.status == 400)
                #expect(response.text.contains("IVR_UNIQUE_ID"))
            }
        }
        #expect(server.engine.activeCalls == 0)
        let ok = try client.request("POST", "/", body: Wire.getAction(String(repeating: "b", count: 128), format: .json))
        #expect(ok.status == 200)
        #expect(server.engine.activeCalls == 1)
    }
}
