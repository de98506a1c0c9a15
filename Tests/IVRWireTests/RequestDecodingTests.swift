import Foundation
import IVRWire
import Testing

@Suite("Request decoding")
struct RequestDecodingTests {
    @Test func seedGetIVRActionXML() throws {
        let request = try decode(SeedRequests.getIVRActionXML, contentType: "text/xml")
        #expect(request.method == .getIVRAction)
        #expect(request.format == .xml)
        #expect(request.fields == [
            "DID": .string("0730000000"),
            "CALLER_ID": .string("0540000000"),
            "CALLER_NAME": .string("017W"),
            "IVR_UNIQUE_ID": .string("ced4619f30fc17182d8e41ddf4d6869X"),
            "DTMF": .string(""),
            "MENU": .string("-1"),
            "PREVIOUS_MENU": .string("-1"),
        ])
        #expect(request.callID == "ced4619f30fc17182d8e41ddf4d6869X")
    }

    @Test func seedGetIVRActionJSONWithUnquotedKeysIsRefused() {
        let error = wireError { try decode(SeedRequests.getIVRActionJSONUnquoted, contentType: "application/json") }
        #expect(error?.kind == .malformed)
        #expect(error?.format == .json)
    }

    @Test func seedGetIVRActionJSONQuoted() throws {
        let request = try decode(SeedRequests.getIVRActionJSON)
        #expect(request.method == .getIVRAction)
        #expect(request.format == .json)
        #expect(request.callID == "1bcd7954224861f85a2d70612f248282")
        #expect(request.fields["DTMF"] == .string(""))
        #expect(request.fields["CALLER_NAME"] == .string("n5zx1C2a"))
        #expect(request.fields.count == 7)
    }

    @Test func seedHangupCall() throws {
        for (body, format) in [(SeedRequests.hangupCallXML, WireFormat.xml), (SeedRequests.hangupCallJSON, .json)] {
            let request = try decode(body)
            #expect(request.method == .hangupCall)
            #expect(request.format == format)
            #expect(request.fields["CALL_TIME_EPOCH"] == .int(15_616_841_651))
            #expect(request.fields["CALL_START_EPOCH"] == .int(15_616_841_612))
            #expect(request.int("CALL_DAILTIME") == 15)
            #expect(request.string("CALL_STATUS") == "ANSWERED")
            #expect(request.callID == "ced4619f30fc17182d8e41ddf4d6869X")
        }
        #expect(try decode(SeedRequests.hangupCallXML).int("CALL_DURATION") == 125)
        #expect(try decode(SeedRequests.hangupCallJSON).int("CALL_DURATION") == 650)
    }

    @Test func seedLayerInput() throws {
        let request = try decode(SeedRequests.layerInputJSON)
        #expect(request.method == .layerInput)
        #expect(request.fields["LAYER_ID"] == .int(8))
        #expect(request.int("LAYER_ID") == 8)
        #expect(request.int("PREVIOUS_LAYER_ID") == 4)
        #expect(request.string("DTMF") == "1234567")
        // Integrators also send them as strings.
        let asStrings = try decode(SeedRequests.layerInputJSON.replacingOccurrences(of: "8,", with: "\"5\","))
        #expect(asStrings.fields["LAYER_ID"] == .string("5"))
        #expect(asStrings.int("LAYER_ID") == 5)
    }

    @Test func hebrewCallerNameIsByteExact() throws {
        let name = "ישראל ישראלי"
        let xml = methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "<string>abc</string>"), ("CALLER_NAME", "<string>\(name)</string>")])
        let json = #"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":"abc","CALLER_NAME":"\#(name)"}}"#
        for body in [xml, json] {
            let decoded = try decode(body).string("CALLER_NAME")
            #expect(Array(decoded.utf8) == Array(name.utf8))
        }
        // The same name, escaped, decodes to the same bytes.
        let escaped = #"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":"abc","CALLER_NAME":"\u05D9\u05E9\u05E8\u05D0\u05DC \u05D9\u05E9\u05E8\u05D0\u05DC\u05D9"}}"#
        #expect(Array(try decode(escaped).string("CALLER_NAME").utf8) == Array(name.utf8))
    }

    @Test func xmlIsToldFromTheBodyNotTheContentType() throws {
        #expect(try decode("\r\n \t" + SeedRequests.getIVRActionXML, contentType: "application/json").format == .xml)
        #expect(try decode("\n" + SeedRequests.getIVRActionJSON, contentType: "text/xml").format == .json)
        // A UTF-8 byte order mark is skipped.
        #expect(try WireCodec.decodeRequest([0xEF, 0xBB, 0xBF] + SeedRequests.getIVRActionJSON.bytes).format == .json)
        #expect(try WireCodec.decodeRequest([0xEF, 0xBB, 0xBF] + SeedRequests.getIVRActionXML.bytes).format == .xml)
    }

    @Test func undecidableBodiesUseTheHint() {
        for (body, hint, format) in [
            ("", "text/xml", WireFormat?.some(.xml)),
            ("  \n", "application/json; charset=utf-8", .json),
            ("METHOD=GET_IVR_ACTION", "application/xml", .xml),
            ("[1]", "Application/JSON", .json),
            ("", nil, nil),
            ("hello", "text/plain", nil),
            ("[]", "application/x-www-form-urlencoded", nil),
        ] {
            let error = wireError { try decode(body, contentType: hint) }
            #expect(error?.kind == .malformed, "\(body)")
            #expect(error?.format == format, "\(body) \(hint ?? "nil")")
        }
    }

    @Test func jsonShapeErrors() {
        func check(_ body: String, _ kind: WireError.Kind, _ text: String) {
            let error = wireError { try decode(body) }
            #expect(error?.kind == kind, "\(body)")
            #expect(error?.format == .json)
            #expect(error?.message.contains(text) == true, "\(error?.message ?? "-")")
        }
        check(#"{"DATA":{"IVR_UNIQUE_ID":"a"}}"#, .missingMethod, "METHOD")
        check(#"{"METHOD":null,"DATA":{"IVR_UNIQUE_ID":"a"}}"#, .missingMethod, "METHOD")
        check(#"{"METHOD":"","DATA":{"IVR_UNIQUE_ID":"a"}}"#, .missingMethod, "METHOD")
        check(#"{"METHOD":5,"DATA":{"IVR_UNIQUE_ID":"a"}}"#, .malformed, "METHOD")
        check(#"{"METHOD":"FOO","DATA":{"IVR_UNIQUE_ID":"a"}}"#, .unknownMethod, "unknown method 'FOO'")
        check(#"{"METHOD":"GET_IVR_ACTION"}"#, .malformed, "DATA")
        check(#"{"METHOD":"GET_IVR_ACTION","DATA":[]}"#, .malformed, "DATA")
        check(#"{"METHOD":"GET_IVR_ACTION","DATA":"x"}"#, .malformed, "DATA")
        check(#"{"METHOD":"GET_IVR_ACTION","DATA":{}}"#, .missingCallID, "IVR_UNIQUE_ID")
        check(#"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":""}}"#, .missingCallID, "IVR_UNIQUE_ID")
        check(#"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":"  "}}"#, .missingCallID, "IVR_UNIQUE_ID")
        check(#"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":null}}"#, .missingCallID, "IVR_UNIQUE_ID")
        check(#"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":{}}}"#, .missingCallID, "IVR_UNIQUE_ID")
        check(#"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":"a",}}"#, .malformed, "trailing comma")
    }

    @Test func xmlShapeErrors() {
        func check(_ body: String, _ kind: WireError.Kind, _ text: String) {
            let error = wireError { try decode(body) }
            #expect(error?.kind == kind, "\(body)")
            #expect(error?.format == .xml)
            #expect(error?.message.contains(text) == true, "\(error?.message ?? "-")")
        }
        check("<methodCall><params/></methodCall>", .missingMethod, "methodName")
        check(methodCall("FOO", [("IVR_UNIQUE_ID", "a")]), .unknownMethod, "unknown method 'FOO'")
        check("<methodCall><methodName>HANGUP_CALL</methodName></methodCall>", .malformed, "no params")
        check("<methodCall><methodName>HANGUP_CALL</methodName><params><param><value>x</value></param></params></methodCall>",
              .malformed, "not a <struct>")
        check(methodCall("HANGUP_CALL", []), .missingCallID, "IVR_UNIQUE_ID")
        check(methodCall("HANGUP_CALL", [("IVR_UNIQUE_ID", "<string/>")]), .missingCallID, "IVR_UNIQUE_ID")
        check(methodCall("HANGUP_CALL", [("IVR_UNIQUE_ID", "<nil/>")]), .missingCallID, "IVR_UNIQUE_ID")
        check("<methodResponse/>", .malformed, "<methodCall>")
    }

    @Test func callIDIsCoercedFromAnInt() throws {
        #expect(try decode(methodCall("HANGUP_CALL", [("IVR_UNIQUE_ID", "<int>123</int>")])).callID == "123")
        #expect(try decode(#"{"METHOD":"HANGUP_CALL","DATA":{"IVR_UNIQUE_ID":123}}"#).callID == "123")
    }

    @Test func duplicateFieldsTakeTheLast() throws {
        let request = try decode(#"{"METHOD":"GET_IVR_ACTION","DATA":{"IVR_UNIQUE_ID":"a","DTMF":"1","DTMF":"2"}}"#)
        #expect(request.fields["DTMF"] == .string("2"))
    }

    @Test func oversizeBodyIsTooLarge() {
        let json = SeedRequests.getIVRActionJSON
        let error = wireError { try decode(json, maxBytes: 100) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.format == .json)
        #expect(wireError { try decode(String(repeating: " ", count: 200), contentType: "text/xml", maxBytes: 100) }?.format == .xml)
        #expect(throws: Never.self) { try decode(json, maxBytes: json.utf8.count) }
    }

    @Test func unsafeBufferEntryPoint() throws {
        let bytes = SeedRequests.hangupCallJSON.bytes
        let request = try bytes.withUnsafeBytes { raw in try WireCodec.decodeRequest(raw) }
        #expect(request.method == .hangupCall)
    }

    @Test func encodedMethodCallsDecode() throws {
        let fields: [WireMember] = [
            WireMember("DID", .string("0730000000")),
            WireMember("IVR_UNIQUE_ID", .string("id-1")),
            WireMember("CALLER_NAME", .string("ישראל <&> ישראלי\r\n")),
            WireMember("LAYER_ID", .int(8)),
        ]
        let body = XMLRPC.encodeMethodCall("IVR_LAYER_INPUT", params: [.structure(fields)])
        let request = try WireCodec.decodeRequest(body)
        #expect(request.method == .layerInput)
        #expect(request.fields["CALLER_NAME"] == .string("ישראל <&> ישראלי\r\n"))
        #expect(request.int("LAYER_ID") == 8)
        let call = try parseCall(body)
        #expect(call.methodName == "IVR_LAYER_INPUT")
        #expect(call.params == [.structure(fields)])
    }
}
