import Foundation
import IVRCallModel
import IVREngine
import IVRWire

/// Plays one call through an ``Engine`` the way Voicenter would (`simulate`): the
/// requests and the way each reply moves the call on are the shared ``CallModel``'s,
/// and they go through the one in-process client (``EngineClient``).
///
/// A menu call starts with GET_IVR_ACTION `MENU "-1"` and goes on at each menu a
/// reply hands out; a layer call (``Start/layer(_:)``) sends IVR_LAYER_INPUT and
/// follows GO_TO_LAYER and SAY_DIGITS. A CALL ends the call (it was answered)
/// unless ``transferFails``: then the call goes on at its `NEXT_MENU`. HANGUP, VO,
/// SILENTRECORD, DIAL, a bare `STATUS` reply, a refused request, or digits running
/// out end the call; every call ends with a HANGUP_CALL.
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

    public init(route: String = CallDefaults.route, format: WireFormat = CallDefaults.format,
                callID: String = CallScript.newCallID(), did: String = CallDefaults.did,
                callerID: String = CallDefaults.callerID, callerName: String = CallDefaults.callerName,
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
        let client = EngineClient(engine: engine)
        var model = CallModel(id: callID, route: route, format: format, did: did, callerID: callerID,
                              callerName: callerName)
        var steps: [Step] = []
        let now = { Int64(Date().timeIntervalSince1970) }
        func send(_ method: IVRMethod, _ fields: [WireMember], _ prompt: CallPrompt?) -> CallNext {
            let (body, result) = client.post(route: route, method: method, format: format, fields: fields)
            let step = Step(request: body, method: method, prompt: prompt, result: result)
            steps.append(step)
            onStep(step)
            return model.follow(result.httpStatus == 200 ? result.reply : nil)
        }
        var hangup = CallHangup(callStatus: "CANCEL")
        var next: CallNext
        var prompt: CallPrompt?
        switch start {
        case .menu: next = send(.getIVRAction, model.start(now: now()), nil)
        case .layer(let first): next = .prompt(.layer(first))
        }
        playing: while true {
            switch next {
            case .prompt(let at):
                prompt = at
            case .transfer(let target, let failsTo?) where transferFails:
                _ = target
                prompt = failsTo
            case .transfer(let target, _):
                hangup = CallHangup(callStatus: "ANSWER", target: target)
                prompt = nil
            case .ended:
                hangup = CallHangup(callStatus: "ANSWER")
                prompt = nil
            }
            guard let at = prompt, let entered = digits(at) else { break playing }
            switch at {
            case .menu(let menu):
                guard let fields = model.press(entered, menu: menu, now: now()) else { break playing }
                next = send(.getIVRAction, fields, at)
            case .layer(let layer):
                next = send(.layerInput, model.layer(layer, digits: entered, now: now()), at)
            }
        }
        _ = send(.hangupCall, model.hangup(hangup, now: now()), nil)
        return steps
    }
}
