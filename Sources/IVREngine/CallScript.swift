import Foundation
import IVRWire

/// Where a call waits for the caller's digits.
public enum CallPrompt: Sendable, Equatable, CustomStringConvertible {
    /// A menu the engine handed out (MENU's `MENU`, SAYDIGITS's `MENU`, CALL's `NEXT_MENU`).
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

/// Plays one call through an ``Engine`` the way Voicenter would: the requests
/// are built with the wire encoders and go through ``Engine/process(route:body:contentType:)``,
/// the same pipeline `serve` runs.
///
/// A menu call starts with GET_IVR_ACTION `MENU "-1"`; after each MENU or
/// SAYDIGITS reply the next request carries the caller's digits for it, `MENU`
/// set to the menu handed out and `PREVIOUS_MENU` to the one before. A layer
/// call (``start`` `.layer(N)`) sends IVR_LAYER_INPUT for layer N and follows
/// GO_TO_LAYER and SAY_DIGITS. HANGUP, CALL, VO, SILENTRECORD, DIAL, a bare
/// `STATUS` reply, a refused request, or digits running out end the call; every
/// call ends with a HANGUP_CALL.
public struct CallScript: Sendable {
    /// How the call begins.
    public enum Start: Sendable, Equatable {
        /// GET_IVR_ACTION with `MENU "-1"`.
        case menu
        /// IVR_LAYER_INPUT for this layer (its first digits come from the caller).
        case layer(Int64)
    }

    /// One request of the call and the engine's answer.
    public struct Step: Sendable {
        /// The raw request body sent.
        public var request: [UInt8]
        public var method: IVRMethod
        /// Where the digits of this request were entered (nil for the first GET_IVR_ACTION and HANGUP_CALL).
        public var prompt: CallPrompt?
        public var result: EngineResult
    }

    public var route: String
    public var format: WireFormat
    public var callID: String
    public var did: String
    public var callerID: String
    public var callerName: String
    public var start: Start
    /// When true, a CALL with a `NEXT_MENU` is taken as a failed transfer and the
    /// call goes on at that menu; otherwise a CALL ends the call (it was answered).
    public var transferFails: Bool

    public init(route: String = "main", format: WireFormat = .json, callID: String = CallScript.newCallID(),
                did: String = "0730000000", callerID: String = "0541234567", callerName: String = "Simulator",
                start: Start = .menu, transferFails: Bool = false) {
        self.route = route
        self.format = format
        self.callID = callID
        self.did = did
        self.callerID = callerID
        self.callerName = callerName
        self.start = start
        self.transferFails = transferFails
    }

    /// A fresh 32-hex-digit call id, the shape of Voicenter's `IVR_UNIQUE_ID`.
    public static func newCallID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// Plays the call. `digits` is asked for the caller's input at each prompt
    /// (nil: the caller hangs up); `onStep` sees each step as soon as it is answered.
    @discardableResult
    public func play(on engine: Engine, digits: (CallPrompt) -> String?,
                     onStep: (Step) -> Void = { _ in }) -> [Step] {
        var steps: [Step] = []
        let startEpoch = Int64(Date().timeIntervalSince1970)
        func send(_ method: IVRMethod, _ fields: [(String, WireValue)], _ prompt: CallPrompt?) -> EngineResult {
            let body = self.body(method, fields)
            let result = engine.process(route: route, body: body, contentType: format.contentType)
            let step = Step(request: body, method: method, prompt: prompt, result: result)
            steps.append(step)
            onStep(step)
            return result
        }
        var end = End.callerHungUp
        switch start {
        case .menu:
            var menu = "-1", previous = "-1", dtmf = "", prompt: CallPrompt?
            while true {
                let result = send(.getIVRAction, menuFields(dtmf: dtmf, menu: menu, previous: previous), prompt)
                let next = next(after: result)
                guard case .go(let at) = next else {
                    if case .over(let reason) = next { end = reason }
                    break
                }
                guard let entered = digits(at) else { break }
                previous = menu
                if case .menu(let name) = at { menu = name }
                (dtmf, prompt) = (entered, at)
            }
        case .layer(let first):
            var layer = first, previous: Int64 = -1, at = CallPrompt.layer(first)
            while let entered = digits(at) {
                let result = send(.layerInput, layerFields(dtmf: entered, layer: layer, previous: previous), at)
                let next = next(after: result)
                guard case .go(let following) = next, case .layer(let id) = following else {
                    if case .over(let reason) = next { end = reason }
                    break
                }
                (previous, layer, at) = (layer, id, following)
            }
        }
        _ = send(.hangupCall, hangupFields(end, startEpoch: startEpoch), nil)
        return steps
    }

