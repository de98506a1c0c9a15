/// The entry points the server uses: a request body in, an ``IVRRequest`` out;
/// an ``IVRReply`` or a ``WireError`` in, a body out.
public enum WireCodec {
    /// Decodes a Voicenter request body.
    ///
    /// The format is told from the first non-whitespace byte (`<` XML-RPC, `{`
    /// JSON; a UTF-8 byte order mark and whitespace before it are skipped); `contentType` is only
    /// a hint, used to pick the error's format when the body cannot tell.
    /// The fields are the members of the first param's struct (XML-RPC) or of
    /// `DATA` (JSON), keyed by wire name; on duplicates the last one wins.
    ///
    /// - Throws: ``WireError``: `.tooLarge` over `maxBytes`; `.malformed` for a
    ///   body that does not parse or has the wrong shape; `.missingMethod`;
    ///   `.unknownMethod`; `.missingCallID` when `IVR_UNIQUE_ID` is absent or blank.
    public static func decodeRequest(
        _ body: UnsafeRawBufferPointer, contentType: String? = nil, maxBytes: Int = 65536
    ) throws(WireError) -> IVRRequest {
        try decodeRequest(body, contentType: contentType, maxBytes: maxBytes, keeping: nil)
    }

    /// ``decodeRequest(_:contentType:maxBytes:)`` over an array (a JSON request keeps it, not a copy).
    public static func decodeRequest(
        _ body: [UInt8], contentType: String? = nil, maxBytes: Int = 65536
    ) throws(WireError) -> IVRRequest {
        let result = body.withUnsafeBytes { raw in
            Result { () throws(WireError) in try decodeRequest(raw, contentType: contentType, maxBytes: maxBytes, keeping: body) }
        }
        return try result.get()
    }

    /// `array`: `body` as an array, when the caller has it (a JSON request's fields stay in it).
    private static func decodeRequest(
        _ body: UnsafeRawBufferPointer, contentType: String?, maxBytes: Int, keeping array: [UInt8]?
    ) throws(WireError) -> IVRRequest {
        let (sniffed, start) = sniff(body)
        guard body.count <= maxBytes else {
            throw WireError(.tooLarge, format: sniffed ?? formatHint(contentType),
                            "body of \(body.count) bytes exceeds the limit of \(maxBytes) bytes")
        }
        switch sniffed {
        case .xml?:
            // From the '<' on: XML allows nothing before `<?xml ...?>`, integrators send a newline.
            return try decodeXMLRPC(UnsafeRawBufferPointer(rebasing: body[start...]), maxBytes: maxBytes)
        case .json?:
            return try decodeJSON(UnsafeRawBufferPointer(rebasing: body[start...]), offset: start,
                                  keeping: array ?? Array(body))
        case nil:
            let message = start == body.count
                ? "the body is empty"
                : "the body is neither XML-RPC nor JSON (it starts with neither '<' nor '{')"
            throw WireError(.malformed, format: formatHint(contentType), message)
        }
    }

    /// Encodes `reply` as an XML-RPC `methodResponse` or as JSON; deterministic,
    /// members in the order ``IVRReply/wireValue`` gives them.
    public static func encode(_ reply: IVRReply, as format: WireFormat) -> [UInt8] {
        switch format {
        case .xml: return XMLRPC.encodeResponse(reply)
        case .json: return JSON.encode(reply)
        }
    }

    /// The body answering a request that could not be decoded, with its Content-Type.
    ///
    /// XML-RPC: a `<fault>` (`faultCode` = ``WireError/faultCode``, `faultString` =
    /// the message). JSON: `{"STATUS":1,"ERROR":"..."}`. Format unknown: the
    /// plain text `error: <message>\n`.
    public static func encodeError(_ error: WireError) -> (contentType: String, body: [UInt8]) {
        switch error.format {
        case .xml?:
            return (WireFormat.xml.contentType, XMLRPC.encodeFault(code: error.faultCode, message: error.message))
        case .json?:
            var out = ByteWriter(capacity: 32 + error.message.utf8.count)
            out.appendLiteral("{\"STATUS\":1,\"ERROR\":")
            JSON.appendString(error.message, to: &out)
            out.append(UInt8(ascii: "}"))
            return (WireFormat.json.contentType, out.finish())
        case nil:
            var out = ByteWriter(capacity: 16 + error.message.utf8.count)
            out.appendLiteral("error: ")
            out.appendRaw(error.message)
            out.append(UInt8(ascii: "\n"))
            return ("text/plain; charset=utf-8", out.finish())
        }
    }
}

// MARK: Decoding steps

extension WireCodec {
    /// The format a `Content-Type` suggests, if any.
    static func formatHint(_ contentType: String?) -> WireFormat? {
        guard let contentType else { return nil }
        let bytes = Array(contentType.utf8)
        if contains(bytes, "json") { return .json }
        if contains(bytes, "xml") { return .xml }
        return nil
    }

    /// Whether `haystack` holds `needle` (lower-case ASCII), ignoring ASCII case.
    private static func contains(_ haystack: [UInt8], _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard n > 0, haystack.count >= n else { return false }
        return needle.withUTF8Buffer { needle in
            for start in 0...(haystack.count - n) {
                var i = 0
                while i < n, haystack[start + i] | 0x20 == needle[i] { i += 1 }
                if i == n { return true }
            }
            return false
        }
    }

