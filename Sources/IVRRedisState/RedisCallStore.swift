#if canImport(Glibc)
import Glibc
#endif
import IVRState
import Synchronization

/// A request of a call waiting for the call's turn on this instance, with the
/// moment (monotonic nanoseconds) past which waiting is pointless.
public protocol SharedTurnWaiter: CallTurnWaiter {
    var deadline: Int64 { get }
    /// The turn is this waiter's: with the call's record, or unavailable (Redis
    /// unreachable, or the lease held elsewhere past the deadline).
    func turnGranted(_ grant: SharedGrant)
}

/// What a request gets when the call's turn becomes its own.
public enum SharedGrant: Sendable {
    /// The lease is this request's; the record (nil: a new call) and its script version's name.
    case granted(CallRecord?, scriptName: String?)
    /// No lease: the request gets the fallback (reason `state`).
    case unavailable(String)
}

/// The answer to ``RedisCallStore/begin(_:now:deadline:waiter:)``.
public enum SharedTurn: Sendable {
    case grant(SharedGrant)
    /// Another request of the call on this instance has the turn: the waiter was queued.
    case queued
}

/// Call records in Redis, shared by every instance that names the same Redis
/// and prefix, so any request of any call may reach any instance.
///
/// A call's turn is a lease: a key `PREFIX lock:{ID}` set with `SET NX PX` to
/// a token of the request holding it, expiring a little after `--deadline`
/// (so a holder that dies frees the call by itself). Taking the lease and
/// loading the record is one Lua script (one round trip); saving or deleting
/// the record and releasing the lease is another, which writes only while the
/// lease is still the request's token. Requests of a call on the same
/// instance queue in process, in arrival order, and the lease passes from one
/// to the next without being released; a request whose call is leased by
/// another instance retries with short sleeps until its deadline.
///
/// Connections come from a pool, one per thread at a time: a request takes
/// one out (a brief lock, no I/O under it), talks to Redis with socket
/// timeouts bounded by its own deadline, and puts it back. A broken or timed
/// out connection is dropped; the next request connects anew.
public final class RedisCallStore: CallStore {
    public let address: RedisAddress
    /// Every key starts with this (`--state-prefix`).
    public let prefix: String
    /// Seconds of silence after which Redis drops a call (`--state-ttl`, as PEXPIRE).
    public let ttl: Double
    /// How long a lease lasts unless released (a little above `--deadline`).
    public let leaseMillis: Int64
    /// Longest a connect may take (also bounded by the request's deadline).
    let connectTimeoutNanos: Int64 = 500_000_000

    private let pool = Mutex<[PooledConnection]>([])
    private let shards: [TurnShard]
    private let reachableFlag = Atomic<Bool>(true)
    private let failureCount = Atomic<Int>(0)
    private let roundTrips = Atomic<Int>(0)
    private let tokenSeed: UInt64 = UInt64.random(in: 1...UInt64.max)
    private let tokenCounter = Atomic<UInt64>(0)

    /// A call being served on this instance: the lease token (nil: not held),
    /// the record as Redis has it, and the requests queued behind.
    private struct LocalTurn {
        var token: [UInt8]?
        var known: CallRecordCodec.Stored?
        var waiting: [any CallTurnWaiter] = []
        /// The record is past the TTL by the caller's clock: a `.keep` deletes it.
        var forget = false
    }
    private final class TurnShard: Sendable {
        let turns = Mutex<[String: LocalTurn]>([:])
    }

    public init(address: RedisAddress, prefix: String = "ivr:", ttl: Double, lease: Duration) {
        self.address = address
        self.prefix = prefix
        self.ttl = ttl
        let (s, atto) = lease.components
        self.leaseMillis = max(10, s * 1000 + atto / 1_000_000_000_000_000)
        self.shards = (0..<16).map { _ in TurnShard() }
    }

    /// Whether the last conversation with Redis worked (for `GET /readyz`).
    public var reachable: Bool { reachableFlag.load(ordering: .relaxed) }
    /// Requests that could not reach their state (answered with the fallback).
    public var failures: Int { failureCount.load(ordering: .relaxed) }
    /// Commands sent to Redis so far (for tests of the two-round-trip path).
    public var commandsSent: Int { roundTrips.load(ordering: .relaxed) }

