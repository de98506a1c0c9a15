/// A value kept in `call.state`: what a Lua table may hold across requests.
///
/// Strings are bytes (Lua strings need not be UTF-8); integers and floats stay
/// distinct, as Lua 5.4's number subtypes do.
public enum StateValue: Sendable, Equatable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string([UInt8])
    case table(StateTable)

    /// A string value from Swift text.
    public static func text(_ s: String) -> StateValue { .string(Array(s.utf8)) }
}

/// A key of a state table: Lua allows any non-nil, non-NaN value; we keep the storable ones.
public enum StateKey: Sendable, Hashable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string([UInt8])

    /// A string key from Swift text.
    public static func text(_ s: String) -> StateKey { .string(Array(s.utf8)) }
}

/// A Lua table as saved between requests, held in its stored form
/// (``StateCoding``): one byte buffer, which the script engine writes from and
/// reads into a Lua table directly, and which a shared store keeps as it is.
/// ``entries`` decodes it (for tools and tests); the hot path never does.
public struct StateTable: Sendable, Equatable {
    /// The stored form (``StateCoding``); empty for the empty table.
    public private(set) var encoded: [UInt8]

    public init(_ entries: [StateKey: StateValue] = [:]) {
        self.encoded = StateCoding.encode(entries)
    }

    /// A table from its stored form, as ``encoded`` gave it; nil if the bytes are malformed.
    public init?(encoded: [UInt8]) {
        guard StateCoding.decode(encoded) != nil else { return nil }
        self.encoded = encoded
    }

    /// A table from bytes the script engine has just written (not checked again).
    public init(trustedEncoding encoded: [UInt8]) {
        self.encoded = encoded
    }

    /// The table's entries, decoded (set: re-encoded).
    public var entries: [StateKey: StateValue] {
        get { StateCoding.decode(encoded) ?? [:] }
        set { encoded = StateCoding.encode(newValue) }
    }

    /// No entries: no bytes, or a version byte and a zero count (5 bytes; one entry takes at least 7).
    public var isEmpty: Bool { encoded.count <= 5 }

    /// The value under a text key.
    public subscript(_ key: String) -> StateValue? {
        get { entries[.text(key)] }
        set { entries[.text(key)] = newValue }
    }

    /// The same entries (the stored order of entries does not matter).
    public static func == (a: StateTable, b: StateTable) -> Bool {
        a.encoded == b.encoded || a.entries == b.entries
    }
}
