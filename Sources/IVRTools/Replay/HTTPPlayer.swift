#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import IVRWire
import Synchronization

/// `replay --url`: plays recorded calls over HTTP against a running engine.
///
/// N threads (at most one per core), each running a `poll()` loop over its share
/// of the C keep-alive connections; each connection plays one call at a time, its
/// requests in order, reading each response by its `Content-Length`. Every request
/// is encoded (HTTP head and body) before the clock starts; a play copies its
/// call's bytes into the connection's buffer and writes its id's digits in place,
/// so nothing is allocated per request unless replies are verified. Every play
/// uses a fresh `IVR_UNIQUE_ID` (the recorded one, a dash, 12 hex digits), so a
/// replay never meets state a recorded call left in the engine.
public struct HTTPPlayer {
    public var host: String
    public var port: Int
    public var options: ReplayOptions
    /// Seconds a request may wait for its answer before it counts as a transport failure.
    public var requestTimeout: Double = 10

    public init(url: String, options: ReplayOptions) throws(RecordingError) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else { throw RecordingError("--url: only http:// URLs, got '\(url)'") }
        rest = rest.dropFirst(7)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host = String(rest), port = 80
        if let colon = rest.lastIndex(of: ":"), !rest.hasPrefix("[") || rest[..<colon].hasSuffix("]") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw RecordingError("--url: bad port in '\(url)'")
            }
            host = String(rest[..<colon])
            port = p
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw RecordingError("--url: no host in '\(url)'") }
        self.host = host
        self.port = port
        self.options = options
    }

    /// Plays `calls`; `progress` is told the running totals now and then.
    public func run(_ calls: [RecordedCall], progress: ReplayProgress? = nil) throws(RecordingError) -> ReplaySummary {
        let address = try resolve()
        let templates = calls.map { HTTPTemplate(CallTemplate($0), host: host, port: port) }
        let connections = options.concurrency
        let threads = max(1, min(connections, ProcessInfo.processInfo.activeProcessorCount))
        let start = monotonicNanos()
        let dispenser = PlayDispenser(templates: templates.count, copies: options.copies,
                                      duration: options.duration, start: start)
        let tallies = Mutex(ReplayTally())
        let group = DispatchGroup()
        let tag = UInt16.random(in: 0...UInt16.max)
        for t in 0..<threads {
            let share = connections / threads + (t < connections % threads ? 1 : 0)
            guard share > 0 else { continue }
            let loop = ConnectionLoop(templates: templates, address: address, connections: share,
                                      dispenser: dispenser, options: options, threads: threads, start: start,
                                      tag: tag, timeout: UInt64(requestTimeout * 1e9), progress: progress)
            group.enter()
            let thread = Thread {
                let tally = loop.run()
                tallies.withLock { $0.add(tally) }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        let seconds = Double(monotonicNanos() - start) / 1e9
        return ReplaySummary(tallies.withLock { $0 }, seconds: seconds)
    }

    /// The first IPv4 or IPv6 address of ``host``.
    private func resolve() throws(RecordingError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let name = host == "localhost" ? "127.0.0.1" : host
        guard getaddrinfo(name, String(port), &hints, &list) == 0, let first = list else {
            throw RecordingError("--url: cannot resolve '\(host)'")
        }
        defer { freeaddrinfo(list) }
        var storage = sockaddr_storage()
        let length = first.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) { raw in
            if let source = first.pointee.ai_addr, let target = raw.baseAddress { memcpy(target, source, Int(length)) }
        }
        return SocketAddress(storage: storage, length: length, family: first.pointee.ai_family)
    }
}

/// A resolved address to connect to.
struct SocketAddress: @unchecked Sendable {
    var storage: sockaddr_storage
    var length: socklen_t
    var family: Int32

    /// A connected, non-blocking TCP socket with TCP_NODELAY, or -1.
    func connect() -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var copy = storage
        let ok = withUnsafePointer(to: &copy) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) == 0 }
        }
        guard ok else {
            close(fd)
            return -1
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }
}

/// A call's requests as whole HTTP/1.1 requests, ready to send.
struct HTTPTemplate: Sendable {
    let base: CallTemplate
    let requests: [[UInt8]]
    /// Per request: where its body starts (the id offsets are the body's).
    let bodyStarts: [Int]

    init(_ base: CallTemplate, host: String, port: Int) {
        self.base = base
        var requests: [[UInt8]] = [], starts: [Int] = []
        for (body, step) in zip(base.bodies, base.call.steps) {
            let route = base.call.route == "main" ? "/" : "/" + base.call.route
            let head = "POST \(route) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: \(step.contentType)\r\n"
                + "Content-Length: \(body.count)\r\n\r\n"
            starts.append(head.utf8.count)
            requests.append(Array(head.utf8) + body)
        }
        self.requests = requests
        self.bodyStarts = starts
    }
}

