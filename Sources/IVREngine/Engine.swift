import Dispatch
import IVRRedisState
import IVRScript
import IVRState
import IVRWire
import Logging
import Synchronization

/// The request pipeline: decode, take the call's turn, run the script, encode,
/// all within the deadline. `serve`, `simulate`, `test` and the tests all go
/// through ``submit(route:body:contentType:completion:)``.
///
/// A request runs to its answer on the thread that submitted it (in `serve`,
/// the HTTP thread that owns the connection), on that thread's own Lua state
/// (``ThreadContext``): no hand-off, no timer, no lock shared by all threads.
/// The deadline holds because nothing in the sandbox runs unbounded: Lua code,
/// allocation, pattern matching and sorting all stop at the request's deadline.
/// A request whose call is busy with an earlier request waits, holding no
/// thread, and runs when that one ends, on the thread that ended it.
public final class Engine: Sendable {
    public let config: EngineConfig
    let store: any CallStore
    /// The store again when it is shared by several instances (Redis): requests then take ``Engine/submitShared``.
    let sharedStore: RedisCallStore?
    let logger: Logger
    let contexts: ThreadContexts
    /// Counters for `GET /metrics`.
    public let metrics: EngineMetrics
    /// The script versions held: the current one and those calls in progress started on.
    let scripts: Mutex<ScriptVersions>
    /// Bumped on every change of ``scripts``, so threads refresh their copies (and
    /// their Lua states drop versions no longer held).
    let versionsGeneration = Atomic<Int>(0)
    /// Serializes reloads; holds the last version number given out.
    let reloading = Mutex<Int>(1)
    private let watcher: ScriptWatcher?
    /// The clock scripts see instead of the real one (tests, replay); nil: the real clock, unchecked.
    private let clock: ScriptClockControl?
    /// Drops idle calls' state every so often (taking a turn also checks the TTL).
    private let sweeper: Sweeper
    /// `--deadline` in nanoseconds, less a small margin for encoding and sending.
    let deadlineBudget: Int64
    /// Routes whose scripts recently ran out of time or memory, served off the HTTP threads.
    let quarantine: Quarantine

    /// Loads the scripts directory (compiling and checking every script). `clock`, when
    /// given, is what the scripts see as the time (tests, replay); `serve` gives none.
    public init(config: EngineConfig, store: any CallStore, logger: Logger, clock: ScriptClockControl? = nil) throws {
        self.config = config
        self.clock = clock
        self.store = store
        self.sharedStore = store as? RedisCallStore
        self.logger = logger
        self.contexts = ThreadContexts(limits: config.limits, logger: logger)
        self.metrics = EngineMetrics(contexts: contexts)
        // The watcher notes the files before they are loaded, so no change in between is missed.
        self.watcher = config.watchInterval.map { ScriptWatcher(directory: config.scriptsDirectory, every: $0) }
        let bundle = try ScriptBundle.load(directory: config.scriptsDirectory, version: 1)
        self.scripts = Mutex(ScriptVersions(LoadedScripts.prepare(bundle, limits: config.limits, logger: logger)))
        let deadline = config.deadline.nanoseconds
        self.deadlineBudget = deadline - min(deadline / 20, 5_000_000)
        self.quarantine = Quarantine(threads: 2)
        self.sweeper = Sweeper(every: max(1.0, min(60.0, config.stateTTL / 2)))
        sweeper.start { [weak self] in
            guard let self else { return }
            // A shared store's records expire in Redis itself.
            if sharedStore == nil { store.expire(now: CallClock.now()) }
            collectVersions()
        }
        watcher?.start { [weak self] in self?.reload(reason: "files changed") }
    }

    /// The routes new calls can reach now (script names).
    public var routes: [String] { scripts.withLock { $0.current.bundle.routes } }

    /// Whether `POST /route` may have a script: the current version's, or an older
    /// one's that calls in progress still use.
    public func knowsRoute(_ route: String) -> Bool {
        let context = contexts.current()
        return currentScriptsHave(route, context: context) || versions(for: context).anyHas(route)
    }

    /// Whether the current scripts serve `route`, remembered for the thread's last such route.
    private func currentScriptsHave(_ route: String, context: ThreadContext) -> Bool {
        if context.versionsSeen == versionsGeneration.load(ordering: .acquiring), context.knownRoute == route {
            return true
        }
        let versions = versions(for: context)  // catches up, forgetting knownRoute, when the versions changed
        guard versions.current.routeSet.contains(route) else { return false }
        context.knownRoute = route
        return true
    }

    /// The version new calls get.
    public var currentVersion: Int { scripts.withLock { $0.current.bundle.version } }

    /// The versions held (the current one and those of calls in progress).
    public var heldVersions: Set<Int> { scripts.withLock { Set($0.all.keys) } }

    /// A call's state as last saved, if the call is live.
    public func state(of callID: String) -> StateTable? {
        store.load(callID, now: CallClock.now())?.state
    }

    /// Scripts of the current version that failed to load, "path:line: message".
    public var problems: [String] { scripts.withLock { $0.current.problems.map(\.message) } }

    /// Calls with state held.
    public var activeCalls: Int { store.count }

    /// Whether the call state store answers (`GET /readyz`): always for the in-memory store.
    public var ready: Bool { sharedStore?.ping() ?? true }

