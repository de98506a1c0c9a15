import IVRState

/// A call's record as kept in Redis: a format version byte first, then the
/// fields. An instance reads every version it knows (today: 1), so a rolling
/// upgrade can read what the previous release wrote; one that meets a newer
/// version answers with the fallback rather than overwrite it.
///
/// Version 1: `01`, seq (varint), lastSeen (8 bytes, IEEE bits, little-endian),
/// route (string), script version name (string), state (string: `call.state`
/// in its stored form, ``StateCoding``, which carries its own version byte).
/// A string is a varint length and bytes.
public enum CallRecordCodec {
    public static let currentVersion: UInt8 = 1

    /// What a stored record holds: the record and its script version's name (a content hash).
    public struct Stored: Sendable, Equatable {
        public var record: CallRecord
        public var scriptName: String
    }

    public enum DecodeError: Error, Equatable {
        /// A format newer than this instance knows.
        case unknownVersion(UInt8)
        case malformed
    }

    public static func encode(_ record: CallRecord, scriptName: String) -> [UInt8] {
        var out: [UInt8] = [currentVersion]
        out.reserveCapacity(64)
        putVarint(&out, UInt64(bitPattern: Int64(record.seq)))
        var bits = record.lastSeen.bitPattern
        for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits)); bits >>= 8 }
        putString(&out, Array(record.route.utf8))
        putString(&out, Array(scriptName.utf8))
        putString(&out, record.state.encoded)  // as the script engine wrote it: no re-encoding
        return out
    }

    public static func decode(_ bytes: [UInt8], scriptVersion: (String) -> Int) -> Result<Stored, DecodeError> {
        var reader = Reader(bytes: bytes)
        guard let version = reader.byte() else { return .failure(.malformed) }
        guard version == 1 else { return .failure(.unknownVersion(version)) }
        guard let seqBits = reader.varint(), let lastSeen = reader.double(),
              let route = reader.string(), let name = reader.string(),
              let stateBytes = reader.string(), reader.atEnd,
              let state = StateTable(encoded: stateBytes) else { return .failure(.malformed) }
        let scriptName = String(decoding: name, as: UTF8.self)
        let record = CallRecord(state: state, seq: Int(Int64(bitPattern: seqBits)),
                                route: String(decoding: route, as: UTF8.self),
                                scriptVersion: scriptVersion(scriptName), lastSeen: lastSeen)
        return .success(Stored(record: record, scriptName: scriptName))
    }

    private static func putVarint(_ out: inout [UInt8], _ value: UInt64) {
        var v = value
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    private static func putString(_ out: inout [UInt8], _ bytes: [UInt8]) {
        putVarint(&out, UInt64(bytes.count))
        out.append(contentsOf: bytes)
    }

    /// Reads a record without trusting it: every length is checked against what is left.
    private struct Reader {
        let bytes: [UInt8]
        var at = 0
        var atEnd: Bool { at == bytes.count }

        mutating func byte() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let b = byte() {
                guard shift < 64 else { return nil }
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
            return nil
        }

        mutating func double() -> Double? {
            guard bytes.count - at >= 8 else { return nil }
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            at += 8
            return Double(bitPattern: bits)
        }

        mutating func string() -> [UInt8]? {
            guard let n = varint(), n <= UInt64(bytes.count - at) else { return nil }
            defer { at += Int(n) }
            return Array(bytes[at..<at + Int(n)])
        }
    }
}
