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

/// A Lua table as saved between requests.
public struct StateTable: Sendable, Equatable {
    public var entries: [StateKey: StateValue]

    public init(_ entries: [StateKey: StateValue] = [:]) {
        self.entries = entries
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The value under a text key.
    public subscript(_ key: String) -> StateValue? {
        get { entries[.text(key)] }
        set { entries[.text(key)] = newValue }
    }
}
