import IVRWire
import Testing

/// The XML-RPC decoder reads libxml2's SAX2 events with an explicit stack:
/// shapes a tree walk would see differently, and the edges of that machinery.
@Suite("XML-RPC streaming decoder")
struct XMLRPCStreamingTests {
    static func response(_ value: String) -> String {
        "<methodResponse><params><param>\(value)</param></params></methodResponse>"
    }

    static func nestedArrays(_ levels: Int, around inner: String = "<value>x</value>") -> String {
        String(repeating: "<value><array><data>", count: levels) + inner + String(repeating: "</data></array></value>", count: levels)
    }

    @Test func deepNestingUpToTheLimit() throws {
        // 64 levels of struct and array, alternating, around one string.
        var open = "", close = ""
        for level in 0..<64 {
            if level % 2 == 0 {
                open += "<value><struct><member><name>L\(level)</name>"
                close = "</member></struct></value>" + close
            } else {
                open += "<value><array><data>"
                close = "</data></array></value>" + close
            }
        }
        var value = try parseResponse(Self.response(open + "<value>deep</value>" + close))
        for level in 0..<64 {
            if level % 2 == 0 {
                guard case .structure(let members) = value, members.count == 1, members[0].name == "L\(level)" else {
                    Issue.record("level \(level): \(value)")
                    return
                }
                value = members[0].value
            } else {
                guard case .array(let items) = value, items.count == 1 else {
                    Issue.record("level \(level): \(value)")
                    return
                }
                value = items[0]
            }
        }
        #expect(value == .string("deep"))
    }

    @Test func nestingPastTheLimitIsRefused() {
        let error = wireError { try parseResponse(Self.response(Self.nestedArrays(65))) }
        #expect(error?.kind == .malformed)
        #expect(error?.message == "malformed XML-RPC: nesting deeper than 64 levels")
        // An empty struct at level 65 counts too.
        let structure = Self.nestedArrays(64, around: "<value><struct></struct></value>")
        #expect(wireError { try parseResponse(Self.response(structure)) }?.message.contains("nesting deeper") == true)
        // Past libxml2's own limit (256 elements), libxml2 refuses first.
        let excessive = wireError { try parseResponse(Self.response(Self.nestedArrays(100))) }
        #expect(excessive?.kind == .malformed)
        #expect(excessive?.message.hasPrefix("malformed XML at line 1:") == true, "\(excessive?.message ?? "-")")
    }

    @Test func bigStructKeepsEveryMemberInOrder() throws {
        let members = (0..<500).map { ("F\($0)", "<i4>\($0)</i4>") }
        let request = try decode(methodCall("GET_IVR_ACTION", [("IVR_UNIQUE_ID", "id")] + members))
        #expect(request.fields.count == 501)
        #expect(request.fields.members.map(\.name) == ["IVR_UNIQUE_ID"] + (0..<500).map { "F\($0)" })
        #expect(request.fields["F0"] == .int(0))
        #expect(request.fields["F499"] == .int(499))
    }

    @Test func longTextArrivesWhole() throws {
        // libxml2 hands long text over in pieces (300 bytes at most), split
        // around entity and character references, comments and CDATA.
        let ascii = String(repeating: "0123456789", count: 100)
        let hebrew = String(repeating: "שלום ", count: 200)
        #expect(try decodeMember("<string>\(ascii)</string>") == .string(ascii))
        #expect(try decodeMember(hebrew) == .string(hebrew))
        let mixed = ascii + "&amp;" + hebrew + "&#x5E9;<!-- c -->" + "<![CDATA[<&>]]>" + ascii
        #expect(try decodeMember("<string>\(mixed)</string>") == .string(ascii + "&" + hebrew + "ש" + "<&>" + ascii))
    }

    @Test func commentsAndProcessingInstructionsAnywhere() throws {
        let xml = """
            <?xml version="1.0"?><!-- before --><?app before?>
            <methodCall><!-- a --><?app a?>
              <methodName><!-- b -->HANGUP<?app b?>_CALL<!-- c --></methodName>
              <params> <?app c?> <param> <!-- d --> <value> <?app d?> <struct> <!-- e -->
                <member> <?app e?> <name>IVR<!-- f -->_UNIQUE_ID</name> <!-- g --> <value>i<?app f?>d</value> </member>
                <member><name>N</name><value> <!-- h --> <int><!-- i -->4<?app g?>2</int> <?app h?> </value></member>
              </struct> </value> </param> </params>
            </methodCall><!-- after --><?app after?>
            """
        let request = try decode(xml)
        #expect(request.method == .hangupCall)
        #expect(request.callID == "id")
        #expect(request.fields["N"] == .int(42))
    }

