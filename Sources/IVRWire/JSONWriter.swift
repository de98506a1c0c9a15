extension JSON {
    /// Encodes `value` as compact JSON: members in the given order, strings
    /// escaped minimally, non-ASCII written as raw UTF-8 (byte-exact), integers as
    /// numbers, doubles in their shortest round-trip form (`2.0`, `0.1`).
    ///
    /// JSON has no NaN or infinity: a non-finite double is written as `null`.
    public static func encode(_ value: WireValue) -> [UInt8] {
        var out = ByteWriter(capacity: 512)
        append(value, to: &out)
        return out.finish()
    }

    /// Appends the JSON text of `value` to `out`.
    static func append(_ value: WireValue, to out: inout ByteWriter) {
        switch value {
        case .string(let s):
            appendString(s, to: &out)
        case .int(let i):
            out.appendDecimal(i)
        case .bool(let b):
            out.appendLiteral(b ? "true" : "false")
        case .double(let d):
            if d.isFinite { out.appendFiniteDouble(d) } else { out.appendLiteral("null") }
        case .null:
            out.appendLiteral("null")
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .structure(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(member.name, to: &out)
                out.append(UInt8(ascii: ":"))
                append(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `s` as a JSON string literal: quoted, with `"`, `\` and control
    /// characters escaped (`\n \r \t \b \f`, else `\u00XX`), everything else raw.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        var writer = ByteWriter(capacity: s.utf8.count + 16)
        appendString(s, to: &writer)
        out.append(contentsOf: writer.finish())
    }

    /// ``appendString(_:to:)`` into an encoder's buffer.
    static func appendString(_ s: String, to out: inout ByteWriter) {
        var s = s
        s.withUTF8 { appendString(utf8: $0, to: &out) }
    }

    /// ``appendString(_:to:)`` over UTF-8 bytes.
    static func appendString(utf8 bytes: UnsafeBufferPointer<UInt8>, to out: inout ByteWriter) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<bytes.count {
            let b = bytes[i]
            if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") { continue }
            if runStart < i { out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            runStart = i + 1
            out.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.appendLiteral("u00")
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 0x0F))
            }
        }
        if runStart < bytes.count { out.append(UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension JSON {
    /// Encodes a reply as ``encode(_:)`` would encode its ``IVRReply/wireValue``,
    /// byte for byte, without building that value first: the reply's own keys
    /// and the schema's field names are plain ASCII and written as they are.
    static func encode(_ reply: IVRReply) -> [UInt8] {
        var out = ByteWriter(capacity: 512)  // a MENU reply with its defaults is about 300 bytes
        switch reply {
        case .status(let status):
            out.appendLiteral("{\"STATUS\":")
            out.appendDecimal(status)
        case .action(let action, let status):
            out.appendLiteral("{\"STATUS\":")
            out.appendDecimal(status)
            out.appendLiteral(",\"ACTION\":")
            appendKnownName(action.kind.wireName, to: &out)
            if action.kind.isLayerAction {
                if let language = action.language {
                    out.appendLiteral(",\"LANGUAGE\":")
                    appendString(language, to: &out)
                }
                for member in action.fields {
                    out.append(UInt8(ascii: ","))
                    appendKnownName(member.name, to: &out)
                    out.append(UInt8(ascii: ":"))
                    append(member.value, to: &out)
                }
            } else {
                out.appendLiteral(",\"LANGUAGE\":")
                appendString(action.language ?? "he", to: &out)
                out.appendLiteral(",\"DATA\":{")
                for (i, member) in action.fields.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    appendKnownName(member.name, to: &out)
                    out.append(UInt8(ascii: ":"))
                    append(member.value, to: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
        }
        out.append(UInt8(ascii: "}"))
        return out.finish()
    }

    /// A schema name (ASCII letters, digits and `_`: nothing to escape), quoted.
    private static func appendKnownName(_ name: String, to out: inout ByteWriter) {
        out.append(UInt8(ascii: "\""))
        out.appendRaw(name)
        out.append(UInt8(ascii: "\""))
    }
}
