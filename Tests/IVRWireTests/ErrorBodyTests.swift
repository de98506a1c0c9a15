import IVRWire
import Testing

@Suite("Error bodies")
struct ErrorBodyTests {
    @Test(arguments: [WireError.Kind.malformed, .missingMethod, .unknownMethod, .missingCallID, .tooLarge])
    func xmlFault(kind: WireError.Kind) throws {
        let error = WireError(kind, format: .xml, "what <went> wrong & ישראל")
        let (contentType, body) = WireCodec.encodeError(error)
        #expect(contentType == "text/xml; charset=utf-8")
        let fault = try parseResponse(body)
        #expect(fault == obj(("faultCode", .int(error.faultCode)), ("faultString", .string("what <went> wrong & ישראל"))))
    }

    @Test func faultCodes() {
        #expect(WireError(.malformed, format: .xml, "").faultCode == -32700)
        #expect(WireError(.unknownMethod, format: .xml, "").faultCode == -32601)
    }

    @Test(arguments: [WireError.Kind.malformed, .missingMethod, .unknownMethod, .missingCallID, .tooLarge])
    func jsonError(kind: WireError.Kind) throws {
        let error = WireError(kind, format: .json, "bad \"METHOD\"\n")
        let (contentType, body) = WireCodec.encodeError(error)
        #expect(contentType == "application/json; charset=utf-8")
        #expect(body.text == #"{"STATUS":1,"ERROR":"bad \"METHOD\"\n"}"#)
        #expect(try parseJSON(body) == obj(("STATUS", .int(1)), ("ERROR", .string("bad \"METHOD\"\n"))))
    }

    @Test func plainTextWhenTheFormatIsUnknown() {
        let (contentType, body) = WireCodec.encodeError(WireError(.malformed, format: nil, "the body is empty"))
        #expect(contentType == "text/plain; charset=utf-8")
        #expect(body.text == "error: the body is empty\n")
    }

    @Test func decodingErrorsComeBackInTheRequestFormat() throws {
        let xmlError = try #require(wireError { try decode(methodCall("FOO", [("IVR_UNIQUE_ID", "a")])) })
        let fault = try parseResponse(WireCodec.encodeError(xmlError).body)
        #expect(fault[member: "faultCode"] == .int(-32601))
        #expect(fault[member: "faultString"] == .string("unknown method 'FOO'"))

        let jsonError = try #require(wireError { try decode(SeedRequests.getIVRActionJSONUnquoted) })
        let body = try parseJSON(WireCodec.encodeError(jsonError).body)
        #expect(body[member: "STATUS"] == .int(1))
        guard case .string(let message)? = body[member: "ERROR"] else {
            Issue.record("no ERROR")
            return
        }
        #expect(message.contains("quoted"))

        let tooLarge = try #require(wireError { try decode(SeedRequests.hangupCallXML, maxBytes: 64) })
        #expect(WireCodec.encodeError(tooLarge).contentType == "text/xml; charset=utf-8")
        #expect(try parseResponse(WireCodec.encodeError(tooLarge).body)[member: "faultCode"] == .int(-32600))
    }
}
