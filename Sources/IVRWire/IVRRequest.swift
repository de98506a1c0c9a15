/// The two wire formats Voicenter speaks. A reply always uses the request's.
public enum WireFormat: String, Sendable, Equatable {
    case xml
    case json

    /// The `Content-Type` of a reply in this format.
    public var contentType: String {
        switch self {
        case .xml: return "text/xml; charset=utf-8"
        case .json: return "application/json; charset=utf-8"
        }
    }
}

/// The methods Voicenter POSTs to an external IVR URL.
public enum IVRMethod: String, Sendable, Equatable, CaseIterable {
    /// Chapter 5.1: which action to take next.
    case getIVRAction = "GET_IVR_ACTION"
    /// Chapter 12: digits entered in an IVR layer attached to the URL.
    case layerInput = "IVR_LAYER_INPUT"
    /// Chapter 5.2: the call has ended.
    case hangupCall = "HANGUP_CALL"
}

/// One decoded Voicenter request.
public struct IVRRequest: Sendable, Equatable {
    public var method: IVRMethod
    public var format: WireFormat
    /// Every field as received, keyed by its wire name.
    public let fields: [String: WireValue]
    /// `IVR_UNIQUE_ID`, the call's key ("" if absent; decoders refuse that).
    public let callID: String
    /// The fields every handler's `call` table carries, read once at decoding
    /// (strings, coerced; "" when absent): `DID`, `CALLER_ID`, `CALLER_NAME`,
    /// and for GET_IVR_ACTION and IVR_LAYER_INPUT `DTMF`, `MENU`, `PREVIOUS_MENU`.
    public let did: String, callerID: String, callerName: String
    public let dtmf: String, menu: String, previousMenu: String

    public init(method: IVRMethod, format: WireFormat, fields: [String: WireValue]) {
        self.method = method
        self.format = format
        self.fields = fields
        func text(_ name: String) -> String { fields[name]?.coercedString ?? "" }
        callID = text("IVR_UNIQUE_ID")
        did = text("DID")
        callerID = text("CALLER_ID")
        callerName = text("CALLER_NAME")
        dtmf = method == .hangupCall ? "" : text("DTMF")
        menu = method == .getIVRAction ? text("MENU") : ""
        previousMenu = method == .getIVRAction ? text("PREVIOUS_MENU") : ""
    }

    /// A string field, coerced from an int when needed; "" when absent or nil.
    public func string(_ name: String) -> String {
        fields[name]?.coercedString ?? ""
    }

    /// An integer field, coerced from a string such as `"5"`; nil when absent or not a number.
    public func int(_ name: String) -> Int64? {
        fields[name]?.coercedInt
    }
}
