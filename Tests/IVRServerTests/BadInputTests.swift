import Foundation
import IVRWire
import Testing

/// Bad requests get clear errors in the request's format, and the server stays up.
@Suite struct BadInputTests {
    static let script = #"function on_start(call) return ivr.menu{ rec = "ok", menu = "m" } end"#

    @Test func errorsAreClearAndServerKeepsServing() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script, "other.lua": Self.script], maxBody: 4096)
        let client = try server.client()

        // Unparseable XML: 400 with an XML-RPC fault.
        var response = try client.request("POST", "/", body: Array("<methodCall><methodName>GET_IVR_ACTION".utf8), contentType: "text/xml")
        #expect(response.status == 400)
        #expect(response.headers["content-type"] == WireFormat.xml.contentType)
        let fault = try Wire.parse(response, .xml)
        #expect(fault["faultCode"] != nil)
        #expect(fault["faultString"] != nil)

        // The seed's unquoted JSON keys: 400 with a JSON error.
        response = try client.request("POST", "/", body: Array(#"{ METHOD: "GET_IVR_ACTION", DATA: {} }"#.utf8))
        #expect(response.status == 400)
        var error = try Wire.parse(response, .json)
        #expect(error["STATUS"] == .int(1))
        #expect(error["ERROR"] != nil)

        // Unknown method, missing method, missing id.
        response = try client.request("POST", "/", body: Wire.body("GET_COFFEE", [("IVR_UNIQUE_ID", .string("a"))], .json))
        #expect(response.status == 400)
        error = try Wire.parse(response, .json)
        #expect(error["ERROR"].flatMap { if case .string(let s) = $0 { s.contains("GET_COFFEE") } else { false } } == true)
        response = try client.request("POST", "/", body: Array(#"{"DATA": {"IVR_UNIQUE_ID": "a"}}"#.utf8))
        #expect(response.status == 400)
        response = try client.request("POST", "/", body: Wire.getAction("", format: .xml))
        #expect(response.status == 400)
        #expect(try Wire.parse(response, .xml)["faultString"] != nil)

        // Invalid UTF-8.
        response = try client.request("POST", "/", body: Array(#"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8))
        #expect(response.status == 400)

        // Neither XML nor JSON.
        response = try client.request("POST", "/", body: Array("hello".utf8))
        #expect(response.status == 400)

        // Routes and methods.
        response = try client.request("POST", "/nope", body: Wire.getAction("a", format: .json))
        #expect(response.status == 404)
        response = try client.request("POST", "/../main", body: Wire.getAction("a", format: .json))
        #expect(response.status == 404)
        response = try client.request("GET", "/")
        #expect(response.status == 405)
        response = try client.request("POST", "/healthz")
        #expect(response.status == 405)

        // The same connection still works after all of that.
        response = try client.request("POST", "/other/?from=panel", body: Wire.getAction("b", format: .json))
        #expect(response.status == 200)
        #expect(try Wire.parse(response, .json)["DATA", "REC"] == .string("ok"))
    }

    @Test func oversizeBodyIsRefused() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script], maxBody: 1024)
        // Announced by Content-Length: refused without reading.
        var client = try server.client()
        let big = [UInt8](repeating: 0x20, count: 4000) + Wire.getAction("a", format: .json)
        var response = try client.request("POST", "/", body: big)
        #expect(response.status == 413)

        // Chunked, so only counted while reading.
        client = try server.client()
        let head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        let chunk = String(repeating: " ", count: 2000)
        try client.send(Array((head + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n0\r\n\r\n").utf8))
        response = try client.readResponse()
        #expect(response.status == 413)

        response = try server.client().request("POST", "/", body: Wire.getAction("a", format: .json))
        #expect(response.status == 200)
    }

    /// Request headers of a few KiB are served; far beyond the 8 KiB connection
    /// pool they get 431, and the server keeps serving.
    @Test func headersAreBoundedByTheConnectionPool() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script])
        let body = Wire.getAction("headers", format: .json)
        let fine = try server.client().request("POST", "/", body: body,
                                               extraHeaders: ["X-Forwarded-For: " + String(repeating: "1", count: 3000)])
        #expect(fine.status == 200)
        let huge = try server.client().request("POST", "/", body: body,
                                               extraHeaders: ["X-Big: " + String(repeating: "a", count: 12000)])
        #expect(huge.status == 431)
        #expect(try server.client().request("POST", "/", body: body).status == 200)
    }

    @Test func healthz() throws {
        let server = try TestServer(scripts: ["main.lua": Self.script])
        let response = try server.client().request("GET", "/healthz")
        #expect(response.status == 200)
        #expect(response.text == "ok\n")
    }

    @Test func hebrewRoundTripsByteExact() throws {
        let script = """
        function on_start(call)
          return ivr.call{ target = "0501234567", callername = call.caller_name, next_menu = call.caller_name }
        end
        """
        let server = try TestServer(scripts: ["main.lua": script])
        let name = "ישראל ישראלי 🙂"
        for format in [WireFormat.xml, .json] {
            let response = try server.client().request("POST", "/", body: Wire.getAction("heb-\(format)", callerName: name, format: format))
            let reply = try Wire.parse(response, format)
            #expect(reply["DATA", "CALLERNAME"] == .string(name))
            #expect(response.body.containsSubsequence(Array(name.utf8)))
        }
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        for i in 0...(count - needle.count) where self[i] == needle[0] && Array(self[i..<i + needle.count]) == needle {
            return true
        }
        return false
    }
}

/// `GET /metrics`: Prometheus text with the counters cli.md names.
@Suite struct MetricsTests {
    @Test func countsRequestsOutcomesAndFallbacks() throws {
        let script = """
        function on_start(call) return ivr.menu{ rec = "hi", menu = "m" } end
        menus = {}
        function menus.boom(call) error("boom") end
        """
        let server = try TestServer(scripts: ["main.lua": script])
        let client = try server.client()
        _ = try client.request("POST", "/", body: Wire.getAction("m1", format: .json))
        _ = try client.request("POST", "/", body: Wire.getAction("m1", menu: "boom", format: .xml))
        _ = try client.request("POST", "/", body: Array("{".utf8))
        let response = try client.request("GET", "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
        let text = response.text
        #expect(text.contains(#"ivr_requests_total{route="main",method="GET_IVR_ACTION",format="json",action="MENU",outcome="ok"} 1"#))
        #expect(text.contains(#"ivr_requests_total{route="main",method="GET_IVR_ACTION",format="xml",action="HANGUP",outcome="fallback"} 1"#))
        #expect(text.contains(#"outcome="client_error"} 1"#))
        #expect(text.contains(#"ivr_fallbacks_total{route="main",reason="error"} 1"#))
        #expect(text.contains(#"ivr_script_errors_total{route="main",reason="error"} 1"#))
        #expect(text.contains("ivr_request_duration_seconds_count 3"))
        #expect(text.contains("ivr_active_calls 1"))
        #expect(try client.request("POST", "/metrics").status == 405)
    }
}
