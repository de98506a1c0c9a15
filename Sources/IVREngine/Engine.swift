import Dispatch
import IVRScript
import IVRState
import IVRWire
import Logging
import Synchronization

/// The request pipeline: decode, dispatch to the call's lane, run the script on
/// a Lua worker, encode, all within the deadline. `serve`, `simulate` and the
/// tests all go through ``submit(route:body:contentType:completion:)``.
public final class Engine: Sendable {
    public let config: EngineConfig
    let store: any CallStore
    let logger: Logger
    let lanes = CallLanes()
    /// Counters for `GET /metrics`.
    public let metrics = EngineMetrics()
    let pool: WorkerPool
    /// The script versions held: the current one and those calls in progress started on.
    let scripts: Mutex<ScriptVersions>
    /// Serializes reloads; holds the last version number given out.
    private let reloading = Mutex<Int>(1)
    /// Bumped whenever versions are dropped, so workers free them in their Lua states.
    let versionsGeneration = Atomic<Int>(0)
    private let watcher: ScriptWatcher?
    /// A Unix time scripts see instead of the real clock (`ivr.now`, `os.time`), for tests.
    private let clock = Mutex<Double?>(nil)
    /// Drops idle calls' state every so often (a lookup also checks the TTL).
    private let sweeper: Sweeper

    /// Loads the scripts directory (compiling and checking every script) and starts the workers.
    public init(config: EngineConfig, store: any CallStore, logger: Logger) throws {
        self.config = config
        self.store = store
        self.logger = logger
        let bundle = try ScriptBundle.load(directory: config.scriptsDirectory, version: 1)
        self.scripts = Mutex(ScriptVersions(LoadedScripts.prepare(bundle, limits: config.limits, logger: logger)))
        self.pool = WorkerPool(size: config.workers, limits: config.limits, logger: logger)
        self.sweeper = Sweeper(every: max(1.0, min(60.0, config.stateTTL / 2)))
        self.watcher = config.watchInterval.map { ScriptWatcher(directory: config.scriptsDirectory, every: $0) }
        sweeper.start { [weak self] in
            guard let self else { return }
            store.expire(now: CallClock.now())
            collectVersions()
        }
        watcher?.start { [weak self] in self?.reload(reason: "files changed") }
        pool.start { [unowned self] job, worker, slot in
            self.run(job, on: worker, slot: slot)
        }
    }

    /// The routes new calls can reach now (script names).
    public var routes: [String] { scripts.withLock { $0.current.bundle.routes } }

    /// Whether `POST /route` may have a script: the current version's, or an older
    /// one's that calls in progress still use.
    public func knowsRoute(_ route: String) -> Bool {
        scripts.withLock { $0.anyHas(route) }
    }

    /// The version new calls get.
    public var currentVersion: Int { scripts.withLock { $0.current.bundle.version } }

    /// The versions held (the current one and those of calls in progress).
    public var heldVersions: Set<Int> { scripts.withLock { Set($0.all.keys) } }

    /// Makes scripts see `unixTime` as the current time (`ivr.now()`, `os.time()`, `os.date()`);
    /// nil restores the real clock. For `ivr-engine test`.
    public func setClock(_ unixTime: Double?) {
        clock.withLock { $0 = unixTime }
    }

    /// A call's state as last saved, if the call is live.
    public func state(of callID: String) -> StateTable? {
        store.load(callID, now: CallClock.now())?.state
    }

    /// Scripts of the current version that failed to load, "path:line: message".
    public var problems: [String] { scripts.withLock { $0.current.problems.map(\.message) } }

    /// Calls with state held.
    public var activeCalls: Int { store.count }

    /// Decodes `body` and answers it through `completion`, exactly once, within the deadline.
    ///
    /// `completion` may run on the calling thread (client errors), a Lua worker
    /// thread, or the deadline timer's thread.
    public func submit(route: String, body: [UInt8], contentType: String?,
                       completion: @escaping @Sendable (EngineResult) -> Void) {
        let arrival = ContinuousClock.now
        let request: IVRRequest
        do {
            request = try WireCodec.decodeRequest(body, contentType: contentType, maxBytes: config.maxBody)
        } catch {
            logger.info("bad request", metadata: ["route": "\(route)", "error": "\(error.message)"])
            metrics.request(route: route, method: "unknown", format: error.format?.rawValue ?? "unknown", action: "",
                            outcome: .clientError, seconds: (ContinuousClock.now - arrival).seconds)
            completion(.clientError(error.kind == .tooLarge ? 413 : 400, error))
            return
        }
        guard serves(route, callID: request.callID) else {
            let error = WireError(.malformed, format: request.format, "no script for route '\(route)'")
            metrics.request(route: route, method: request.method.rawValue, format: request.format.rawValue, action: "",
                            outcome: .clientError, seconds: (ContinuousClock.now - arrival).seconds)
            completion(.clientError(404, error))
            return
        }
        let job = CallJob(request: request, route: route, arrival: arrival, deliver: completion)
        // Weak: a job answered in time is released at once, not held until its deadline
        // (whoever still needs it, a lane, the queue or a running worker, keeps it alive).
        DispatchQueue.global().asyncAfter(deadline: .now() + config.deadline.dispatchInterval) { [self, weak job] in
            if let job { expire(job) }
        }
        if lanes.enter(job) { pool.queue.push(job) }
    }

