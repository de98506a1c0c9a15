/// The stored form of `call.state`, version 1: what the in-memory store keeps,
/// what a shared store writes, and what the script engine's C side
/// (`CLuaShims/state.c`) writes from and reads into Lua tables. Both sides
/// must agree; the tests check that they do.
///
///     state := version (1 byte, 1) table     |  nothing: the empty table
///     table := count (u32) (key value){count}
///     key   := "f" | "t" | "i" int64 | "d" float64 | "s" length (u32) bytes
///     value := key | "T" table
///
/// Numbers and lengths are little-endian. Tables nest at most 64 deep.
public enum StateCoding {
    public static let version: UInt8 = 1
    static let maxDepth = 64

    /// The stored form of `entries` (empty for no entries).
    public static func encode(_ entries: [StateKey: StateValue]) -> [UInt8] {
        guard !entries.isEmpty else { return [] }
        var out: [UInt8] = [version]
        table(entries, into: &out)
        return out
    }

    /// The entries of a stored form; nil if the bytes are not one.
    public static func decode(_ bytes: [UInt8]) -> [StateKey: StateValue]? {
        guard !bytes.isEmpty else { return [:] }
        guard bytes[0] == version else { return nil }
        var reader = Reader(bytes: bytes, at: 1)
        guard let entries = reader.table(depth: 0), reader.at == bytes.count else { return nil }
        return entries
    }

    private static func table(_ entries: [StateKey: StateValue], into out: inout [UInt8]) {
        append(UInt32(truncatingIfNeeded: entries.count), to: &out)
        for (key, value) in entries {
            switch key {
            case .bool(let b): out.append(b ? UInt8(ascii: "t") : UInt8(ascii: "f"))
            case .int(let i): out.append(UInt8(ascii: "i")); append(UInt64(bitPattern: i), to: &out)
            case .double(let d): out.append(UInt8(ascii: "d")); append(d.bitPattern, to: &out)
            case .string(let bytes): string(bytes, into: &out)
            }
            switch value {
            case .bool(let b): out.append(b ? UInt8(ascii: "t") : UInt8(ascii: "f"))
            case .int(let i): out.append(UInt8(ascii: "i")); append(UInt64(bitPattern: i), to: &out)
            case .double(let d): out.append(UInt8(ascii: "d")); append(d.bitPattern, to: &out)
            case .string(let bytes): string(bytes, into: &out)
            case .table(let nested):
                out.append(UInt8(ascii: "T"))
                // A nested table is held encoded: its bytes, less the version, are the table.
                if nested.encoded.isEmpty { append(UInt32(0), to: &out) } else { out.append(contentsOf: nested.encoded.dropFirst()) }
            }
        }
    }

    private static func string(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "s"))
        append(UInt32(truncatingIfNeeded: bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var at: Int

        mutating func fixed<T: FixedWidthInteger>(_: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard bytes.count - at >= size else { return nil }
            var v: T = 0
            for i in 0..<size { v |= T(truncatingIfNeeded: bytes[at + i]) << (8 * i) }
            at += size
            return v
        }

        mutating func table(depth: Int) -> [StateKey: StateValue]? {
            guard depth <= StateCoding.maxDepth, let count = fixed(UInt32.self),
                  Int(count) <= (bytes.count - at) / 2 else { return nil }
            var entries: [StateKey: StateValue] = [:]
            entries.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let key = item(depth: depth, value: false), let value = item(depth: depth, value: true) else {
                    return nil
                }
                let storedKey: StateKey
                switch key {
                case .bool(let b): storedKey = .bool(b)
                case .int(let i): storedKey = .int(i)
                case .double(let d): storedKey = .double(d)
                case .string(let s): storedKey = .string(s)
                case .table: return nil
                }
                entries[storedKey] = value
            }
            return entries
        }

        mutating func item(depth: Int, value: Bool) -> StateValue? {
            guard at < bytes.count else { return nil }
            let tag = bytes[at]
            at += 1
            switch tag {
            case UInt8(ascii: "f"): return .bool(false)
            case UInt8(ascii: "t"): return .bool(true)
            case UInt8(ascii: "i"): return fixed(UInt64.self).map { .int(Int64(bitPattern: $0)) }
            case UInt8(ascii: "d"):
                guard let bits = fixed(UInt64.self) else { return nil }
                let d = Double(bitPattern: bits)
                return !value && d.isNaN ? nil : .double(d)
            case UInt8(ascii: "s"):
                guard let length = fixed(UInt32.self), bytes.count - at >= Int(length) else { return nil }
                defer { at += Int(length) }
                return .string(Array(bytes[at..<at + Int(length)]))
            case UInt8(ascii: "T"):
                let start = at
                guard value, let nested = table(depth: depth + 1) else { return nil }
                // Kept as its bytes (not re-encoded): each level is copied once, not rebuilt.
                return .table(nested.isEmpty ? StateTable() : StateTable(trustedEncoding: [StateCoding.version] + bytes[start..<at]))
            default: return nil
            }
        }
    }
}