    /// Pings Redis (within `timeout`), updating ``reachable``.
    @discardableResult
    public func ping(timeout: Duration = .milliseconds(300)) -> Bool {
        let deadline = Self.monotonic() + timeout.nanos
        if case .success(.status("PONG")) = run(["PING"].map { Array($0.utf8) }, deadline: deadline) { return true }
        return false
    }

    /// The record key and lease key of a call (one hash tag, so one Redis Cluster slot).
    func keys(_ callID: String) -> (record: [UInt8], lease: [UInt8]) {
        (Array("\(prefix)call:{\(callID)}".utf8), Array("\(prefix)lock:{\(callID)}".utf8))
    }

    // MARK: - The engine's turn

    /// Takes the call's turn: queues behind a request of the call on this
    /// instance, or takes the lease in Redis (retrying while another instance
    /// holds it) until `deadline` (monotonic nanoseconds).
    public func begin(_ callID: String, deadline: Int64, waiter: () -> any CallTurnWaiter) -> SharedTurn {
        let shard = shard(callID)
        let queued = shard.turns.withLock { turns -> Bool in
            if turns[callID] != nil {
                turns[callID]?.waiting.append(waiter())
                return true
            }
            turns[callID] = LocalTurn()
            return false
        }
        if queued { return .queued }
        return .grant(acquire(callID, deadline: deadline))
    }

    /// Saves `change` (stamping nothing: the record carries its own lastSeen)
    /// and ends the turn, releasing the lease or passing it to the call's next
    /// request here. Returns whether the change was saved, and the next
    /// request with what it gets: nil when the lease was lost, and the next
    /// request must take it with ``acquireTurn(_:deadline:)`` (after the
    /// caller has answered its own request: taking a lease may wait).
    public func finish(_ callID: String, _ change: CallChange, scriptName: String, deadline: Int64)
        -> (saved: Result<Void, SharedStoreError>, next: (any CallTurnWaiter, SharedGrant?)?) {
        let shard = shard(callID)
        guard let (token, handOff, forget) = shard.turns.withLock({ turns -> ([UInt8]?, Bool, Bool)? in
            guard var turn = turns[callID] else { return nil }
            defer { turn.forget = false; turns[callID] = turn }
            return (turn.token, !turn.waiting.isEmpty, turn.forget)
        }) else { return (.failure(SharedStoreError("no turn")), nil) }
        var change = change
        if forget, case .keep = change { change = .delete }

        var saved: Result<Void, SharedStoreError>
        var stored: CallRecordCodec.Stored?
        if let token {
            let keys = keys(callID)
            var mode: [UInt8] = [UInt8(ascii: "k")]
            var body: [UInt8] = []
            switch change {
            case .save(let record):
                mode = [UInt8(ascii: "s")]
                body = CallRecordCodec.encode(record, scriptName: scriptName)
                stored = CallRecordCodec.Stored(record: record, scriptName: scriptName)
            case .delete: mode = [UInt8(ascii: "d")]
            case .keep: break
            }
            let ttlMillis = Array(String(max(1, Int64(ttl * 1000))).utf8)
            let renew = Array((handOff ? String(leaseMillis) : "0").utf8)
            switch evalScript(RedisScripts.finish, keys: [keys.lease, keys.record],
                              args: [token, mode, body, ttlMillis, renew], deadline: deadline) {
            case .success(.integer(1)): saved = .success(())
            case .success(.integer(0)): saved = .failure(SharedStoreError("the call's lease expired before its state was saved"))
            case .success(let other): saved = .failure(SharedStoreError("unexpected answer from Redis: \(other)"))
            case .failure(let e): saved = .failure(e)
            }
            if case .failure = saved { failureCount.add(1, ordering: .relaxed) }
        } else {
            saved = .failure(SharedStoreError("no lease"))
        }

        let next = shard.turns.withLock { turns -> (any CallTurnWaiter, held: Bool, known: CallRecordCodec.Stored?)? in
            guard var turn = turns[callID] else { return nil }
            switch saved {
            case .success:
                switch change {
                case .save: turn.known = stored
                case .delete: turn.known = nil
                case .keep: break
                }
                if !handOff { turn.token = nil }
            case .failure:
                turn.token = nil  // whether the lease is still ours is unknown: take it again
            }
            guard !turn.waiting.isEmpty else {
                turns[callID] = nil
                return nil
            }
            let waiter = turn.waiting.removeFirst()
            turns[callID] = turn
            return (waiter, turn.token != nil, turn.known)
        }
        guard let (waiter, held, known) = next else { return (saved, nil) }
        if held { return (saved, (waiter, .granted(known?.record, scriptName: known?.scriptName))) }
        return (saved, (waiter, nil))
    }

