import IVRWire
import Testing

/// Every action kind, with all its fields and with only the mandatory ones,
/// encoded in both formats and read back equal to `reply.wireValue`.
@Suite("Action round trips")
struct ActionRoundTripTests {
    /// A sample value of the right wire type for `field`.
    static func sample(for field: ActionField) -> WireValue {
        switch field.type {
        case .string:
            switch field.wireName {
            case "DIGITS": return .string("0547000000")
            case "CALLER_NAME", "CALLERNAME": return .string("ישראל ישראלי")
            default: return .string("\(field.wireName.lowercased())-value")
            }
        case .int:
            return field.wireName == "CALL_MAX" ? .int(15_616_841_651) : .int(Int64(field.wireName.utf8.count))
        case .stringList:
            return .array([.string("SIP/972547000000@provider1"), .string("SIP/972547000000@provider2")])
        case .targets:
            return .array([obj(("TARGET", .string("0501234567")), ("TYPE", .string("PHONE"))),
                           obj(("TARGET", .string("200")), ("TYPE", .string("EXTENSION")))])
        case .customData:
            return obj(("xxx", .string("111")), ("שם", .string("ערך & <עוד>")))
        case .sayDigitsData:
            return .array([obj(("RecordType", .string("Recording")), ("Content", .string("your_balance"))),
                           obj(("RecordType", .string("Digits")), ("Content", .string("0547")))])
        case .yesNo:
            return .string("yes")
        }
    }

    static func action(_ kind: ActionKind, allFields: Bool) throws -> IVRAction {
        var fields: [String: WireValue] = [:]
        for field in kind.schema where allFields || (field.mandatory && field.defaultValue == nil) {
            fields[field.wireName] = sample(for: field)
        }
        return try IVRAction(kind: kind, language: allFields ? "en" : nil, fields: fields)
    }

    static let cases: [(ActionKind, Bool)] = ActionKind.allCases.flatMap { [($0, true), ($0, false)] }

    @Test(arguments: cases)
    func roundTripsInBothFormats(kind: ActionKind, allFields: Bool) throws {
        let action = try Self.action(kind, allFields: allFields)
        for status: Int64 in [0, 1] {
            let reply = IVRReply.action(action, status: status)
            let xml = WireCodec.encode(reply, as: .xml)
            let json = WireCodec.encode(reply, as: .json)
            #expect(try parseResponse(xml) == reply.wireValue, "\(kind) xml")
            #expect(try parseJSON(json) == reply.wireValue, "\(kind) json")
            #expect(xml.text.hasSuffix("</methodResponse>\n"))
            // Deterministic.
            #expect(WireCodec.encode(reply, as: .xml) == xml)
            #expect(WireCodec.encode(reply, as: .json) == json)
        }
    }

    @Test(arguments: ActionKind.allCases)
    func mandatoryOnlyOmitsOptionalFields(kind: ActionKind) throws {
        let action = try Self.action(kind, allFields: false)
        let wire = IVRReply.action(action, status: 0).wireValue
        let fields = kind.isLayerAction ? wire : wire[member: "DATA"]
        for field in kind.schema where !field.mandatory {
            #expect(fields?[member: field.wireName] == nil, "\(kind) \(field.wireName)")
        }
        let json = WireCodec.encode(.action(action, status: 0), as: .json).text
        for field in kind.schema where !field.mandatory {
            #expect(!json.contains("\"\(field.wireName)\":"), "\(kind) \(field.wireName)")
        }
    }

