#if canImport(Glibc)
import Glibc
#endif
import CLua
import CLuaShims
import IVRWire

/// The `ivr.<constructor>{...}` conversion: a Lua table of lower-case keys to
/// the wire fields of ``IVRAction``, which then validates them.
///
/// Conversion rules (the contract of lua-api.md, "Actions"):
/// - string fields take Lua strings only (a number is an error, so `"0547..."`
///   keeps its zero and `digits = 0547` is caught); the text must be UTF-8;
/// - int fields take Lua integers, or floats with an integral value (`2.0`);
/// - `dialstrings`: a sequence of strings;
/// - `targets`: a non-empty sequence whose items are a string (type PHONE) or
///   `{target=, type=}` with type `"PHONE"` (default) or `"EXTENSION"`;
/// - `custom_data`: string keys; string values, or numbers written as
///   `tostring` writes them; emitted sorted by key;
/// - `data` (SAY_DIGITS): a sequence of `{record_type=, content=}` (strings);
/// - `recording`: `true`/`false` or `"yes"`/`"no"`;
/// - `language`: a string, on every GET_IVR_ACTION action and on SAY_DIGITS;
///   default `--language`.
/// - `ivr.call`: `callerid`/`callername` default to the request's caller
///   (`""` outside a request, e.g. a `fallback` built at load).
extension ScriptRuntime {
    /// Builds an action from the table at index 1; pushes it (0) or a message (1).
    func makeAction(_ lua: LuaState, kindIndex: Int) -> Int32 {
        let kinds = ActionKind.cases
        guard kinds.indices.contains(kindIndex) else {
            lua.push("ivr: unknown action kind")
            return 1
        }
        let kind = kinds[kindIndex]
        // The values in schema order, on the stack (no array a call).
        return withUnsafeTemporaryAllocation(of: WireValue?.self, capacity: kind.schema.count) { values -> Int32 in
            values.initialize(repeating: nil)
            defer { values.deinitialize() }
            var reader = ActionTableReader(lua: lua, kind: kind, kindIndex: kindIndex)
            guard let language = reader.read(table: 1, into: values) else {
                lua.push(reader.error ?? "ivr.\(kind.constructorName): invalid fields")
                return 1
            }
            if kind == .call {
                // Schema positions 1 and 2: CALLERID and CALLERNAME.
                if values[1] == nil { values[1] = .string(current?.request.callerID ?? "") }
                if values[2] == nil { values[2] = .string(current?.request.callerName ?? "") }
            }
            let takesLanguage = !kind.isLayerAction || kind == .layerSayDigits
            do throws(ActionError) {
                let action = try IVRAction(kind: kind, language: takesLanguage ? (language ?? limits.language) : nil,
                                           valueBuffer: UnsafeBufferPointer(values))
                lua.pushAction(action)
                return 0
            } catch {
                lua.push(error.description)
                return 1
            }
        }
    }
}

/// Reads one constructor's table into wire fields. Raw access only; no metamethod runs.
struct ActionTableReader {
    let lua: LuaState
    let kind: ActionKind
    /// `kind`'s position in `ActionKind.allCases`.
    let kindIndex: Int
    private(set) var error: String?

    init(lua: LuaState, kind: ActionKind, kindIndex: Int) {
        self.lua = lua
        self.kind = kind
        self.kindIndex = kindIndex
    }

    private var ctor: String { "ivr.\(kind.constructorName)" }
    private var takesLanguage: Bool { !kind.isLayerAction || kind == .layerSayDigits }

    /// Fills `values` in schema order (nil: not given; one slot per schema field);
    /// `language` if given (`.some(nil)`: not given); nil with ``error`` set.
    mutating func read(table: Int32, into values: UnsafeMutableBufferPointer<WireValue?>) -> String?? {
        let t = lua.absolute(table)
        let schema = kind.schema
        let keys = ActionTableReader.scriptKeys[kindIndex]
        var language: String?
        lua.pushNil()
        while lua_next(lua.L, t) != 0 {
            guard lua.type(at: -2) == LUA_TSTRING else {
                let got = lua.describe(at: -2)
                lua.pop(2)
                return fail("\(ctor): keys must be field names, as in \(ctor){key = value}; got the key \(got)")
            }
            let position = Self.position(ofKeyAt: -2, in: keys, lua: lua)
            if let position {
                let spec = schema[position]
                guard let value = convert(at: -1, spec: spec, key: spec.scriptName) else { lua.pop(2); return nil }
                values[position] = value
            } else if takesLanguage, Self.keyIsLanguage(at: -2, lua: lua) {
                guard case .some(.some(let text)) = lua.text(at: -1) else {
                    return failPopping("\(ctor): 'language' must be a string, got \(lua.describe(at: -1))")
                }
                language = text
            } else {
                return failPopping("\(ctor): unknown key '\(lua.string(at: -2) ?? "?")'")
            }
            lua.pop()
        }
        return .some(language)
    }

