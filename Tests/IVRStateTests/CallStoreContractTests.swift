import Dispatch
import IVRRedisState
import IVRState
import RedisTestSupport
import Synchronization
import Testing

/// The store contract (`CallStore`): turns serialize a call's requests in
/// arrival order, records are saved, kept or deleted as the turn ends, and
/// idle calls expire. Written against the protocol, so a shared store (Redis)
/// runs the same suite by adding itself to `stores`.
@Suite struct CallStoreContractTests {
    static func stores(ttl: Double) -> [any CallStore] {
        var stores: [any CallStore] = [InMemoryCallStore(ttl: ttl), InMemoryCallStore(ttl: ttl, shardCount: 1)]
        // The Redis store on a real redis-server, each test on a prefix of its own.
        if let redis = RedisTestServer.shared {
            stores.append(RedisCallStore(address: RedisAddress(host: "127.0.0.1", port: Int32(redis.port)),
                                         prefix: RedisTestServer.uniquePrefix("contract"), ttl: ttl, lease: .seconds(3)))
        }
        return stores
    }

    @Test func theRedisServerForTheSharedStoreIsRunning() {
        #expect(RedisTestServer.shared != nil)
    }

    /// Remembers the order in which queued requests got the turn.
    final class Waiter: CallTurnWaiter {
        let name: String
        let log: Log
        init(_ name: String, log: Log) {
            self.name = name
            self.log = log
        }
        func turnGranted(_ record: CallRecord?) {
            log.names.withLock { $0.append(name) }
        }
    }
    final class Log: Sendable {
        let names = Mutex<[String]>([])
        var all: [String] { names.withLock { $0 } }
    }

    func record(seq: Int, now: Double, version: Int = 1) -> CallRecord {
        CallRecord(state: StateTable([.text("n"): .int(Int64(seq))]), seq: seq, route: "main", scriptVersion: version, lastSeen: now)
    }

    /// The record of a granted turn (`.some(nil)`: granted, new call); nil when queued.
    func granted(_ turn: CallTurn) -> CallRecord?? {
        if case .granted(let record) = turn { return .some(record) }
        return nil
    }

    @Test(arguments: stores(ttl: 100))
    func aNewCallIsGrantedWithNoRecordAndSavedAtTheEnd(store: any CallStore) {
        let log = Log()
        #expect(granted(store.beginTurn("a", now: 1) { Waiter("unused", log: log) }) == .some(nil))
        #expect(store.load("a", now: 1) == nil)  // nothing saved until the turn ends
        #expect(store.count == 0)
        #expect(store.endTurn("a", .save(record(seq: 1, now: 1)), now: 1) == nil)
        #expect(store.load("a", now: 2)?.seq == 1)
        #expect(store.count == 1)
        #expect(granted(store.beginTurn("a", now: 2) { Waiter("unused", log: log) })??.seq == 1)
        #expect(store.endTurn("a", .keep, now: 2) == nil)
        #expect(store.load("a", now: 2) == record(seq: 1, now: 1))
        #expect(log.all == [])
    }

    @Test(arguments: stores(ttl: 100))
    func requestsOfABusyCallWaitAndGetTheTurnInArrivalOrder(store: any CallStore) {
        let log = Log()
        _ = store.beginTurn("a", now: 1) { Waiter("never", log: log) }
        for name in ["second", "third", "fourth"] {
            #expect(granted(store.beginTurn("a", now: 1) { Waiter(name, log: log) }) == nil)
        }
        // Another call is not held up by the busy one.
        #expect(granted(store.beginTurn("b", now: 1) { Waiter("b", log: log) }) == .some(nil))
        _ = store.endTurn("b", .save(record(seq: 1, now: 1)), now: 1)

        var seq = 1
        var next = store.endTurn("a", .save(record(seq: seq, now: 1)), now: 1)
        while let (waiter, given) = next {
            #expect(given?.seq == seq)  // each waiter sees what the previous turn saved
            waiter.turnGranted(given)
            seq += 1
            next = store.endTurn("a", .save(record(seq: seq, now: 1)), now: 1)
        }
        #expect(log.all == ["second", "third", "fourth"])
        #expect(store.load("a", now: 1)?.seq == 4)
        #expect(granted(store.beginTurn("a", now: 1) { Waiter("late", log: log) })??.seq == 4)  // free again
        _ = store.endTurn("a", .keep, now: 1)
    }

