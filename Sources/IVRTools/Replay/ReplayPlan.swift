#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IVRWire
import Synchronization

/// How a replay runs (`ivr-engine replay` flags).
public struct ReplayOptions: Sendable {
    /// Calls in flight at once.
    public var concurrency: Int
    /// Times every recorded call is played, each under a fresh `IVR_UNIQUE_ID`.
    public var copies: Int
    /// When set, plays the calls over and over until this many seconds have passed.
    public var duration: Double?
    /// When set, at most this many requests per second.
    public var rate: Double?
    /// Compare every reply with the recorded one.
    public var verify: Bool
    /// `--language`: the language replies are described against.
    public var language: String

    public init(concurrency: Int = 8, copies: Int = 1, duration: Double? = nil, rate: Double? = nil,
                verify: Bool = false, language: String = IVRDefaults.language) {
        self.concurrency = max(1, concurrency)
        self.copies = max(1, copies)
        self.duration = duration
        self.rate = rate
        self.verify = verify
        self.language = language
    }
}

/// A recorded call made ready to play many times: each request's bytes with the
/// call's id replaced by a fresh id of fixed width (`ID-ttttnnnnnnnn`: a tag of the
/// run, then the play's number in hex), and where the play's digits go, so a play
/// patches its number into a copy of the bytes instead of encoding anything.
public struct CallTemplate: Sendable {
    public let call: RecordedCall
    /// Per step: the request body with the fresh id's placeholder.
    public let bodies: [[UInt8]]
    /// Per step: the offsets in ``bodies`` of each of the id's 12 hex digits runs.
    public let digitOffsets: [[Int]]
    /// The fresh id's prefix (the recorded id and a dash).
    public let idPrefix: [UInt8]

    /// Hex digits after ``idPrefix``: 4 of the run's tag, 8 of the play's number.
    public static let digitCount = 12

    public init(_ call: RecordedCall) {
        self.call = call
        let original = Array(call.id.utf8)
        idPrefix = original + [UInt8(ascii: "-")]
        guard call.hasWireID, !original.isEmpty else {
            bodies = call.steps.map(\.request)
            digitOffsets = call.steps.map { _ in [] }
            return
        }
        let placeholder = idPrefix + [UInt8](repeating: UInt8(ascii: "0"), count: Self.digitCount)
        var bodies: [[UInt8]] = [], offsets: [[Int]] = []
        for step in call.steps {
            let (body, at) = Self.replacingID(original, with: placeholder, in: step.request)
            bodies.append(body)
            offsets.append(at.map { $0 + original.count + 1 })
        }
        self.bodies = bodies
        self.digitOffsets = offsets
    }

    /// `body` with the value of its `IVR_UNIQUE_ID` field replaced by `replacement`,
    /// and where each replacement starts. A value is the field's when it is a whole
    /// string (between `"`/`>` and `"`/`<`) and only punctuation, whitespace and the
    /// lower-case XML-RPC tags (`</name><value><string>`) lie between the field's name
    /// and it, so another field that happens to hold the same text is left alone.
    static func replacingID(_ id: [UInt8], with replacement: [UInt8], in body: [UInt8]) -> ([UInt8], [Int]) {
        let key = Array("IVR_UNIQUE_ID".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 16)
        var starts: [Int] = []
        var keyEnd = -1
        var i = 0
        let n = id.count
        while i < body.count {
            if i + key.count <= body.count, body[i] == key[0], body[i..<(i + key.count)].elementsEqual(key) {
                out.append(contentsOf: key)
                i += key.count
                keyEnd = i
                continue
            }
            if keyEnd >= 0, i + n < body.count, i > 0, body[i] == id[0],
               body[i - 1] == UInt8(ascii: "\"") || body[i - 1] == UInt8(ascii: ">"),
               body[i + n] == UInt8(ascii: "\"") || body[i + n] == UInt8(ascii: "<"),
               body[i..<(i + n)].elementsEqual(id),
               body[keyEnd..<i].allSatisfy({ c in
                   c == 0x22 || c == 0x3A || c == 0x3C || c == 0x3E || c == 0x2F || c == 0x20 || c == 0x09
                       || c == 0x0A || c == 0x0D || (c >= 0x61 && c <= 0x7A)
               }) {
                starts.append(out.count)
                out.append(contentsOf: replacement)
                i += n
                keyEnd = -1
                continue
            }
            out.append(body[i])
            i += 1
        }
        return (out, starts)
    }

    /// Writes the hex digits of `tag` (4) and `play` (8) at each of `offsets` (plus `shift`) of `buffer`.
    @inline(__always)
    public static func patch(_ buffer: UnsafeMutablePointer<UInt8>, offsets: [Int], shift: Int, tag: UInt16, play: UInt32) {
        let hex: (UInt64) -> UInt8 = { v in v < 10 ? UInt8(48 + v) : UInt8(87 + v) }
        let value = (UInt64(tag) << 32) | UInt64(play)
        for start in offsets {
            var v = value
            var k = digitCount - 1
            while k >= 0 {
                buffer[shift + start + k] = hex(v & 0xF)
                v >>= 4
                k -= 1
            }
        }
    }

    /// The fresh id of a play, as it appears in the requests.
    public func freshID(tag: UInt16, play: UInt32) -> [UInt8] {
        var id = idPrefix + [UInt8](repeating: 0, count: Self.digitCount)
        id.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress {
                Self.patch(base, offsets: [idPrefix.count], shift: 0, tag: tag, play: play)
            }
        }
        return id
    }
}

/// Hands out plays (a template and a play number) to the player's threads until
/// the calls × copies are played, or, with a duration, until time is up.
final class PlayDispenser: Sendable {
    private let next = Atomic<Int>(0)
    let templates: Int
    let total: Int
    /// `ContinuousClock`-free deadline: CLOCK_MONOTONIC nanoseconds, or 0 for none.
    let deadline: UInt64

    init(templates: Int, copies: Int, duration: Double?, start: UInt64) {
        self.templates = templates
        self.total = duration == nil ? templates * copies : Int.max
        self.deadline = duration.map { start + UInt64(max(0, $0) * 1e9) } ?? 0
    }

    /// The next play: which template, and the play's number (unique in the run); nil when done.
    func take(now: UInt64) -> (template: Int, play: Int)? {
        guard templates > 0, deadline == 0 || now < deadline else { return nil }
        let n = next.add(1, ordering: .relaxed).oldValue
        guard n < total else { return nil }
        return (n % templates, n)
    }

    /// Whether a duration ran out.
    func expired(now: UInt64) -> Bool { deadline != 0 && now >= deadline }
}

/// Paces one thread's requests at `rate / threads` per second.
struct Pacer {
    let interval: UInt64
    var nextSlot: UInt64

    init(rate: Double?, threads: Int, start: UInt64) {
        if let rate, rate > 0 { interval = UInt64(1e9 * Double(threads) / rate) } else { interval = 0 }
        nextSlot = start
    }

    /// 0 when a request may go now (and takes the slot), else the nanoseconds to wait.
    mutating func wait(now: UInt64) -> UInt64 {
        guard interval > 0 else { return 0 }
        if now < nextSlot { return nextSlot - now }
        nextSlot = max(nextSlot + interval, now - min(now, interval * 4) + interval)
        return 0
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
