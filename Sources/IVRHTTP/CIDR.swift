import CHTTPShims
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 network, `10.0.0.0/8` or `2001:db8::/32` (a bare address is a /32 or /128).
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    /// 4 or 16 address bytes, host bits cleared.
    let network: [UInt8]
    let prefix: Int

    /// Parses `text`; nil when it is not a network in either family.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = CIDR.parseAddress(String(parts[0])) else { return nil }
        let bits = address.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p), parts[1].allSatisfy(\.isASCII) else { return nil }
            prefix = p
        }
        self.prefix = prefix
        self.network = CIDR.mask(address, prefix)
    }

    /// Parses a comma-separated list; nil with the offending entry when one is malformed.
    public static func list(_ text: String) -> Result<[CIDR], CIDRError> {
        var out: [CIDR] = []
        for entry in text.split(separator: ",") {
            let trimmed = entry.trimmingCharacters(in: " \t")
            guard let cidr = CIDR(trimmed) else { return .failure(CIDRError(entry: trimmed)) }
            out.append(cidr)
        }
        guard !out.isEmpty else { return .failure(CIDRError(entry: text)) }
        return .success(out)
    }

    /// Whether the address (4 or 16 bytes) is inside this network.
    public func contains(_ address: UnsafeBufferPointer<UInt8>) -> Bool {
        guard address.count == network.count else { return false }
        var remaining = prefix
        for i in 0..<network.count {
            if remaining <= 0 { return true }
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if address[i] & mask != network[i] { return false }
            remaining -= 8
        }
        return true
    }

    public var description: String { "\(CIDR.format(network))/\(prefix)" }

    static func mask(_ address: [UInt8], _ prefix: Int) -> [UInt8] {
        var out = address
        var remaining = prefix
        for i in 0..<out.count {
            let mask: UInt8 = remaining >= 8 ? 0xFF : (remaining <= 0 ? 0 : ~(0xFF >> UInt8(remaining)))
            out[i] &= mask
            remaining -= 8
        }
        return out
    }

    /// 4 or 16 bytes of a numeric address (IPv4-mapped IPv6 gives 4), nil otherwise.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let n = text.withCString { s in bytes.withUnsafeMutableBufferPointer { ivr_http_parse_ip(s, strlen(s), $0.baseAddress) } }
        guard n > 0 else { return nil }
        return Array(bytes[0..<Int(n)])
    }

    /// The usual text of a 4- or 16-byte address.
    public static func format(_ address: [UInt8]) -> String {
        var out = [CChar](repeating: 0, count: 64)
        let family = address.count == 4 ? AF_INET : AF_INET6
        let ok = address.withUnsafeBytes { src in inet_ntop(family, src.baseAddress, &out, 64) != nil }
        guard ok else { return "?" }
        return String(cString: out)
    }
}

/// A malformed entry of a CIDR list.
public struct CIDRError: Error, Sendable, CustomStringConvertible {
    public let entry: String
    public var description: String { "'\(entry)' is not an IPv4 or IPv6 address or CIDR network" }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = self[...]
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