    /// The format the first meaningful byte announces, and that byte's offset
    /// (`body.count` when there is none).
    static func sniff(_ body: UnsafeRawBufferPointer) -> (WireFormat?, Int) {
        var i = 0
        if body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF { i = 3 }
        while i < body.count {
            switch body[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            case UInt8(ascii: "<"): return (.xml, i)
            case UInt8(ascii: "{"): return (.json, i)
            default: return (nil, i)
            }
        }
        return (nil, i)
    }

    static func decodeXMLRPC(_ body: UnsafeRawBufferPointer, maxBytes: Int) throws(WireError) -> IVRRequest {
        let call = try XMLRPC.parseMethodCall(body, maxBytes: maxBytes)
        let method = try method(named: call.methodName, format: .xml)
        guard let first = call.params.first else {
            throw WireError(.malformed, format: .xml, "malformed XML-RPC: the methodCall has no params")
        }
        guard case .structure(let members) = first else {
            throw WireError(.malformed, format: .xml, "malformed XML-RPC: the first param is not a <struct>")
        }
        return try request(method, .xml, members)
    }

    /// `json` is the JSON text, which starts `offset` bytes into `body`.
    static func decodeJSON(_ json: UnsafeRawBufferPointer, offset: Int, keeping body: [UInt8]) throws(WireError) -> IVRRequest {
        let top = try JSON.parseRequestEnvelope(json, offset: offset)
        guard top.isObject else {
            throw WireError(.malformed, format: .json, "malformed request: the body is not a JSON object")
        }
        guard let methodValue = top.method, methodValue != .null else {
            throw WireError(.missingMethod, format: .json, "missing METHOD")
        }
        guard case .string(let name) = methodValue else {
            throw WireError(.malformed, format: .json, "malformed request: METHOD must be a string")
        }
        let method = try method(named: name, format: .json)
        guard let data = top.data else {
            throw WireError(.malformed, format: .json, "malformed request: missing DATA")
        }
        guard case .places(let members) = data else {
            throw WireError(.malformed, format: .json, "malformed request: DATA must be an object")
        }
        let fields = JSONRequestFields(body: body, members: members)
        let callID = try callID(fields.value(named: "IVR_UNIQUE_ID"), format: .json)
        return IVRRequest(method: method, json: fields, callID: callID)
    }

    static func method(named raw: String, format: WireFormat) throws(WireError) -> IVRMethod {
        // As sent by Voicenter: the name itself (a compare of two words each).
        switch raw {
        case "GET_IVR_ACTION": return .getIVRAction
        case "IVR_LAYER_INPUT": return .layerInput
        case "HANGUP_CALL": return .hangupCall
        default: break
        }
        let name = raw.trimmingASCIIWhitespace()
        guard !name.isEmpty else {
            throw WireError(.missingMethod, format: format, format == .xml ? "missing <methodName>" : "missing METHOD")
        }
        guard let method = IVRMethod(rawValue: name) else {
            throw WireError(.unknownMethod, format: format, "unknown method '\(name)'")
        }
        return method
    }

    /// The request with `members` as its fields, once `IVR_UNIQUE_ID` is checked.
    static func request(_ method: IVRMethod, _ format: WireFormat, _ members: [WireMember]) throws(WireError) -> IVRRequest {
        let fields = RequestFields(members)
        let callID = try callID(fields["IVR_UNIQUE_ID"], format: format)
        return IVRRequest(method: method, format: format, fields: fields, callID: callID)
    }

    /// The text of `IVR_UNIQUE_ID` once checked.
    static func callID(_ id: WireValue?, format: WireFormat) throws(WireError) -> String {
        guard let id else {
            throw WireError(.missingCallID, format: format, "missing IVR_UNIQUE_ID")
        }
        guard let text = id.coercedString else {
            throw WireError(.missingCallID, format: format, "IVR_UNIQUE_ID must be a string")
        }
        guard !text.isASCIIBlank else {
            throw WireError(.missingCallID, format: format, "empty IVR_UNIQUE_ID")
        }
        try checkCallID(text, format: format)
        return text
    }
}

extension WireCodec {
    /// The longest `IVR_UNIQUE_ID` accepted, in bytes (Voicenter's are about 32).
    public static let maxCallIDBytes = 128

    /// Refuses an `IVR_UNIQUE_ID` over ``maxCallIDBytes`` or holding a control
    /// character (below U+0020, or U+007F): it is a state key and is logged.
    static func checkCallID(_ id: String, format: WireFormat) throws(WireError) {
        var utf8 = id
        let bad: Int? = utf8.withUTF8 { bytes -> Int? in
            if bytes.count > maxCallIDBytes { return -1 }
            for byte in bytes where byte < 0x20 || byte == 0x7F { return Int(byte) }
            return nil
        }
        guard let bad else { return }
        if bad < 0 {
            throw WireError(.invalidCallID, format: format,
                            "IVR_UNIQUE_ID is longer than \(maxCallIDBytes) bytes")
        }
        throw WireError(.invalidCallID, format: format,
                        "IVR_UNIQUE_ID holds a control character (U+00\(bad < 16 ? "0" : "")\(String(bad, radix: 16, uppercase: true)))")
    }

    /// The format of a body as the decoder would tell it: its first meaningful
    /// byte, else the `Content-Type` hint; nil when neither says.
    public static func sniffFormat(_ body: [UInt8], contentType: String?) -> WireFormat? {
        body.withUnsafeBytes { sniff($0).0 } ?? formatHint(contentType)
    }
}
