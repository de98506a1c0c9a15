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

    /// `allCases`, made once (`allCases` makes a new array each time it is read).
    public static let cases = allCases
}

/// One decoded Voicenter request. Immutable, and a class so that passing it
/// along the pipeline (call context, result, log) shares it instead of
/// retaining each of its strings again.
public final class IVRRequest: Sendable, Equatable {
    public let method: IVRMethod
    public let format: WireFormat
    /// Every field as received, by its wire name.
    public var fields: RequestFields {
        switch storage {
        case .fields(let fields): return fields
        case .json(let json): return RequestFields(json.wireMembers)
        }
    }

    /// Where the fields are: decoded values, or places in a JSON body read when asked for.
    private enum Storage: Sendable {
        case fields(RequestFields)
        case json(JSONRequestFields)
    }
    private let storage: Storage
    /// `IVR_UNIQUE_ID`, the call's key ("" if absent; decoders refuse that).
    public let callID: String

    /// The fields every handler's `call` table carries (strings, coerced; ""
    /// when absent): `DID`, `CALLER_ID`, `CALLER_NAME`, and for GET_IVR_ACTION
    /// and IVR_LAYER_INPUT `DTMF`, `MENU`, `PREVIOUS_MENU`. Read from the fields
    /// when asked for (a handler reads few of them).
    public var did: String { string("DID") }
    public var callerID: String { string("CALLER_ID") }
    public var callerName: String { string("CALLER_NAME") }
    public var dtmf: String { method == .hangupCall ? "" : string("DTMF") }
    public var menu: String { method == .getIVRAction ? string("MENU") : "" }
    public var previousMenu: String { method == .getIVRAction ? string("PREVIOUS_MENU") : "" }

    public convenience init(method: IVRMethod, format: WireFormat, fields: [String: WireValue]) {
        self.init(method: method, format: format, fields: RequestFields(fields))
    }

    public static func == (a: IVRRequest, b: IVRRequest) -> Bool {
        a === b || (a.method == b.method && a.format == b.format && a.fields == b.fields)
    }

    public convenience init(method: IVRMethod, format: WireFormat, fields: RequestFields) {
        self.init(method: method, format: format, fields: fields, callID: fields["IVR_UNIQUE_ID"]?.coercedString ?? "")
    }

    /// A request whose `IVR_UNIQUE_ID` the decoder has already read.
    init(method: IVRMethod, format: WireFormat, fields: RequestFields, callID: String) {
        self.method = method
        self.format = format
        self.storage = .fields(fields)
        self.callID = callID
    }

    /// A JSON request whose fields stay in its body until asked for.
    init(method: IVRMethod, json: JSONRequestFields, callID: String) {
        self.method = method
        self.format = .json
        self.storage = .json(json)
        self.callID = callID
    }

    /// The value of the field `name`, if it was sent (the last one when repeated).
    public func value(_ name: String) -> WireValue? {
        switch storage {
        case .fields(let fields): return fields[name]
        case .json(let json): return json.value(named: name)
        }
    }

    /// A string field, coerced from an int when needed; "" when absent or nil.
    public func string(_ name: String) -> String {
        value(name)?.coercedString ?? ""
    }

    /// An integer field, coerced from a string such as `"5"`; nil when absent or not a number.
    public func int(_ name: String) -> Int64? {
        value(name)?.coercedInt
    }
}

/// A request's fields, by wire name, in the order they arrived; each name once
/// (a repeated name keeps its first position and its last value).
///
/// A small array, not a dictionary: a Voicenter request has about eight
/// fields, which a scan finds faster than hashing would.
public struct RequestFields: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var members: [WireMember]

    /// The fields of `members`, a repeated name keeping its last value.
    public init(_ members: [WireMember]) {
        if members.count <= 32, Self.namesAreUnique(members) {
            self.members = members  // the common case: nothing to merge, nothing to copy
            return
        }
        var unique: [WireMember] = []
        unique.reserveCapacity(members.count)
        if members.count <= 32 {
            for member in members {
                if let i = unique.firstIndex(where: { $0.name == member.name }) {
                    unique[i].value = member.value
                } else {
                    unique.append(member)
                }
            }
        } else {
            var position: [String: Int] = [:]
            for member in members {
                if let i = position[member.name] {
                    unique[i].value = member.value
                } else {
                    position[member.name] = unique.count
                    unique.append(member)
                }
            }
        }
        self.members = unique
    }

    /// Whether no name appears twice in a short list (compared pairwise: no
    /// hashing; names of different lengths are not compared at all).
    private static func namesAreUnique(_ members: [WireMember]) -> Bool {
        // Each name's length (its low byte: only a filter), for at most 32 names.
        var lengths: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &lengths) { raw in
            let count = members.count
            guard count <= raw.count else { return false }
            for i in 0..<count { raw[i] = UInt8(truncatingIfNeeded: members[i].name.utf8.count) }
            for i in 0..<count {
                var j = i + 1
                while j < count {
                    if raw[j] == raw[i], members[j].name == members[i].name { return false }
                    j += 1
                }
            }
            return true
        }
    }

    public init(_ dictionary: [String: WireValue]) {
        members = dictionary.sorted { $0.key < $1.key }.map { WireMember($0.key, $0.value) }
    }

    public init(dictionaryLiteral elements: (String, WireValue)...) {
        self.init(elements.map { WireMember($0.0, $0.1) })
    }

    /// The value of the field `name`, if it was sent.
    public subscript(_ name: String) -> WireValue? {
        // Lengths first: a name is compared only with names as long as it.
        let length = name.utf8.count
        for member in members where member.name.utf8.count == length && member.name == name { return member.value }
        return nil
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    public func makeIterator() -> some IteratorProtocol<(key: String, value: WireValue)> {
        members.lazy.map { (key: $0.name, value: $0.value) }.makeIterator()
    }
}

extension RequestFields: Equatable {
    /// The same names with the same values, in any order.
    public static func == (a: RequestFields, b: RequestFields) -> Bool {
        a.count == b.count && a.members.allSatisfy { b[$0.name] == $0.value }
    }
}
