import IVRWire

/// Builds Voicenter requests and reads replies in either format, through the
/// project's own codecs (XML parsed by libxml2).
enum Wire {
    static func body(_ method: String, _ fields: [(String, WireValue)], _ format: WireFormat) -> [UInt8] {
        let data = WireValue.structure(fields.map { WireMember($0.0, $0.1) })
        switch format {
        case .xml: return XMLRPC.encodeMethodCall(method, params: [data])
        case .json: return JSON.encode(.structure([WireMember("METHOD", .string(method)), WireMember("DATA", data)]))
        }
    }

    static func getAction(_ id: String, dtmf: String = "", menu: String = "-1", previous: String = "-1",
                          callerID: String = "0541234567", callerName: String = "Dana", did: String = "0730000000",
                          format: WireFormat) -> [UInt8] {
        body("GET_IVR_ACTION", [("DID", .string(did)), ("CALLER_ID", .string(callerID)),
                                ("CALLER_NAME", .string(callerName)), ("IVR_UNIQUE_ID", .string(id)),
                                ("DTMF", .string(dtmf)), ("MENU", .string(menu)), ("PREVIOUS_MENU", .string(previous))],
             format)
    }

    static func hangup(_ id: String, format: WireFormat) -> [UInt8] {
        body("HANGUP_CALL", [("DID", .string("0730000000")), ("CALLER_ID", .string("0541234567")),
                             ("IVR_UNIQUE_ID", .string(id)), ("TARGET", .string("0500000555")),
                             ("CALL_TIME_EPOCH", .int(15616841651)), ("CALL_START_EPOCH", .int(15616841612)),
                             ("CALL_DURATION", .int(125)), ("CALL_DAILTIME", .int(15)),
                             ("CALL_STATUS", .string("ANSWERED"))], format)
    }

    static func layer(_ id: String, dtmf: String, layer: WireValue, previous: WireValue = .int(4),
                      format: WireFormat) -> [UInt8] {
        body("IVR_LAYER_INPUT", [("DID", .string("0732793256")), ("CALLER_ID", .string("0523574321")),
                                 ("IVR_UNIQUE_ID", .string(id)), ("DTMF", .string(dtmf)),
                                 ("LAYER_ID", layer), ("PREVIOUS_LAYER_ID", previous)], format)
    }

    /// The reply parsed back into a value (XML-RPC by libxml2, JSON by our strict parser).
    static func parse(_ response: RawResponse, _ format: WireFormat) throws -> WireValue {
        try response.body.withUnsafeBytes { bytes in
            switch format {
            case .xml: return try XMLRPC.parseMethodResponse(bytes, maxBytes: 1 << 20)
            case .json: return try JSON.parse(bytes)
            }
        }
    }
}

extension WireValue {
    /// The member at a path of names: `value["DATA", "REC"]`.
    subscript(_ path: String...) -> WireValue? {
        var current: WireValue? = self
        for name in path { current = current?[member: name] }
        return current
    }
}