    @Test(arguments: stores(ttl: 100))
    func deleteForgetsTheCallAndTheNextRequestStartsAfresh(store: any CallStore) throws {
        let log = Log()
        _ = store.beginTurn("a", now: 1) { Waiter("x", log: log) }
        _ = store.endTurn("a", .save(record(seq: 1, now: 1)), now: 1)
        _ = store.beginTurn("a", now: 2) { Waiter("x", log: log) }
        _ = store.beginTurn("a", now: 2) { Waiter("after-hangup", log: log) }
        let next = try #require(store.endTurn("a", .delete, now: 2))
        #expect(next.1 == nil)  // the request queued behind HANGUP_CALL starts a new call
        #expect(store.load("a", now: 2) == nil)
        #expect(store.count == 0)
        #expect(store.endTurn("a", .keep, now: 2) == nil)
        #expect(store.count == 0)
        #expect(granted(store.beginTurn("a", now: 3) { Waiter("y", log: log) }) == .some(nil))
        _ = store.endTurn("a", .keep, now: 3)
    }

    @Test(arguments: stores(ttl: 10))
    func idleCallsExpireButNotWhileBeingServed(store: any CallStore) {
        let log = Log()
        for id in ["idle", "busy"] {
            _ = store.beginTurn(id, now: 0) { Waiter(id, log: log) }
            _ = store.endTurn(id, .save(record(seq: 1, now: 0, version: id == "idle" ? 1 : 2)), now: 0)
        }
        #expect(store.versionsInUse(now: 5) == [1, 2])
        _ = store.beginTurn("busy", now: 5) { Waiter("busy", log: log) }
        #expect(store.expire(now: 20) == 1)
        #expect(store.load("idle", now: 20) == nil)
        _ = store.endTurn("busy", .save(record(seq: 2, now: 20, version: 2)), now: 20)
        #expect(store.load("busy", now: 21)?.seq == 2)
        #expect(store.versionsInUse(now: 21) == [2])
        #expect(store.count == 1)
        // A call idle past the TTL is a new call when its next request comes.
        #expect(granted(store.beginTurn("busy", now: 40) { Waiter("again", log: log) }) == .some(nil))
        _ = store.endTurn("busy", .keep, now: 40)
        #expect(store.count == 0)
    }

    /// Runs one increment of the call "hot" in its turn, then hands the turn on, as the engine does.
    final class Increment: CallTurnWaiter {
        let store: any CallStore
        init(store: any CallStore) { self.store = store }

        func turnGranted(_ record: CallRecord?) {
            var current: (any CallTurnWaiter, CallRecord?)? = (self, record)
            // The chain of waiters runs as a loop here, not a recursion.
            while let (waiter, given) = current {
                var r = given ?? CallRecord(route: "main", scriptVersion: 1, lastSeen: 0)
                r.seq += 1
                current = store.endTurn("hot", .save(r), now: 0)
                _ = waiter
            }
        }
    }

    @Test(arguments: stores(ttl: 100))
    func concurrentRequestsOfOneCallLoseNoUpdate(store: any CallStore) {
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<250 {
                let mine = Increment(store: store)
                if case .granted(let record) = store.beginTurn("hot", now: 0, waiter: { mine }) {
                    mine.turnGranted(record)
                }
            }
        }
        #expect(store.load("hot", now: 0)?.seq == 2000)
    }
}
