import CHTTPShims
import CMicroHTTPD
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server over libmicrohttpd: a pool of epoll threads, keep-alive,
/// idle timeouts, a body size limit, and suspend/resume so that a handler can
/// answer later from any thread without holding one of the pool's threads.
public final class HTTPServer: Sendable {
    public let config: HTTPServerConfig
    let handler: any HTTPHandler
    nonisolated(unsafe) private var daemon: OpaquePointer?
    private let started = Atomic<Bool>(false)
    /// Exchanges begun and not yet completed.
    let inFlight = Atomic<Int>(0)
    /// Connections open now.
    let openConnections = Atomic<Int>(0)
    /// Set by ``stop(grace:)``: every response from then on closes its connection.
    let draining = Atomic<Bool>(false)
    /// Exchanges whose connection is suspended, waiting for a handler that answers
    /// later: the drain answers them if the grace period runs out (libmicrohttpd
    /// must never be stopped with a suspended connection). Rare: only requests
    /// queued behind another request of their call are suspended.
    let suspended = Mutex<[ObjectIdentifier: HTTPResponder]>([:])
    private let boundPort = Atomic<Int>(0)
    private let stopping = Mutex<Bool>(false)
    nonisolated(unsafe) private var watch: OpaquePointer?
    /// Who may talk to the server; checked at each request's headers.
    let access: HTTPAccessPolicy
    /// Told of every refused request (once each), for the log.
    let onRefused: (@Sendable (HTTPRefusal) -> Void)?
    /// Requests refused, by ``HTTPRefusalReason`` (token, basic_auth, allow).
    let refusedCounts = RefusedCounts()
    /// Requests refused for their framing (400 and the connection closed).
    let badFraming = Atomic<Int>(0)

    public init(config: HTTPServerConfig, handler: any HTTPHandler, access: HTTPAccessPolicy = HTTPAccessPolicy(),
                onRefused: (@Sendable (HTTPRefusal) -> Void)? = nil) {
        self.config = config
        self.handler = handler
        self.access = access
        self.onRefused = onRefused
    }

    /// Requests refused by the access policy for `reason` so far.
    public func refused(_ reason: HTTPRefusalReason) -> Int { refusedCounts.load(reason) }

    /// Requests refused for bad framing so far.
    public var framingErrors: Int { badFraming.load(ordering: .relaxed) }

    /// The port listened on (the real one after ``start()``, also when configured as 0).
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// Binds and starts serving.
    public func start() throws(HTTPServerError) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let host = config.host == "localhost" ? "127.0.0.1" : config.host
        guard (0...65535).contains(config.port) else { throw HTTPServerError("port \(config.port) is out of range") }
        let me = Unmanaged.passUnretained(self).toOpaque()
        var watchOut: OpaquePointer?
        let tls = config.tls
        let started: OpaquePointer? = host.withCString { hostPtr in
            withOptionalCString(tls?.certificatePEM) { cert in
                withOptionalCString(tls?.keyPEM) { key in
                    var c = ivr_http_config(host: hostPtr, port: UInt16(config.port), threads: UInt32(max(1, config.threads)),
                                            idle_timeout: UInt32(max(0, config.idleTimeout)),
                                            connection_limit: UInt32(max(1, config.connectionLimit)),
                                            connection_memory: UInt32(clamping: max(2048, config.connectionMemory)),
                                            request_timeout: UInt32(clamping: max(0, config.requestTimeout)),
                                            tls_cert: cert, tls_key: key)
                    return ivr_http_start(&c, accessCallback, me, completedCallback, me, connectionCallback, me, &watchOut)
                }
            }
        }
        guard let started else {
            let why = errno == EINVAL ? "'\(config.host)' is not a numeric IPv4 or IPv6 address"
                                      : String(cString: strerror(errno))
            if tls != nil, errno != EADDRINUSE, errno != EACCES, errno != EINVAL {
                throw HTTPServerError("cannot listen on \(config.host):\(config.port): the TLS library refused the certificate or key",
                                      tlsRefused: true)
            }
            throw HTTPServerError("cannot listen on \(config.host):\(config.port): \(why)")
        }
        daemon = started
        watch = watchOut
        boundPort.store(Int(ivr_http_bound_port(started)), ordering: .releasing)
    }

    /// Drains and stops: stops accepting connections; answers every request
    /// already received (each response from now on carries `Connection: close`,
    /// so keep-alive clients leave after their answer); waits up to `grace` for
    /// them, answering any still suspended with 503 when it runs out; waits up
    /// to `linger` more for clients to close the connections that are left
    /// (idle keep-alive ones); then stops the daemon. Safe to call twice.
    public func stop(grace: Duration = .seconds(10), linger: Duration = .milliseconds(500)) {
        guard let daemon, !stopping.withLock({ let was = $0; $0 = true; return was }) else { return }
        draining.store(true, ordering: .releasing)
        let listener = MHD_quiesce_daemon(daemon)
        if listener >= 0 { close(listener) }
        let clock = ContinuousClock()
        let until = clock.now + grace
        while inFlight.load(ordering: .acquiring) > 0, clock.now < until {
            usleep(1_000)
        }
        if inFlight.load(ordering: .acquiring) > 0 {
            // Out of time: answer what still waits, so no connection stays suspended.
            for responder in suspended.withLock({ Array($0.values) }) {
                responder.respond(.text(503, "error: the server is shutting down\n", closeConnection: true))
            }
            let last = clock.now + .seconds(1)
            while inFlight.load(ordering: .acquiring) > 0, clock.now < last { usleep(1_000) }
        }
        let lingerUntil = clock.now + linger
        while openConnections.load(ordering: .acquiring) > 0, clock.now < lingerUntil {
            usleep(1_000)
        }
        // An exchange may still be suspended only if its handler never answered in a whole grace period.
        guard suspended.withLock({ $0.isEmpty }) else { return }
        MHD_stop_daemon(daemon)
        self.daemon = nil
        ivr_http_watch_stop(watch)
        watch = nil
    }

    deinit {
        stop(grace: .seconds(1), linger: .zero)
    }
}

