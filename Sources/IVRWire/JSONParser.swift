/// Strict JSON (RFC 8259) for Voicenter's JSON requests and replies.
///
/// Integers without fraction or exponent are 64-bit ``WireValue/int(_:)``;
/// other numbers are ``WireValue/double(_:)``. Object members keep their order
/// and duplicates. Strings are kept byte-exact.
public enum JSON {
    /// Parses one JSON value that must fill the whole buffer (whitespace aside).
    ///
    /// Strict: no comments, no trailing commas, no unquoted keys, no leading
    /// zeros, no lone surrogates, no invalid UTF-8, no garbage after the value.
    ///
    /// - Parameter maxDepth: the deepest nesting of arrays and objects accepted.
    /// - Throws: ``WireError`` of kind `.malformed`, format `.json`, saying what and where.
    public static func parse(_ body: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(WireError) -> WireValue {
        guard let base = body.baseAddress, body.count > 0 else {
            throw WireError(.malformed, format: .json, "invalid JSON: empty body")
        }
        var parser = JSONParser(bytes: base.assumingMemoryBound(to: UInt8.self), end: body.count, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.pos == parser.end else {
            throw parser.unexpected("after the JSON value")
        }
        return value
    }
}

/// Where ``JSONParser/parseObject(depth:into:)`` hands an object's members:
/// the parser is on the member's value, which `member` must read (at `depth`).
protocol JSONMemberSink {
    mutating func member(_ name: String, from parser: inout JSONParser, depth: Int) throws(WireError)
}

/// An object's members in order, duplicates kept (``WireValue/structure(_:)``).
struct MemberList: JSONMemberSink {
    var members: [WireMember] = []
    init() {
        // A Voicenter request's DATA has about eight members: one allocation, not four.
        members.reserveCapacity(8)
    }
    mutating func member(_ name: String, from parser: inout JSONParser, depth: Int) throws(WireError) {
        members.append(WireMember(name, try parser.parseValue(depth: depth)))
    }
}

/// A recursive-descent parser over raw bytes.
struct JSONParser {
    let p: UnsafePointer<UInt8>
    let end: Int
    let maxDepth: Int
    var pos = 0

    init(bytes: UnsafePointer<UInt8>, end: Int, maxDepth: Int) {
        self.p = bytes
        self.end = end
        self.maxDepth = maxDepth
    }

    // MARK: Errors

    func fail(_ message: String, at offset: Int? = nil) -> WireError {
        WireError(.malformed, format: .json, "invalid JSON at byte \(offset ?? pos): \(message)")
    }

    /// The error for the byte at `pos`, which is not what the grammar allows here.
    func unexpected(_ context: String) -> WireError {
        guard pos < end else { return fail("unexpected end of input") }
        let b = p[pos]
        if b >= 0x80 && UTF8Validation.sequenceLength(p, at: pos, end: end) == 0 {
            return fail("invalid UTF-8")
        }
        if b == UInt8(ascii: "/") { return fail("comments are not allowed") }
        if b >= 0x21 && b < 0x7F {
            return fail("unexpected character '\(Character(Unicode.Scalar(b)))' \(context)")
        }
        return fail("unexpected byte 0x\(String(b, radix: 16)) \(context)")
    }

    // MARK: Grammar

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            switch p[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(WireError) -> WireValue {
        guard pos < end else { throw fail("unexpected end of input") }
        switch p[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw unexpected("where a value was expected")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(WireError) {
        let start = pos
        let matched = literal.withUTF8Buffer { lit -> Bool in
            guard end - pos >= lit.count else { return false }
            for i in 0..<lit.count where p[pos + i] != lit[i] { return false }
            return true
        }
        guard matched else { throw fail("invalid literal", at: start) }
        pos += literal.utf8CodeUnitCount
    }

    mutating func parseObject(depth: Int) throws(WireError) -> WireValue {
        var members = MemberList()
        try parseObject(depth: depth, into: &members)
        return .structure(members.members)
    }

    /// Parses the object at `pos` (on its `{`), handing each member to `sink` in order.
    mutating func parseObject<Sink: JSONMemberSink>(depth: Int, into sink: inout Sink) throws(WireError) {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
        pos += 1
        skipWhitespace()
        if pos < end && p[pos] == UInt8(ascii: "}") {
            pos += 1
            return
        }
        while true {
            skipWhitespace()
            guard pos < end, p[pos] == UInt8(ascii: "\"") else {
                if pos < end && p[pos] == UInt8(ascii: "}") { throw fail("trailing comma in object") }
                if pos < end && isIdentifierByte(p[pos]) { throw fail("object keys must be quoted strings") }
                throw unexpected("where an object key was expected")
            }
            let key = try parseKey()
            skipWhitespace()
            guard pos < end, p[pos] == UInt8(ascii: ":") else { throw unexpected("where ':' was expected") }
            pos += 1
            skipWhitespace()
            try sink.member(key, from: &self, depth: depth)
            skipWhitespace()
            guard pos < end else { throw fail("unterminated object") }
            switch p[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"): pos += 1; return
            default: throw unexpected("where ',' or '}' was expected")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(WireError) -> WireValue {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
        pos += 1
        var items: [WireValue] = []
        skipWhitespace()
        if pos < end && p[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            if pos < end && p[pos] == UInt8(ascii: "]") { throw fail("trailing comma in array") }
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < end else { throw fail("unterminated array") }
            switch p[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "]"): pos += 1; return .array(items)
            default: throw unexpected("where ',' or ']' was expected")
            }
        }
    }

    private func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "$")
    }

    // MARK: Numbers

    @inline(__always)
    private func isDigit(at i: Int) -> Bool {
        i < end && p[i] >= UInt8(ascii: "0") && p[i] <= UInt8(ascii: "9")
    }

    mutating func parseNumber() throws(WireError) -> WireValue {
        let start = pos
        let negative = p[pos] == UInt8(ascii: "-")
        if negative { pos += 1 }
        guard isDigit(at: pos) else { throw fail("invalid number", at: start) }
        if p[pos] == UInt8(ascii: "0") {
            pos += 1
            if isDigit(at: pos) { throw fail("leading zeros are not allowed", at: start) }
        } else {
            while isDigit(at: pos) { pos += 1 }
        }
        let integerEnd = pos
        var isInteger = true
        if pos < end && p[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard isDigit(at: pos) else { throw fail("a digit must follow '.'", at: start) }
            while isDigit(at: pos) { pos += 1 }
        }
        if pos < end && (p[pos] == UInt8(ascii: "e") || p[pos] == UInt8(ascii: "E")) {
            isInteger = false
            pos += 1
            if pos < end && (p[pos] == UInt8(ascii: "+") || p[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard isDigit(at: pos) else { throw fail("a digit must follow the exponent", at: start) }
            while isDigit(at: pos) { pos += 1 }
        }
        if isInteger {
            // Accumulate towards the sign so that Int64.min is reachable.
            var value: Int64 = 0
            for i in (negative ? start + 1 : start)..<integerEnd {
                let digit = Int64(p[i] &- UInt8(ascii: "0"))
                let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                if o1 || o2 { throw fail("integer out of range", at: start) }
                value = next
            }
            return .int(value)
        }
        let text = String(decoding: UnsafeBufferPointer(start: p + start, count: pos - start), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw fail("number out of range", at: start) }
        return .double(value)
    }

    // MARK: Strings

    /// Parses an object key at `pos` (on its opening quote): a name of
    /// Voicenter's requests is the literal (no string is made, and comparing it
    /// with the literal later is a compare of two words); any other as ``parseString()``.
    mutating func parseKey() throws(WireError) -> String {
        let start = pos + 1
        var i = start
        while i < end, p[i] != UInt8(ascii: "\""), p[i] != UInt8(ascii: "\\"), p[i] >= 0x20, p[i] < 0x80 { i += 1 }
        if i < end, p[i] == UInt8(ascii: "\""), let known = VoicenterNames.requestKey(p + start, i - start) {
            pos = i + 1
            return known
        }
        return try parseString()
    }

    /// Parses a string literal at `pos` (on its opening quote).
    mutating func parseString() throws(WireError) -> String {
        let start = pos + 1
        if let decoded = try scanString() { return decoded }
        return String(decoding: UnsafeBufferPointer(start: p + start, count: pos - 1 - start), as: UTF8.self)
    }

    /// Reads the string literal at `pos` (on its opening quote), checking it as
    /// ``parseString()`` does. A literal without escapes makes no string: nil,
    /// its text being the bytes between its quotes; else the decoded text.
    mutating func scanString() throws(WireError) -> String? {
        let opening = pos
        pos += 1
        let start = pos
        while pos < end {
            let b = p[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return nil
            }
            if b == UInt8(ascii: "\\") { return try parseEscapedString(from: start, opening: opening) }
            if b < 0x20 { throw fail("unescaped control character in string") }
            if b < 0x80 {
                pos += 1
            } else {
                let n = UTF8Validation.sequenceLength(p, at: pos, end: end)
                guard n > 0 else { throw fail("invalid UTF-8") }
                pos += n
            }
        }
        throw fail("unterminated string", at: opening)
    }

    /// The slow path of ``parseString()``: the literal has escapes; `pos` is on the first one.
    private mutating func parseEscapedString(from start: Int, opening: Int) throws(WireError) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(pos - start + 32)
        buffer.append(contentsOf: UnsafeBufferPointer(start: p + start, count: pos - start))
        while pos < end {
            let b = p[pos]
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try appendEscape(to: &buffer)
            case 0..<0x20:
                throw fail("unescaped control character in string")
            case 0x20..<0x80:
                buffer.append(b)
                pos += 1
            default:
                let n = UTF8Validation.sequenceLength(p, at: pos, end: end)
                guard n > 0 else { throw fail("invalid UTF-8") }
                buffer.append(contentsOf: UnsafeBufferPointer(start: p + pos, count: n))
                pos += n
            }
        }
        throw fail("unterminated string", at: opening)
    }

    /// Decodes the escape at `pos` (on its backslash) into `buffer`.
    private mutating func appendEscape(to buffer: inout [UInt8]) throws(WireError) {
        let escape = pos
        pos += 1
        guard pos < end else { throw fail("unterminated string") }
        let c = p[pos]
        pos += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(c)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(escapeAt: escape)
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard end - pos >= 2, p[pos] == UInt8(ascii: "\\"), p[pos + 1] == UInt8(ascii: "u") else {
                    throw fail("lone surrogate \\u\(String(scalar, radix: 16, uppercase: true))", at: escape)
                }
                let second = pos
                pos += 2
                let low = try hex4(escapeAt: second)
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw fail("lone surrogate \\u\(String(scalar, radix: 16, uppercase: true))", at: escape)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw fail("lone surrogate \\u\(String(scalar, radix: 16, uppercase: true))", at: escape)
            }
            buffer.appendUTF8(scalar: scalar)
        default:
            throw fail("invalid escape '\\\(Character(Unicode.Scalar(c)))'", at: escape)
        }
    }

    /// Reads the four hex digits at `pos`.
    private mutating func hex4(escapeAt escape: Int) throws(WireError) -> UInt32 {
        guard end - pos >= 4 else { throw fail("truncated \\u escape", at: escape) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = p[pos]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape", at: escape)
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 form of a scalar value (not a surrogate, at most U+10FFFF).
    mutating func appendUTF8(scalar v: UInt32) {
        switch v {
        case 0..<0x80:
            append(UInt8(v))
        case 0x80..<0x800:
            append(UInt8(0xC0 | v >> 6))
            append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            append(UInt8(0xE0 | v >> 12))
            append(UInt8(0x80 | v >> 6 & 0x3F))
            append(UInt8(0x80 | v & 0x3F))
        default:
            append(UInt8(0xF0 | v >> 18 & 0x07))
            append(UInt8(0x80 | v >> 12 & 0x3F))
            append(UInt8(0x80 | v >> 6 & 0x3F))
            append(UInt8(0x80 | v & 0x3F))
        }
    }
}
