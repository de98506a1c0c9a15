import IVRRedisState
import IVRState
import RedisTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The parts of the Redis store the contract suite does not reach: the
/// address, the record format, and turns across two stores (two instances).
@Suite struct RedisStoreTests {
    @Test func addressesParseAndBadOnesSayWhy() throws {
        #expect(try RedisAddress.parse("redis://127.0.0.1:6380").get() == RedisAddress(host: "127.0.0.1", port: 6380))
        #expect(try RedisAddress.parse("redis://:s3cret@redis.local:6379/2").get()
                == RedisAddress(host: "redis.local", port: 6379, password: "s3cret", database: 2))
        #expect(try RedisAddress.parse("redis://localhost").get() == RedisAddress(host: "localhost"))
        for bad in ["memory2", "http://x:1", "redis://:1", "redis://h:0", "redis://h:99999", "redis://h:1/x", "redis://h:port"] {
            guard case .failure(let error) = RedisAddress.parse(bad) else {
                Issue.record("\(bad) parsed")
                continue
            }
            #expect(!error.description.isEmpty)
        }
    }

    static let record = CallRecord(
        state: StateTable([
            .text("name"): .text("דנה"), .int(-7): .double(2.5), .bool(true): .bool(false), .double(0.25): .int(Int64.min),
            .text("nested"): .table(StateTable([.int(1): .table(StateTable([.text("deep"): .string([0, 255, 10])]))])),
        ]),
        seq: 12, route: "support", scriptVersion: 0, lastSeen: 1_764_633_600.125)

    @Test func recordsRoundTripWithTheirVersionByteFirst() throws {
        let bytes = CallRecordCodec.encode(Self.record, scriptName: "abc123")
        #expect(bytes.first == 1)
        let stored = try CallRecordCodec.decode(bytes) { _ in 0 }.get()
        #expect(stored.record == Self.record)
        #expect(stored.scriptName == "abc123")
    }

    @Test func damagedOrNewerRecordsAreRefusedNeverTrusted() {
        let bytes = CallRecordCodec.encode(Self.record, scriptName: "abc123")
        for n in 0..<bytes.count {
            if case .success = CallRecordCodec.decode(Array(bytes.prefix(n)), scriptVersion: { _ in 0 }) {
                Issue.record("a record cut to \(n) bytes decoded")
            }
        }
        #expect(CallRecordCodec.decode([2] + bytes.dropFirst(), scriptVersion: { _ in 0 }) == .failure(.unknownVersion(2)))
        #expect(CallRecordCodec.decode(bytes + [0], scriptVersion: { _ in 0 }) == .failure(.malformed))
        // A length that claims more than there is.
        #expect(CallRecordCodec.decode([1, 1] + [UInt8](repeating: 0, count: 8) + [0xFF, 0xFF, 0xFF, 0x0F],
                                       scriptVersion: { _ in 0 }) == .failure(.malformed))
    }

    static func store(_ redis: RedisTestServer, prefix: String, lease: Duration = .seconds(3)) -> RedisCallStore {
        RedisCallStore(address: RedisAddress(host: "127.0.0.1", port: Int32(redis.port)), prefix: prefix, ttl: 600, lease: lease)
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    final class Never: CallTurnWaiter {
        func turnGranted(_ record: CallRecord?) {}
    }

    @Test func aCallLeasedByAnotherInstanceWaitsUntilTheDeadlineOrTheLeaseEnds() throws {
        let redis = try #require(RedisTestServer.shared)
        let prefix = RedisTestServer.uniquePrefix("lease")
        let a = Self.store(redis, prefix: prefix, lease: .milliseconds(400))
        let b = Self.store(redis, prefix: prefix, lease: .milliseconds(400))
        guard case .grant(.granted(nil, _)) = a.begin("c", deadline: Self.now() + 1_000_000_000, waiter: { Never() }) else {
            Issue.record("a did not get the new call's turn")
            return
        }
        // b gives up at its deadline while a holds the lease...
        var start = Self.now()
        guard case .grant(.unavailable) = b.begin("c", deadline: start + 100_000_000, waiter: { Never() }) else {
            Issue.record("b got a leased call's turn")
            return
        }
        let waited = Self.now() - start
        #expect(waited >= 100_000_000 && waited < 800_000_000)
        _ = b.finish("c", .keep, scriptName: "", deadline: Self.now() + 100_000_000)
        // ...and gets it once a's lease runs out (a "died" holding it).
        start = Self.now()
        guard case .grant(.granted(nil, _)) = b.begin("c", deadline: start + 2_000_000_000, waiter: { Never() }) else {
            Issue.record("b never got the turn after a's lease expired")
            return
        }
        #expect(Self.now() - start < 1_800_000_000)  // within its 2 s deadline, once the 400 ms lease is gone
        let record = CallRecord(seq: 1, route: "main", scriptVersion: 0, lastSeen: 1)
        #expect(b.finish("c", .save(record), scriptName: "h", deadline: Self.now() + 500_000_000).saved.isSuccess)
        // a's late save is refused: its lease is gone, so it cannot overwrite b's record.
        #expect(!a.finish("c", .save(CallRecord(seq: 99, route: "main", scriptVersion: 0, lastSeen: 1)), scriptName: "h",
                          deadline: Self.now() + 500_000_000).saved.isSuccess)
        #expect(b.load("c", now: 1)?.seq == 1)
    }

    @Test func aRecordInANewerFormatIsLeftAloneAndTheTurnIsUnavailable() throws {
        let redis = try #require(RedisTestServer.shared)
        let prefix = RedisTestServer.uniquePrefix("newer")
        _ = redis.cli(["EVAL", "redis.call('SET', KEYS[1], string.char(2) .. 'future')", "1", "\(prefix)call:{n}"])
        let store = Self.store(redis, prefix: prefix)
        guard case .grant(.unavailable(let why)) = store.begin("n", deadline: Self.now() + 500_000_000, waiter: { Never() }) else {
            Issue.record("a newer record was read")
            return
        }
        #expect(why.contains("version 2"))
        _ = store.finish("n", .keep, scriptName: "", deadline: Self.now() + 500_000_000)
        #expect(redis.cli(["--raw", "GET", "\(prefix)call:{n}"]).hasSuffix("future\n"))
        #expect(redis.cli(["EXISTS", "\(prefix)lock:{n}"]).hasPrefix("0"))  // the lease was given back
    }

    @Test func anUnreachableRedisIsAFastFailureAndNotReady() {
        let store = RedisCallStore(address: RedisAddress(host: "127.0.0.1", port: Int32(FreePort.pick())), prefix: "x:",
                                   ttl: 60, lease: .seconds(1))
        let start = Self.now()
        guard case .grant(.unavailable) = store.begin("u", deadline: start + 500_000_000, waiter: { Never() }) else {
            Issue.record("a turn without Redis")
            return
        }
        #expect(Self.now() - start < 450_000_000)  // refused at once, well before the 500 ms deadline
        #expect(!store.reachable)
        #expect(!store.ping())
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
}