    /// ``submit(route:body:contentType:completion:)``, waiting for the answer.
    public func process(route: String, body: [UInt8], contentType: String? = nil) -> EngineResult {
        let box = Mutex<EngineResult?>(nil)
        let done = DispatchSemaphore(value: 0)
        submit(route: route, body: body, contentType: contentType) { result in
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return box.withLock { $0 } ?? .clientError(500, WireError(.malformed, format: nil, "no answer"))
    }

    /// Lets queued work finish and stops the workers.
    public func shutdown() {
        sweeper.cancel()
        watcher?.stop()
        pool.close()
    }

    /// A route serves a request when the current scripts have it, or when the
    /// request's call is in progress on a version that has it.
    private func serves(_ route: String, callID: String) -> Bool {
        let (current, anyVersion) = scripts.withLock { ($0.current.routeSet.contains(route), $0.anyHas(route)) }
        if current { return true }
        guard anyVersion, let version = store.load(callID, now: CallClock.now())?.scriptVersion else { return false }
        return scripts.withLock { $0.all[version]?.routeSet.contains(route) ?? false }
    }

    // MARK: - The worker side

    /// Runs one job on a Lua worker thread.
    func run(_ job: CallJob, on worker: ScriptWorker, slot: WorkerSlot) {
        guard !job.isClaimed else { return }  // the deadline answered while it was queued
        job.running.withLock { $0 = RunningOn(slot: slot, interrupter: worker.interrupter) }
        let request = job.request
        let generation = versionsGeneration.load(ordering: .acquiring)
        if slot.seenGeneration.exchange(generation, ordering: .relaxed) != generation {
            worker.retainOnly(versions: heldVersions)
        }
        let now = clock.withLock { $0 }
        if worker.clockOverride != now { worker.clockOverride = now }
        let existing = store.load(job.callID, now: CallClock.now())
        let bundle = scripts.withLock { $0.scripts(for: existing?.scriptVersion).bundle }
        var record = existing ?? CallRecord(route: job.route, scriptVersion: bundle.version, lastSeen: CallClock.now())
        record.seq += 1
        let call = CallContext(request: request, route: job.route, seq: record.seq)
        let result = worker.handle(call, state: record.state, bundle: bundle)

        var reply: IVRReply
        var outcome = Outcome.ok
        var detail: String?
        switch (request.method, result.outcome) {
        case (.hangupCall, .success):
            reply = .status(0)
        case (.hangupCall, .failure(let failure)):
            log(failure, job: job, seq: record.seq, what: "on_hangup failed")
            reply = .status(0)
            detail = failure.message
        case (_, .success(let action?)):
            reply = .action(action, status: 0)
            record.state = result.state
        case (_, .success(nil)):
            let failure = ScriptFailure(reason: .invalidAction, message: "the handler returned no action", traceback: nil)
            (reply, outcome, detail) = fallback(for: failure, job: job, call: call, state: record.state, worker: worker, bundle: bundle)
        case (_, .failure(let failure)):
            (reply, outcome, detail) = fallback(for: failure, job: job, call: call, state: record.state, worker: worker, bundle: bundle)
        }
        job.running.withLock { $0 = nil }
        guard job.claim() else { return }  // the deadline answered first; nothing is saved
        if request.method == .hangupCall {
            store.delete(job.callID)
        } else {
            record.lastSeen = CallClock.now()
            store.save(job.callID, record)
        }
        finish(job, reply: reply, outcome: outcome, detail: detail)
        if request.method == .hangupCall, record.scriptVersion != currentVersion { collectVersions() }
    }

    private func fallback(for failure: ScriptFailure, job: CallJob, call: CallContext, state: StateTable,
                          worker: ScriptWorker, bundle: ScriptBundle) -> (IVRReply, Outcome, String?) {
        log(failure, job: job, seq: call.seq, what: "fallback")
        let reply: IVRReply
        if job.isClaimed {
            reply = .status(1)  // the deadline has answered already; this reply is dropped
        } else if let action = worker.fallback(call, state: state, bundle: bundle, failure: failure) {
            reply = .action(action, status: 0)
        } else {
            reply = .builtinFallback(for: job.request.method, language: config.limits.language)
        }
        return (reply, .fallback(failure.reason), failure.message)
    }

    private func log(_ failure: ScriptFailure, job: CallJob, seq: Int, what: String) {
        metrics.scriptError(route: job.route, reason: failure.reason.rawValue)
        var metadata: Logger.Metadata = [
            "route": "\(job.route)", "call.id": "\(job.callID)", "call.seq": "\(seq)",
            "reason": "\(failure.reason.rawValue)", "error": "\(failure.message)",
        ]
        if let traceback = failure.traceback { metadata["traceback"] = "\(traceback)" }
        logger.warning("\(what)", metadata: metadata)
    }

    // MARK: - The deadline side

    /// Answers a job still unanswered at its deadline with a prepared fallback,
    /// and gets its Lua state interrupted and replaced.
    func expire(_ job: CallJob) {
        guard job.claim() else { return }
        let method = job.request.method
        let now = CallClock.now()
        let existing = store.load(job.callID, now: now)
        let prepared = scripts.withLock { $0.scripts(for: existing?.scriptVersion).staticFallback(route: job.route, method: method) }
        let reply: IVRReply
        switch method {
        case .hangupCall: reply = .status(0)
        default: reply = prepared.map { .action($0, status: 0) } ?? .builtinFallback(for: method, language: config.limits.language)
        }
        // Under the job's lock, so the worker cannot have moved on to another job meanwhile.
        job.running.withLock { running in
            guard let running else { return }
            running.interrupter.interrupt()
            pool.abandon(running.slot)
        }
        // The request counts in call.seq; the state stays as it was.
        if method == .hangupCall {
            store.delete(job.callID)
        } else if var record = existing {
            // The call's lane is still held, so no other request of it changed the record meanwhile.
            record.seq += 1
            record.lastSeen = now
            store.save(job.callID, record)
        }
        logger.warning("deadline passed: answered with the fallback",
                       metadata: ["route": "\(job.route)", "call.id": "\(job.callID)", "reason": "deadline"])
        finish(job, reply: reply, outcome: method == .hangupCall ? .ok : .fallback(.deadline),
               detail: "no answer within the deadline")
    }

    /// Encodes and delivers a claimed job's reply, then lets the call's next request go.
    private func finish(_ job: CallJob, reply: IVRReply, outcome: Outcome, detail: String?) {
        let format = job.request.format
        let body = WireCodec.encode(reply, as: format)
        let action: String
        switch reply {
        case .action(let a, _): action = a.kind.wireName
        case .status: action = ""
        }
        metrics.request(route: job.route, method: job.request.method.rawValue, format: format.rawValue, action: action,
                        outcome: outcome, seconds: (ContinuousClock.now - job.arrival).seconds)
        job.deliver(EngineResult(httpStatus: 200, contentType: format.contentType, body: body, format: format,
                                 request: job.request, reply: reply, outcome: outcome, detail: detail))
        if let next = lanes.leave(job.callID) { pool.queue.push(next) }
    }
}

/// A repeating timer on a global queue. DispatchSource is thread-safe, though not marked Sendable.
final class Sweeper: Sendable {
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    init(every seconds: Double) {
        timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
    }

