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
    /// Pushes `state` as a fresh table.
    package func pushState(_ state: StateTable) {
        pushStateTable(state, depth: 0)
    }

    private func pushStateTable(_ table: StateTable, depth: Int) {
        guard depth <= StateBridge.maxDepth, ensureStack(4) else { return newTable() }
        newTable(hash: Int32(clamping: table.entries.count))
        for (key, value) in table.entries {
            switch key {
            case .bool(let b): push(b)
            case .int(let i): push(i)
            case .double(let d): push(d)
            case .string(let bytes): push(bytes: bytes)
            }
            switch value {
            case .bool(let b): push(b)
            case .int(let i): push(i)
            case .double(let d): push(d)
            case .string(let bytes): push(bytes: bytes)
            case .table(let nested): pushStateTable(nested, depth: depth + 1)
            }
            rawSet(-3)
        }
    }

    /// Reads the value at `index` as `call.state`: a table, or nil for an empty state.
    func readState(at index: Int32) throws(StateError) -> StateTable {
        let i = absolute(index)
        switch type(at: i) {
        case LUA_TNIL: return StateTable()
        case LUA_TTABLE:
            var path: [StateKey] = []
            var open: [UnsafeRawPointer] = []
            return try readStateTable(at: i, path: &path, open: &open)
        default:
            throw StateError(message: "call.state must be a table, got \(describe(at: i))")
        }
    }

    private func readStateTable(at index: Int32, path: inout [StateKey],
                                open: inout [UnsafeRawPointer]) throws(StateError) -> StateTable {
        guard let me = lua_topointer(L, index) else { return StateTable() }
        if open.contains(me) {
            throw StateError(message: "\(Self.pathText(path)): a cycle (a table inside itself) cannot be kept in call.state")
        }
        guard path.count < StateBridge.maxDepth, ensureStack(6) else {
            throw StateError(message: "\(Self.pathText(path)): tables nested more than \(StateBridge.maxDepth) deep cannot be kept in call.state")
        }
        open.append(me)
        defer { open.removeLast() }
        var entries: [StateKey: StateValue] = [:]
        pushNil()
        while lua_next(L, index) != 0 {
            let key: StateKey
            switch type(at: -2) {
            case LUA_TSTRING: key = .string(bytes(at: -2) ?? [])
            case LUA_TNUMBER: key = isInteger(at: -2) ? .int(integer(at: -2) ?? 0) : .double(number(at: -2))
            case LUA_TBOOLEAN: key = .bool(boolean(at: -2))
            default:
                let what = typeName(at: -2)
                pop(2)
                throw StateError(message: "\(Self.pathText(path)): a \(what) key cannot be kept in call.state (keys are strings, numbers or booleans)")
            }
            path.append(key)
            let value: StateValue
            do {
                value = try readStateValue(at: absolute(-1), path: &path, open: &open)
            } catch {
                pop(2)
                throw error
            }
            path.removeLast()
            entries[key] = value
            pop()
        }
        return StateTable(entries)
    }

    private func readStateValue(at index: Int32, path: inout [StateKey],
                                open: inout [UnsafeRawPointer]) throws(StateError) -> StateValue {
        switch type(at: index) {
        case LUA_TBOOLEAN: return .bool(boolean(at: index))
        case LUA_TNUMBER:
            if isInteger(at: index), let i = integer(at: index) { return .int(i) }
            return .double(number(at: index))
        case LUA_TSTRING: return .string(bytes(at: index) ?? [])
        case LUA_TTABLE: return .table(try readStateTable(at: index, path: &path, open: &open))
        default:
            let what: String
            switch type(at: index) {
            case LUA_TFUNCTION: what = "a function"
            case LUA_TTHREAD: what = "a thread (coroutine)"
            case LUA_TUSERDATA where action(at: index) != nil: what = "an action"
            default: what = "a \(typeName(at: index))"
            }
            throw StateError(message: "\(Self.pathText(path)): \(what) cannot be kept in call.state")
        }
    }

    /// `call.state.a.b[3]["x y"]`
    static func pathText(_ path: [StateKey]) -> String {
        var text = "call.state"
        for key in path {
            switch key {
            case .string(let bytes):
                let name = String(decoding: bytes, as: UTF8.self)
                if isIdentifier(bytes) { text += "." + name } else { text += "[\"\(name)\"]" }
            case .int(let i): text += "[\(i)]"
            case .double(let d): text += "[\(d)]"
            case .bool(let b): text += "[\(b)]"
            }
        }
        return text
    }

    private static func isIdentifier(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }
}
