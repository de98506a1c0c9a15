import IVRState
import IVRWire

/// The budgets and defaults every script runs under.
public struct ScriptLimits: Sendable {
    /// Lua time per request (`--script-timeout`): the handler gets this much,
    /// a script's top-level load gets its own, and so does a `fallback` function.
    public var timeout: Duration
    /// Memory cap of one `lua_State` (`--script-memory`), enforced while script code runs.
    public var memoryBytes: Int
    /// `LANGUAGE` of actions that do not set `language` (`--language`).
    public var language: String

    public init(timeout: Duration = .milliseconds(1000), memoryBytes: Int = 64 << 20, language: String = IVRDefaults.language) {
        self.timeout = timeout
        self.memoryBytes = memoryBytes
        self.language = language
    }

    /// The timeout in nanoseconds, at least 1.
    package var timeoutNanoseconds: Int64 {
        let (seconds, attoseconds) = timeout.components
        let ns = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !ns.overflow else { return .max }
        let total = ns.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
        return total.overflow ? .max : max(1, total.partialValue)
    }
}

/// What one request gives the script besides its state.
public struct CallContext: Sendable {
    public var request: IVRRequest
    /// The script's NAME (`POST /NAME`; `main` for `POST /`).
    public var route: String
    /// 1 for the call's first request, then 2, 3, ...
    public var seq: Int

    public init(request: IVRRequest, route: String, seq: Int) {
        self.request = request
        self.route = route
        self.seq = seq
    }
}

/// Why a request took the fallback path.
public enum FallbackReason: String, Sendable, CaseIterable {
    /// A Lua error (in the handler, at load, or converting `call.state`).
    case error
    /// The time budget ran out.
    case timeout
    /// The memory cap was hit.
    case memory
    /// The handler returned something that is not an action of the right kind.
    case invalidAction = "invalid_action"
    /// No handler for the request (or no script for the route).
    case noHandler = "no_handler"
    /// The engine interrupted the script at the request's deadline.
    case deadline
    /// The call's state could not be loaded or saved in time (a shared store unreachable or slow).
    case state
    /// The call made more than `--max-steps` requests; no handler ran.
    case maxSteps = "max_steps"
    /// The request would have started a call while `--max-calls` calls hold state; no handler ran, no state kept.
    case maxCalls = "max_calls"
}

/// A failed script run: why, where, and the Lua traceback when there was one.
public struct ScriptFailure: Error, Sendable, CustomStringConvertible {
    public var reason: FallbackReason
    /// The message, `file:line:` first when known: `"sample-menus/main.lua:12: attempt to ..."`.
    public var message: String
    /// The Lua traceback when there was one.
    public var traceback: String?

    public init(reason: FallbackReason, message: String, traceback: String? = nil) {
        self.reason = reason
        self.message = message
        self.traceback = traceback
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}

/// The outcome of one request's handler.
public struct ScriptResult: Sendable {
    /// `.success(action)` for GET_IVR_ACTION and IVR_LAYER_INPUT (an action of the
    /// right kind, validated); `.success(nil)` for HANGUP_CALL after `on_hangup` ran
    /// fine or did not exist; `.failure` when the request must take the fallback
    /// path (for HANGUP_CALL: `on_hangup` failed; the engine logs and acks anyway).
    public var outcome: Result<IVRAction?, ScriptFailure>
    /// `call.state` after the handler on success; the state given otherwise.
    public var state: StateTable

    public init(outcome: Result<IVRAction?, ScriptFailure>, state: StateTable) {
        self.outcome = outcome
        self.state = state
    }
}
