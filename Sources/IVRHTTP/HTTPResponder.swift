import CHTTPShims
import CMicroHTTPD
import Synchronization

/// Delivers the one response of one exchange, from any thread.
///
/// The first call to ``respond(_:)`` wins; later calls are ignored. If the
/// connection was suspended while the handler worked, it is resumed here and
/// libmicrohttpd sends the response from its own thread.
public final class HTTPResponder: Sendable {
    enum Phase {
        /// The handler has the request; the connection is not suspended yet.
        case handling
        /// The connection is suspended, waiting for the response.
        case suspended
        /// The response is ready to be queued.
        case ready(HTTPResponse)
        /// The response has been handed to libmicrohttpd.
        case sent
    }

    let phase = Mutex<Phase>(.handling)
    /// The connection, valid until the exchange completes; used only to resume it.
    nonisolated(unsafe) let connection: OpaquePointer?

    /// The request as it arrives. Only libmicrohttpd's callbacks for this
    /// exchange touch it, and they run one at a time on the connection's thread.
    nonisolated(unsafe) var arriving = ArrivingRequest()

    /// Set for in-process responders: receives the response instead of a connection.
    private let deliver: (@Sendable (HTTPResponse) -> Void)?

    init(connection: OpaquePointer?) {
        self.connection = connection
        self.deliver = nil
    }

    /// A responder not tied to a connection (for in-process use): hands the response to `deliver`.
    public init(deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.connection = nil
        self.deliver = deliver
    }

    /// Gives the response. Only the first call counts; returns whether this one did.
    @discardableResult
    public func respond(_ response: HTTPResponse) -> Bool {
        if let deliver {
            let first = phase.withLock { phase -> Bool in
                if case .sent = phase { return false }
                phase = .sent
                return true
            }
            if first { deliver(response) }
            return first
        }
        return phase.withLock { phase -> Bool in
            switch phase {
            case .handling:
                phase = .ready(response)
                return true
            case .suspended:
                phase = .ready(response)
                if let connection { MHD_resume_connection(connection) }
                return true
            case .ready, .sent:
                return false
            }
        }
    }

    /// Called on libmicrohttpd's thread after the handler returned: suspends the
    /// connection unless the response is already there. Returns the response to queue now, if any.
    func suspendUnlessReady() -> HTTPResponse? {
        phase.withLock { phase -> HTTPResponse? in
            switch phase {
            case .handling:
                phase = .suspended
                if let connection { MHD_suspend_connection(connection) }
                return nil
            case .ready(let response):
                phase = .sent
                return response
            case .suspended, .sent:
                return nil
            }
        }
    }

    /// Called on libmicrohttpd's thread when a resumed connection comes back.
    func takeReady() -> HTTPResponse? {
        phase.withLock { phase -> HTTPResponse? in
            guard case .ready(let response) = phase else { return nil }
            phase = .sent
            return response
        }
    }
}