    /// Takes the lease for a call whose turn is this instance's (given by
    /// ``begin(_:deadline:waiter:)`` or passed on by ``finish(_:_:scriptName:deadline:)``)
    /// and loads the record, retrying while another instance holds it, until `deadline`.
    public func acquireTurn(_ callID: String, deadline: Int64) -> SharedGrant {
        acquire(callID, deadline: deadline)
    }

    /// Takes the lease for the call's local turn (already marked busy here) and loads the record.
    private func acquire(_ callID: String, deadline: Int64) -> SharedGrant {
        let keys = keys(callID)
        let token = newToken()
        let lease = Array(String(leaseMillis).utf8)
        var pause: Int64 = 1_000_000
        while true {
            switch evalScript(RedisScripts.begin, keys: [keys.lease, keys.record], args: [token, lease], deadline: deadline) {
            case .success(.array(let items)) where items.first == .integer(1):
                var known: CallRecordCodec.Stored?
                if items.count > 1, case .string(let bytes) = items[1], !bytes.isEmpty {
                    switch CallRecordCodec.decode(bytes, scriptVersion: { Int($0) ?? 0 }) {
                    case .success(let s): known = s
                    case .failure(.unknownVersion(let v)):
                        // Written by a newer release: do not overwrite it.
                        release(callID, token: token, deadline: deadline)
                        return fail(callID, "the call's record has format version \(v), newer than this instance reads")
                    case .failure(.malformed):
                        known = nil  // unreadable: the call starts afresh (and the bad record is overwritten)
                    }
                }
                shard(callID).turns.withLock { turns in
                    turns[callID]?.token = token
                    turns[callID]?.known = known
                }
                return .granted(known?.record, scriptName: known?.scriptName)
            case .success(.array):
                // Another request of the call (on another instance) holds the lease: wait a little.
                let left = deadline - Self.monotonic()
                if left <= 0 { return fail(callID, "the call was busy on another instance until the deadline") }
                var ts = timespec(tv_sec: 0, tv_nsec: Int(min(pause, left)))
                nanosleep(&ts, nil)
                pause = min(pause * 2, 10_000_000)
            case .success(let other):
                return fail(callID, "unexpected answer from Redis: \(other)")
            case .failure(let e):
                return fail(callID, e.message)
            }
        }
    }

    private func fail(_ callID: String, _ why: String) -> SharedGrant {
        failureCount.add(1, ordering: .relaxed)
        return .unavailable(why)
    }

    private func release(_ callID: String, token: [UInt8], deadline: Int64) {
        let keys = keys(callID)
        _ = evalScript(RedisScripts.finish, keys: [keys.lease, keys.record],
                       args: [token, [UInt8(ascii: "k")], [], Array("1".utf8), Array("0".utf8)], deadline: deadline)
    }

    private func newToken() -> [UInt8] {
        let n = tokenCounter.add(1, ordering: .relaxed).newValue
        return Array("\(String(tokenSeed, radix: 36)).\(String(n, radix: 36))".utf8)
    }

    private func shard(_ callID: String) -> TurnShard {
        var h: UInt64 = 1469598103934665603
        for b in callID.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        return shards[Int(h % UInt64(shards.count))]
    }

    // MARK: - Talking to Redis