    /// Decodes `body` and answers it through `completion`, exactly once, within the deadline.
    ///
    /// `completion` runs before this returns, on the calling thread, unless
    /// another request of the same call is being served: then it runs once that
    /// one has ended, on the thread that ended it.
    public func submit(route: String, body: [UInt8], contentType: String?,
                       completion: @escaping @Sendable (EngineResult) -> Void) {
        let arrival = ScriptClock.now()
        if quarantine.contains(route, now: arrival) {
            quarantine.run { [self] in submit(route: route, body: body, contentType: contentType, arrival: arrival,
                                              completion: completion) }
            return
        }
        submit(route: route, body: body, contentType: contentType, arrival: arrival, completion: completion)
    }

    /// ``submit(route:body:contentType:completion:)`` on this thread.
    private func submit(route: String, body: [UInt8], contentType: String?, arrival: Int64,
                        completion: @escaping @Sendable (EngineResult) -> Void) {
        let context = contexts.current()
        let request: IVRRequest
        do {
            request = try WireCodec.decodeRequest(body, contentType: contentType, maxBytes: config.maxBody)
        } catch {
            logger.info("bad request", metadata: ["route": "\(route)", "error": "\(error.message)"])
            context.metrics.request(route: route, method: nil, format: error.format,
                                    action: nil, outcome: .clientError, seconds: Self.seconds(since: arrival))
            completion(.clientError(error.kind == .tooLarge ? 413 : 400, error))
            return
        }
        guard serves(route, callID: request.callID, context: context) else {
            let error = WireError(.malformed, format: request.format, "no script for route '\(route)'")
            context.metrics.request(route: route, method: request.method, format: request.format,
                                    action: nil, outcome: .clientError, seconds: Self.seconds(since: arrival))
            completion(.clientError(404, error))
            return
        }
        if let sharedStore {
            submitShared(request, route: route, arrival: arrival, store: sharedStore, context: context,
                         completion: completion)
            return
        }
        let turn = store.beginTurn(request.callID, now: CallClock.now()) {
            QueuedRequest(engine: self, request: request, body: body, route: route, arrival: arrival,
                          completion: completion)
        }
        if case .granted(let record) = turn {
            serve(request, body: body, route: route, arrival: arrival, record: record, waited: false, context: context,
                  completion: completion)
        }
    }

    /// ``submit(route:body:contentType:completion:)``, waiting for the answer.
    public func process(route: String, body: [UInt8], contentType: String? = nil) -> EngineResult {
        let box = ResultBox()
        submit(route: route, body: body, contentType: contentType) { box.put($0) }
        return box.take()
    }

    /// Stops the sweeper and the reload watcher.
    public func shutdown() {
        quarantine.stop()
        sweeper.cancel()
        watcher?.stop()
    }

    /// The thread's copy of the script versions, refreshed when they changed.
    func versions(for context: ThreadContext) -> ScriptVersions {
        let generation = versionsGeneration.load(ordering: .acquiring)
        if context.versionsSeen == generation, let versions = context.versions { return versions }
        let fresh = scripts.withLock { $0 }
        context.versions = fresh
        context.versionsSeen = generation
        context.knownRoute = nil
        return fresh
    }

    /// The thread's Lua state, caught up with dropped versions and the test clock.
    func worker(for context: ThreadContext, versions: ScriptVersions) -> ScriptWorker {
        let worker = context.worker
        if context.workerVersionsSeen != context.versionsSeen {
            worker.retainOnly(versions: Set(versions.all.keys))
            context.workerVersionsSeen = context.versionsSeen
        }
        if let clock, case let clockBits = clock.current, context.clockSeen != clockBits {
            worker.clockOverride = ScriptClockOverride.value(clockBits)
            context.clockSeen = clockBits
        }
        return worker
    }

    /// A route serves a request when the current scripts have it, or when the
    /// request's call is in progress on a version that has it.
    private func serves(_ route: String, callID: String, context: ThreadContext) -> Bool {
        if currentScriptsHave(route, context: context) { return true }
        let versions = versions(for: context)
        guard versions.anyHas(route), let version = store.load(callID, now: CallClock.now())?.scriptVersion else {
            return false
        }
        return versions.all[version]?.routeSet.contains(route) ?? false
    }

    static func seconds(since start: Int64) -> Double {
        Double(ScriptClock.now() - start) * 1e-9
    }
}

/// A request that arrived while another request of its call was being served:
/// it waits in the store, holding no thread, until the call's turn is its own.
struct QueuedRequest: CallTurnWaiter {
    let engine: Engine
    let request: IVRRequest
    /// The raw body, to tell a retry that overtook its original (same bytes, answered with the same reply).
    let body: [UInt8]
    let route: String
    let arrival: Int64
    let completion: @Sendable (EngineResult) -> Void

    func turnGranted(_ record: CallRecord?) {
        engine.serve(request, body: body, route: route, arrival: arrival, record: record,
                     context: engine.contexts.current(), completion: completion)
    }
}

/// Holds the answer for ``Engine/process(route:body:contentType:)``, which
/// usually comes before `submit` returns (then nothing waits), and otherwise
/// from the thread that ends the call's earlier request.
private final class ResultBox: Sendable {
    private let result = Mutex<EngineResult?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func put(_ value: EngineResult) {
        result.withLock { $0 = value }
        ready.signal()
    }

    func take() -> EngineResult {
        ready.wait()
        return result.withLock { $0 } ?? .clientError(500, WireError(.malformed, format: nil, "no answer"))
    }
}

extension Duration {
    /// This duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// This duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let ns = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !ns.overflow else { return .max }
        let total = ns.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
        return total.overflow ? .max : total.partialValue
    }
}
