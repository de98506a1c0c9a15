import IVREngine
import IVRWire

/// A reply body as a value, for comparing replies by what they say rather than
/// by their bytes (member order, whitespace, XML-RPC vs JSON spelling aside).
public enum ReplyValue {
    /// The body's value: a JSON object, an XML-RPC `methodResponse`'s param, or
    /// (a plain-text error) the text itself.
    public static func decode(_ body: [UInt8]) -> WireValue {
        let format = WireCodec.sniffFormat(body, contentType: nil)
        let parsed = body.withUnsafeBytes { raw -> WireValue? in
            switch format {
            case .json?: return try? JSON.parse(raw)
            case .xml?: return try? XMLRPC.parseMethodResponse(raw, maxBytes: Int.max)
            case nil: return nil
            }
        }
        return parsed ?? .string(String(decoding: body, as: UTF8.self))
    }

    /// Every difference between two values, one line each: `DATA.LOOP: 2 != 3`
    /// (`recorded != now`); structures are compared member by member, in any order.
    public static func differences(_ recorded: WireValue, _ now: WireValue, at path: String = "") -> [String] {
        switch (recorded, now) {
        case (.structure(let a), .structure(let b)):
            var lines: [String] = []
            var seen = Set<String>()
            for member in a where seen.insert(member.name).inserted {
                let name = path.isEmpty ? member.name : path + "." + member.name
                if let other = now[member: member.name] {
                    lines += differences(recorded[member: member.name] ?? member.value, other, at: name)
                } else {
                    lines.append("\(name): \(text(member.value)) != (absent)")
                }
            }
            for member in b where seen.insert(member.name).inserted {
                let name = path.isEmpty ? member.name : path + "." + member.name
                lines.append("\(name): (absent) != \(text(member.value))")
            }
            return lines
        case (.array(let a), .array(let b)):
            var lines: [String] = []
            for i in 0..<max(a.count, b.count) {
                let name = "\(path)[\(i + 1)]"
                switch (i < a.count ? a[i] : nil, i < b.count ? b[i] : nil) {
                case (let x?, let y?): lines += differences(x, y, at: name)
                case (let x?, nil): lines.append("\(name): \(text(x)) != (absent)")
                case (nil, let y?): lines.append("\(name): (absent) != \(text(y))")
                case (nil, nil): break
                }
            }
            return lines
        default:
            return recorded == now ? [] : ["\(path.isEmpty ? "reply" : path): \(text(recorded)) != \(text(now))"]
        }
    }

    /// A value in compact JSON-like text.
    public static func text(_ value: WireValue) -> String {
        switch value {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .double(let d): return String(d)
        case .null: return "null"
        case .array(let items): return "[" + items.map(text).joined(separator: ",") + "]"
        case .structure(let members): return "{" + members.map { "\($0.name):\(text($0.value))" }.joined(separator: ",") + "}"
        }
    }

    /// The reply a value carries, if it is one the engine could have sent.
    public static func reply(_ value: WireValue) -> IVRReply? {
        guard case .structure = value, let status = value[member: "STATUS"]?.coercedInt else { return nil }
        guard let name = value[member: "ACTION"]?.coercedString else {
            return value[member: "ERROR"] == nil ? .status(status) : nil
        }
        guard let kind = ActionKind(rawValue: name) else { return nil }
        let language = value[member: "LANGUAGE"]?.coercedString
        var fields: [String: WireValue] = [:]
        if kind.isLayerAction {
            guard case .structure(let members) = value else { return nil }
            for member in members where !["STATUS", "ACTION", "LANGUAGE"].contains(member.name) {
                fields[member.name] = member.value
            }
        } else {
            guard case .structure(let members)? = value[member: "DATA"] else { return nil }
            for member in members { fields[member.name] = member.value }
        }
        guard let action = try? IVRAction(kind: kind, language: language, fields: fields) else { return nil }
        return .action(action, status: status)
    }

    /// A reply body in the words `simulate` uses (`MENU main: play welcome x2, ...`),
    /// prefixed by its HTTP status when that is not 200; the body itself when it is not a reply.
    public static func words(status: Int, body: [UInt8], defaultLanguage: String = IVRDefaults.language) -> String {
        let value = decode(body)
        let said: String
        if let reply = reply(value) {
            said = ReplyDescription.line(for: reply, defaultLanguage: defaultLanguage)
        } else if case .string(let s) = value {
            said = s.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            said = text(value)
        }
        return status == 200 ? said : "HTTP \(status): \(said)"
    }
}
