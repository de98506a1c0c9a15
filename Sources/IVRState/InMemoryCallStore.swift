#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A monotonic clock in seconds, shared by the store and the engine.
public enum CallClock {
    /// Seconds since an arbitrary fixed point (the system's boot); never goes backwards.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// Call records in this process's memory, in shards so that calls rarely
/// contend for one lock. Each entry also holds the call's turn: whether a
/// request of it is being served, and the requests waiting behind it.
public final class InMemoryCallStore: CallStore {
    /// One call: its record (none yet for a new call being served) and its turn.
    private struct Entry {
        var record: CallRecord?
        var busy = false
        var waiting: [any CallTurnWaiter] = []
    }
    /// A call's id with its hash, hashed once per store operation: the shard
    /// and the dictionary slot both come from it. (Swift's seeded hash: ids an
    /// attacker picks do not pile up in one shard or slot.)
    private struct CallKey: Hashable {
        let id: String
        let hash: Int
        init(_ id: String) {
            self.id = id
            self.hash = id.hashValue
        }
        static func == (a: CallKey, b: CallKey) -> Bool { a.hash == b.hash && a.id == b.id }
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }
    private struct Calls {
        var entries: [CallKey: Entry] = [:]
        /// Entries holding a record (the live calls).
        var records = 0
    }
    /// One lock and the calls it guards.
    private final class Shard: Sendable {
        let calls = Mutex(Calls())
    }
    private let shards: [Shard]
    /// Records held in all shards (read without taking every shard's lock).
    private let total = Atomic<Int>(0)
    /// Seconds of idleness after which a call is forgotten (`--state-ttl`).
    public let ttl: Double

    public init(ttl: Double, shardCount: Int = 64) {
        self.ttl = ttl
        self.shards = (0..<max(1, shardCount)).map { _ in Shard() }
    }

    private func shard(_ key: CallKey) -> Shard {
        // The high bits: the dictionary inside the shard re-hashes the whole value anyway.
        shards[Int(UInt64(UInt(bitPattern: key.hash) >> 32) % UInt64(shards.count))]
    }

    public func beginTurn(_ callID: String, now: Double, waiter: () -> any CallTurnWaiter) -> CallTurn {
        let ttl = self.ttl
        let key = CallKey(callID)
        return shard(key).calls.withLock { calls in
            var turn = CallTurn.queued
            var expired = false
            // One hash of the key: the entry is created in place when absent.
            Self.mutate(&calls.entries[key, default: Entry()]) { entry in
                if entry.busy {
                    entry.waiting.append(waiter())
                    return
                }
                entry.busy = true
                if let record = entry.record, now - record.lastSeen > ttl {
                    entry.record = nil
                    expired = true
                }
                turn = .granted(entry.record)
            }
            if expired {
                calls.records -= 1
                total.subtract(1, ordering: .relaxed)
            }
            return turn
        }
    }

    public func endTurn(_ callID: String, _ change: CallChange, now: Double) -> (any CallTurnWaiter, CallRecord?)? {
        let key = CallKey(callID)
        return shard(key).calls.withLock { calls in
            guard let i = calls.entries.index(forKey: key) else { return nil }
            var next: (any CallTurnWaiter, CallRecord?)?
            var remove = false
            Self.mutate(&calls.entries.values[i]) { entry in
                let had = entry.record != nil
                switch change {
                case .save(let record): entry.record = record
                case .delete: entry.record = nil
                case .keep: break
                }
                let delta = (entry.record != nil ? 1 : 0) - (had ? 1 : 0)
                calls.records += delta
                if delta != 0 { total.add(delta, ordering: .relaxed) }
                if entry.waiting.isEmpty {
                    entry.busy = false
                    remove = entry.record == nil
                } else {
                    next = (entry.waiting.removeFirst(), entry.record)
                }
            }
            if remove { calls.entries.remove(at: i) }
            return next
        }
    }

    private static func mutate(_ entry: inout Entry, _ body: (inout Entry) -> Void) { body(&entry) }

    public func load(_ callID: String, now: Double) -> CallRecord? {
        let key = CallKey(callID)
        return shard(key).calls.withLock { calls in
            guard let record = calls.entries[key]?.record, now - record.lastSeen <= ttl else { return nil }
            return record
        }
    }

    @discardableResult
    public func expire(now: Double) -> Int {
        var removed = 0
        for shard in shards {
            removed += shard.calls.withLock { calls in
                let before = calls.entries.count
                calls.entries = calls.entries.filter { _, entry in
                    entry.busy || (entry.record.map { now - $0.lastSeen <= ttl } ?? false)
                }
                let gone = before - calls.entries.count
                calls.records -= gone
                total.subtract(gone, ordering: .relaxed)
                return gone
            }
        }
        return removed
    }

    public func versionsInUse(now: Double) -> Set<Int> {
        var versions = Set<Int>()
        for shard in shards {
            shard.calls.withLock { calls in
                for entry in calls.entries.values {
                    if let record = entry.record, now - record.lastSeen <= ttl { versions.insert(record.scriptVersion) }
                }
            }
        }
        return versions
    }

    public var count: Int { total.load(ordering: .relaxed) }
}

