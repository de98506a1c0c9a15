import Synchronization

/// A monotonic clock in seconds, shared by the store and the engine.
public enum CallClock {
    /// Seconds since an arbitrary fixed point; never goes backwards.
    public static func now() -> Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
    private static let origin = ContinuousClock.now
}

/// Call records in this process's memory, in shards so that calls rarely
/// contend for one lock.
public final class InMemoryCallStore: CallStore {
    /// One lock and the calls it guards.
    private final class Shard: Sendable {
        let calls = Mutex<[String: CallRecord]>([:])
    }
    private let shards: [Shard]
    /// Seconds of idleness after which a call is forgotten (`--state-ttl`).
    public let ttl: Double

    public init(ttl: Double, shardCount: Int = 32) {
        self.ttl = ttl
        self.shards = (0..<max(1, shardCount)).map { _ in Shard() }
    }

    private func shard(_ callID: String) -> Shard {
        var h: UInt64 = 1469598103934665603
        for b in callID.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        return shards[Int(h % UInt64(shards.count))]
    }

    public func load(_ callID: String, now: Double) -> CallRecord? {
        shard(callID).calls.withLock { calls in
            guard let record = calls[callID] else { return nil }
            if now - record.lastSeen > ttl {
                calls[callID] = nil
                return nil
            }
            return record
        }
    }

    public func save(_ callID: String, _ record: CallRecord) {
        shard(callID).calls.withLock { $0[callID] = record }
    }

    public func delete(_ callID: String) {
        _ = shard(callID).calls.withLock { $0.removeValue(forKey: callID) }
    }

    @discardableResult
    public func expire(now: Double) -> Int {
        var removed = 0
        for shard in shards {
            removed += shard.calls.withLock { calls in
                let before = calls.count
                calls = calls.filter { now - $0.value.lastSeen <= ttl }
                return before - calls.count
            }
        }
        return removed
    }

    public func versionsInUse(now: Double) -> Set<Int> {
        var versions = Set<Int>()
        for shard in shards {
            shard.calls.withLock { calls in
                for record in calls.values where now - record.lastSeen <= ttl { versions.insert(record.scriptVersion) }
            }
        }
        return versions
    }

    public var count: Int {
        shards.reduce(0) { total, shard in total + shard.calls.withLock { $0.count } }
    }
}
