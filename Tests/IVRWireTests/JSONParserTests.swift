import IVRWire
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test func scalars() throws {
        #expect(try parseJSON("true") == .bool(true))
        #expect(try parseJSON("false") == .bool(false))
        #expect(try parseJSON(" null ") == .null)
        #expect(try parseJSON("\"a\"") == .string("a"))
        #expect(try parseJSON("\n\t 42 \r\n") == .int(42))
    }

    @Test func integersAre64Bit() throws {
        #expect(try parseJSON("15616841651") == .int(15_616_841_651))
        #expect(try parseJSON("9223372036854775807") == .int(.max))
        #expect(try parseJSON("-9223372036854775808") == .int(.min))
        #expect(try parseJSON("-0") == .int(0))
        #expect(try parseJSON("0") == .int(0))
    }

    @Test(arguments: ["9223372036854775808", "-9223372036854775809", "100000000000000000000000"])
    func integerOverflowIsMalformed(_ text: String) {
        let error = wireError { try parseJSON(text) }
        #expect(error?.kind == .malformed)
        #expect(error?.format == .json)
        #expect(error?.message.contains("integer out of range") == true)
    }

    @Test func fractionsAndExponentsAreDoubles() throws {
        #expect(try parseJSON("1.5") == .double(1.5))
        #expect(try parseJSON("2.0") == .double(2.0))
        #expect(try parseJSON("-0.25") == .double(-0.25))
        #expect(try parseJSON("1e3") == .double(1000))
        #expect(try parseJSON("1E+2") == .double(100))
        #expect(try parseJSON("25e-1") == .double(2.5))
        #expect(try parseJSON("0.1") == .double(0.1))
    }

    @Test(arguments: ["01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "1.5.2", "NaN", "Infinity", "1e999"])
    func invalidNumbers(_ text: String) {
        let error = wireError { try parseJSON(text) }
        #expect(error?.kind == .malformed, "\(text)")
        #expect(error?.format == .json)
    }

    @Test func leadingZerosAreNamed() {
        #expect(wireError { try parseJSON("{\"A\": 05}") }?.message.contains("leading zeros") == true)
    }

    @Test func stringEscapes() throws {
        #expect(try parseJSON(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try parseJSON(#""\u0041\u00e9\u05D0""#) == .string("Aéא"))
        #expect(try parseJSON(#""\u0000""#) == .string("\u{0}"))
        #expect(try parseJSON(#""x\uD83D\uDE00y""#) == .string("x😀y"))
        #expect(try parseJSON(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
    }

    @Test(arguments: [#""\uD83D""#, #""\uD83Dx""#, #""\uDE00""#, #""\uD83D\u0041""#, #""\uD83D\n""#, #""a\uDC00b""#])
    func loneSurrogatesAreMalformed(_ text: String) {
        let error = wireError { try parseJSON(text) }
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("lone surrogate") == true, "\(text): \(error?.message ?? "-")")
    }

    @Test(arguments: [#""\x41""#, #""\u12""#, #""\uZZZZ""#, #""\'""#, "\"abc", "\"a\\"])
    func badEscapesAndUnterminatedStrings(_ text: String) {
        #expect(wireError { try parseJSON(text) }?.kind == .malformed)
    }

    @Test func rawControlCharactersInStringsAreRefused() {
        #expect(wireError { try parseJSON("\"a\nb\"") }?.message.contains("control character") == true)
        #expect(wireError { try parseJSON("\"a\tb\"") }?.kind == .malformed)
    }

    @Test func utf8IsKeptByteExact() throws {
        let name = "ישראל ישראלי"
        let value = try parseJSON("{\"CALLER_NAME\":\"\(name)\"}")
        guard case .string(let s)? = value[member: "CALLER_NAME"] else {
            Issue.record("not a string")
            return
        }
        #expect(Array(s.utf8) == Array(name.utf8))
        // Combining sequences and decomposed forms are not normalised.
        let decomposed = "e\u{301}"
        #expect(try parseJSON("\"\(decomposed)\"") == .string(decomposed))
        let parsed = try parseJSON("\"\(decomposed)\"")
        if case .string(let t) = parsed { #expect(Array(t.utf8) == [0x65, 0xCC, 0x81]) }
    }

    @Test(arguments: [
        [0x22, 0xC3, 0x28, 0x22],             // bad continuation
        [0x22, 0xC0, 0xAF, 0x22],             // overlong '/'
        [0x22, 0xED, 0xA0, 0x80, 0x22],       // encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], // above U+10FFFF
        [0x22, 0xE2, 0x82, 0x22],             // truncated
        [0x22, 0xFF, 0x22],
        [0x7B, 0xC3, 0x28, 0x7D],             // outside a string
        [0x22, 0x61, 0x5C, 0x6E, 0xC3, 0x22], // after an escape (slow path)
    ] as [[UInt8]])
    func invalidUTF8IsMalformed(_ bytes: [UInt8]) {
        let error = wireError { try parseJSON(bytes) }
        #expect(error?.kind == .malformed)
        #expect(error?.format == .json)
        #expect(error?.message.contains("invalid UTF-8") == true, "\(error?.message ?? "-")")
    }

    @Test func objectsKeepOrderAndDuplicates() throws {
        let value = try parseJSON(#"{"B": 1, "A": 2, "B": 3, "": null}"#)
        #expect(value == .structure([
            WireMember("B", .int(1)), WireMember("A", .int(2)), WireMember("B", .int(3)), WireMember("", .null),
        ]))
        #expect(value[member: "B"] == .int(3))
    }

    @Test func nestedValues() throws {
        let value = try parseJSON(#"{"a": [1, "x", {"b": [], "c": {}}, [true, null]], "d": -1.5}"#)
        #expect(value == obj(
            ("a", .array([.int(1), .string("x"), obj(("b", .array([])), ("c", .structure([]))), .array([.bool(true), .null])])),
            ("d", .double(-1.5))))
    }

    @Test func trailingCommasAreRefused() {
        #expect(wireError { try parseJSON(#"{"a": 1,}"#) }?.message.contains("trailing comma") == true)
        #expect(wireError { try parseJSON("[1, 2,]") }?.message.contains("trailing comma") == true)
        #expect(wireError { try parseJSON("[,]") }?.kind == .malformed)
        #expect(wireError { try parseJSON("{,}") }?.kind == .malformed)
    }

    @Test func commentsAreRefused() {
        #expect(wireError { try parseJSON("{\"a\": 1 // no\n}") }?.message.contains("comments") == true)
        #expect(wireError { try parseJSON("/* no */ {}") }?.message.contains("comments") == true)
        #expect(wireError { try parseJSON("{\"a\": /* no */ 1}") }?.kind == .malformed)
    }

    @Test func unquotedKeysAreRefused() {
        let error = wireError { try parseJSON("{a: 1}") }
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("quoted") == true)
        #expect(wireError { try parseJSON("{'a': 1}") }?.kind == .malformed)
    }

    @Test(arguments: ["{} {}", "{}x", "1 2", "[] ,", "\"a\" \"b\"", "{}\0"])
    func trailingGarbageIsRefused(_ text: String) {
        #expect(wireError { try parseJSON(text) }?.kind == .malformed)
    }

    @Test(arguments: ["", "   ", "\n", "{", "[", "{\"a\"", "{\"a\":", "{\"a\":1", "[1", "tru", "nul", "True", "{\"a\" 1}", "[1 2]"])
    func incompleteOrWrongDocuments(_ text: String) {
        #expect(wireError { try parseJSON(text) }?.kind == .malformed, "\(text)")
    }

    @Test func byteOrderMarkIsNotJSON() {
        #expect(wireError { try parseJSON([0xEF, 0xBB, 0xBF] + "{}".bytes) }?.kind == .malformed)
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try parseJSON(ok)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(wireError { try parseJSON(deep) }?.message.contains("nesting deeper than 64") == true)
        let deepObjects = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(wireError { try parseJSON(deepObjects) }?.kind == .malformed)
        #expect(wireError { try parseJSON("[[[1]]]", maxDepth: 2) }?.kind == .malformed)
        #expect(try parseJSON("[[1]]", maxDepth: 2) == .array([.array([.int(1)])]))
        // Far beyond the limit: refused without exhausting the stack.
        let hostile = String(repeating: "[", count: 100_000)
        #expect(wireError { try parseJSON(hostile) }?.kind == .malformed)
    }

    @Test func errorsSayWhere() {
        let error = wireError { try parseJSON("{\"a\": x}") }
        #expect(error?.message == "invalid JSON at byte 6: unexpected character 'x' where a value was expected")
    }
}