/// A server that could not start.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// The TLS library would not take the certificate or key (a well-formed but unusable value).
    public var tlsRefused: Bool
    init(_ description: String, tlsRefused: Bool = false) {
        self.description = description
        self.tlsRefused = tlsRefused
    }
}

/// Counts of refused requests by reason.
final class RefusedCounts: Sendable {
    let token = Atomic<Int>(0)
    let basicAuth = Atomic<Int>(0)
    let allow = Atomic<Int>(0)

    func add(_ reason: HTTPRefusalReason) {
        switch reason {
        case .token: token.add(1, ordering: .relaxed)
        case .basicAuth: basicAuth.add(1, ordering: .relaxed)
        case .allow: allow.add(1, ordering: .relaxed)
        case .framing: break
        }
    }

    func load(_ reason: HTTPRefusalReason) -> Int {
        switch reason {
        case .token: token.load(ordering: .relaxed)
        case .basicAuth: basicAuth.load(ordering: .relaxed)
        case .allow: allow.load(ordering: .relaxed)
        case .framing: 0
        }
    }
}

/// The text of a method or header value; the usual ones are literals (nothing
/// to allocate, copy or count references of), others are copied.
private func commonText(_ text: UnsafePointer<CChar>) -> String {
    switch UInt8(bitPattern: text[0]) {
    case UInt8(ascii: "P") where strcmp(text, "POST") == 0: "POST"
    case UInt8(ascii: "G") where strcmp(text, "GET") == 0: "GET"
    case UInt8(ascii: "a") where strcmp(text, "application/json") == 0: "application/json"
    case UInt8(ascii: "a") where strcmp(text, "application/json; charset=utf-8") == 0: "application/json; charset=utf-8"
    case UInt8(ascii: "t") where strcmp(text, "text/xml") == 0: "text/xml"
    case UInt8(ascii: "t") where strcmp(text, "text/xml; charset=utf-8") == 0: "text/xml; charset=utf-8"
    default: String(cString: text)
    }
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

/// What arrives of an exchange's request (libmicrohttpd's callbacks for it), kept
/// in its ``HTTPResponder``: the exchange's one object, which libmicrohttpd holds
/// for us in `*con_cls` (one retain taken at the first callback, released at
/// completion).
struct ArrivingRequest {
    var method = ""
    var path = ""
    var contentType: String?
    var body: [UInt8] = []
    /// The body went over the limit: answer 413 once it has been drained.
    var tooLarge = false
    var dispatched = false
    /// Answer as an unknown route (a path outside the URL token).
    var notFound = false
}

private let accessCallback: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadSize, conCls in
    guard let cls, let connection, let conCls, let uploadSize else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    return server.access(connection, url: url, method: method, upload: uploadData, uploadSize: uploadSize, context: conCls)
}

private let connectionCallback: MHD_NotifyConnectionCallback = { cls, _, _, toe in
    guard let cls else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    if toe == MHD_ConnectionNotificationCode(rawValue: 0) {  // MHD_CONNECTION_NOTIFY_STARTED
        server.openConnections.add(1, ordering: .relaxed)
    } else {
        server.openConnections.subtract(1, ordering: .relaxed)
    }
}

private let completedCallback: MHD_RequestCompletedCallback = { cls, _, conCls, _ in
    guard let cls, let conCls, let raw = conCls.pointee else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    Unmanaged<HTTPResponder>.fromOpaque(raw).release()
    conCls.pointee = nil
    server.inFlight.subtract(1, ordering: .relaxed)
}

