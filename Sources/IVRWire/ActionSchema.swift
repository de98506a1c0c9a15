/// The kinds of action a script can answer with.
public enum ActionKind: String, Sendable, Equatable, CaseIterable {
    // GET_IVR_ACTION replies (chapter 5): fields under DATA.
    case menu = "MENU"
    case sayDigits = "SAYDIGITS"
    case call = "CALL"
    case vo = "VO"
    case hangup = "HANGUP"
    case silentRecord = "SILENTRECORD"
    // IVR_LAYER_INPUT replies (chapter 12): fields at top level.
    case goToLayer = "GO_TO_LAYER"
    case dial = "DIAL"
    case layerSayDigits = "SAY_DIGITS"

    /// `allCases`, made once (`allCases` makes a new array each time it is read).
    public static let cases = allCases

    /// The wire value of `ACTION`.
    public var wireName: String { rawValue }

    /// True for the actions that answer IVR_LAYER_INPUT.
    public var isLayerAction: Bool {
        switch self {
        case .goToLayer, .dial, .layerSayDigits: return true
        default: return false
        }
    }

    /// Whether this kind of action may answer `method`.
    public func answers(_ method: IVRMethod) -> Bool {
        switch method {
        case .getIVRAction: return !isLayerAction
        case .layerInput: return isLayerAction
        case .hangupCall: return false
        }
    }

    /// The name of the `ivr` constructor that builds this kind.
    public var constructorName: String {
        switch self {
        case .menu: return "menu"
        case .sayDigits: return "saydigits"
        case .call: return "call"
        case .vo: return "vo"
        case .hangup: return "hangup"
        case .silentRecord: return "silentrecord"
        case .goToLayer: return "go_to_layer"
        case .dial: return "dial"
        case .layerSayDigits: return "say_digits"
        }
    }

    /// The fields of this action, in the order they are emitted.
    public var schema: [ActionField] { ActionField.schema(for: self) }
}

/// The type a field has on the wire.
public enum FieldType: Sendable, Equatable {
    /// `<string>` / JSON string.
    case string
    /// `<int>` / JSON number, 64-bit.
    case int
    /// An array of strings (`DIALSTRINGS`).
    case stringList
    /// `TARGETS`: an array of `{TARGET: str, TYPE: "PHONE"|"EXTENSION"}`.
    case targets
    /// `CUSTOM_DATA`: a struct/object whose values are strings.
    case customData
    /// SAY_DIGITS `DATA`: an array of `{RecordType: str, Content: str}`.
    case sayDigitsData
    /// `RECORDING`: the string `"yes"` or `"no"`.
    case yesNo
}

/// One field of an action's schema.
public struct ActionField: Sendable, Equatable {
    /// The Voicenter wire name, e.g. `HANGUP_CAUSE`.
    public let wireName: String
    public let type: FieldType
    public let mandatory: Bool
    /// The value used when the script leaves the field out, if any.
    public let defaultValue: WireValue?

    /// The script's key for this field: the wire name in lower case.
    public let scriptName: String

    init(_ wireName: String, _ type: FieldType, mandatory: Bool = false, default defaultValue: WireValue? = nil) {
        self.wireName = wireName
        self.scriptName = wireName.lowercased()
        self.type = type
        self.mandatory = mandatory
        self.defaultValue = defaultValue
    }

    /// The six fields shared by MENU and SAYDIGITS.
    private static let menuFields: [ActionField] = [
        ActionField("REC", .string, mandatory: true),
        ActionField("LOOP", .int, mandatory: true, default: .int(1)),
        ActionField("DELAY", .int, mandatory: true, default: .int(1)),
        ActionField("SIZE", .int, mandatory: true, default: .int(1)),
        ActionField("MENU", .string, mandatory: true),
        ActionField("VALIDATION", .int, mandatory: true, default: .int(0)),
    ]

    private static let menu = menuFields
    private static let sayDigits = menuFields + [
        ActionField("SAYDIGITSRECORD", .string, mandatory: true),
        ActionField("DIGITS", .string, mandatory: true),
    ]
    // CALLERID and CALLERNAME default to the call's caller; the script engine supplies them.
    private static let call: [ActionField] = [
        ActionField("TARGET", .string, mandatory: true),
        ActionField("CALLERID", .string, mandatory: true),
        ActionField("CALLERNAME", .string, mandatory: true),
        ActionField("CALLER_REC", .string),
        ActionField("MOH_CLASS", .string),
        ActionField("TARGET_REC", .string),
        ActionField("CALL_MAX_DIAL", .int, mandatory: true, default: .int(30)),
        ActionField("CALL_MAX", .int, mandatory: true, default: .int(3600)),
        ActionField("NEXT_MENU", .string),
        ActionField("NEXT_MENU_RECORD", .string),
        ActionField("NEXT_MENU_LOOP", .int),
        ActionField("NEXT_MENU_SIZE", .int),
        ActionField("NEXT_MENU_WAIT", .int),
        ActionField("REC_STATUS", .int, mandatory: true, default: .int(0)),
        ActionField("DTMF_PLAY", .string),
        ActionField("DIALSTRINGS", .stringList),
    ]
    private static let vo: [ActionField] = [
        ActionField("LAYER", .int, mandatory: true),
        ActionField("RECORD", .string, mandatory: true),
        ActionField("LOOP", .int, mandatory: true, default: .int(1)),
        ActionField("DELAY", .int, mandatory: true, default: .int(1)),
    ]
    private static let hangup: [ActionField] = [
        ActionField("HANGUP_REC", .string),
        ActionField("HANGUP_CAUSE", .int),
    ]
    private static let silentRecord: [ActionField] = [
        ActionField("REC", .string),
        ActionField("MAXDURATION", .int),
    ]
    private static let goToLayer: [ActionField] = [
        ActionField("LAYER", .int, mandatory: true),
        ActionField("CALLER_NAME", .string),
        ActionField("CUSTOM_DATA", .customData, mandatory: true, default: .structure([])),
    ]
    private static let dial: [ActionField] = [
        ActionField("TARGETS", .targets, mandatory: true),
        ActionField("CALLER_ID", .string),
        ActionField("CALLER_NAME", .string),
        ActionField("MAX_CALL_DURATION", .int),
        ActionField("MAX_DIAL_DURATION", .int),
        ActionField("RECORDING", .yesNo),
        ActionField("NEXT_VO_ID", .int),
        ActionField("ANSWER_NEXT_VO_ID", .int),
        ActionField("UNAVAILABLE_VO_ID", .int),
        ActionField("CUSTOM_DATA", .customData, mandatory: true, default: .structure([])),
    ]
    private static let layerSayDigits: [ActionField] = [
        ActionField("NEXT_LAYER", .int, mandatory: true),
        ActionField("DATA", .sayDigitsData, mandatory: true),
    ]

    /// The schema of `kind`, in emission order.
    public static func schema(for kind: ActionKind) -> [ActionField] {
        switch kind {
        case .menu: return menu
        case .sayDigits: return sayDigits
        case .call: return call
        case .vo: return vo
        case .hangup: return hangup
        case .silentRecord: return silentRecord
        case .goToLayer: return goToLayer
        case .dial: return dial
        case .layerSayDigits: return layerSayDigits
        }
    }
}
