#if canImport(Glibc)
import Glibc
#endif
import CHiredis

/// What Redis answered to one command, copied out of hiredis's reply.
enum RedisValue: Equatable {
    case string([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisValue])
    case null
    case error(String)
}

/// Why a command got no answer: the connection failed or timed out.
struct RedisIOError: Error {
    let message: String
}

/// One hiredis connection (a `redisContext`), used by one thread at a time.
/// Owned by ``RedisCallStore``'s pool; freed when dropped. Each command gets
/// a socket timeout of what is left of its request's deadline.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    /// The SHA1s of the store's scripts, as `SCRIPT LOAD` named them on this connection.
    var scriptSHAs: [String: String] = [:]
    /// The socket timeout in force, in microseconds (set again only when it changes much).
    private var timeoutMicros: Int64 = -1

    private init(context: UnsafeMutablePointer<redisContext>) {
        self.context = context
    }

    deinit { redisFree(context) }

    /// Connects within `timeoutNanos`, authenticates and selects the database.
    static func open(_ address: RedisAddress, timeoutNanos: Int64) -> Result<RedisConnection, RedisIOError> {
        let tv = timeval(nanos: max(timeoutNanos, 1_000_000))
        guard let context = redisConnectWithTimeout(address.host, address.port, tv) else {
            return .failure(RedisIOError(message: "cannot allocate a Redis connection"))
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            return .failure(RedisIOError(message: "connect to \(address.host):\(address.port): \(message)"))
        }
        let connection = RedisConnection(context: context)
        if let password = address.password {
            switch connection.command(["AUTH", password], timeoutNanos: timeoutNanos) {
            case .success(.error(let e)): return .failure(RedisIOError(message: "AUTH: \(e)"))
            case .failure(let e): return .failure(e)
            default: break
            }
        }
        if address.database != 0 {
            switch connection.command(["SELECT", String(address.database)], timeoutNanos: timeoutNanos) {
            case .success(.error(let e)): return .failure(RedisIOError(message: "SELECT: \(e)"))
            case .failure(let e): return .failure(e)
            default: break
            }
        }
        return .success(connection)
    }

    /// Whether the connection broke (then it is dropped, and the next request connects anew).
    var broken: Bool { context.pointee.err != 0 }

    func command(_ args: [String], timeoutNanos: Int64) -> Result<RedisValue, RedisIOError> {
        command(args.map { Array($0.utf8) }, timeoutNanos: timeoutNanos)
    }

    /// Sends one command (binary-safe arguments) and waits at most `timeoutNanos` for its answer.
    func command(_ args: [[UInt8]], timeoutNanos: Int64) -> Result<RedisValue, RedisIOError> {
        guard !broken else { return .failure(RedisIOError(message: "connection broken")) }
        guard timeoutNanos > 0 else { return .failure(RedisIOError(message: "no time left before the deadline")) }
        let micros = max(timeoutNanos / 1000, 1000)
        // setsockopt twice per change: skip it when the timeout moved by less than a millisecond.
        if timeoutMicros < 0 || abs(timeoutMicros - micros) > 1000 {
            redisSetTimeout(context, timeval(nanos: micros * 1000))
            timeoutMicros = micros
        }
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int] = []
        pointers.reserveCapacity(args.count)
        lengths.reserveCapacity(args.count)
        let storage = args.map { bytes -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: bytes.count) }
            }
            return p
        }
        defer { storage.forEach { $0.deallocate() } }
        for (i, bytes) in args.enumerated() {
            pointers.append(UnsafePointer(storage[i]))
            lengths.append(bytes.count)
        }
        let reply = pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { argl in
                ivr_redis_command(context, Int32(args.count), argv.baseAddress, argl.baseAddress)
            }
        }
        guard let reply else {
            return .failure(RedisIOError(message: Self.errorText(context)))
        }
        defer { freeReplyObject(reply) }
        return .success(Self.value(reply))
    }

    private static func value(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .string(bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisValue] = []
            if let element = r.element {
                for i in 0..<Int(r.elements) {
                    if let item = element[i] { items.append(value(item)) } else { items.append(.null) }
                }
            }
            return .array(items)
        default:
            return .null
        }
    }

    private static func bytes(_ str: UnsafeMutablePointer<CChar>?, _ len: Int) -> [UInt8] {
        guard let str, len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: str, count: len))
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "Redis I/O error \(context.pointee.err)" : text
        }
    }
}

extension timeval {
    init(nanos: Int64) {
        self.init(tv_sec: Int(nanos / 1_000_000_000), tv_usec: Int((nanos % 1_000_000_000) / 1000))
    }
}
