import IVRWire
import Testing

/// A JSON request's fields are read from its body when asked for: every kind
/// of value must read back as the decoder of whole values reads it.
@Suite("JSON request fields read from the body")
struct JSONRequestFieldsTests {
    static let body = """
      \t{"METHOD":"GET_IVR_ACTION","X":1,"DATA":{"IVR_UNIQUE_ID":"id-1","DTMF":"a\\"b\\\\c\\u05d0","MENU":"main",
      "N":-42,"F":2.5,"T":true,"Z":null,"A":["x",{"k":"v"}],"O":{"k":[1]},"E":"","MENU":"second",
      "CALLER_NAME":"שלום"}}\n
    """

    @Test func everyKindOfValueReadsBack() throws {
        let request = try WireCodec.decodeRequest(Array(Self.body.utf8))
        #expect(request.callID == "id-1")
        #expect(request.dtmf == "a\"b\\c\u{05D0}")
        // Repeated: the last value, at the first one's place.
        #expect(request.menu == "second")
        #expect(request.callerName == "שלום")
        #expect(request.value("N") == .int(-42))
        #expect(request.int("N") == -42)
        #expect(request.value("F") == .double(2.5))
        #expect(request.value("T") == .bool(true))
        #expect(request.value("Z") == .null)
        #expect(request.value("A") == .array([.string("x"), .structure([WireMember("k", .string("v"))])]))
        #expect(request.value("O") == .structure([WireMember("k", .array([.int(1)]))]))
        #expect(request.value("E") == .string(""))
        #expect(request.value("X") == nil)  // outside DATA
        #expect(request.value("MISSING") == nil)
        #expect(request.string("MISSING") == "")
        #expect(request.fields.count == 11)
        #expect(request.fields.members.map(\.name) == ["IVR_UNIQUE_ID", "DTMF", "MENU", "N", "F", "T", "Z", "A", "O", "E",
                                                        "CALLER_NAME"])
    }

    @Test func theSameRequestFromEitherEntryPoint() throws {
        let bytes = Array(Self.body.utf8)
        let fromArray = try WireCodec.decodeRequest(bytes)
        let fromPointer = try bytes.withUnsafeBytes { raw in
            try Result { () throws(WireError) in try WireCodec.decodeRequest(raw) }.get()
        }
        #expect(fromArray == fromPointer)
        #expect(fromArray.fields == RequestFields([
            WireMember("IVR_UNIQUE_ID", .string("id-1")), WireMember("DTMF", .string("a\"b\\c\u{05D0}")),
            WireMember("MENU", .string("main")), WireMember("N", .int(-42)), WireMember("F", .double(2.5)),
            WireMember("T", .bool(true)), WireMember("Z", .null),
            WireMember("A", .array([.string("x"), .structure([WireMember("k", .string("v"))])])),
            WireMember("O", .structure([WireMember("k", .array([.int(1)]))])), WireMember("E", .string("")),
            WireMember("MENU", .string("second")), WireMember("CALLER_NAME", .string("שלום")),
        ]))
    }

    @Test func anInvalidValueAnywhereIsStillRefused() {
        // Values are checked at decoding even though they are read later.
        for bad in [#"{"METHOD":"HANGUP_CALL","DATA":{"IVR_UNIQUE_ID":"x","Q":"\u12"}}"#,
                    #"{"METHOD":"HANGUP_CALL","DATA":{"IVR_UNIQUE_ID":"x","Q":01}}"#,
                    #"{"METHOD":"HANGUP_CALL","DATA":{"IVR_UNIQUE_ID":"x","Q":[1,]}}"#] {
            let error = wireError { try WireCodec.decodeRequest(Array(bad.utf8)) }
            #expect(error?.kind == .malformed, "\(bad)")
        }
    }
}