    /// EVALSHA, loading the script on this connection first when needed (and again after NOSCRIPT).
    private func evalScript(_ script: String, keys: [[UInt8]], args: [[UInt8]], deadline: Int64)
        -> Result<RedisValue, SharedStoreError> {
        withConnection(deadline: deadline) { connection, left in
            for attempt in 0..<2 {
                let sha: String
                if let known = connection.scriptSHAs[script], attempt == 0 {
                    sha = known
                } else {
                    roundTrips.add(1, ordering: .relaxed)
                    switch connection.command([Array("SCRIPT".utf8), Array("LOAD".utf8), Array(script.utf8)], timeoutNanos: left()) {
                    case .success(.string(let s)): sha = String(decoding: s, as: UTF8.self)
                    case .success(let other): return .failure(SharedStoreError("SCRIPT LOAD: \(other)"))
                    case .failure(let e): return .failure(SharedStoreError(e.message))
                    }
                    connection.scriptSHAs[script] = sha
                }
                var argv: [[UInt8]] = [Array("EVALSHA".utf8), Array(sha.utf8), Array(String(keys.count).utf8)]
                argv.append(contentsOf: keys)
                argv.append(contentsOf: args)
                roundTrips.add(1, ordering: .relaxed)
                switch connection.command(argv, timeoutNanos: left()) {
                case .success(.error(let e)) where e.hasPrefix("NOSCRIPT"):
                    connection.scriptSHAs[script] = nil
                    continue
                case .success(.error(let e)): return .failure(SharedStoreError("Redis: \(e)"))
                case .success(let value): return .success(value)
                case .failure(let e): return .failure(SharedStoreError(e.message))
                }
            }
            return .failure(SharedStoreError("Redis keeps forgetting the store's scripts"))
        }
    }

    /// One plain command.
    func run(_ args: [[UInt8]], deadline: Int64) -> Result<RedisValue, SharedStoreError> {
        withConnection(deadline: deadline) { connection, left in
            roundTrips.add(1, ordering: .relaxed)
            switch connection.command(args, timeoutNanos: left()) {
            case .success(.error(let e)): return .failure(SharedStoreError("Redis: \(e)"))
            case .success(let value): return .success(value)
            case .failure(let e): return .failure(SharedStoreError(e.message))
            }
        }
    }

    /// Lends a pooled connection (connecting one if none is free) to `body`, and
    /// takes it back unless it broke. Marks Redis reachable or not.
    private func withConnection(deadline: Int64,
                                _ body: (RedisConnection, () -> Int64) -> Result<RedisValue, SharedStoreError>)
        -> Result<RedisValue, SharedStoreError> {
        let left = { deadline - Self.monotonic() }
        var connection = pool.withLock { $0.popLast() }?.connection
        if connection == nil {
            let budget = min(left(), connectTimeoutNanos)
            guard budget > 0 else { return .failure(SharedStoreError("no time left before the deadline")) }
            switch RedisConnection.open(address, timeoutNanos: budget) {
            case .success(let c): connection = c
            case .failure(let e):
                reachableFlag.store(false, ordering: .relaxed)
                return .failure(SharedStoreError(e.message))
            }
        }
        guard let connection else { return .failure(SharedStoreError("no connection")) }
        let result = body(connection, left)
        if connection.broken {
            reachableFlag.store(false, ordering: .relaxed)
        } else {
            reachableFlag.store(true, ordering: .relaxed)
            let pooled = PooledConnection(connection)
            pool.withLock { $0.append(pooled) }
        }
        return result
    }

    static func monotonic() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Seconds of the Unix clock: what the engine stamps `lastSeen` with in
    /// Redis, since instances on different hosts share no monotonic clock.
    public static func wallNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    // MARK: - CallStore (for tooling and the contract tests)
    // The engine uses begin/finish above, which carry the request's deadline and
    // can fail; these wrap them with a deadline of one lease, and a turn that
    // cannot reach Redis reads as a new call.

    var defaultDeadline: Int64 { Self.monotonic() + leaseMillis * 1_000_000 }

    public func beginTurn(_ callID: String, now: Double, waiter: () -> any CallTurnWaiter) -> CallTurn {
        switch begin(callID, deadline: defaultDeadline, waiter: waiter) {
        case .queued: return .queued
        case .grant(.granted(let record, _)): return .granted(noteStale(callID, record, now: now))
        case .grant(.unavailable): return .granted(nil)
        }
    }

    /// A record past the TTL by the caller's clock counts as none (and goes on `.keep`).
    private func noteStale(_ callID: String, _ record: CallRecord?, now: Double) -> CallRecord? {
        guard let record else { return nil }
        if now - record.lastSeen <= ttl { return record }
        shard(callID).turns.withLock { turns in
            turns[callID]?.forget = true
            turns[callID]?.known = nil
        }
        return nil
    }

    public func endTurn(_ callID: String, _ change: CallChange, now: Double) -> (any CallTurnWaiter, CallRecord?)? {
        var name = "0"
        if case .save(let record) = change { name = String(record.scriptVersion) }
        guard let (waiter, given) = finish(callID, change, scriptName: name, deadline: defaultDeadline).next else { return nil }
        let grant = given ?? acquire(callID, deadline: defaultDeadline)
        if case .granted(let record, _) = grant { return (waiter, noteStale(callID, record, now: now)) }
        return (waiter, nil)
    }

