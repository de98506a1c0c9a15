import IVRWire

/// Where a call waits for the caller's digits.
public enum CallPrompt: Sendable, Equatable, CustomStringConvertible {
    /// A menu the engine handed out (MENU's and SAYDIGITS's `MENU`, CALL's `NEXT_MENU`).
    case menu(String)
    /// A Voicenter IVR layer (the start layer, GO_TO_LAYER's `LAYER`, SAY_DIGITS's `NEXT_LAYER`).
    case layer(Int64)

    public var description: String {
        switch self {
        case .menu(let name): return "menu \(name)"
        case .layer(let id): return "layer \(id)"
        }
    }
}

/// What a reply does to the call.
public enum CallNext: Sendable, Equatable {
    /// The caller is asked for digits there.
    case prompt(CallPrompt)
    /// A CALL or DIAL to `target`; if the transfer fails, Voicenter comes back at
    /// `failsTo` (CALL's `NEXT_MENU`; nil: the call ends).
    case transfer(target: String, failsTo: CallPrompt?)
    /// HANGUP, VO, SILENTRECORD, a bare `STATUS`, a refused request: the call is over.
    case ended
}

/// HANGUP_CALL's details; what is not given is derived from the call.
public struct CallHangup: Sendable, Equatable {
    /// `CALL_STATUS`: `ANSWER`, or `CANCEL` when the caller hung up first.
    public var callStatus: String
    /// `TARGET`: the number the call was transferred to, if any.
    public var target: String
    public var callDuration: Int64?
    public var callDialTime: Int64?
    public var callTimeEpoch: Int64?
    public var callStartEpoch: Int64?

    public init(callStatus: String = "ANSWER", target: String = "", callDuration: Int64? = nil,
                callDialTime: Int64? = nil, callTimeEpoch: Int64? = nil, callStartEpoch: Int64? = nil) {
        self.callStatus = callStatus
        self.target = target
        self.callDuration = callDuration
        self.callDialTime = callDialTime
        self.callTimeEpoch = callTimeEpoch
        self.callStartEpoch = callStartEpoch
    }
}

/// One model of a Voicenter call, for every tool that plays calls (`simulate`,
/// `ivr-engine test`, `check`): the fields of each request, and how a reply moves
/// the call on. No engine and no I/O: it builds requests and reads replies.
///
/// * GET_IVR_ACTION: the first has `MENU "-1"`, no digits; each next one carries
///   the digits, `MENU` = the menu the last reply handed out (MENU's and
///   SAYDIGITS's `MENU`; CALL's `NEXT_MENU`, where Voicenter comes back when the
///   transfer fails) and `PREVIOUS_MENU` = the `MENU` of the request before.
/// * IVR_LAYER_INPUT: `LAYER_ID` as given, `PREVIOUS_LAYER_ID` the one before (-1 first).
/// * HANGUP_CALL: `CALL_START_EPOCH` = the call's first request, `CALL_DURATION` the time since.
///
/// Menu names are read as text whether the reply carries a string or an int.
public struct CallModel: Sendable {
    public let id: String
    public let route: String
    public let format: WireFormat
    public let did: String
    public let callerID: String
    public let callerName: String
    /// `MENU` of the last GET_IVR_ACTION sent: the next one's `PREVIOUS_MENU`.
    public private(set) var sentMenu = "-1"
    /// The menu a press answers next: the last one a reply handed out.
    public private(set) var handedMenu: String?
    /// `LAYER_ID` of the last IVR_LAYER_INPUT sent: the next one's `PREVIOUS_LAYER_ID`.
    public private(set) var sentLayer: Int64 = -1
    /// Unix time of the call's first request.
    public private(set) var startEpoch: Int64?

    public init(id: String, route: String = CallDefaults.route, format: WireFormat = CallDefaults.format,
                did: String = CallDefaults.did, callerID: String = CallDefaults.callerID,
                callerName: String = CallDefaults.callerName) {
        self.id = id
        self.route = route
        self.format = format
        self.did = did
        self.callerID = callerID
        self.callerName = callerName
    }