    @Test func cdataIsText() throws {
        #expect(try parseCall("<methodCall><methodName><![CDATA[HANGUP_CALL]]></methodName></methodCall>").methodName == "HANGUP_CALL")
        let xml = methodCall("HANGUP_CALL", [("IVR_UNIQUE_ID", "<![CDATA[a<b]]>")]).replacing("<name>IVR_UNIQUE_ID</name>", with: "<name><![CDATA[IVR_UNIQUE_ID]]></name>")
        #expect(try decode(xml).callID == "a<b")
        // Blank CDATA between structural elements is layout; anything else is text out of place.
        #expect(try decodeMember("<struct><![CDATA[ \n ]]></struct>") == .structure([]))
        let error = wireError { try decodeMember("<struct><![CDATA[x]]></struct>") }
        #expect(error?.message == "malformed XML-RPC: unexpected text in <struct>")
    }

    @Test func whatFollowsTheRootElement() throws {
        let call = methodCall("HANGUP_CALL", [("IVR_UNIQUE_ID", "id")])
        for tail in ["", "\n", " \t\r\n ", String(repeating: " ", count: 1000), "<!-- c -->", "\n<?app x?>\n",
                     String(repeating: " ", count: 299) + "<!-- c -->"] {
            #expect(try decode(call + tail).callID == "id", "\(tail.debugDescription)")
        }
        for tail in ["x", "<methodCall/>", "</methodCall>", String(repeating: " ", count: 299) + "x",
                     String(repeating: " ", count: 1000) + "x", "<!DOCTYPE methodCall>"] {
            let error = wireError { try decode(call + tail) }
            #expect(error?.kind == .malformed, "\(tail.debugDescription)")
            #expect(error?.message.hasPrefix("malformed XML at line") == true, "\(error?.message ?? "-")")
        }
    }

    @Test func syntaxErrorsWinOverShapeErrors() {
        // The whole body is read even after a shape error: a body that is not
        // well-formed XML is reported as such, as when a tree was built.
        let error = wireError { try parseCall("<methodCall><foo/><methodName>X</methodname></methodCall>") }
        #expect(error?.message.contains("Opening and ending tag mismatch") == true, "\(error?.message ?? "-")")
        let truncated = wireError { try parseCall("<methodCall><foo/><methodName>X") }
        #expect(truncated?.message == "malformed XML at line 1: Premature end of data in tag methodName line 1")
    }

    @Test func truncatedBodiesNameTheOpenElement() {
        let error = wireError { try decode(String(SeedRequests.getIVRActionXML.prefix(120))) }
        #expect(error?.message.contains("Premature end of data in tag") == true, "\(error?.message ?? "-")")
    }

    @Test func memberNameAfterItsValue() throws {
        let value = try parseResponse(Self.response("<value><struct><member><value><int>7</int></value><name>LATE</name></member></struct></value>"))
        #expect(value == obj(("LATE", .int(7))))
        // A message about the value still names the member.
        let late = wireError {
            try parseResponse(Self.response("<value><struct><member><value><array><data><value><int>x</int></value></data></array></value><name>LATE</name></member></struct></value>"))
        }
        #expect(late?.message == "malformed XML-RPC: <int> 'x' is not an integer in member 'LATE'")
        let nameless = wireError { try parseResponse(Self.response("<value><struct><member><value><int>x</int></value></member></struct></value>")) }
        #expect(nameless?.message == "malformed XML-RPC: <member> without <name>")
    }

    @Test func nilContentIsIgnored() throws {
        #expect(try decodeMember("<nil>anything <b>at <i/> all</b></nil>") == .null)
        #expect(try decodeMember("<nil></nil>") == .null)
    }

    @Test func namespacePrefixes() throws {
        // Declared: the local name decides. Undeclared: the element is `prefix:name`.
        let declared = "<methodResponse xmlns:ex=\"urn:x\"><params><param><value><ex:nil/></value></param></params></methodResponse>"
        #expect(try parseResponse(declared) == .null)
        let undeclared = wireError { try parseResponse(Self.response("<value><ex:i8>5</ex:i8></value>")) }
        #expect(undeclared?.message == "malformed XML-RPC: unknown type <ex:i8>")
        let root = wireError { try parseCall("<x:methodCall><methodName>M</methodName></x:methodCall>") }
        #expect(root?.message == "malformed XML-RPC: the root element is <x:methodCall>, expected <methodCall>")
        let defaultNamespace = "<methodCall xmlns=\"urn:x\"><methodName>M</methodName></methodCall>"
        #expect(try parseCall(defaultNamespace).methodName == "M")
    }

