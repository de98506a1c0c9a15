import IVRWire
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    @Test func compactInGivenOrder() {
        let value = obj(("STATUS", .int(0)), ("ACTION", .string("HANGUP")), ("B", .bool(true)), ("A", .null),
                        ("L", .array([.int(-1), .string("x"), .array([]), .structure([])])))
        #expect(JSON.encode(value).text == #"{"STATUS":0,"ACTION":"HANGUP","B":true,"A":null,"L":[-1,"x",[],{}]}"#)
    }

    @Test func repliesLargerThanTheSpareBufferGrowAndReadBack() throws {
        // Past the encoders' 2 KiB spare buffer, then a small one that reuses it.
        let long = String(repeating: "é\"<&x", count: 2000)
        for format in [WireFormat.json, .xml] {
            let value = WireValue.structure([WireMember("A", .string(long)), WireMember("B", .int(-42))])
            let big = format == .json ? JSON.encode(value) : XMLRPC.encodeResponse(value)
            #expect(big.count > 10_000)
            let back = try big.withUnsafeBytes { raw in
                try Result { () throws(WireError) in
                    format == .json ? try JSON.parse(raw) : try XMLRPC.parseMethodResponse(raw, maxBytes: 1 << 20)
                }.get()
            }
            #expect(back == value)
            let small = format == .json ? JSON.encode(.string("ok")) : XMLRPC.encodeResponse(.string("ok"))
            #expect(String(decoding: small, as: UTF8.self).contains("ok"))
            #expect(small.count < 200)
        }
    }

    @Test func integers() {
        #expect(JSON.encode(.int(0)).text == "0")
        #expect(JSON.encode(.int(7)).text == "7")
        #expect(JSON.encode(.int(-7)).text == "-7")
        #expect(JSON.encode(.int(10)).text == "10" && JSON.encode(.int(-10)).text == "-10")
        #expect(JSON.encode(.int(9)).text == "9" && JSON.encode(.int(100)).text == "100")
        #expect(JSON.encode(.int(15_616_841_651)).text == "15616841651")
        #expect(JSON.encode(.int(.max)).text == "9223372036854775807")
        #expect(JSON.encode(.int(.min)).text == "-9223372036854775808")
    }

    @Test(arguments: [2.0, 0.1, -0.0, 1e20, 1.5e-7, 123456.789, .pi, .leastNonzeroMagnitude, .greatestFiniteMagnitude])
    func doublesRoundTrip(_ d: Double) throws {
        let text = JSON.encode(.double(d))
        #expect(try parseJSON(text) == .double(d), "\(text.text)")
    }

    @Test func integralDoublesStayDoubles() {
        #expect(JSON.encode(.double(2.0)).text == "2.0")
        #expect(JSON.encode(.double(-3)).text == "-3.0")
    }

    @Test func nonFiniteDoublesAreNull() {
        #expect(JSON.encode(.double(.nan)).text == "null")
        #expect(JSON.encode(.double(.infinity)).text == "null")
    }

    @Test func minimalEscaping() {
        #expect(JSON.encode(.string("a\"b\\c/d")).text == #""a\"b\\c/d""#)
        #expect(JSON.encode(.string("\n\r\t\u{8}\u{C}")).text == #""\n\r\t\b\f""#)
        #expect(JSON.encode(.string("\u{0}\u{1}\u{1F}\u{7F}")).text == "\"\\u0000\\u0001\\u001f\u{7F}\"")
        #expect(JSON.encode(.string("")).text == "\"\"")
        #expect(JSON.encode(.string("\u{2028}<>&'")).text == "\"\u{2028}<>&'\"")
    }

    @Test func nonASCIIIsRawUTF8() {
        let name = "ישראל ישראלי 😀 e\u{301}"
        let out = JSON.encode(.string(name))
        #expect(out == [0x22] + Array(name.utf8) + [0x22])
    }

    @Test func keysAreEscapedToo() throws {
        let value = obj(("a\"b", .int(1)), ("שם", .string("x")))
        #expect(JSON.encode(value).text == #"{"a\"b":1,"שם":"x"}"#)
        #expect(try parseJSON(JSON.encode(value)) == value)
    }

    @Test func appendStringAppends() throws {
        var out = Array("x=".utf8)
        JSON.appendString("ש\"\n", to: &out)
        #expect(out.text == "x=\"ש\\\"\\n\"")
        // A substring-backed string takes the same path.
        let long = String(repeating: "ab\"", count: 50)
        var out2: [UInt8] = []
        JSON.appendString(String(long.dropFirst()), to: &out2)
        #expect(try parseJSON(out2) == .string(String(long.dropFirst())))
    }

    @Test func everyControlCharacterRoundTrips() throws {
        let all = String(String.UnicodeScalarView((0..<0x80).map { Unicode.Scalar(UInt8($0)) }))
        #expect(try parseJSON(JSON.encode(.string(all))) == .string(all))
    }
}
