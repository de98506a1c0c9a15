/// The fields of a JSON request (the members of its `DATA`) as places in its
/// body, read when asked for: a handler reads a few fields, so most values of
/// most requests never become strings.
///
/// The body has been checked whole (strict JSON) before this exists; a value
/// is re-read from the same bytes when asked for. Holds the body array itself
/// (shared storage, not a copy).
struct JSONRequestFields: Sendable {
    /// One member of `DATA`: its name, and where its value is in the body.
    struct Member: Sendable {
        let name: String
        /// The value's first byte and the byte after it, offsets in the body.
        let start: Int32
        let end: Int32
        /// A string without escapes: its text is the bytes between its quotes.
        let plainString: Bool
    }

    let body: [UInt8]
    let members: [Member]

    /// The value of the last member named `name` (as ``RequestFields`` keeps it).
    func value(named name: String) -> WireValue? {
        let length = name.utf8.count
        var i = members.count - 1
        while i >= 0 {
            let member = members[i]
            if member.name.utf8.count == length, member.name == name { return value(of: member) }
            i -= 1
        }
        return nil
    }

    func value(of member: Member) -> WireValue {
        body.withUnsafeBufferPointer { bytes -> WireValue in
            guard let base = bytes.baseAddress, member.start >= 0, member.end <= bytes.count, member.start < member.end else {
                return .null
            }
            if member.plainString {
                return .string(String(decoding: UnsafeBufferPointer(start: base + Int(member.start) + 1,
                                                                    count: Int(member.end - member.start) - 2),
                                      as: UTF8.self))
            }
            // Checked when the request was decoded: this parse cannot fail.
            var parser = JSONParser(bytes: base + Int(member.start), end: Int(member.end - member.start), maxDepth: Int.max)
            return (try? parser.parseValue(depth: 0)) ?? .null
        }
    }

    /// Every member, as the decoder without places would have read them.
    var wireMembers: [WireMember] {
        members.map { WireMember($0.name, value(of: $0)) }
    }
}

/// Records the members of `DATA` as places in the body (see ``JSONRequestFields``).
struct MemberPlaces: JSONMemberSink {
    /// Where the parser's buffer starts in the body.
    let offset: Int
    var members: [JSONRequestFields.Member] = []

    init(offset: Int) {
        self.offset = offset
        members.reserveCapacity(8)
    }

    mutating func member(_ name: String, from parser: inout JSONParser, depth: Int) throws(WireError) {
        let start = parser.pos
        var plain = false
        if start < parser.end, parser.p[start] == UInt8(ascii: "\"") {
            plain = try parser.scanString() == nil
        } else {
            _ = try parser.parseValue(depth: depth)
        }
        guard let first = Int32(exactly: start + offset), let end = Int32(exactly: parser.pos + offset) else {
            throw parser.fail("the body is too large")
        }
        members.append(.init(name: name, start: first, end: end, plainString: plain))
    }
}

extension JSON {
    /// A request's `DATA`: its members as places in the body when it is an object, else its value.
    enum RequestData {
        case places([JSONRequestFields.Member])
        case other(WireValue)
    }

    /// A Voicenter request's outer object: its `METHOD` and `DATA` (the last of
    /// each when repeated), `DATA`'s members kept as places in the body (`body`
    /// starts `offset` bytes into it); `isObject` false when the body is valid
    /// JSON but not an object. Same strictness and errors as ``parse(_:maxDepth:)``.
    static func parseRequestEnvelope(_ body: UnsafeRawBufferPointer, offset: Int, maxDepth: Int = 64)
        throws(WireError) -> (isObject: Bool, method: WireValue?, data: RequestData?) {
        guard let base = body.baseAddress, body.count > 0 else {
            throw WireError(.malformed, format: .json, "invalid JSON: empty body")
        }
        var parser = JSONParser(bytes: base.assumingMemoryBound(to: UInt8.self), end: body.count, maxDepth: maxDepth)
        parser.skipWhitespace()
        var envelope = PlacesEnvelope(offset: offset)
        let isObject = parser.pos < parser.end && parser.p[parser.pos] == UInt8(ascii: "{")
        if isObject {
            try parser.parseObject(depth: 1, into: &envelope)
        } else {
            _ = try parser.parseValue(depth: 0)
        }
        parser.skipWhitespace()
        guard parser.pos == parser.end else {
            throw parser.unexpected("after the JSON value")
        }
        return (isObject, envelope.method, envelope.data)
    }

    /// Keeps `METHOD`, and `DATA` (its members as places when it is an object).
    private struct PlacesEnvelope: JSONMemberSink {
        let offset: Int
        var method: WireValue?
        var data: RequestData?

        init(offset: Int) { self.offset = offset }

        mutating func member(_ name: String, from parser: inout JSONParser, depth: Int) throws(WireError) {
            if name == "DATA", parser.pos < parser.end, parser.p[parser.pos] == UInt8(ascii: "{") {
                // As parseValue(depth:) would: an object one level deeper.
                var places = MemberPlaces(offset: offset)
                try parser.parseObject(depth: depth + 1, into: &places)
                data = .places(places.members)
                return
            }
            let value = try parser.parseValue(depth: depth)
            if name == "METHOD" { method = value } else if name == "DATA" { data = .other(value) }
        }
    }
}
