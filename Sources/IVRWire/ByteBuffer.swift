#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// UTF-8 validation over raw bytes, shared by the JSON parser and the encoders.
enum UTF8Validation {
    /// The length of the well-formed UTF-8 sequence that starts at `p[i]`, or 0
    /// when it is ill-formed (overlong, surrogate, above U+10FFFF, truncated).
    @inline(__always)
    static func sequenceLength(_ p: UnsafePointer<UInt8>, at i: Int, end: Int) -> Int {
        let b0 = p[i]
        if b0 < 0x80 { return 1 }
        if b0 < 0xC2 { return 0 }
        if b0 < 0xE0 {
            guard i + 1 < end, p[i + 1] & 0xC0 == 0x80 else { return 0 }
            return 2
        }
        if b0 < 0xF0 {
            guard i + 2 < end else { return 0 }
            let b1 = p[i + 1]
            switch b0 {
            case 0xE0: guard b1 >= 0xA0 && b1 <= 0xBF else { return 0 }
            case 0xED: guard b1 >= 0x80 && b1 <= 0x9F else { return 0 }
            default: guard b1 & 0xC0 == 0x80 else { return 0 }
            }
            guard p[i + 2] & 0xC0 == 0x80 else { return 0 }
            return 3
        }
        if b0 < 0xF5 {
            guard i + 3 < end else { return 0 }
            let b1 = p[i + 1]
            switch b0 {
            case 0xF0: guard b1 >= 0x90 && b1 <= 0xBF else { return 0 }
            case 0xF4: guard b1 >= 0x80 && b1 <= 0x8F else { return 0 }
            default: guard b1 & 0xC0 == 0x80 else { return 0 }
            }
            guard p[i + 2] & 0xC0 == 0x80, p[i + 3] & 0xC0 == 0x80 else { return 0 }
            return 4
        }
        return 0
    }

    /// Whether all of `bytes` is well-formed UTF-8.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = bytes.baseAddress else { return true }
        var i = 0
        let end = bytes.count
        while i < end {
            if p[i] < 0x80 { i += 1; continue }
            let n = sequenceLength(p, at: i, end: end)
            if n == 0 { return false }
            i += n
        }
        return true
    }
}

/// The encoders' output buffer: growable, one capacity check per write and no
/// array bookkeeping per append (appending to a `[UInt8]` checks its
/// uniqueness and capacity each time, which was a third of encoding a reply).
///
/// Owned by the one encode call that makes it (noncopyable: its memory has
/// exactly one owner); ``finish()`` hands the bytes over as an array, and the
/// buffer is freed when the writer ends, whichever way.
struct ByteWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        if capacity <= ByteWriterScratch.size, let scratch = ByteWriterScratch.take() {
            self.base = scratch
            self.capacity = ByteWriterScratch.size
        } else {
            self.capacity = Swift.max(16, capacity)
            self.base = .allocate(capacity: self.capacity)
        }
    }

    deinit {
        if capacity != ByteWriterScratch.size || !ByteWriterScratch.give(base) { base.deallocate() }
    }

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if n > capacity &- count { grow(n) }
    }

    @inline(never)
    private mutating func grow(_ n: Int) {
        let needed = count + n
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.initialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).initialize(from: start, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: start, byteCount: bytes.count)
        count += bytes.count
    }

    /// Appends the bytes of a literal.
    @inline(__always)
    mutating func appendLiteral(_ literal: StaticString) {
        literal.withUTF8Buffer { append($0) }
    }

    /// Appends the UTF-8 of `text` as it is (no escaping).
    @inline(__always)
    mutating func appendRaw(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// Appends the decimal text of `value`.
    mutating func appendDecimal(_ value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {  // the common case: a status or a small count
            append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: Int64's 19 digits fit
        Swift.withUnsafeMutableBytes(of: &digits) { raw in
            var at = raw.count
            repeat {
                at -= 1
                raw[at] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            append(UnsafeRawBufferPointer(rebasing: raw[at...]))
        }
    }

    /// Appends the shortest text that reads back as `value`; finite values only.
    mutating func appendFiniteDouble(_ value: Double) {
        appendRaw(value.description)
    }

    /// The bytes written, as an array; the buffer goes with the writer.
    consuming func finish() -> [UInt8] {
        [UInt8](UnsafeBufferPointer(start: base, count: count))
    }
}

/// Each thread's spare encoding buffer: a reply is written there and copied out
/// once, instead of into a buffer allocated (and freed) for it. Taken out of its
/// thread's slot while a writer uses it (a writer made meanwhile gets its own),
/// freed when the thread ends.
enum ByteWriterScratch {
    /// Its size: a reply up to this size never grows the buffer.
    static let size = 2048

    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        #if canImport(Glibc)
        let destructor: @convention(c) (UnsafeMutableRawPointer?) -> Void = { $0?.deallocate() }
        #else
        let destructor: @convention(c) (UnsafeMutableRawPointer) -> Void = { $0.deallocate() }
        #endif
        return pthread_key_create(&key, destructor) == 0 ? key : nil
    }()

    /// This thread's buffer (`size` bytes), if it has one not in use; else nil.
    static func take() -> UnsafeMutablePointer<UInt8>? {
        guard let key else { return nil }
        if let spare = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            return spare.assumingMemoryBound(to: UInt8.self)
        }
        return .allocate(capacity: size)
    }

    /// Keeps `buffer` (`size` bytes) as this thread's spare; false when the slot is taken.
    static func give(_ buffer: UnsafeMutablePointer<UInt8>) -> Bool {
        guard let key, pthread_getspecific(key) == nil else { return false }
        return pthread_setspecific(key, buffer) == 0
    }
}
