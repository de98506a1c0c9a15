import CHTTPShims
import CMicroHTTPD

/// The answer to a request refused before its body is read.
struct RefusalResponse {
    var status: Int
    var body: String
    var header: (name: String, value: String)?
}

/// What the access policy says of a request whose headers are in.
enum AccessVerdict {
    /// Serve it at `path` (the token prefix removed); `notFound`: answer it as an unknown route.
    case pass(String, notFound: Bool)
    case refuse(RefusalResponse)
}

extension HTTPServer {
    /// Applies ``access`` (cli.md "Access control") to a request: allow list,
    /// then basic auth, then the URL token. `GET /healthz` always passes.
    func check(_ connection: OpaquePointer, path: String, method: UnsafePointer<CChar>?) -> AccessVerdict {
        if path == "/healthz" { return .pass(path, notFound: false) }
        var peer = [UInt8](repeating: 0, count: 16)
        let count = peer.withUnsafeMutableBufferPointer { Int(ivr_http_peer(connection, $0.baseAddress)) }
        var client = Array(peer[0..<count])
        var proxy: [UInt8]?
        if !access.trustedProxies.isEmpty, isInside(client, access.trustedProxies),
           let forwarded = forwardedClient(connection) {
            proxy = client
            client = forwarded
        }
        func refused(_ reason: HTTPRefusalReason, _ response: RefusalResponse) -> AccessVerdict {
            refusedCounts.add(reason)
            onRefused?(HTTPRefusal(reason: reason, peer: client.isEmpty ? "unknown" : CIDR.format(client),
                                   proxy: proxy.map { CIDR.format($0) },
                                   method: method.map { LogSafe.text(String(cString: $0), limit: 16) } ?? "",
                                   path: LogSafe.text(path, limit: 128)))
            return .refuse(response)
        }
        if let allow = access.allow, !isInside(client, allow) {
            return refused(.allow, RefusalResponse(status: 403, body: "forbidden\n"))
        }
        if let expected = access.basicAuthorization {
            var length = 0
            let value = ivr_http_header(connection, "Authorization", &length)
            let given = UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : length)
            if !constantTimeEqual(given, expected) {
                return refused(.basicAuth, RefusalResponse(status: 401, body: "unauthorized\n",
                                                          header: ("WWW-Authenticate", "Basic realm=\"ivr-engine\"")))
            }
        }
        if let token = access.urlToken, path != "/metrics" {
            guard let routed = Self.strip(token: token, from: path) else {
                _ = refused(.token, RefusalResponse(status: 404, body: ""))
                return .pass(path, notFound: true)
            }
            return .pass(routed, notFound: false)
        }
        return .pass(path, notFound: false)
    }

    /// `/t/TOKEN` is `/`, `/t/TOKEN/NAME` is `/NAME`; nil for any other path or token.
    static func strip(token: [UInt8], from path: String) -> String? {
        let bytes = Array(path.utf8)
        let prefix: [UInt8] = Array("/t/".utf8)
        guard bytes.count >= prefix.count, bytes[0..<prefix.count].elementsEqual(prefix) else { return nil }
        var end = prefix.count
        while end < bytes.count, bytes[end] != UInt8(ascii: "/") { end += 1 }
        let given = bytes[prefix.count..<end]
        let ok = given.withUnsafeBytes { constantTimeEqual($0, token) }
        guard ok else { return nil }
        return end == bytes.count ? "/" : String(decoding: bytes[end...], as: UTF8.self)
    }

    private func isInside(_ address: [UInt8], _ networks: [CIDR]) -> Bool {
        address.withUnsafeBufferPointer { a in networks.contains { $0.contains(a) } }
    }

    /// The right-most `X-Forwarded-For` entry that is not a trusted proxy (the
    /// left-most when all are); nil when the header is absent or unreadable.
    private func forwardedClient(_ connection: OpaquePointer) -> [UInt8]? {
        var length = 0
        guard let value = ivr_http_header(connection, "X-Forwarded-For", &length), length > 0 else { return nil }
        var end = length
        var last: [UInt8]?
        var address = [UInt8](repeating: 0, count: 16)
        while end > 0 {
            var start = end
            while start > 0, value[start - 1] != CChar(UInt8(ascii: ",")) { start -= 1 }
            let n = address.withUnsafeMutableBufferPointer {
                Int(ivr_http_parse_ip(value + start, end - start, $0.baseAddress))
            }
            guard n > 0 else { return last }
            let entry = Array(address[0..<n])
            if !isInside(entry, access.trustedProxies) { return entry }
            last = entry
            end = start - 1
            if end < 0 { break }
        }
        return last
    }
}

/// Text made safe for one log line: control characters escaped (`\n`, `\u{1b}`
/// as `\x1B`), and cut to `limit` bytes with `…` marking the cut.
public enum LogSafe {
    public static func text(_ value: String, limit: Int = 512) -> String {
        var clean = true
        var count = 0
        for byte in value.utf8 {
            count += 1
            if byte < 0x20 || byte == 0x7F || count > limit { clean = false; break }
        }
        if clean { return value }
        var out = ""
        var bytes = 0
        for scalar in value.unicodeScalars {
            let piece: String
            switch scalar.value {
            case 0x0A: piece = "\\n"
            case 0x0D: piece = "\\r"
            case 0x09: piece = "\\t"
            case 0..<0x20, 0x7F: piece = "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16, uppercase: true)
            default: piece = String(scalar)
            }
            if bytes + piece.utf8.count > limit {
                out += "…"
                break
            }
            out += piece
            bytes += piece.utf8.count
        }
        return out
    }
}