    private static func live(_ record: CallRecord?, now: Double, ttl: Double) -> CallRecord? {
        guard let record, now - record.lastSeen <= ttl else { return nil }
        return record
    }

    /// The record of a call, without taking its turn.
    public func loadShared(_ callID: String, deadline: Int64) -> CallRecordCodec.Stored? {
        guard case .success(.string(let bytes)) = run([Array("GET".utf8), keys(callID).record], deadline: deadline),
              case .success(let stored) = CallRecordCodec.decode(bytes, scriptVersion: { Int($0) ?? 0 }) else { return nil }
        return stored
    }

    /// A call's record (within 500 ms, or nil): the engine asks this only for a route
    /// the current scripts lack, to tell whether the call's own version has it.
    public func load(_ callID: String, now: Double) -> CallRecord? {
        Self.live(loadShared(callID, deadline: Self.monotonic() + 500_000_000)?.record, now: now, ttl: ttl)
    }

    /// Every record key under the prefix (SCAN, 500 at a time).
    func scanKeys(deadline: Int64) -> [[UInt8]] {
        var found: [[UInt8]] = []
        var cursor = "0"
        let pattern = Array("\(Self.globEscaped(prefix))call:*".utf8)
        repeat {
            guard case .success(.array(let reply)) = run([Array("SCAN".utf8), Array(cursor.utf8), Array("MATCH".utf8), pattern,
                                                          Array("COUNT".utf8), Array("500".utf8)], deadline: deadline),
                  reply.count == 2, case .string(let next) = reply[0], case .array(let keys) = reply[1] else { break }
            cursor = String(decoding: next, as: UTF8.self)
            for case .string(let key) in keys { found.append(key) }
        } while cursor != "0"
        return found
    }

    /// Every stored record (SCAN over the prefix, then a GET each): for tooling, the
    /// contract's expire, and the versions in use, never on a request's path.
    public func scanRecords(deadline: Int64) -> [(key: [UInt8], stored: CallRecordCodec.Stored)] {
        scanKeys(deadline: deadline).compactMap { key in
            guard case .success(.string(let bytes)) = run([Array("GET".utf8), key], deadline: deadline),
                  case .success(let stored) = CallRecordCodec.decode(bytes, scriptVersion: { Int($0) ?? 0 }) else { return nil }
            return (key, stored)
        }
    }

    /// Redis expires records itself (PEXPIRE `--state-ttl`); this also drops
    /// those whose lastSeen is older than the TTL by the caller's clock, and not being served here.
    @discardableResult
    public func expire(now: Double) -> Int {
        let deadline = Self.monotonic() + 2_000_000_000
        let busy = Set(shards.flatMap { $0.turns.withLock { Array($0.keys) } }.map { keys($0).record })
        var removed = 0
        for (key, stored) in scanRecords(deadline: deadline) where now - stored.record.lastSeen > ttl && !busy.contains(key) {
            if case .success(.integer(1)) = run([Array("DEL".utf8), key], deadline: deadline) { removed += 1 }
        }
        return removed
    }

    /// The calls held in Redis (all instances'): a SCAN of the record keys, no record read.
    public var count: Int {
        scanKeys(deadline: Self.monotonic() + 2_000_000_000).count
    }

    public func versionsInUse(now: Double) -> Set<Int> {
        Set(scanRecords(deadline: Self.monotonic() + 2_000_000_000)
            .filter { now - $0.stored.record.lastSeen <= ttl }.map { $0.stored.record.scriptVersion })
    }

    /// The script version names live calls use, across every instance.
    public func scriptNamesInUse(now: Double) -> Set<String> {
        Set(scanRecords(deadline: Self.monotonic() + 2_000_000_000)
            .filter { now - $0.stored.record.lastSeen <= ttl }.map(\.stored.scriptName))
    }

    private static func globEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if "*?[]\\".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// Why the shared store could not load or save a call's state.
public struct SharedStoreError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A connection in the pool (only ever used by the one thread that took it out).
private struct PooledConnection: @unchecked Sendable {
    let connection: RedisConnection
    init(_ connection: RedisConnection) { self.connection = connection }
}

extension Duration {
    var nanos: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
