#if canImport(Glibc)
import Glibc
#endif
import IVRRedisState
import IVRScript
import IVRState
import Logging
import Synchronization

/// What one thread needs to serve an engine's requests on its own: a Lua
/// state (``ScriptWorker``), its share of the metrics, and its copy of the
/// script versions. A request runs on the thread it arrived on (an HTTP
/// thread, or the caller of ``Engine/process(route:body:contentType:)``), so
/// the hot path takes no lock that other threads share and hands nothing over.
///
/// Owned by the engine's ``ThreadContexts`` registry for the engine's whole
/// life; a thread finds its own through a thread-local slot. Only the owning
/// thread touches ``worker`` and the cached versions; ``metrics`` is also read
/// by the scraper, under its own lock.
final class ThreadContext: @unchecked Sendable {
    // @unchecked: `worker` and the caches are used by the one thread that owns
    // this context (the registry only keeps it alive); `metrics` is a Mutex.
    let thread: pthread_t
    let worker: ScriptWorker
    let metrics = MetricsShard()
    /// The engine's versions generation this copy was taken at.
    var versionsSeen = -1
    var versions: ScriptVersions?
    /// The last route found in the current scripts, at ``versionsSeen`` (most
    /// requests of a thread go to one route: no set lookup for them).
    var knownRoute: String?
    /// The versions generation the worker's Lua state last dropped old versions at.
    var workerVersionsSeen = 0
    /// The script clock the worker was last given (bit pattern; ``ScriptClockOverride/none``).
    var clockSeen = ScriptClockOverride.none
    /// Waiting requests granted their turn on this thread, run in order by ``Engine``.
    var grants: [(any CallTurnWaiter, CallRecord?)] = []
    var granting = false
    /// The same for a shared store's turns.
    var sharedGrants: [(any CallTurnWaiter, SharedGrant?)] = []

    init(thread: pthread_t, limits: ScriptLimits, logger: Logger) {
        self.thread = thread
        self.worker = ScriptWorker(limits: limits, logger: logger)
    }
}

/// The thread contexts of one engine: created on a thread's first request,
/// kept until the engine goes.
final class ThreadContexts: Sendable {
    /// Unique per engine, never reused: a thread's slot naming another engine is stale.
    let engineID: Int
    private let all = Mutex<[ThreadContext]>([])
    private let limits: ScriptLimits
    private let logger: Logger

    init(limits: ScriptLimits, logger: Logger) {
        self.engineID = nextEngineID.add(1, ordering: .relaxed).newValue
        self.limits = limits
        self.logger = logger
    }

    /// The calling thread's context, made on first use.
    @inline(__always)
    func current() -> ThreadContext {
        let slot = ThreadSlot.current()
        if slot.engineID == engineID, let context = slot.context {
            return context.takeUnretainedValue()
        }
        return attach(slot)
    }

    private func attach(_ slot: ThreadSlot) -> ThreadContext {
        let me = pthread_self()
        let context: ThreadContext
        if let known = all.withLock({ $0.first { pthread_equal($0.thread, me) != 0 } }) {
            context = known
        } else {
            // Made outside the lock: a Lua state takes a moment to open.
            context = ThreadContext(thread: me, limits: limits, logger: logger)
            all.withLock { $0.append(context) }
        }
        slot.engineID = engineID
        slot.context = Unmanaged.passUnretained(context)
        return context
    }

    /// Every context, for merging the metrics.
    var contexts: [ThreadContext] { all.withLock { $0 } }
}

private let nextEngineID = Atomic<Int>(0)

/// A thread's slot: the engine it last served and that engine's context for it
/// (unretained: the engine's registry owns it, and the slot is only followed
/// while its engine is serving a request, so while the engine is alive).
private final class ThreadSlot {
    var engineID = 0
    var context: Unmanaged<ThreadContext>?

    /// The calling thread's slot, made on first use; freed when the thread exits.
    static func current() -> ThreadSlot {
        if let raw = pthread_getspecific(threadSlotKey.key) {
            return Unmanaged<ThreadSlot>.fromOpaque(raw).takeUnretainedValue()
        }
        let slot = ThreadSlot()
        pthread_setspecific(threadSlotKey.key, Unmanaged.passRetained(slot).toOpaque())
        return slot
    }
}

/// The process's one thread-local key for ``ThreadSlot``s.
private struct ThreadSlotKey: Sendable {
    let key: pthread_key_t
    init() {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<ThreadSlot>.fromOpaque(raw).release() }
        }
        self.key = key
    }
}

private let threadSlotKey = ThreadSlotKey()

/// A clock the scripts of one engine see instead of the real one (`ivr-engine test`'s
/// `set_time`, `replay --scripts` pinning each request to its recorded time). Given to
/// ``Engine/init(config:store:logger:clock:)``; an engine made without one (`serve`)
/// never looks for it on its request path.
public final class ScriptClockControl: Sendable {
    private let bits = Atomic<UInt64>(ScriptClockOverride.none)

    public init() {}

    /// Makes the scripts see `unixTime` as the current time (`ivr.now()`, `os.time()`,
    /// `os.date()`) from their next request on; nil restores the real clock.
    public func set(_ unixTime: Double?) {
        bits.store(ScriptClockOverride.bits(unixTime), ordering: .releasing)
    }

    var current: UInt64 { bits.load(ordering: .acquiring) }
}

/// The test clock scripts may see instead of the real one, as an atomic bit pattern.
enum ScriptClockOverride {
    /// No override: the real clock (a NaN no `Double` time produces).
    static let none: UInt64 = 0x7FF8_DEAD_BEEF_0001

    static func bits(_ unixTime: Double?) -> UInt64 { unixTime.map { $0.bitPattern } ?? none }
    static func value(_ bits: UInt64) -> Double? { bits == none ? nil : Double(bitPattern: bits) }
}
