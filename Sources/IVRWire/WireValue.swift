/// A value as it travels on the wire, in either format.
///
/// XML-RPC and JSON both map onto this: `<int>`/`<i4>`/`<i8>` and JSON integers
/// are ``int`` (always 64-bit), `<string>` and bare `<value>` are ``string``,
/// `<struct>` and JSON objects are ``structure`` (members kept in order).
public enum WireValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    /// XML-RPC `<nil/>` or JSON `null`.
    case null
    case array([WireValue])
    case structure([WireMember])

    /// The text of a scalar, coerced the way a Voicenter field may need:
    /// an int where a string was expected becomes its decimal text, `nil` is "".
    public var coercedString: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .null: return ""
        case .bool(let b): return b ? "1" : "0"
        case .double(let d):
            if d.rounded() == d, let i = Int64(exactly: d) { return String(i) }
            return String(d)
        case .array, .structure: return nil
        }
    }

    /// The integer of a scalar, coerced when unambiguous: `"5"` and `" 5 "` are 5.
    public var coercedInt: Int64? {
        switch self {
        case .int(let i): return i
        case .string(let s):
            let t = s.trimmingASCIIWhitespace()
            return t.isEmpty ? nil : Int64(t)
        case .bool(let b): return b ? 1 : 0
        case .double(let d): return Int64(exactly: d)
        case .null, .array, .structure: return nil
        }
    }

    /// The member named `name` of a structure, if any (the last one wins on duplicates).
    public subscript(member name: String) -> WireValue? {
        guard case .structure(let members) = self else { return nil }
        return members.last(where: { $0.name == name })?.value
    }
}

/// One named member of a ``WireValue/structure(_:)``.
public struct WireMember: Sendable, Equatable {
    public var name: String
    public var value: WireValue

    public init(_ name: String, _ value: WireValue) {
        self.name = name
        self.value = value
    }
}

extension String {
    /// The string without leading and trailing ASCII space, tab, CR and LF.
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let bytes = utf8
        // Usually nothing to trim: the first and last bytes say so without a scan.
        if let head = bytes.first, let tail = bytes.last, !isSpace(head), !isSpace(tail) { return self }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return "" }
        guard let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        if first == bytes.startIndex, last == bytes.index(before: bytes.endIndex) { return self }
        return String(self[first...last])
    }

    /// Whether the string is empty or only ASCII space, tab, CR and LF.
    var isASCIIBlank: Bool {
        utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }
}
