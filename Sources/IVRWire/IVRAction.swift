/// A validated action: what the engine tells Voicenter to do next.
///
/// It can only be built through ``init(kind:language:fields:)``, which checks
/// every field against the kind's schema, so an encoder can never emit an
/// invalid reply.
public struct IVRAction: Sendable, Equatable {
    public let kind: ActionKind
    /// `LANGUAGE`: always set for GET_IVR_ACTION actions, optional for SAY_DIGITS.
    public let language: String?
    /// The fields in schema order, unset optional fields left out.
    public let fields: [WireMember]

    /// Validates `fields` (keyed by wire name) against `kind`'s schema and
    /// fills the schema's defaults.
    ///
    /// - Throws: ``ActionError`` naming the field: unknown, wrong type, missing.
    public init(kind: ActionKind, language: String?, fields given: [String: WireValue]) throws(ActionError) {
        let schema = kind.schema
        for name in given.keys where !schema.contains(where: { $0.wireName == name }) {
            throw ActionError(kind: kind, field: name, problem: .unknownField)
        }
        try self.init(kind: kind, language: language, values: schema.map { given[$0.wireName] })
    }

    /// Validates `values`, one per field of `kind`'s schema in schema order (nil or
    /// `.null`: not given), and fills the schema's defaults.
    ///
    /// - Throws: ``ActionError`` naming the field: wrong type, missing.
    public init(kind: ActionKind, language: String?, values: [WireValue?]) throws(ActionError) {
        let built = values.withUnsafeBufferPointer { buffer in
            Result { () throws(ActionError) in try IVRAction(kind: kind, language: language, valueBuffer: buffer) }
        }
        self = try built.get()
    }

    /// ``init(kind:language:values:)`` over values held elsewhere (a constructor's, on its stack).
    package init(kind: ActionKind, language: String?, valueBuffer values: UnsafeBufferPointer<WireValue?>) throws(ActionError) {
        let schema = kind.schema
        var fields: [WireMember] = []
        fields.reserveCapacity(schema.count)
        for (i, spec) in schema.enumerated() {
            var value = i < values.count ? values[i] : nil
            if case .null? = value { value = nil }
            value = value ?? spec.defaultValue
            guard let value else {
                if spec.mandatory { throw ActionError(kind: kind, field: spec.wireName, problem: .missing) }
                continue
            }
            guard Self.conforms(value, to: spec.type) else {
                throw ActionError(kind: kind, field: spec.wireName, problem: .wrongType(spec.type))
            }
            fields.append(WireMember(spec.wireName, value))
        }
        let needsLanguage = !kind.isLayerAction
        self.kind = kind
        self.language = needsLanguage ? (language ?? IVRDefaults.language) : language
        self.fields = fields
    }

    /// The value of a field by wire name, if set.
    public subscript(_ wireName: String) -> WireValue? {
        fields.first(where: { $0.name == wireName })?.value
    }

    /// Whether `value` has the wire shape `type` demands.
    static func conforms(_ value: WireValue, to type: FieldType) -> Bool {
        switch (type, value) {
        case (.string, .string), (.int, .int): return true
        case (.yesNo, .string(let s)): return s == "yes" || s == "no"
        case (.stringList, .array(let items)):
            return items.allSatisfy { if case .string = $0 { return true } else { return false } }
        case (.customData, .structure(let members)):
            return members.allSatisfy { if case .string = $0.value { return true } else { return false } }
        case (.targets, .array(let items)):
            return !items.isEmpty && items.allSatisfy { item in
                guard case .structure(let m) = item, m.count == 2,
                      case .string? = item[member: "TARGET"],
                      case .string(let type)? = item[member: "TYPE"] else { return false }
                return type == "PHONE" || type == "EXTENSION"
            }
        case (.sayDigitsData, .array(let items)):
            return items.allSatisfy { item in
                guard case .structure(let m) = item, m.count == 2,
                      case .string(let type)? = item[member: "RecordType"],
                      case .string? = item[member: "Content"] else { return false }
                return ["Recording", "Digits", "Number", "Date", "DateTime"].contains(type)
            }
        default: return false
        }
    }
}

/// Why a set of fields is not a valid action.
public struct ActionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        case unknownField
        case missing
        case wrongType(FieldType)
    }

    public var kind: ActionKind
    /// The wire name of the field at fault.
    public var field: String
    public var problem: Problem

    public var description: String {
        let key = field.lowercased()
        switch problem {
        case .unknownField: return "ivr.\(kind.constructorName): unknown key '\(key)'"
        case .missing: return "ivr.\(kind.constructorName): missing mandatory key '\(key)'"
        case .wrongType(let type): return "ivr.\(kind.constructorName): '\(key)' must be \(type.phrase)"
        }
    }
}

extension FieldType {
    /// How this type is described in an operator's error message.
    public var phrase: String {
        switch self {
        case .string: return "a string"
        case .int: return "an integer"
        case .stringList: return "a list of strings"
        case .targets: return "a non-empty list of targets (a string, or {target=, type='PHONE'|'EXTENSION'})"
        case .customData: return "a table of string keys and string values"
        case .sayDigitsData: return "a list of {record_type='Recording'|'Digits'|'Number'|'Date'|'DateTime', content=string}"
        case .yesNo: return "a boolean, or 'yes' or 'no'"
        }
    }
}