    /// The schema position of the string key at `index`, compared as bytes (no Swift string is made).
    private static func position(ofKeyAt index: Int32, in keys: [[UInt8]], lua: LuaState) -> Int? {
        var length = 0
        guard let raw = lua_tolstring(lua.L, index, &length) else { return nil }
        for (i, key) in keys.enumerated() where key.count == length {
            if key.withUnsafeBytes({ $0.baseAddress.map { memcmp($0, raw, length) == 0 } ?? false }) { return i }
        }
        return nil
    }

    private static func keyIsLanguage(at index: Int32, lua: LuaState) -> Bool {
        position(ofKeyAt: index, in: languageKey, lua: lua) != nil
    }

    private static let languageKey = [Array("language".utf8)]

    private mutating func fail(_ message: String) -> String?? {
        error = message
        return nil
    }

    /// Fails in the middle of a traversal (key and value on the stack).
    private mutating func failPopping(_ message: String) -> String?? {
        lua.pop(2)
        return fail(message)
    }

    private mutating func wrongType(_ key: String, _ type: FieldType, at index: Int32) -> WireValue? {
        error = "\(ctor): '\(key)' must be \(type.phrase), got \(lua.describe(at: index))"
        return nil
    }

    private mutating func convert(at index: Int32, spec: ActionField, key: String) -> WireValue? {
        let i = lua.absolute(index)
        switch spec.type {
        case .string:
            return stringValue(at: i, what: "'\(key)'", type: .string)
        case .int:
            guard let n = lua.integer(at: i) else { return wrongType(key, .int, at: i) }
            return .int(n)
        case .yesNo:
            if lua.type(at: i) == LUA_TBOOLEAN { return .string(lua.boolean(at: i) ? "yes" : "no") }
            if let s = lua.string(at: i), s == "yes" || s == "no" { return .string(s) }
            return wrongType(key, .yesNo, at: i)
        case .stringList:
            guard lua.type(at: i) == LUA_TTABLE else { return wrongType(key, .stringList, at: i) }
            return list(at: i, key: key, type: .stringList) { reader, item, path in
                reader.stringValue(at: item, what: path, type: .string)
            }
        case .targets:
            guard lua.type(at: i) == LUA_TTABLE, lua.rawLength(at: i) > 0 else { return wrongType(key, .targets, at: i) }
            return list(at: i, key: key, type: .targets) { reader, item, path in reader.target(at: item, path: path) }
        case .sayDigitsData:
            guard lua.type(at: i) == LUA_TTABLE else { return wrongType(key, .sayDigitsData, at: i) }
            return list(at: i, key: key, type: .sayDigitsData) { reader, item, path in
                reader.sayDigitsItem(at: item, path: path)
            }
        case .customData:
            guard lua.type(at: i) == LUA_TTABLE else { return wrongType(key, .customData, at: i) }
            return customData(at: i, key: key)
        }
    }

    /// A string value (UTF-8 text) or an error naming `what`.
    private mutating func stringValue(at index: Int32, what: @autoclosure () -> String, type: FieldType) -> WireValue? {
        switch lua.text(at: index) {
        case .some(.some(let s)): return .string(s)
        case .some(.none):
            error = "\(ctor): \(what()) must be UTF-8 text"
            return nil
        case .none:
            error = "\(ctor): \(what()) must be \(type.phrase), got \(lua.describe(at: index))"
            return nil
        }
    }

    /// A sequence `t[1..#t]`, each item converted by `item`.
    private mutating func list(at index: Int32, key: String, type: FieldType,
                               _ item: (inout ActionTableReader, Int32, String) -> WireValue?) -> WireValue? {
        let count = lua.rawLength(at: index)
        var items: [WireValue] = []
        items.reserveCapacity(count)
        var n = 0
        lua.pushNil()
        while lua_next(lua.L, index) != 0 {
            n += 1
            lua.pop()
        }
        guard n == count else {
            error = "\(ctor): '\(key)' must be \(type.phrase) (a sequence {a, b, ...} without other keys)"
            return nil
        }
        for position in 0..<count {
            lua.rawGet(index, index: Int64(position + 1))
            let value = item(&self, lua.absolute(-1), "\(key)[\(position + 1)]")
            lua.pop()
            guard let value else { return nil }
            items.append(value)
        }
        return .array(items)
    }

