import IVRState
import Testing

/// The stored form of `call.state` (``StateCoding``). That the script engine's
/// C side writes and reads the same form is checked by IVRScriptTests'
/// StateTests, whose states go Swift -> Lua -> Swift.
@Suite struct StateCodingTests {
    static let nested: [StateKey: StateValue] = [
        .text("n"): .int(-7), .text("x"): .double(0.25), .bool(true): .bool(false),
        .int(3): .string([0x00, 0xFF]),
        .text("t"): .table(StateTable([.double(1.5): .text("a"), .int(1): .table(StateTable([.text("deep"): .int(1)]))])),
    ]

    @Test func roundTripsEveryKindOfKeyAndValue() throws {
        let bytes = StateCoding.encode(Self.nested)
        #expect(bytes.first == StateCoding.version)
        #expect(StateCoding.decode(bytes) == Self.nested)
        let table = try #require(StateTable(encoded: bytes))
        #expect(table.entries == Self.nested)
        #expect(table == StateTable(Self.nested))
    }

    @Test func theEmptyTableIsNoBytes() {
        #expect(StateCoding.encode([:]).isEmpty)
        #expect(StateTable().encoded.isEmpty && StateTable().isEmpty)
        #expect(StateCoding.decode([]) == [:])
        #expect(StateTable([.text("a"): .int(1)]).isEmpty == false)
    }

    @Test func malformedBytesAreRefused() {
        let good = StateCoding.encode([.text("k"): .text("value")])
        var cases: [[UInt8]] = [
            [2] + good.dropFirst(),                     // an unknown version
            Array(good.dropLast()),                     // truncated
            good + [0],                                 // trailing bytes
            [1, 0xFF, 0xFF, 0xFF, 0x7F],                // a count the bytes cannot hold
            [1, 1, 0, 0, 0, UInt8(ascii: "?"), UInt8(ascii: "t")],  // an unknown tag
            [1, 1, 0, 0, 0, UInt8(ascii: "T"), 0, 0, 0, 0, UInt8(ascii: "t")],  // a table as a key
        ]
        var nanKey: [UInt8] = [1, 1, 0, 0, 0, UInt8(ascii: "d")]
        withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { nanKey.append(contentsOf: $0) }
        nanKey.append(UInt8(ascii: "t"))
        cases.append(nanKey)
        for bytes in cases {
            #expect(StateCoding.decode(bytes) == nil, "\(bytes)")
            #expect(StateTable(encoded: bytes) == nil)
        }
    }

    @Test func tablesNestAtMost64Deep() {
        func nest(_ levels: Int) -> [StateKey: StateValue] {
            var table: [StateKey: StateValue] = [.text("leaf"): .int(1)]
            for _ in 0..<levels { table = [.text("t"): .table(StateTable(table))] }
            return table
        }
        #expect(StateCoding.decode(StateCoding.encode(nest(64))) != nil)
        #expect(StateCoding.decode(StateCoding.encode(nest(65))) == nil)
    }
}