    /// The first GET_IVR_ACTION: `MENU "-1"`, no digits.
    public mutating func start(now: Int64) -> [WireMember] {
        noteStart(now)
        sentMenu = "-1"
        return menuFields(dtmf: "", menu: "-1", previous: "-1")
    }

    /// A GET_IVR_ACTION with the caller's `digits` at `menu`, or at the menu handed out
    /// last; nil when there is neither (the call has not been handed a menu).
    public mutating func press(_ digits: String, menu: String? = nil, now: Int64) -> [WireMember]? {
        guard let at = menu ?? handedMenu else { return nil }
        noteStart(now)
        let fields = menuFields(dtmf: digits, menu: at, previous: sentMenu)
        sentMenu = at
        return fields
    }

    /// An IVR_LAYER_INPUT: the caller's `digits` in layer `layer`.
    public mutating func layer(_ layer: Int64, digits: String, now: Int64) -> [WireMember] {
        noteStart(now)
        let fields = [WireMember("DID", .string(did)), WireMember("CALLER_ID", .string(callerID)),
                      WireMember("IVR_UNIQUE_ID", .string(id)), WireMember("DTMF", .string(digits)),
                      WireMember("LAYER_ID", .int(layer)), WireMember("PREVIOUS_LAYER_ID", .int(sentLayer))]
        sentLayer = layer
        return fields
    }

    /// The HANGUP_CALL.
    public mutating func hangup(_ details: CallHangup = CallHangup(), now: Int64) -> [WireMember] {
        noteStart(now)
        let end = details.callTimeEpoch ?? now
        let start = details.callStartEpoch ?? startEpoch ?? end
        return [WireMember("DID", .string(did)), WireMember("CALLER_ID", .string(callerID)),
                WireMember("IVR_UNIQUE_ID", .string(id)), WireMember("TARGET", .string(details.target)),
                WireMember("CALL_TIME_EPOCH", .int(end)), WireMember("CALL_START_EPOCH", .int(start)),
                WireMember("CALL_DURATION", .int(details.callDuration ?? max(0, end - start))),
                WireMember("CALL_DAILTIME", .int(details.callDialTime ?? 0)),
                WireMember("CALL_STATUS", .string(details.callStatus))]
    }

    /// Notes what `reply` hands out (the menu a press answers next) and says what it does to the call.
    /// `reply` nil: the request was refused (an HTTP error), which ends the call.
    @discardableResult
    public mutating func follow(_ reply: IVRReply?) -> CallNext {
        guard case .action(let action, _)? = reply else { return .ended }
        let text = { (name: String) -> String? in action[name]?.coercedString }
        switch action.kind {
        case .menu, .sayDigits:
            guard let menu = text("MENU"), !menu.isEmpty else { return .ended }
            handedMenu = menu
            return .prompt(.menu(menu))
        case .call:
            var failsTo: CallPrompt?
            if let next = text("NEXT_MENU"), !next.isEmpty {
                handedMenu = next
                failsTo = .menu(next)
            }
            return .transfer(target: text("TARGET") ?? "", failsTo: failsTo)
        case .goToLayer:
            return action["LAYER"]?.coercedInt.map { .prompt(.layer($0)) } ?? .ended
        case .layerSayDigits:
            return action["NEXT_LAYER"]?.coercedInt.map { .prompt(.layer($0)) } ?? .ended
        case .dial:
            guard case .array(let targets)? = action["TARGETS"] else { return .ended }
            return .transfer(target: targets.first?[member: "TARGET"]?.coercedString ?? "", failsTo: nil)
        case .vo, .hangup, .silentRecord:
            return .ended
        }
    }

    private mutating func noteStart(_ now: Int64) {
        if startEpoch == nil { startEpoch = now }
    }

    private func menuFields(dtmf: String, menu: String, previous: String) -> [WireMember] {
        [WireMember("DID", .string(did)), WireMember("CALLER_ID", .string(callerID)),
         WireMember("CALLER_NAME", .string(callerName)), WireMember("IVR_UNIQUE_ID", .string(id)),
         WireMember("DTMF", .string(dtmf)), WireMember("MENU", .string(menu)), WireMember("PREVIOUS_MENU", .string(previous))]
    }
}