    /// A DIAL target: `"0501234567"` or `{target=, type=}`.
    private mutating func target(at index: Int32, path: String) -> WireValue? {
        if lua.type(at: index) == LUA_TSTRING {
            guard let target = stringValue(at: index, what: path, type: .string) else { return nil }
            return .structure([WireMember("TARGET", target), WireMember("TYPE", .string("PHONE"))])
        }
        guard lua.type(at: index) == LUA_TTABLE else {
            error = "\(ctor): \(path) must be a string or {target=, type=}, got \(lua.describe(at: index))"
            return nil
        }
        guard let members = record(at: index, path: path, keys: ["target", "type"]) else { return nil }
        guard let target = members["target"] else {
            error = "\(ctor): \(path).target is missing"
            return nil
        }
        let type = members["type"] ?? .string("PHONE")
        guard type == .string("PHONE") || type == .string("EXTENSION") else {
            error = "\(ctor): \(path).type must be 'PHONE' or 'EXTENSION'"
            return nil
        }
        return .structure([WireMember("TARGET", target), WireMember("TYPE", type)])
    }

    /// A SAY_DIGITS data item `{record_type=, content=}`.
    private mutating func sayDigitsItem(at index: Int32, path: String) -> WireValue? {
        guard lua.type(at: index) == LUA_TTABLE else {
            error = "\(ctor): \(path) must be {record_type=, content=}, got \(lua.describe(at: index))"
            return nil
        }
        guard let members = record(at: index, path: path, keys: ["record_type", "content"]) else { return nil }
        guard let recordType = members["record_type"], let content = members["content"] else {
            error = "\(ctor): \(path) needs both record_type and content"
            return nil
        }
        let allowed = ["Recording", "Digits", "Number", "Date", "DateTime"]
        guard case .string(let name) = recordType, allowed.contains(name) else {
            error = "\(ctor): \(path).record_type must be one of \(allowed.joined(separator: ", "))"
            return nil
        }
        return .structure([WireMember("RecordType", recordType), WireMember("Content", content)])
    }

    /// A small table of string fields with known keys.
    private mutating func record(at index: Int32, path: String, keys: Set<String>) -> [String: WireValue]? {
        var members: [String: WireValue] = [:]
        lua.pushNil()
        while lua_next(lua.L, index) != 0 {
            guard let key = lua.string(at: -2), keys.contains(key) else {
                let name = lua.string(at: -2).map { "'\($0)'" } ?? "a \(lua.typeName(at: -2)) key"
                lua.pop(2)
                error = "\(ctor): \(path) has unknown key \(name) (expected \(keys.sorted().joined(separator: ", ")))"
                return nil
            }
            guard let value = stringValue(at: lua.absolute(-1), what: "\(path).\(key)", type: .string) else {
                lua.pop(2)
                return nil
            }
            members[key] = value
            lua.pop()
        }
        return members
    }

    /// CUSTOM_DATA: string keys, string (or number) values, sorted by key.
    private mutating func customData(at index: Int32, key: String) -> WireValue? {
        var members: [WireMember] = []
        lua.pushNil()
        while lua_next(lua.L, index) != 0 {
            guard case .some(.some(let name)) = lua.text(at: -2) else {
                lua.pop(2)
                error = "\(ctor): '\(key)' must be \(FieldType.customData.phrase) (found a key that is not a string)"
                return nil
            }
            let value: String
            switch lua.type(at: -1) {
            case LUA_TSTRING:
                guard case .some(.some(let s)) = lua.text(at: -1) else {
                    lua.pop(2)
                    error = "\(ctor): \(key).\(name) must be UTF-8 text"
                    return nil
                }
                value = s
            case LUA_TNUMBER:
                value = lua.numberText(at: -1)
            default:
                let got = lua.describe(at: -1)
                lua.pop(2)
                error = "\(ctor): \(key).\(name) must be a string or a number, got \(got)"
                return nil
            }
            members.append(WireMember(name, .string(value)))
            lua.pop()
        }
        members.sort { $0.name < $1.name }
        return .structure(members)
    }

    /// Each kind's script keys (lower-case wire names) in schema order, as bytes;
    /// indexed like `ActionKind.allCases`.
    static let scriptKeys: [[[UInt8]]] = ActionKind.cases.map { kind in
        kind.schema.map { Array($0.scriptName.utf8) }
    }
}