    @Test func fieldTypesOnTheWire() throws {
        let call = try IVRAction(kind: .call, language: "he", fields: [
            "TARGET": .string("0540123456"), "CALLERID": .string("0540000000"), "CALLERNAME": .string("x"),
            "CALL_MAX_DIAL": .int(35), "NEXT_MENU_LOOP": .int(3),
            "DIALSTRINGS": .array([.string("SIP/1@p1"), .string("SIP/2@p2")]),
        ])
        let xml = WireCodec.encode(.action(call, status: 0), as: .xml).text
        #expect(xml.contains("<member><name>CALL_MAX_DIAL</name><value><int>35</int></value></member>"))
        #expect(xml.contains("<member><name>NEXT_MENU_LOOP</name><value><int>3</int></value></member>"))
        #expect(xml.contains("<member><name>CALL_MAX</name><value><int>3600</int></value></member>"))
        #expect(xml.contains("<member><name>STATUS</name><value><int>0</int></value></member>"))
        #expect(xml.contains("<member><name>DIALSTRINGS</name><value><array><data><value><string>SIP/1@p1</string></value><value><string>SIP/2@p2</string></value></data></array></value></member>"))
        #expect(xml.contains("<member><name>DATA</name><value><struct>"))
        let json = WireCodec.encode(.action(call, status: 0), as: .json).text
        #expect(json.hasPrefix(#"{"STATUS":0,"ACTION":"CALL","LANGUAGE":"he","DATA":{"TARGET":"0540123456","#))
        #expect(json.contains(#""CALL_MAX_DIAL":35,"#))
        #expect(json.contains(#""DIALSTRINGS":["SIP/1@p1","SIP/2@p2"]"#))

        let sayDigits = try IVRAction(kind: .sayDigits, language: "he", fields: [
            "REC": .string("r"), "MENU": .string("m"), "SAYDIGITSRECORD": .string("blank"), "DIGITS": .string("0547000000"),
        ])
        #expect(WireCodec.encode(.action(sayDigits, status: 0), as: .xml).text
            .contains("<member><name>DIGITS</name><value><string>0547000000</string></value></member>"))
        #expect(WireCodec.encode(.action(sayDigits, status: 0), as: .json).text.contains(#""DIGITS":"0547000000""#))

        let layer = try IVRAction(kind: .goToLayer, language: nil, fields: ["LAYER": .int(22)])
        #expect(WireCodec.encode(.action(layer, status: 0), as: .json).text
            == #"{"STATUS":0,"ACTION":"GO_TO_LAYER","LAYER":22,"CUSTOM_DATA":{}}"#)
        #expect(WireCodec.encode(.action(layer, status: 0), as: .xml).text
            .contains("<member><name>CUSTOM_DATA</name><value><struct></struct></value></member>"))

        let dial = try IVRAction(kind: .dial, language: nil, fields: [
            "TARGETS": .array([obj(("TARGET", .string("0501234567")), ("TYPE", .string("PHONE")))]),
        ])
        #expect(WireCodec.encode(.action(dial, status: 0), as: .json).text
            == #"{"STATUS":0,"ACTION":"DIAL","TARGETS":[{"TARGET":"0501234567","TYPE":"PHONE"}],"CUSTOM_DATA":{}}"#)
    }

    @Test func hebrewThroughEncode() throws {
        let name = "ישראל ישראלי"
        let action = try IVRAction(kind: .goToLayer, language: nil, fields: [
            "LAYER": .int(3), "CALLER_NAME": .string(name), "CUSTOM_DATA": obj(("לקוח", .string(name))),
        ])
        for format in [WireFormat.xml, .json] {
            let out = WireCodec.encode(.action(action, status: 0), as: format)
            #expect(out.firstRange(of: Array(name.utf8)) != nil)
            let back = format == .xml ? try parseResponse(out) : try parseJSON(out)
            guard case .string(let s)? = back[member: "CALLER_NAME"] else {
                Issue.record("no CALLER_NAME")
                continue
            }
            #expect(Array(s.utf8) == Array(name.utf8))
            #expect(back[member: "CUSTOM_DATA"] == obj(("לקוח", .string(name))))
        }
    }

    /// The reply writers (which skip building the reply's wire value) write
    /// exactly the bytes the generic writers write for that value.
    @Test(arguments: cases)
    func replyWriterMatchesTheGenericWriter(kind: ActionKind, allFields: Bool) throws {
        let action = try Self.action(kind, allFields: allFields)
        for reply in [IVRReply.action(action, status: 0), .action(action, status: 1), .status(0), .status(1)] {
            #expect(WireCodec.encode(reply, as: .json) == JSON.encode(reply.wireValue))
            #expect(WireCodec.encode(reply, as: .xml) == XMLRPC.encodeResponse(reply.wireValue))
        }
    }

    @Test func builtinFallbacks() throws {
        for method in IVRMethod.allCases {
            let reply = IVRReply.builtinFallback(for: method, language: "he")
            #expect(try parseResponse(WireCodec.encode(reply, as: .xml)) == reply.wireValue)
            #expect(try parseJSON(WireCodec.encode(reply, as: .json)) == reply.wireValue)
        }
        #expect(WireCodec.encode(.builtinFallback(for: .getIVRAction, language: "he"), as: .json).text
            == #"{"STATUS":1,"ACTION":"HANGUP","LANGUAGE":"he","DATA":{}}"#)
    }
}
