import IVRWire
import Testing

@Suite("XML-RPC encoder")
struct XMLRPCEncoderTests {
    @Test func statusReplyExactBytes() {
        #expect(WireCodec.encode(.status(0), as: .xml).text == """
            <?xml version="1.0" encoding="utf-8"?>
            <methodResponse><params><param><value><struct><member><name>STATUS</name><value><int>0</int></value></member></struct></value></param></params></methodResponse>

            """)
        #expect(WireCodec.encode(.status(0), as: .json).text == #"{"STATUS":0}"#)
    }

    @Test func everyScalarRoundTrips() throws {
        let value = obj(
            ("s", .string("plain")), ("empty", .string("")), ("i", .int(-42)), ("big", .int(15_616_841_651)),
            ("min", .int(.min)), ("t", .bool(true)), ("f", .bool(false)), ("d", .double(2.0)), ("d2", .double(0.1)),
            ("n", .null), ("a", .array([.string("x"), .array([]), .structure([])])))
        #expect(try parseResponse(XMLRPC.encodeResponse(value)) == value)
    }

    @Test func integersAreAlwaysInt() {
        let text = XMLRPC.encodeResponse(.int(15_616_841_651)).text
        #expect(text.contains("<value><int>15616841651</int></value>"))
        #expect(!text.contains("i8"))
    }

    @Test func textIsEscaped() throws {
        let tricky = "a&b<c>d]]>e\"f'g\r\nh\ti"
        let out = XMLRPC.encodeResponse(.string(tricky)).text
        #expect(out.contains("<string>a&amp;b&lt;c&gt;d]]&gt;e\"f'g&#13;\nh\ti</string>"))
        #expect(try parseResponse(XMLRPC.encodeResponse(.string(tricky))) == .string(tricky))
        let key = obj(("<&>", .string("v")))
        #expect(try parseResponse(XMLRPC.encodeResponse(key)) == key)
    }

    @Test func charactersXMLCannotCarryAreReplaced() throws {
        let out = XMLRPC.encodeResponse(.string("a\u{0}b\u{1B}c\u{FFFE}d\u{FFFF}e\u{FFFD}"))
        #expect(try parseResponse(out) == .string("a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}"))
        // Neighbours of U+FFFE are left alone.
        let fine = "\u{FFEF}\u{FFFC}\u{EFBF}"
        #expect(try parseResponse(XMLRPC.encodeResponse(.string(fine))) == .string(fine))
    }

    @Test func nonASCIIIsRawUTF8() {
        let name = "ישראל ישראלי"
        let out = XMLRPC.encodeResponse(.string(name))
        let expected = Array("<string>".utf8) + Array(name.utf8) + Array("</string>".utf8)
        #expect(out.firstRange(of: expected) != nil)
    }

    @Test func nonFiniteDoublesAreNil() throws {
        #expect(try parseResponse(XMLRPC.encodeResponse(.double(.nan))) == .null)
        #expect(try parseResponse(XMLRPC.encodeResponse(.double(-.infinity))) == .null)
    }

    @Test func faultShape() throws {
        let out = XMLRPC.encodeFault(code: -32700, message: "bad <input> & more")
        #expect(out.text == """
            <?xml version="1.0" encoding="utf-8"?>
            <methodResponse><fault><value><struct><member><name>faultCode</name><value><int>-32700</int></value></member>\
            <member><name>faultString</name><value><string>bad &lt;input&gt; &amp; more</string></value></member>\
            </struct></value></fault></methodResponse>

            """)
        #expect(try parseResponse(out) == obj(("faultCode", .int(-32700)), ("faultString", .string("bad <input> & more"))))
    }

    @Test func methodCallShape() {
        let out = XMLRPC.encodeMethodCall("HANGUP_CALL", params: [obj(("IVR_UNIQUE_ID", .string("x")))])
        #expect(out.text == """
            <?xml version="1.0" encoding="utf-8"?>
            <methodCall><methodName>HANGUP_CALL</methodName><params><param><value><struct>\
            <member><name>IVR_UNIQUE_ID</name><value><string>x</string></value></member>\
            </struct></value></param></params></methodCall>

            """)
    }
}
