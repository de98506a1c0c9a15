/// What the engine answers to one request, before encoding.
public enum IVRReply: Sendable, Equatable {
    /// An action with its `STATUS` (0, or 1 for the built-in fallback).
    case action(IVRAction, status: Int64)
    /// A bare `{"STATUS": n}`: the HANGUP_CALL acknowledgement (0) or a layer error (1).
    case status(Int64)

    /// The built-in answer when no script action can be had (lua-api.md "Fallback").
    public static func builtinFallback(for method: IVRMethod, language: String) -> IVRReply {
        switch method {
        case .getIVRAction:
            // STATUS 1, ACTION HANGUP, LANGUAGE <--language>, DATA {}: HANGUP has no mandatory field.
            if let hangup = try? IVRAction(kind: .hangup, language: language, fields: [:]) {
                return .action(hangup, status: 1)
            }
            return .status(1)
        case .layerInput: return .status(1)
        case .hangupCall: return .status(0)
        }
    }

    /// The reply as one ordered wire structure, the same for both formats.
    ///
    /// GET_IVR_ACTION actions: `STATUS, ACTION, LANGUAGE, DATA{...}`;
    /// layer actions: `STATUS, ACTION` then their fields at top level.
    public var wireValue: WireValue {
        switch self {
        case .status(let status):
            return .structure([WireMember("STATUS", .int(status))])
        case .action(let action, let status):
            var members = [WireMember("STATUS", .int(status)), WireMember("ACTION", .string(action.kind.wireName))]
            if action.kind.isLayerAction {
                if let language = action.language { members.append(WireMember("LANGUAGE", .string(language))) }
                members.append(contentsOf: action.fields)
            } else {
                members.append(WireMember("LANGUAGE", .string(action.language ?? IVRDefaults.language)))
                members.append(WireMember("DATA", .structure(action.fields)))
            }
            return .structure(members)
        }
    }
}