    @Test func namespacePrefixesAreScoped() throws {
        // Declared on an ancestor: in scope for its whole content.
        let inner = "<methodResponse><params><param xmlns:ex=\"urn:x\"><value><ex:i8>5</ex:i8></value></param></params></methodResponse>"
        #expect(try parseResponse(inner) == .int(5))
        // Declared on the element itself.
        #expect(try parseResponse(Self.response("<value><ex:i8 xmlns:ex=\"urn:x\">6</ex:i8></value>")) == .int(6))
        // Declared on a sibling that has closed: out of scope again.
        let sibling = wireError {
            try parseResponse(Self.response("<value><struct><member xmlns:ex=\"urn:x\"><name>A</name><value><ex:i8>1</ex:i8></value></member><member><name>B</name><value><ex:i8>2</ex:i8></value></member></struct></value>"))
        }
        #expect(sibling?.message == "malformed XML-RPC: unknown type <ex:i8> in member 'B'")
        // Another prefix than the one declared.
        let other = wireError { try parseResponse(Self.response("<value xmlns:ex=\"urn:x\"><ax:i8>5</ax:i8></value>")) }
        #expect(other?.message == "malformed XML-RPC: unknown type <ax:i8>")
    }

    @Test func attributesAreIgnored() throws {
        let xml = "<methodCall id=\"1\"><methodName a=\"&lt;\">M</methodName><params x=\"y\"><param><value t=\"1\"><string z=\"\">s</string></value></param></params></methodCall>"
        let call = try parseCall(xml)
        #expect(call.methodName == "M")
        #expect(call.params == [.string("s")])
    }

    @Test func repeatedMethodNameAndParamsTakeTheLast() throws {
        let call = try parseCall("<methodCall><methodName>A</methodName><params><param><value>1</value></param></params><methodName>B</methodName><params><param><value>2</value></param></params></methodCall>")
        #expect(call.methodName == "B")
        #expect(call.params == [.string("2")])
    }

    @Test(arguments: [
        ("<methodResponse><foo/></methodResponse>", "unexpected <foo> in <methodResponse>"),
        ("<methodResponse><foo/><params/></methodResponse>", "<methodResponse> must hold exactly one <params> or <fault>"),
        ("<methodResponse><params/></methodResponse>", "a <methodResponse> must have exactly one <param>"),
        ("<methodResponse><fault></fault></methodResponse>", "<fault> must hold one <value>"),
        ("<methodResponse><params><param></param></params></methodResponse>", "<param> must hold one <value>"),
        ("<methodResponse><params><param><value/><value/></param></params></methodResponse>", "<param> must hold one <value>"),
        ("<methodResponse><params><param><value><array/></value></param></params></methodResponse>", "<array> must hold one <data>"),
        ("<methodResponse><params><param><value><string>a</string> b</value></param></params></methodResponse>", "<value> mixes text and <string>"),
        ("<methodResponse><params><param><value>a<int>1</int></value></param></params></methodResponse>", "<value> mixes text and <int>"),
        ("<methodResponse><params><param><value><nil/><nil/></value></param></params></methodResponse>", "<value> holds more than one element"),
        ("<methodResponse><params>x</params></methodResponse>", "unexpected text in <params>"),
    ])
    func responseShapeMessages(_ xml: String, _ message: String) {
        #expect(wireError { try parseResponse(xml) }?.message == "malformed XML-RPC: \(message)")
    }

    @Test func reusedParserSurvivesEveryEnding() throws {
        // Each thread reuses its parser: parses that libxml2 finished, that were
        // stopped after the root element, refused for a DTD or failed must not
        // affect the next one.
        let call = methodCall("HANGUP_CALL", [("IVR_UNIQUE_ID", "id")])
        for _ in 0..<20 {
            #expect(try decode(call).callID == "id")
            #expect(try decode(call + "<!-- trailing comment -->").callID == "id")
            #expect(wireError { try decode("<!DOCTYPE methodCall>" + call.replacingOccurrencesOfHeader()) }?.message.contains("DTD") == true)
            #expect(try decode(call + "\n").callID == "id")
            #expect(wireError { try decode(call + "x") }?.kind == .malformed)
            #expect(wireError { try decode(methodCall("HANGUP_CALL", [("IVR_UNIQUE_ID", "<int>x</int>")])) }?.kind == .malformed)
        }
    }
}
