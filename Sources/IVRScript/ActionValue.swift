import CLua
import CLuaShims
import IVRWire

/// The Swift side of an action value in Lua.
///
/// A constructor wraps the validated ``IVRAction`` in a box and stores one
/// retained pointer to it in a full userdata (CLuaShims `ivr_new_action`); the
/// userdata is the box's only owner, and its `__gc` releases it. Scripts read
/// fields by their lower-case key (`a.rec`, `a.targets`), `a.action` is the
/// `ACTION` string and `a.language` the `LANGUAGE`; the value is read-only.
final class ActionBox {
    let action: IVRAction

    init(_ action: IVRAction) { self.action = action }

    /// The box behind a userdata's pointer (which the userdata keeps alive).
    static func from(_ pointer: UnsafeMutableRawPointer) -> ActionBox {
        Unmanaged<ActionBox>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Pushes the field named by the string at `key` (nil when there is none).
    func pushField(_ lua: LuaState, key: Int32) {
        guard let name = lua.string(at: key) else { return lua.pushNil() }
        switch name {
        case "action": lua.push(action.kind.wireName)
        case "language":
            if let language = action.language { lua.push(language) } else { lua.pushNil() }
        default:
            guard let spec = action.kind.schema.first(where: { $0.scriptName == name }),
                  let value = action[spec.wireName] else { return lua.pushNil() }
            lua.pushScriptValue(value, type: spec.type)
        }
    }

    /// `ivr.menu{rec="welcome", loop=1, ...}`, keys in schema order.
    var scriptText: String {
        var parts: [String] = []
        for member in action.fields {
            parts.append("\(member.name.lowercased())=\(Self.text(member.value))")
        }
        if let language = action.language { parts.append("language=\(Self.text(.string(language)))") }
        return "ivr.\(action.kind.constructorName){\(parts.joined(separator: ", "))}"
    }

    private static func text(_ value: WireValue) -> String {
        switch value {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .bool(let b): return String(b)
        case .double(let d): return String(d)
        case .null: return "nil"
        case .array(let items): return "{" + items.map(text).joined(separator: ", ") + "}"
        case .structure(let members):
            return "{" + members.map { "\($0.name)=\(text($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}

extension LuaState {
    /// Pushes `action` as a new action userdata.
    package func pushAction(_ action: IVRAction) {
        guard let slot = ivr_new_action(L) else { return }
        slot.pointee = Unmanaged.passRetained(ActionBox(action)).toOpaque()
    }

    /// The action of the userdata at `index`, if it is one.
    package func action(at index: Int32) -> IVRAction? {
        guard let pointer = ivr_to_action(L, index) else { return nil }
        return ActionBox.from(pointer).action
    }

    /// Pushes a field value the way a script wrote it: targets as `{target=, type=}`,
    /// SAY_DIGITS data as `{record_type=, content=}`, custom data as given.
    package func pushScriptValue(_ value: WireValue, type: FieldType) {
        switch (type, value) {
        case (.targets, .array(let items)):
            pushList(items) { item in
                self.newTable(hash: 2)
                self.pushWire(item[member: "TARGET"] ?? .null)
                self.setField(-2, "target")
                self.pushWire(item[member: "TYPE"] ?? .null)
                self.setField(-2, "type")
            }
        case (.sayDigitsData, .array(let items)):
            pushList(items) { item in
                self.newTable(hash: 2)
                self.pushWire(item[member: "RecordType"] ?? .null)
                self.setField(-2, "record_type")
                self.pushWire(item[member: "Content"] ?? .null)
                self.setField(-2, "content")
            }
        default:
            pushWire(value)
        }
    }

    private func pushList(_ items: [WireValue], _ pushItem: (WireValue) -> Void) {
        newTable(array: Int32(clamping: items.count))
        for (i, item) in items.enumerated() {
            pushItem(item)
            rawSet(-2, index: Int64(i + 1))
        }
    }
}
