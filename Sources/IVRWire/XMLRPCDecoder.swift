/// XML-RPC (xmlrpc.com) as Voicenter speaks it, read with libxml2 and written by hand.
public enum XMLRPC {
    /// The deepest nesting of `<struct>`/`<array>` values accepted.
    static let maxDepth = 64

    /// Parses a `<methodCall>`: its method name and the values of its params.
    ///
    /// Liberal in what it reads: a `<value>` without a type element is a string
    /// (kept as written, whitespace included); `<i4>`, `<i8>` and `<int>` are
    /// 64-bit; `<nil/>` is ``WireValue/null``; `<dateTime.iso8601>` is kept as
    /// its text; `<base64>` becomes the decoded text when that is UTF-8.
    ///
    /// - Throws: ``WireError`` `.tooLarge` over `maxBytes`; `.missingMethod`
    ///   without `<methodName>`; `.malformed` (format `.xml`) for everything else.
    public static func parseMethodCall(
        _ body: UnsafeRawBufferPointer, maxBytes: Int
    ) throws(WireError) -> (methodName: String, params: [WireValue]) {
        var builder = XMLRPCBuilder(root: .methodCall)
        try LibXML.parse(body, maxBytes: maxBytes, into: &builder)
        if let failure = builder.failure { throw malformed(failure) }
        guard let methodName = builder.methodName, !methodName.isEmpty else {
            throw WireError(.missingMethod, format: .xml, "missing <methodName>")
        }
        return (methodName, builder.params)
    }

    /// Parses a `<methodResponse>` into its single value; a `<fault>` becomes
    /// its struct (`faultCode`, `faultString`).
    public static func parseMethodResponse(_ body: UnsafeRawBufferPointer, maxBytes: Int) throws(WireError) -> WireValue {
        var builder = XMLRPCBuilder(root: .methodResponse)
        try LibXML.parse(body, maxBytes: maxBytes, into: &builder)
        if let failure = builder.failure { throw malformed(failure) }
        guard let response = builder.response else {
            throw malformed("<methodResponse> must hold exactly one <params> or <fault>")
        }
        return response
    }

    static func malformed(_ message: String) -> WireError {
        WireError(.malformed, format: .xml, "malformed XML-RPC: \(message)")
    }
}

/// The scalar types' text, turned into ``WireValue``s.
enum XMLRPCScalar {
    /// Why a scalar's text was refused (the builder adds the member's name).
    struct Problem: Error {
        var message: String
    }

    /// The value of the scalar element `tag` whose character data is `text`.
    static func decode(_ tag: XMLRPCTag, _ text: String) throws(Problem) -> WireValue {
        switch tag {
        case .string, .dateTime: return .string(text)
        case .int, .i4, .i8: return .int(try integer(text, tag: tag))
        case .boolean: return .bool(try boolean(text))
        case .double: return .double(try double(text))
        case .base64: return .string(try base64(text))
        default: throw Problem(message: "unknown type <\(tag.name)>")
        }
    }

    static func integer(_ text: String, tag: XMLRPCTag) throws(Problem) -> Int64 {
        let trimmed = text.trimmingASCIIWhitespace()
        if let value = Int64(trimmed) { return value }
        let digits = trimmed.utf8.drop(while: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") })
        let numeric = !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let problem = numeric ? "out of the 64-bit range" : "not an integer"
        throw Problem(message: "<\(tag.name)> '\(trimmed)' is \(problem)")
    }

    static func boolean(_ text: String) throws(Problem) -> Bool {
        switch text.trimmingASCIIWhitespace() {
        case "1", "true": return true
        case "0", "false": return false
        case let other: throw Problem(message: "<boolean> '\(other)' is not 0 or 1")
        }
    }

    static func double(_ text: String) throws(Problem) -> Double {
        let trimmed = text.trimmingASCIIWhitespace()
        guard let value = Double(trimmed), value.isFinite else {
            throw Problem(message: "<double> '\(trimmed)' is not a finite number")
        }
        return value
    }

    /// The decoded text when it is UTF-8; else the base64 text itself.
    static func base64(_ text: String) throws(Problem) -> String {
        guard let bytes = Base64.decode(text) else {
            throw Problem(message: "<base64> is not valid base64")
        }
        let isUTF8 = bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
        return isUTF8 ? String(decoding: bytes, as: UTF8.self) : text
    }
}