/// One thread's connections and their poll loop.
final class ConnectionLoop: @unchecked Sendable {
    let templates: [HTTPTemplate]
    let address: SocketAddress
    let dispenser: PlayDispenser
    let options: ReplayOptions
    let tag: UInt16
    let timeout: UInt64
    let progress: ReplayProgress?
    var pacer: Pacer
    var connections: [Connection]
    var tally = ReplayTally()
    /// Counts not yet passed to ``progress``.
    var unreported = (requests: 0, errors: 0)

    init(templates: [HTTPTemplate], address: SocketAddress, connections: Int, dispenser: PlayDispenser,
         options: ReplayOptions, threads: Int, start: UInt64, tag: UInt16, timeout: UInt64, progress: ReplayProgress?) {
        self.templates = templates
        self.address = address
        self.dispenser = dispenser
        self.options = options
        self.tag = tag
        self.timeout = timeout
        self.progress = progress
        self.pacer = Pacer(rate: options.rate, threads: threads, start: start)
        let capacity = templates.flatMap(\.requests).map(\.count).max() ?? 0
        self.connections = (0..<connections).map { _ in Connection(sendCapacity: capacity) }
    }

    /// One keep-alive connection playing one call at a time.
    struct Connection {
        enum Phase { case idle, pacing, sending, receiving, done }
        var fd: Int32 = -1
        var phase = Phase.idle
        var template = 0
        var play = 0
        var step = 0
        let send: UnsafeMutablePointer<UInt8>
        var sendLength = 0
        var sent = 0
        var receive: UnsafeMutablePointer<UInt8>
        var receiveCapacity = 16384
        var received = 0
        /// Once the head is read: where the body starts and how long it is.
        var bodyStart = -1
        var bodyLength = 0
        var status = 0
        var closeAfter = false
        var sentAt: UInt64 = 0

        init(sendCapacity: Int) {
            send = .allocate(capacity: max(1, sendCapacity))
            receive = .allocate(capacity: 16384)
        }
    }

    deinit {
        for c in connections {
            if c.fd >= 0 { close(c.fd) }
            c.send.deallocate()
            c.receive.deallocate()
        }
    }

