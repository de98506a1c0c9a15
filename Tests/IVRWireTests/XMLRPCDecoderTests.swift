import IVRWire
import Testing

@Suite("XML-RPC decoder")
struct XMLRPCDecoderTests {
    @Test func bareValueIsStringAsWritten() throws {
        #expect(try decodeMember(" SIP/972547000000@provider1") == .string(" SIP/972547000000@provider1"))
        #expect(try decodeMember("") == .string(""))
        #expect(try decodeMember("  ") == .string("  "))
        #expect(try decodeMember("a<!-- note -->b") == .string("ab"))
    }

    @Test func whitespaceInsideStringIsContent() throws {
        #expect(try decodeMember("<string> a \n b\t</string>") == .string(" a \n b\t"))
        #expect(try decodeMember("<string>   </string>") == .string("   "))
        #expect(try decodeMember("<string/>") == .string(""))
        #expect(try decodeMember("<string></string>") == .string(""))
        // Whitespace around the type element is layout.
        #expect(try decodeMember("\n   <string>x</string>\n  ") == .string("x"))
    }

    @Test func integers() throws {
        #expect(try decodeMember("<int>42</int>") == .int(42))
        #expect(try decodeMember("<i4>-7</i4>") == .int(-7))
        #expect(try decodeMember("<i8>15616841651</i8>") == .int(15_616_841_651))
        #expect(try decodeMember("<int>15616841651</int>") == .int(15_616_841_651))
        #expect(try decodeMember("<int> 42\n</int>") == .int(42))
        #expect(try decodeMember("<int>+5</int>") == .int(5))
        #expect(try decodeMember("<int>9223372036854775807</int>") == .int(.max))
        #expect(try decodeMember("<int>-9223372036854775808</int>") == .int(.min))
    }

    @Test func integerOutOfRangeNamesTheField() {
        let error = wireError { try decodeMember("<int>9223372036854775808</int>") }
        #expect(error?.kind == .malformed)
        #expect(error?.format == .xml)
        #expect(error?.message == "malformed XML-RPC: <int> '9223372036854775808' is out of the 64-bit range in member 'X'")
    }

