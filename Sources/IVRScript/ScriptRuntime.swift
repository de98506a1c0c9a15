import CLua
import CLuaShims
import IVRState
import IVRWire
import Logging

/// One sandboxed `lua_State` and what is loaded in it, per bundle version.
///
/// Owned by a ``ScriptWorker``, used by one thread. It is the `owner` the C
/// callbacks get back (unretained): it outlives its `lua_State`, which its
/// `deinit` closes. A worker drops its runtime and makes a new one when the
/// state cannot recover (memory still full after a collection).
final class ScriptRuntime {
    let lua: LuaState
    let limits: ScriptLimits
    let logger: Logger
    /// What is loaded, per bundle version.
    var versions: [Int: LoadedVersion] = [:] {
        didSet { lastRoute = nil }
    }
    /// The route served last (version, name): a request usually finds its route here, with no hashing.
    var lastRoute: (version: Int, name: String, route: LoadedRoute)?
    /// The request being served (for `ivr.call` defaults and log metadata); nil at load time.
    var current: CallContext?
    /// The route whose script or handler is running (log metadata).
    var currentRoute: String?
    /// Set when the state should be replaced after the current entry point returns.
    var needsReplacement = false
    /// The request's deadline (``ScriptClock``, 0: none): runs stop there even with budget left.
    var requestDeadline: Int64 = 0

    init?(limits: ScriptLimits, logger: Logger, interrupter: ScriptInterrupter, clockOverride: Double?) {
        var callbacks = Self.callbacks
        guard let L = ivr_state_open(&callbacks, interrupter.cell, max(0, limits.memoryBytes)) else { return nil }
        self.lua = LuaState(L)
        self.limits = limits
        self.logger = logger
        ivr_set_owner(L, Unmanaged.passUnretained(self).toOpaque())
        setClock(clockOverride)
        for (index, kind) in ActionKind.allCases.enumerated() {
            ivr_register_constructor(L, kind.constructorName, Int32(index))
        }
    }

    deinit {
        ivr_state_close(lua.L)
    }

    func setClock(_ unixTime: Double?) {
        ivr_set_clock_override(lua.L, unixTime == nil ? 0 : 1, unixTime ?? 0)
    }

    var memoryUsed: Int { ivr_memory_used(lua.L) }

    /// The runtime a callback's `owner` points at.
    static func from(_ owner: UnsafeMutableRawPointer?) -> ScriptRuntime? {
        owner.map { Unmanaged<ScriptRuntime>.fromOpaque($0).takeUnretainedValue() }
    }

    // MARK: Running script code

    /// Runs `msgh, function, args` (the top `nargs + 2` slots) under the budgets.
    /// On success the results replace them above `msgh`; on failure `msgh` is popped
    /// too and the failure returned.
    func run(nargs: Int32, nresults: Int32) -> ScriptFailure? {
        let status = ivr_run_until(lua.L, nargs, nresults, limits.timeoutNanoseconds, requestDeadline)
        guard status != LUA_OK else { return nil }
        let failure = failure(status: status)
        lua.pop(2)
        if failure.reason == .memory { recoverMemory() }
        return failure
    }

    /// The failure of a run that returned `status`, from the message at the top.
    private func failure(status: Int32) -> ScriptFailure {
        var message = lua.string(at: -1) ?? "(error object is a \(lua.typeName(at: -1)) value)"
        ivr_push_traceback(lua.L)
        let traceback = lua.string(at: -1)
        lua.pop()
        let reason: FallbackReason
        // A stopped run may surface as a memory error (the allocator refuses once it must stop).
        switch ivr_last_fired(lua.L) {
        case Int32(IVR_FIRED_DEADLINE):
            reason = .deadline
            if !message.contains("deadline passed") { message = "script interrupted: the request's deadline passed" }
        case Int32(IVR_FIRED_TIMEOUT):
            reason = .timeout
            if !message.contains("time budget") {
                message = "script ran out of its time budget (\(limits.timeoutNanoseconds / 1_000_000) ms)"
            }
        default:
            let refused = ivr_last_memory_refused(lua.L) != 0
            if status == LUA_ERRMEM || (refused && (status == LUA_ERRERR || message.contains("not enough memory"))) {
                reason = .memory
            } else {
                reason = .error
            }
        }
        return ScriptFailure(reason: reason, message: message, traceback: traceback)
    }

    /// After a memory failure: collect, and ask for a fresh state if memory stays high.
    private func recoverMemory() {
        _ = ivr_gc_collect(lua.L)
        if memoryUsed > limits.memoryBytes / 4 * 3 { needsReplacement = true }
    }
}

/// What one bundle version has loaded in a state.
struct LoadedVersion {
    let bundle: ScriptBundle
    /// Registry reference of the version record `{modules=, loading=}`.
    let recordRef: Int32
    var routes: [String: RouteSlot] = [:]
}

/// A route of a loaded version: loaded, or failed for good (a compile or top-level error).
enum RouteSlot {
    case loaded(LoadedRoute)
    case failed(ScriptFailure)
}

/// A loaded route: its record in the registry and its prepared `fallback`.
struct LoadedRoute {
    /// Registry reference of the route record, indexed by ``RouteRecord``.
    let ref: Int32
    /// The global `fallback` when it is a plain action (built at load).
    let staticFallback: IVRAction?
}

/// Slots of a route record: the frozen globals and the handlers read from them at load.
enum RouteRecord: Int64, CaseIterable {
    case globals = 1
    case onStart, onInput, menus, onLayer, onHangup, fallback

    /// The global this slot holds (nil for the globals table itself).
    var globalName: String? {
        switch self {
        case .globals: return nil
        case .onStart: return "on_start"
        case .onInput: return "on_input"
        case .menus: return "menus"
        case .onLayer: return "on_layer"
        case .onHangup: return "on_hangup"
        case .fallback: return "fallback"
        }
    }
}