extension HTTPServer {
    func access(_ connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
                upload: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
                context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let raw = context.pointee else {
            return begin(connection, url: url, method: method, context: context)
        }
        let exchange = Unmanaged<HTTPResponder>.fromOpaque(raw).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            let size = uploadSize.pointee
            if !exchange.arriving.tooLarge, let upload {
                if exchange.arriving.body.count + size > config.maxBody {
                    exchange.arriving.tooLarge = true
                    exchange.arriving.body = []
                } else {
                    upload.withMemoryRebound(to: UInt8.self, capacity: size) {
                        exchange.arriving.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size))
                    }
                }
            }
            uploadSize.pointee = 0
            return .YES
        }
        if exchange.arriving.dispatched {
            // Resumed: the response is ready.
            guard let response = exchange.takeReady() else { return .YES }
            _ = suspended.withLock { $0.removeValue(forKey: ObjectIdentifier(exchange)) }
            return queue(connection, response)
        }
        exchange.arriving.dispatched = true
        ivr_http_request_read(connection)
        if exchange.arriving.tooLarge {
            return queue(connection, tooLargeResponse())
        }
        var request = HTTPRequest(method: exchange.arriving.method, normalizedPath: exchange.arriving.path,
                                  contentType: exchange.arriving.contentType, body: exchange.arriving.body)
        request.notFound = exchange.arriving.notFound
        exchange.arriving.body = []
        handler.handle(request, responder: exchange)
        if let response = exchange.suspendUnlessReady() {
            return queue(connection, response)
        }
        let responder = exchange
        suspended.withLock { $0[ObjectIdentifier(responder)] = responder }
        return .YES
    }

    /// The first callback of an exchange: headers are in, no body yet.
    private func begin(_ connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
                       context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        var declared: Int64 = -1
        let framing = ivr_http_check_framing(connection, url, &declared)
        if framing != IVR_FRAMING_OK {
            return refuseFraming(connection, framing, context: context)
        }
        var path = HTTPRequest.normalize(url.map { String(cString: $0) } ?? "/")
        var notFound = false
        if access.isActive {
            switch check(connection, path: path, method: method) {
            case .pass(let routed, let refused):
                path = routed
                notFound = refused
            case .refuse(let response):
                return refuse(connection, response, context: context)
            }
        }
        let contentType = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Type").map(commonText)
        let exchange = HTTPResponder(connection: connection)
        exchange.arriving = ArrivingRequest(method: method.map(commonText) ?? "", path: path, contentType: contentType,
                                            notFound: notFound)
        context.pointee = Unmanaged.passRetained(exchange).toOpaque()
        inFlight.add(1, ordering: .relaxed)
        // Refuse an announced oversize body before reading it.
        if declared >= 0 {
            // The body is kept in one allocation of its announced size (at most --max-body).
            if declared <= Int64(config.maxBody) {
                exchange.arriving.body.reserveCapacity(Int(declared))
                return .YES
            }
            exchange.arriving.dispatched = true
            ivr_http_request_read(connection)
            var tooLarge = tooLargeResponse()
            tooLarge.closeConnection = true
            return queue(connection, tooLarge)
        }
        return .YES
    }

    private func tooLargeResponse() -> HTTPResponse {
        .text(413, "error: body larger than \(config.maxBody) bytes\n")
    }

    /// Answers a request refused before its body is read, and closes the connection after it.
    func refuse(_ connection: OpaquePointer, _ response: RefusalResponse,
                context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        // An exchange that is already answered, so that body callbacks that may follow are ignored.
        let exchange = HTTPResponder(connection: connection)
        exchange.arriving.dispatched = true
        context.pointee = Unmanaged.passRetained(exchange).toOpaque()
        inFlight.add(1, ordering: .relaxed)
        ivr_http_request_read(connection)
        return queue(connection, .text(response.status, response.body, closeConnection: true),
                     header: response.header)
    }

    private func refuseFraming(_ connection: OpaquePointer, _ framing: ivr_http_framing,
                               context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        badFraming.add(1, ordering: .relaxed)
        let why = switch framing {
        case IVR_FRAMING_CONFLICTING_LENGTH: "conflicting or malformed Content-Length"
        case IVR_FRAMING_LENGTH_AND_CHUNKED: "Content-Length together with Transfer-Encoding"
        case IVR_FRAMING_UNKNOWN_CODING: "a transfer coding other than chunked"
        default: "a NUL byte in the path"
        }
        if let onRefused {
            var peer = [UInt8](repeating: 0, count: 16)
            let count = peer.withUnsafeMutableBufferPointer { Int(ivr_http_peer(connection, $0.baseAddress)) }
            onRefused(HTTPRefusal(reason: .framing, peer: count == 0 ? "unknown" : CIDR.format(Array(peer[0..<count])),
                                  proxy: nil, method: "", path: why))
        }
        return refuse(connection, RefusalResponse(status: 400, body: "error: bad request framing: \(why)\n"),
                      context: context)
    }

    private func queue(_ connection: OpaquePointer, _ response: HTTPResponse,
                       header: (name: String, value: String)? = nil) -> MHD_Result {
        response.body.withUnsafeBytes { body in
            response.contentType.withCString { type in
                withOptionalCString(header?.name) { name in
                    withOptionalCString(header?.value) { value in
                        ivr_http_respond(connection, UInt32(response.status), type, body.baseAddress, body.count,
                                         response.closeConnection || draining.load(ordering: .relaxed) ? 1 : 0,
                                         name, value)
                    }
                }
            }
        }
    }
}
