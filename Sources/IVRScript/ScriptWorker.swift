import CLuaShims
import IVRState
import IVRWire
import Logging

/// Runs operators' Lua scripts: owns one sandboxed `lua_State`.
///
/// Not thread-safe and not `Sendable`: one thread creates and uses it (the
/// engine keeps one per thread that serves requests). Only ``interrupter`` may be used from
/// other threads.
///
/// - Loading: a route's script is loaded into the state on first use, per bundle
///   version (``ScriptBundle/version``); its top level runs once per state, so
///   with several workers it runs once in each. Modules are cached per version
///   per state. ``retainOnly(versions:)`` drops the others.
/// - Globals: frozen after the top level ran; a handler assigning one gets an
///   error pointing at `call.state`. Module-level locals and tables stay mutable.
/// - Budgets: the top-level load, the handler and a `fallback` function each get
///   ``ScriptLimits/timeout``; memory is capped per state while script code runs.
///   When the state cannot recover from a memory failure (still over three
///   quarters of the cap after a full collection), it is replaced by a fresh one
///   and scripts load again on demand.
/// - Lua errors never cross a Swift frame: Swift calls into Lua only through a
///   protected call or with memory enforcement off, and Swift callbacks return a
///   status that a C trampoline turns into the Lua error.
public final class ScriptWorker {
    public let limits: ScriptLimits
    private let logger: Logger
    /// A handle another thread may use to abort the request this worker is running.
    public let interrupter = ScriptInterrupter()
    private var runtime: ScriptRuntime?

    /// When set, `ivr.now()`, `os.time()` (no argument) and `os.date()` (no time
    /// argument) use this Unix time instead of the real clock.
    public var clockOverride: Double? {
        didSet { runtime?.setClock(clockOverride) }
    }

    public init(limits: ScriptLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
        self.runtime = ScriptRuntime(limits: limits, logger: logger, interrupter: interrupter, clockOverride: nil)
    }

    deinit {
        // Close the state while the interrupt cell it points at is certainly alive.
        runtime = nil
    }

    /// Runs the handler that lua-api.md's dispatch table picks for `call.request.method`,
    /// from the script of `call.route` in `bundle`.
    ///
    /// `deadline` (``ScriptClock`` nanoseconds, 0: none) stops the handler there even
    /// with time budget left; it then fails with ``FallbackReason/deadline``.
    public func handle(_ call: CallContext, state: StateTable, bundle: ScriptBundle, deadline: Int64 = 0) -> ScriptResult {
        serve(deadline: deadline, orElse: ScriptResult(outcome: .failure(Self.noState), state: state)) {
            $0.handle(call, state: state, bundle: bundle)
        }
    }

    /// The fallback path, step 1: the script's global `fallback` (an action, or
    /// `function(call, err)` returning one, run under fresh budgets with `state` as it
    /// was before the request; nothing it changes is saved). Nil when there is none,
    /// it fails, or its action is of the wrong kind for the request (the engine then
    /// uses `IVRReply.builtinFallback`).
    public func fallback(_ call: CallContext, state: StateTable, bundle: ScriptBundle,
                         failure: ScriptFailure, deadline: Int64 = 0) -> IVRAction? {
        serve(deadline: deadline, orElse: nil) { $0.fallback(call, state: state, bundle: bundle, failure: failure) }
    }

    /// A route's `fallback` when it is a plain action (built when the script loaded)
    /// of the right kind for `method`: what the deadline path sends from another
    /// thread. Loads the route if needed.
    public func staticFallback(route: String, method: IVRMethod, bundle: ScriptBundle) -> IVRAction? {
        serve(orElse: nil) { $0.staticFallback(route: route, method: method, bundle: bundle) }
    }

    /// Loads every route of `bundle` (compile and top-level run, under the budgets) and
    /// compiles every other `*.lua` file; returns one failure per broken file, its
    /// message `"path:line: message"`.
    public func preload(_ bundle: ScriptBundle) -> [ScriptFailure] {
        serve(orElse: [Self.noState]) { $0.preload(bundle) }
    }

    /// Drops the loaded versions not in `versions`, for the garbage collector to reclaim.
    public func retainOnly(versions: Set<Int>) {
        runtime?.retainOnly(versions)
    }

    /// Bytes the Lua state holds now.
    public var memoryInUse: Int { runtime?.memoryUsed ?? 0 }

    /// Runs `body` on the state (making one if needed) while the interrupter is armed.
    private func serve<T>(deadline: Int64 = 0, orElse fallback: T, _ body: (ScriptRuntime) -> T) -> T {
        if runtime == nil {
            runtime = ScriptRuntime(limits: limits, logger: logger, interrupter: interrupter, clockOverride: clockOverride)
        }
        guard let runtime else { return fallback }
        interrupter.begin()
        runtime.requestDeadline = deadline
        defer {
            runtime.requestDeadline = 0
            interrupter.end()
        }
        let result = body(runtime)
        if runtime.needsReplacement {
            logger.info("replacing a Lua state still full after a memory failure",
                        metadata: ["memory": "\(runtime.memoryUsed)"])
            self.runtime = nil
        }
        return result
    }

    private static let noState = ScriptFailure(reason: .memory, message: "could not create a Lua state")
}

/// The monotonic clock of request deadlines (`CLOCK_MONOTONIC`), in nanoseconds.
public enum ScriptClock {
    public static func now() -> Int64 { ivr_monotonic_now() }
}