    func run() -> ReplayTally {
        var fds = [pollfd](repeating: pollfd(), count: connections.count)
        var owners = [Int](repeating: 0, count: connections.count)
        while true {
            let now = monotonicNanos()
            var nextWake: UInt64 = 100_000_000
            var active = 0
            for i in connections.indices {
                if connections[i].phase == .idle { startPlay(i, now: now) }
                if connections[i].phase == .pacing {
                    let wait = pacer.wait(now: now)
                    if wait == 0 { beginSend(i, now: now) } else { nextWake = min(nextWake, wait) }
                }
                if connections[i].phase == .sending { writeSome(i) }
                let c = connections[i]
                switch c.phase {
                case .sending, .receiving:
                    if now > c.sentAt && now - c.sentAt > timeout { fail(i) } else {
                        fds[active] = pollfd(fd: c.fd, events: Int16(c.phase == .sending ? POLLOUT : POLLIN), revents: 0)
                        owners[active] = i
                        active += 1
                    }
                case .pacing: active += 0
                case .idle, .done: break
                }
            }
            if connections.allSatisfy({ $0.phase == .done }) { break }
            let waitMillis = Int32(max(0, min(100, (nextWake + 999_999) / 1_000_000)))
            let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t(active), waitMillis) }
            guard ready > 0 else { continue }
            for k in 0..<active where fds[k].revents != 0 {
                let i = owners[k]
                if connections[i].phase == .sending { writeSome(i) } else if connections[i].phase == .receiving { readSome(i) }
            }
        }
        flushProgress()
        return tally
    }

    /// Takes the next play for connection `i`, or marks it done.
    private func startPlay(_ i: Int, now: UInt64) {
        guard let (template, play) = dispenser.take(now: now) else {
            connections[i].phase = .done
            return
        }
        connections[i].template = template
        connections[i].play = play
        connections[i].step = 0
        connections[i].phase = .pacing
    }

    /// Copies the request of the connection's step into its buffer, patches the id, and starts sending.
    private func beginSend(_ i: Int, now: UInt64) {
        if connections[i].fd < 0 {
            connections[i].fd = address.connect()
            if connections[i].fd < 0 {
                connections[i].sentAt = now
                usleep(10_000)
                fail(i)
                return
            }
        }
        let t = templates[connections[i].template]
        let step = connections[i].step
        let request = t.requests[step]
        let c = connections[i]
        request.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { c.send.update(from: base, count: source.count) }
        }
        CallTemplate.patch(c.send, offsets: t.base.digitOffsets[step], shift: t.bodyStarts[step], tag: tag,
                           play: UInt32(truncatingIfNeeded: c.play))
        connections[i].sendLength = request.count
        connections[i].sent = 0
        connections[i].received = 0
        connections[i].bodyStart = -1
        connections[i].sentAt = monotonicNanos()
        connections[i].phase = .sending
    }

    private func writeSome(_ i: Int) {
        let c = connections[i]
        let n = Glibc.send(c.fd, c.send + c.sent, c.sendLength - c.sent, Int32(MSG_NOSIGNAL))
        if n > 0 {
            connections[i].sent += n
            if connections[i].sent == c.sendLength { connections[i].phase = .receiving }
        } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return
        } else {
            fail(i)
        }
    }

    private func readSome(_ i: Int) {
        var c = connections[i]
        if c.received == c.receiveCapacity {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c.receiveCapacity * 2)
            bigger.update(from: c.receive, count: c.received)
            c.receive.deallocate()
            c.receive = bigger
            c.receiveCapacity *= 2
            connections[i] = c
        }
        let n = recv(c.fd, c.receive + c.received, c.receiveCapacity - c.received, 0)
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return }
        guard n > 0 else {
            fail(i)
            return
        }
        connections[i].received += n
        if connections[i].bodyStart < 0 && !parseHead(i) { return }
        c = connections[i]
        guard c.bodyStart >= 0, c.received >= c.bodyStart + c.bodyLength else { return }
        finish(i)
    }

    /// Reads the status line and headers once they are all in; false when not yet (or failed).
    private func parseHead(_ i: Int) -> Bool {
        let c = connections[i]
        let p = c.receive
        guard c.received >= 4 else { return false }
        var end = -1
        var k = 3
        while k < c.received {
            if p[k] == 10 && p[k - 1] == 13 && p[k - 2] == 10 && p[k - 3] == 13 { end = k + 1; break }
            k += 1
        }
        guard end > 0 else { return false }
        // "HTTP/1.1 200 ..."
        guard end > 12, p[8] == 32 else {
            fail(i)
            return false
        }
        let status = Int(p[9] &- 48) * 100 + Int(p[10] &- 48) * 10 + Int(p[11] &- 48)
        var length = 0, close = false, chunked = false
        var line = 0
        while line < end {
            var eol = line
            while eol < end && p[eol] != 10 { eol += 1 }
            if Self.header(p, line, eol, "content-length:") {
                var j = line + 15
                length = 0
                while j < eol {
                    let d = p[j]
                    if d >= 48 && d <= 57 { length = length * 10 + Int(d - 48) }
                    j += 1
                }
            } else if Self.header(p, line, eol, "connection:") {
                close = Self.contains(p, line + 11, eol, "close")
            } else if Self.header(p, line, eol, "transfer-encoding:") {
                chunked = true
            }
            line = eol + 1
        }
        if chunked {
            fail(i)
            return false
        }
        connections[i].status = status
        connections[i].bodyStart = end
        connections[i].bodyLength = length
        connections[i].closeAfter = close
        return true
    }

    private static func header(_ p: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int, _ name: StaticString) -> Bool {
        let n = name.utf8CodeUnitCount
        guard end - start >= n else { return false }
        let bytes = name.utf8Start
        for j in 0..<n where p[start + j] | 0x20 != bytes[j] { return false }
        return true
    }

    private static func contains(_ p: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard end - start >= n else { return false }
        let bytes = word.utf8Start
        outer: for s in start...(end - n) {
            for j in 0..<n where p[s + j] | 0x20 != bytes[j] { continue outer }
            return true
        }
        return false
    }

    /// A whole response is in: count it, verify it if asked, go on with the call.
    private func finish(_ i: Int) {
        let c = connections[i]
        tally.record(latencyNanos: monotonicNanos() - c.sentAt)
        tally.requests += 1
        unreported.requests += 1
        let t = templates[c.template]
        let step = t.base.call.steps[c.step]
        if c.status != step.status {
            tally.statusErrors += 1
            unreported.errors += 1
        }
        if options.verify {
            let body = Array(UnsafeBufferPointer(start: c.receive + c.bodyStart, count: c.bodyLength))
            let fresh = t.base.digitOffsets[c.step].isEmpty ? nil
                : t.base.freshID(tag: tag, play: UInt32(truncatingIfNeeded: c.play))
            if let difference = ReplayCheck.compare(step, index: c.step, call: t.base.call, status: c.status, body: body,
                                                    freshID: fresh, language: options.language) {
                tally.differences.append((c.play << 16 | c.step, difference))
            }
        }
        if c.closeAfter {
            close(c.fd)
            connections[i].fd = -1
        }
        advance(i)
    }

    /// A transport failure on connection `i`: counted, the connection dropped, the call goes on.
    private func fail(_ i: Int) {
        tally.transportErrors += 1
        tally.requests += 1
        unreported.requests += 1
        unreported.errors += 1
        if connections[i].fd >= 0 {
            close(connections[i].fd)
            connections[i].fd = -1
        }
        advance(i)
    }

    private func advance(_ i: Int) {
        if unreported.requests >= 256 { flushProgress() }
        connections[i].step += 1
        let steps = templates[connections[i].template].requests.count
        if connections[i].step >= steps {
            tally.calls += 1
            connections[i].phase = .idle
        } else if dispenser.expired(now: monotonicNanos()) {
            connections[i].phase = .done
        } else {
            connections[i].phase = .pacing
        }
    }

    private func flushProgress() {
        progress?.count(requests: unreported.requests, errors: unreported.errors)
        unreported = (0, 0)
    }
}
