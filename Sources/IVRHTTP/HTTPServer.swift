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

    public init(config: HTTPServerConfig, handler: any HTTPHandler) {
        self.config = config
        self.handler = handler
    }

    /// The port listened on (the real one after ``start()``, also when configured as 0).
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// Binds and starts serving.
    public func start() throws(HTTPServerError) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let host = config.host == "localhost" ? "127.0.0.1" : config.host
        guard (0...65535).contains(config.port) else { throw HTTPServerError("port \(config.port) is out of range") }
        let me = Unmanaged.passUnretained(self).toOpaque()
        let started: OpaquePointer? = host.withCString { hostPtr in
            var c = ivr_http_config(host: hostPtr, port: UInt16(config.port), threads: UInt32(max(1, config.threads)),
                                    idle_timeout: UInt32(max(0, config.idleTimeout)),
                                    connection_limit: UInt32(max(1, config.connectionLimit)),
                                    connection_memory: UInt32(clamping: max(2048, config.connectionMemory)))
            return ivr_http_start(&c, accessCallback, me, completedCallback, me, connectionCallback, me)
        }
        guard let started else {
            let why = errno == EINVAL ? "'\(config.host)' is not a numeric IPv4 or IPv6 address"
                                      : String(cString: strerror(errno))
            throw HTTPServerError("cannot listen on \(config.host):\(config.port): \(why)")
        }
        daemon = started
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
    }

    deinit {
        stop(grace: .seconds(1), linger: .zero)
    }
}

/// A server that could not start.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The per-exchange context libmicrohttpd keeps for us in `*con_cls`.
/// Owned by one retain taken at the first callback and released at completion.
final class Exchange {
    let responder: HTTPResponder
    let method: String
    let path: String
    let contentType: String?
    var body: [UInt8] = []
    /// The body went over the limit: answer 413 once it has been drained.
    var tooLarge = false
    var dispatched = false

    init(responder: HTTPResponder, method: String, path: String, contentType: String?) {
        self.responder = responder
        self.method = method
        self.path = path
        self.contentType = contentType
    }
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
    Unmanaged<Exchange>.fromOpaque(raw).release()
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
        let exchange = Unmanaged<Exchange>.fromOpaque(raw).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            let size = uploadSize.pointee
            if !exchange.tooLarge, let upload {
                if exchange.body.count + size > config.maxBody {
                    exchange.tooLarge = true
                    exchange.body = []
                } else {
                    upload.withMemoryRebound(to: UInt8.self, capacity: size) {
                        exchange.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size))
                    }
                }
            }
            uploadSize.pointee = 0
            return .YES
        }
        if exchange.dispatched {
            // Resumed: the response is ready.
            guard let response = exchange.responder.takeReady() else { return .YES }
            _ = suspended.withLock { $0.removeValue(forKey: ObjectIdentifier(exchange.responder)) }
            return queue(connection, response)
        }
        exchange.dispatched = true
        if exchange.tooLarge {
            return queue(connection, tooLargeResponse())
        }
        let request = HTTPRequest(method: exchange.method, path: exchange.path,
                                  contentType: exchange.contentType, body: exchange.body)
        exchange.body = []
        handler.handle(request, responder: exchange.responder)
        if let response = exchange.responder.suspendUnlessReady() {
            return queue(connection, response)
        }
        let responder = exchange.responder
        suspended.withLock { $0[ObjectIdentifier(responder)] = responder }
        return .YES
    }

    /// The first callback of an exchange: headers are in, no body yet.
    private func begin(_ connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
                       context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        let contentType = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Type").map { String(cString: $0) }
        let exchange = Exchange(responder: HTTPResponder(connection: connection),
                                method: method.map { String(cString: $0) } ?? "",
                                path: HTTPRequest.normalize(url.map { String(cString: $0) } ?? "/"),
                                contentType: contentType)
        context.pointee = Unmanaged.passRetained(exchange).toOpaque()
        inFlight.add(1, ordering: .relaxed)
        // Refuse an announced oversize body before reading it.
        if let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
           let declared = Int(String(cString: length)), declared > config.maxBody {
            exchange.dispatched = true
            var tooLarge = tooLargeResponse()
            tooLarge.closeConnection = true
            return queue(connection, tooLarge)
        }
        return .YES
    }

    private func tooLargeResponse() -> HTTPResponse {
        .text(413, "error: body larger than \(config.maxBody) bytes\n")
    }

    private func queue(_ connection: OpaquePointer, _ response: HTTPResponse) -> MHD_Result {
        response.body.withUnsafeBytes { body in
            response.contentType.withCString { type in
                ivr_http_respond(connection, UInt32(response.status), type, body.baseAddress, body.count,
                                 response.closeConnection || draining.load(ordering: .relaxed) ? 1 : 0)
            }
        }
    }
}