    func start(_ work: @escaping @Sendable () -> Void) {
        timer.setEventHandler(handler: work)
        timer.resume()
    }

    func cancel() { timer.cancel() }
}

// MARK: - Reload

extension Engine {
    /// Loads the scripts directory again as a new version, compiles and checks
    /// every script, and activates it atomically unless it brings new problems
    /// (then the previous version keeps serving). Calls in progress stay on
    /// the version they started on. Returns whether a new version was activated.
    @discardableResult
    public func reload(reason: String) -> Bool {
        reloading.withLock { lastVersion in
            let bundle: ScriptBundle
            do {
                bundle = try ScriptBundle.load(directory: config.scriptsDirectory, version: lastVersion + 1)
            } catch {
                logger.error("reload failed: the previous scripts keep serving", metadata: ["error": "\(error)"])
                metrics.reload("failed")
                return false
            }
            let current = scripts.withLock { $0.current }
            if bundle.files == current.bundle.files { return false }
            let loaded = LoadedScripts.prepare(bundle, limits: config.limits, logger: logger)
            let known = Set(current.problems.map(\.message))
            let fresh = loaded.problems.filter { !known.contains($0.message) }
            guard fresh.isEmpty else {
                logger.error("reload rejected: the previous scripts keep serving",
                             metadata: ["problems": "\(fresh.map(\.message).joined(separator: "; "))"])
                metrics.reload("failed")
                return false
            }
            metrics.reload("ok")
            lastVersion += 1
            scripts.withLock { $0.activate(loaded) }
            logger.info("scripts reloaded", metadata: ["version": "\(bundle.version)", "reason": "\(reason)",
                                                       "routes": "\(bundle.routes.joined(separator: ","))"])
            collectVersions()
            return true
        }
    }

    /// Drops the script versions no live call uses any more (workers free them
    /// from their Lua states before their next job).
    func collectVersions() {
        guard scripts.withLock({ $0.all.count }) > 1 else { return }
        let inUse = store.versionsInUse(now: CallClock.now())
        let dropped = scripts.withLock { versions -> Bool in
            let before = versions.all.count
            return versions.retain(inUse).count != before
        }
        if dropped { versionsGeneration.add(1, ordering: .releasing) }
    }
}

extension Duration {
    /// This duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// This duration for Dispatch.
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
