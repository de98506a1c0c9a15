import CLua
import CLuaShims
import IVRState

/// `call.state` between Swift and Lua (lua-api.md, "`call.state` rules").
///
/// Values: booleans, integers, floats, strings (bytes) and tables of those;
/// integer and float subtypes survive. Keys: strings, integers, floats and
/// booleans. Functions, userdata (actions included), threads, cycles and
/// tables nested deeper than ``maxDepth`` fail the request with a message
/// naming the key path. Metatables are not kept. The same table reached twice
/// (not a cycle) is saved twice.
enum StateBridge {
    static let maxDepth = 64
}

/// Why `call.state` could not be kept.
struct StateError: Error {
    var message: String
}

extension LuaState {
    /// Pushes `state` as a fresh table (built in C from the stored form).
    package func pushState(_ state: StateTable) {
        let status = state.encoded.withUnsafeBufferPointer { ivr_state_push(L, $0.baseAddress, $0.count) }
        // Malformed bytes cannot come from the engine; an empty table is pushed then.
        assert(status == 0, "call.state: malformed stored form")
    }

    /// Reads the value at `index` as `call.state`: a table, or nil for an empty state.
    /// Written in C straight to the stored form (``StateCoding``).
    func readState(at index: Int32) throws(StateError) -> StateTable {
        let i = absolute(index)
        switch type(at: i) {
        case LUA_TNIL: return StateTable()
        case LUA_TTABLE: break
        default: throw StateError(message: "call.state must be a table, got \(describe(at: i))")
        }
        var bytes: UnsafePointer<UInt8>?
        var length = 0
        switch ivr_state_encode(L, i, &bytes, &length) {
        case 0:
            guard let bytes, length > 0 else { return StateTable() }
            return StateTable(trustedEncoding: Array(UnsafeBufferPointer(start: bytes, count: length)))
        case 1:
            let message = string(at: -1) ?? "call.state cannot be kept"
            pop()
            throw StateError(message: message)
        case 2:
            throw StateError(message: "call.state cannot be kept: the Lua stack is full")
        default:
            throw StateError(message: "call.state must be a table, got \(describe(at: i))")
        }
    }
}
