extension XMLRPC {
    /// Encodes a `<methodResponse>` carrying `value` as its single param.
    ///
    /// Compact (no indentation), deterministic, members in the given order.
    /// Integers are always `<int>`, even beyond 32 bits: Voicenter's own
    /// HANGUP_CALL example sends a 64-bit epoch as `<int>`, and `<i8>` is an
    /// extension its parser may not know.
    public static func encodeResponse(_ value: WireValue) -> [UInt8] {
        var out = ByteWriter(capacity: 1024)
        out.appendLiteral("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<methodResponse><params><param>")
        append(value, to: &out)
        out.appendLiteral("</param></params></methodResponse>\n")
        return out.finish()
    }

    /// Encodes a `<methodResponse>` with a `<fault>`: `faultCode` as `<int>`,
    /// `faultString` as `<string>`.
    public static func encodeFault(code: Int64, message: String) -> [UInt8] {
        var out = ByteWriter(capacity: 256 + message.utf8.count)
        out.appendLiteral("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<methodResponse><fault><value><struct>")
        out.appendLiteral("<member><name>faultCode</name><value><int>")
        out.appendDecimal(code)
        out.appendLiteral("</int></value></member><member><name>faultString</name><value><string>")
        appendText(message, to: &out)
        out.appendLiteral("</string></value></member></struct></value></fault></methodResponse>\n")
        return out.finish()
    }

    /// Encodes a `<methodCall>`, the way Voicenter sends requests (for tests and `simulate`).
    public static func encodeMethodCall(_ methodName: String, params: [WireValue]) -> [UInt8] {
        var out = ByteWriter(capacity: 1024)
        out.appendLiteral("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<methodCall><methodName>")
        appendText(methodName, to: &out)
        out.appendLiteral("</methodName><params>")
        for param in params {
            out.appendLiteral("<param>")
            append(param, to: &out)
            out.appendLiteral("</param>")
        }
        out.appendLiteral("</params></methodCall>\n")
        return out.finish()
    }

    /// Appends `<value>...</value>` for `value`.
    ///
    /// XML-RPC has no NaN or infinity: a non-finite double is written as `<nil/>`,
    /// as JSON writes `null`.
    static func append(_ value: WireValue, to out: inout ByteWriter) {
        out.appendLiteral("<value>")
        switch value {
        case .string(let s):
            out.appendLiteral("<string>")
            appendText(s, to: &out)
            out.appendLiteral("</string>")
        case .int(let i):
            out.appendLiteral("<int>")
            out.appendDecimal(i)
            out.appendLiteral("</int>")
        case .bool(let b):
            out.appendLiteral(b ? "<boolean>1</boolean>" : "<boolean>0</boolean>")
        case .double(let d):
            if d.isFinite {
                out.appendLiteral("<double>")
                out.appendFiniteDouble(d)
                out.appendLiteral("</double>")
            } else {
                out.appendLiteral("<nil/>")
            }
        case .null:
            out.appendLiteral("<nil/>")
        case .array(let items):
            out.appendLiteral("<array><data>")
            for item in items { append(item, to: &out) }
            out.appendLiteral("</data></array>")
        case .structure(let members):
            out.appendLiteral("<struct>")
            for member in members {
                out.appendLiteral("<member><name>")
                appendText(member.name, to: &out)
                out.appendLiteral("</name>")
                append(member.value, to: &out)
                out.appendLiteral("</member>")
            }
            out.appendLiteral("</struct>")
        }
        out.appendLiteral("</value>")
    }

    /// Appends `s` as XML character data: `&`, `<`, `>` escaped, CR as `&#13;`
    /// (a raw CR would be read back as LF). Characters XML 1.0 cannot carry at
    /// all (C0 controls other than tab, LF, CR; U+FFFE; U+FFFF) become U+FFFD.
    static func appendText(_ s: String, to out: inout ByteWriter) {
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            var i = 0
            let count = bytes.count
            while i < count {
                let b = bytes[i]
                let replacement: StaticString
                var width = 1
                switch b {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case 0x0D: replacement = "&#13;"
                case 0x09, 0x0A:
                    i += 1
                    continue
                case 0x00..<0x20:
                    replacement = "\u{FFFD}"
                case 0xEF where i + 2 < count && bytes[i + 1] == 0xBF && bytes[i + 2] >= 0xBE:
                    replacement = "\u{FFFD}"
                    width = 3
                default:
                    i += 1
                    continue
                }
                if runStart < i { out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                out.appendLiteral(replacement)
                i += width
                runStart = i
            }
            if runStart < count { out.append(UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
    }
}

extension XMLRPC {
    /// Encodes a reply as ``encodeResponse(_:)`` would encode its
    /// ``IVRReply/wireValue``, byte for byte, without building that value first:
    /// the reply's own names and the schema's field names are plain ASCII.
    static func encodeResponse(_ reply: IVRReply) -> [UInt8] {
        var out = ByteWriter(capacity: 1536)
        out.appendLiteral("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<methodResponse><params><param><value><struct>")
        switch reply {
        case .status(let status):
            appendIntMember("STATUS", status, to: &out)
        case .action(let action, let status):
            appendIntMember("STATUS", status, to: &out)
            out.appendLiteral("<member><name>ACTION</name><value><string>")
            out.appendRaw(action.kind.wireName)
            out.appendLiteral("</string></value></member>")
            if action.kind.isLayerAction {
                if let language = action.language { appendLanguage(language, to: &out) }
                for member in action.fields { appendKnownMember(member, to: &out) }
            } else {
                appendLanguage(action.language ?? "he", to: &out)
                out.appendLiteral("<member><name>DATA</name><value><struct>")
                for member in action.fields { appendKnownMember(member, to: &out) }
                out.appendLiteral("</struct></value></member>")
            }
        }
        out.appendLiteral("</struct></value></param></params></methodResponse>\n")
        return out.finish()
    }

    private static func appendIntMember(_ name: StaticString, _ value: Int64, to out: inout ByteWriter) {
        out.appendLiteral("<member><name>")
        out.appendLiteral(name)
        out.appendLiteral("</name><value><int>")
        out.appendDecimal(value)
        out.appendLiteral("</int></value></member>")
    }

    private static func appendLanguage(_ language: String, to out: inout ByteWriter) {
        out.appendLiteral("<member><name>LANGUAGE</name><value><string>")
        appendText(language, to: &out)
        out.appendLiteral("</string></value></member>")
    }

    /// A member whose name is a schema name (ASCII letters, digits, `_`: nothing to escape).
    private static func appendKnownMember(_ member: WireMember, to out: inout ByteWriter) {
        out.appendLiteral("<member><name>")
        out.appendRaw(member.name)
        out.appendLiteral("</name>")
        append(member.value, to: &out)
        out.appendLiteral("</member>")
    }
}