    // MARK: - The protocol

    /// How a call ended, for HANGUP_CALL's `TARGET` and `CALL_STATUS`.
    enum End: Equatable {
        /// The caller's digits ran out.
        case callerHungUp
        /// The script ended the call (HANGUP, VO, SILENTRECORD, a status reply, a refused request).
        case ended
        /// A CALL or DIAL connected to this target.
        case transferred(String)
    }

    enum Next: Equatable {
        case go(CallPrompt)
        case over(End)
    }

    /// What follows a reply: digits at a prompt, or the end of the call.
    func next(after result: EngineResult) -> Next {
        guard result.httpStatus == 200, case .action(let action, _)? = result.reply else { return .over(.ended) }
        let text = { (name: String) in action[name]?.coercedString }
        switch action.kind {
        case .menu, .sayDigits:
            return text("MENU").map { .go(.menu($0)) } ?? .over(.ended)
        case .call:
            if transferFails, let next = text("NEXT_MENU"), !next.isEmpty { return .go(.menu(next)) }
            return .over(.transferred(text("TARGET") ?? ""))
        case .goToLayer:
            return action["LAYER"]?.coercedInt.map { .go(.layer($0)) } ?? .over(.ended)
        case .layerSayDigits:
            return action["NEXT_LAYER"]?.coercedInt.map { .go(.layer($0)) } ?? .over(.ended)
        case .dial:
            guard case .array(let targets)? = action["TARGETS"] else { return .over(.ended) }
            return .over(.transferred(targets.first?[member: "TARGET"]?.coercedString ?? ""))
        case .vo, .hangup, .silentRecord:
            return .over(.ended)
        }
    }

    func body(_ method: IVRMethod, _ fields: [(String, WireValue)]) -> [UInt8] {
        let data = WireValue.structure(fields.map { WireMember($0.0, $0.1) })
        switch format {
        case .xml: return XMLRPC.encodeMethodCall(method.rawValue, params: [data])
        case .json: return JSON.encode(.structure([WireMember("METHOD", .string(method.rawValue)), WireMember("DATA", data)]))
        }
    }

    func menuFields(dtmf: String, menu: String, previous: String) -> [(String, WireValue)] {
        [("DID", .string(did)), ("CALLER_ID", .string(callerID)), ("CALLER_NAME", .string(callerName)),
         ("IVR_UNIQUE_ID", .string(callID)), ("DTMF", .string(dtmf)), ("MENU", .string(menu)),
         ("PREVIOUS_MENU", .string(previous))]
    }

    func layerFields(dtmf: String, layer: Int64, previous: Int64) -> [(String, WireValue)] {
        [("DID", .string(did)), ("CALLER_ID", .string(callerID)), ("IVR_UNIQUE_ID", .string(callID)),
         ("DTMF", .string(dtmf)), ("LAYER_ID", .int(layer)), ("PREVIOUS_LAYER_ID", .int(previous))]
    }

    func hangupFields(_ end: End, startEpoch: Int64) -> [(String, WireValue)] {
        let now = Int64(Date().timeIntervalSince1970)
        var target = "", status = "ANSWER"
        switch end {
        case .callerHungUp: status = "CANCEL"
        case .ended: break
        case .transferred(let to): target = to
        }
        return [("DID", .string(did)), ("CALLER_ID", .string(callerID)), ("IVR_UNIQUE_ID", .string(callID)),
                ("TARGET", .string(target)), ("CALL_TIME_EPOCH", .int(now)), ("CALL_START_EPOCH", .int(startEpoch)),
                ("CALL_DURATION", .int(now - startEpoch)), ("CALL_DAILTIME", .int(0)),
                ("CALL_STATUS", .string(status))]
    }
}
