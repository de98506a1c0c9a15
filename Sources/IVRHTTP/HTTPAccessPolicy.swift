/// Who may talk to the server (cli.md "Access control"). All checks are off by
/// default; each applies to every request except `GET /healthz`, before its body is read.
public struct HTTPAccessPolicy: Sendable {
    /// Script routes are served only under `/t/TOKEN/` (the prefix is removed
    /// before routing); other paths but `/metrics` and `/healthz` get the not-found answer.
    public var urlToken: [UInt8]?
    /// The exact `Authorization` value required: `Basic base64(USER:PASS)`.
    public var basicAuthorization: [UInt8]?
    /// Peers allowed; nil: everyone.
    public var allow: [CIDR]?
    /// Peers whose `X-Forwarded-For` is believed.
    public var trustedProxies: [CIDR]

    public init(urlToken: String? = nil, basicAuth: String? = nil, allow: [CIDR]? = nil, trustedProxies: [CIDR] = []) {
        self.urlToken = urlToken.map { Array($0.utf8) }
        self.basicAuthorization = basicAuth.map { Array("Basic \(Base64.encode(Array($0.utf8)))".utf8) }
        self.allow = allow
        self.trustedProxies = trustedProxies
    }

    /// Whether any check is on (the server skips all of this otherwise).
    public var isActive: Bool { urlToken != nil || basicAuthorization != nil || allow != nil }
}

/// Why a request was refused; the raw value is the `reason` label of `ivr_refused_total`.
public enum HTTPRefusalReason: String, Sendable, CaseIterable {
    case token
    case basicAuth = "basic_auth"
    case allow
    /// Ambiguous HTTP framing (400, connection closed); not an access-control refusal.
    case framing
}

/// A refused request, for the log: the reason and the client's address (never the secret).
public struct HTTPRefusal: Sendable {
    public let reason: HTTPRefusalReason
    /// The client address as text (after `X-Forwarded-For` from a trusted proxy).
    public let peer: String
    /// The TCP peer, when the client address came from `X-Forwarded-For`.
    public let proxy: String?
    public let method: String
    /// The path, cut to 128 bytes and with control characters escaped.
    public let path: String
}

/// Equality in time that depends only on the lengths, not on where the bytes differ.
@inline(never)
func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
    var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
    if a.count != b.count { diff |= 1 }
    b.withUnsafeBytes { b in
        let n = Swift.max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
    }
    return diff == 0
}

/// Standard base64 (RFC 4648), enough for the `Authorization` header.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? table[Int((b1 & 15) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? table[Int(b2 & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
