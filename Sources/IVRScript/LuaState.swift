import CLua
import CLuaShims

/// A thin, non-owning view of a `lua_State` with the few operations the engine needs.
///
/// Every method here either cannot raise a Lua error or can only on a real
/// out-of-memory: callers use it with memory enforcement off (outside
/// ``ivr_run``), on tables without metatables, and never on script values that
/// could run a metamethod.
package struct LuaState {
    package let L: OpaquePointer

    package init(_ L: OpaquePointer) { self.L = L }

    // MARK: Stack

    package var top: Int32 {
        get { lua_gettop(L) }
        nonmutating set { lua_settop(L, newValue) }
    }

    package func pop(_ n: Int32 = 1) { ivr_pop(L, n) }
    package func absolute(_ index: Int32) -> Int32 { lua_absindex(L, index) }
    package func type(at index: Int32) -> Int32 { lua_type(L, index) }
    package func pushValue(at index: Int32) { lua_pushvalue(L, index) }
    package func remove(at index: Int32) { ivr_remove(L, index) }
    package func insert(at index: Int32) { ivr_insert(L, index) }
    package func ensureStack(_ n: Int32) -> Bool { lua_checkstack(L, n) != 0 }

    /// The name of the type of the value at `index` (`"nil"`, `"table"`, ...).
    package func typeName(at index: Int32) -> String {
        guard let name = lua_typename(L, lua_type(L, index)) else { return "?" }
        return String(cString: name)
    }

    // MARK: Push

    package func push(_ s: String) {
        var s = s
        s.withUTF8 { ivr_pushbytes(L, $0.baseAddress, $0.count) }
    }

    package func push(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { ivr_pushbytes(L, $0.baseAddress, $0.count) }
    }

    package func push(_ i: Int64) { lua_pushinteger(L, i) }
    package func push(_ d: Double) { lua_pushnumber(L, d) }
    package func push(_ b: Bool) { lua_pushboolean(L, b ? 1 : 0) }
    package func pushNil() { lua_pushnil(L) }
    package func newTable(array: Int32 = 0, hash: Int32 = 0) { lua_createtable(L, array, hash) }

    // MARK: Read

    /// The bytes of the string at `index`; nil unless it is a string (numbers are not converted).
    package func bytes(at index: Int32) -> [UInt8]? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(L, index, &len) else { return nil }
        return p.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
    }

    /// The string at `index` as text (invalid UTF-8 repaired); nil unless it is a string.
    package func string(at index: Int32) -> String? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(L, index, &len) else { return nil }
        return p.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        }
    }

    /// The string at `index` when it is valid UTF-8; `.some(nil)` when it is a string that is not.
    package func text(at index: Int32) -> String?? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(L, index, &len) else { return nil }
        return .some(p.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(validating: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        })
    }

    /// The integer at `index`: a Lua integer, or a float with an integral value.
    package func integer(at index: Int32) -> Int64? {
        guard lua_type(L, index) == LUA_TNUMBER else { return nil }
        var ok: Int32 = 0
        let i = lua_tointegerx(L, index, &ok)
        return ok != 0 ? i : nil
    }

    /// The number at `index` as `tostring` writes it (`42`, `1.5`), converting a copy.
    package func numberText(at index: Int32) -> String {
        pushValue(at: index)
        defer { pop() }
        var len = 0
        guard let p = lua_tolstring(L, -1, &len) else { return "" }
        return p.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        }
    }

    package func isInteger(at index: Int32) -> Bool { lua_isinteger(L, index) != 0 }
    package func number(at index: Int32) -> Double { lua_tonumberx(L, index, nil) }
    package func boolean(at index: Int32) -> Bool { lua_toboolean(L, index) != 0 }

    /// A short description of the value at `index` for messages: `a string ("hi")`, `a number (42)`, `nil`.
    package func describe(at index: Int32) -> String {
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE: return "nil"
        case LUA_TBOOLEAN: return "a boolean (\(boolean(at: index)))"
        case LUA_TNUMBER:
            if isInteger(at: index), let i = integer(at: index) { return "a number (\(i))" }
            return "a number (\(number(at: index)))"
        case LUA_TSTRING:
            let s = string(at: index) ?? ""
            return "a string (\"\(s.count > 40 ? String(s.prefix(40)) + "..." : s)\")"
        default: return "a \(typeName(at: index))"
        }
    }

    // MARK: Tables (raw access only)

    /// Pushes `t[name]` without metamethods; returns its type.
    @discardableResult
    package func rawGet(_ table: Int32, _ name: String) -> Int32 {
        let t = absolute(table)
        push(name)
        return lua_rawget(L, t)
    }

    /// Pushes `t[i]` without metamethods; returns its type.
    @discardableResult
    package func rawGet(_ table: Int32, index i: Int64) -> Int32 { lua_rawgeti(L, table, i) }

    /// `t[name] = top`, popping the value. `name` must be a literal.
    package func setField(_ table: Int32, _ name: StaticString) {
        let t = absolute(table)
        name.withUTF8Buffer { buf in
            buf.baseAddress.map { push(bytesOf: $0, count: buf.count) }
        }
        insert(at: -2)
        lua_rawset(L, t)
    }

    /// `t[i] = top`, popping the value.
    package func rawSet(_ table: Int32, index i: Int64) { lua_rawseti(L, table, i) }

    /// `t[key] = value` with key below value at the top, popping both.
    package func rawSet(_ table: Int32) { lua_rawset(L, table) }

    package func rawLength(at index: Int32) -> Int { Int(lua_rawlen(L, index)) }

    private func push(bytesOf p: UnsafePointer<UInt8>, count: Int) { ivr_pushbytes(L, p, count) }

    // MARK: Registry

    /// Pops the top value into a registry reference.
    package func ref() -> Int32 { luaL_ref(L, ivr_registryindex()) }
    package func unref(_ ref: Int32) { luaL_unref(L, ivr_registryindex(), ref) }
    package func push(ref: Int32) { lua_rawgeti(L, ivr_registryindex(), lua_Integer(ref)) }
}