    @Test(arguments: ["<int>abc</int>", "<int></int>", "<int>1.5</int>", "<i4>4 2</i4>", "<int>0x10</int>", "<i8>--1</i8>"])
    func nonNumericIntegersAreMalformed(_ xml: String) {
        let error = wireError { try decodeMember(xml) }
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("in member 'X'") == true, "\(error?.message ?? "-")")
    }

    @Test func otherScalars() throws {
        #expect(try decodeMember("<boolean>1</boolean>") == .bool(true))
        #expect(try decodeMember("<boolean>0</boolean>") == .bool(false))
        #expect(try decodeMember("<double>-2.5</double>") == .double(-2.5))
        #expect(try decodeMember("<double>2</double>") == .double(2))
        #expect(try decodeMember("<nil/>") == .null)
        #expect(try decodeMember("<dateTime.iso8601>19980717T14:08:55</dateTime.iso8601>") == .string("19980717T14:08:55"))
        #expect(wireError { try decodeMember("<boolean>yes</boolean>") }?.kind == .malformed)
        #expect(wireError { try decodeMember("<double>nan</double>") }?.kind == .malformed)
        #expect(wireError { try decodeMember("<double>x</double>") }?.kind == .malformed)
    }

    @Test func base64() throws {
        // "שלום" in UTF-8.
        #expect(try decodeMember("<base64>16nXnNeV150=</base64>") == .string("שלום"))
        #expect(try decodeMember("<base64>aGVs\nbG8=</base64>") == .string("hello"))
        // Not UTF-8 (0xFF 0xFE): the base64 text is kept.
        #expect(try decodeMember("<base64>//4=</base64>") == .string("//4="))
        #expect(wireError { try decodeMember("<base64>@@@</base64>") }?.kind == .malformed)
        #expect(wireError { try decodeMember("<base64>aGVsbG8=x</base64>") }?.kind == .malformed)
    }

    @Test func compounds() throws {
        let value = try decodeMember("""
            <struct>
              <member><name>A</name><value><array><data>
                <value><int>1</int></value>
                <value>two</value>
                <value><struct></struct></value>
              </data></array></value></member>
              <member><name>A</name><value><nil/></value></member>
            </struct>
            """)
        #expect(value == obj(("A", .array([.int(1), .string("two"), .structure([])])), ("A", .null)))
        #expect(try decodeMember("<array><data/></array>") == .array([]))
    }

    @Test func entitiesAndCharacterReferences() throws {
        #expect(try decodeMember("<string>&lt;&gt;&amp;&quot;&apos;</string>") == .string("<>&\"'"))
        #expect(try decodeMember("<string>&#1497;&#x05E9;&#13;</string>") == .string("יש\r"))
        #expect(try decodeMember("<string><![CDATA[<b>&amp;</b>]]></string>") == .string("<b>&amp;</b>"))
        let undeclared = wireError { try decodeMember("<string>&foo;</string>") }
        #expect(undeclared?.kind == .malformed)
        #expect(undeclared?.format == .xml)
    }

    /// A known member or method name taken as its literal still takes the rest of its text
    /// when libxml2 delivers it in pieces (around a character reference).
    @Test func knownNamesArrivingInPiecesKeepTheirWholeText() throws {
        func call(method: String, name: String) -> String {
            "<methodCall><methodName>\(method)</methodName><params><param><value><struct>"
                + "<member><name>\(name)</name><value><string>v</string></value></member>"
                + "</struct></value></param></params></methodCall>"
        }
        let split = try parseCall(call(method: "HANGUP_CALL&#88;", name: "DID&#88;"))
        #expect(split.methodName == "HANGUP_CALLX")
        #expect(split.params == [.structure([WireMember("DIDX", .string("v"))])])
        let joined = try parseCall(call(method: "GET_IVR&#95;ACTION", name: "CALLER&#95;ID"))
        #expect(joined.methodName == "GET_IVR_ACTION")
        #expect(joined.params == [.structure([WireMember("CALLER_ID", .string("v"))])])
        #expect(try parseCall(call(method: " IVR_LAYER_INPUT\n", name: "MENU")).methodName == "IVR_LAYER_INPUT")
    }

    @Test func cdataAndCommentsNextToWhitespaceKeepIt() throws {
        #expect(try decodeMember("<string>  <![CDATA[x]]>  </string>") == .string("  x  "))
        #expect(try decodeMember("  <![CDATA[ x ]]> ") == .string("   x  "))
        #expect(try decodeMember("<string> <!-- c --> </string>") == .string("  "))
        #expect(try decodeMember("<!-- only a comment -->") == .string(""))
        // Layout whitespace and comments between structural elements are ignored.
        let xml = "<methodCall> <!-- c --> <methodName>HANGUP_CALL</methodName>\n<params>\t<param> <value> <struct> "
            + "<member> <name>IVR_UNIQUE_ID</name> <value>  id  </value> </member> </struct> </value> </param> </params> </methodCall>"
        #expect(try decode(xml).fields["IVR_UNIQUE_ID"] == .string("  id  "))
    }

    @Test func memberNamesAreKeptAsWritten() throws {
        let xml = methodCall("HANGUP_CALL", [("IVR_UNIQUE_ID", "a"), ("LAYER ", "<int>1</int>"), ("שם", "x")])
        let request = try decode(xml)
        #expect(request.fields["LAYER "] == .int(1))
        #expect(request.fields["שם"] == .string("x"))
    }

    @Test func lineEndingsFollowXML() throws {
        // XML turns a raw CR LF into LF; &#13; is how a CR survives.
        #expect(try decodeMember("<string>a\r\nb</string>") == .string("a\nb"))
    }

    @Test(arguments: [
        "<bignum>1</bignum>",
        "<string>a</string><int>1</int>",
        "text<string>a</string>",
        "<string>a<b/>c</string>",
        "<struct><foo/></struct>",
        "<struct><member><value>1</value></member></struct>",
        "<struct><member><name>A</name></member></struct>",
        "<struct>text</struct>",
        "<array><value>1</value></array>",
        "<array><data><int>1</int></data></array>",
    ])
    func wrongShapesAreMalformed(_ xml: String) {
        let error = wireError { try decodeMember(xml) }
        #expect(error?.kind == .malformed, "\(xml)")
        #expect(error?.format == .xml)
    }

    @Test func methodCallShape() throws {
        let call = try parseCall(SeedRequests.getIVRActionXML)
        #expect(call.methodName == "GET_IVR_ACTION")
        #expect(call.params.count == 1)
        let empty = try parseCall("<methodCall><methodName> HANGUP_CALL </methodName></methodCall>")
        #expect(empty.methodName == "HANGUP_CALL")
        #expect(empty.params.isEmpty)
        let two = try parseCall("<methodCall><methodName>M</methodName><params><param><value>a</value></param><param><value><int>2</int></value></param></params></methodCall>")
        #expect(two.params == [.string("a"), .int(2)])
    }

    @Test func missingMethodName() {
        #expect(wireError { try parseCall("<methodCall><params/></methodCall>") }?.kind == .missingMethod)
        #expect(wireError { try parseCall("<methodCall><methodName> </methodName></methodCall>") }?.kind == .missingMethod)
    }

    @Test func wrongRoot() {
        let error = wireError { try parseCall("<methodResponse><params/></methodResponse>") }
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("expected <methodCall>") == true)
        #expect(wireError { try parseResponse("<methodCall/>") }?.kind == .malformed)
        #expect(wireError { try parseCall("<html><body>hi</body></html>") }?.message.contains("<html>") == true)
    }

    @Test func methodResponseAndFault() throws {
        #expect(try parseResponse("<methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>") == .int(1))
        let fault = try parseResponse("""
            <methodResponse><fault><value><struct>
            <member><name>faultCode</name><value><int>4</int></value></member>
            <member><name>faultString</name><value><string>Too many parameters.</string></value></member>
            </struct></value></fault></methodResponse>
            """)
        #expect(fault == obj(("faultCode", .int(4)), ("faultString", .string("Too many parameters."))))
        #expect(wireError { try parseResponse("<methodResponse></methodResponse>") }?.kind == .malformed)
        #expect(wireError { try parseResponse("<methodResponse><params></params></methodResponse>") }?.kind == .malformed)
    }

    @Test func namespacePrefixedExtensionTypes() throws {
        // Apache's ex:nil / ex:i8 use a prefix; the local name decides.
        let xml = "<methodResponse xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"><params><param><value><ex:i8>5</ex:i8></value></param></params></methodResponse>"
        #expect(try parseResponse(xml) == .int(5))
    }

    @Test func depthLimit() throws {
        func nested(_ n: Int) -> String {
            String(repeating: "<value><array><data>", count: n) + String(repeating: "</data></array></value>", count: n)
        }
        let ok = "<methodResponse><params><param>\(nested(60))</param></params></methodResponse>"
        _ = try parseResponse(ok)
        let deep = "<methodResponse><params><param>\(nested(70))</param></params></methodResponse>"
        #expect(wireError { try parseResponse(deep) }?.kind == .malformed)
    }

    /// Elements open deeper than the builder's in-place frames (24) still nest, close
    /// and name their member in an error.
    @Test func deepDocumentsKeepTheirShape() throws {
        func wrapped(_ inner: String, _ n: Int) -> String {
            String(repeating: "<value><array><data>", count: n) + inner + String(repeating: "</data></array></value>", count: n)
        }
        let member = "<value><struct><member><name>m</name><value><string>y</string></value></member></struct></value>"
        var expected = WireValue.structure([WireMember("m", .string("y"))])
        for _ in 0..<40 { expected = .array([expected]) }
        #expect(try parseResponse("<methodResponse><params><param>\(wrapped(member, 40))</param></params></methodResponse>") == expected)
        let bad = "<value><struct><member><name>m</name><value><int>zz</int></value></member></struct></value>"
        let error = wireError { try parseResponse("<methodResponse><params><param>\(wrapped(bad, 40))</param></params></methodResponse>") }
        #expect(error?.message.contains("in member 'm'") == true)
        let nameLast = "<value><struct><member><value><int>zz</int></value><name>late</name></member></struct></value>"
        let late = wireError { try parseResponse("<methodResponse><params><param>\(wrapped(nameLast, 40))</param></params></methodResponse>") }
        #expect(late?.message.contains("in member 'late'") == true)
    }
}
