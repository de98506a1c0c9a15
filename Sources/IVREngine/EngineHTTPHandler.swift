import Foundation
import IVRHTTP
import IVRWire

/// Routes HTTP requests to the engine: `POST /` (main) and `POST /NAME` to
/// scripts, `GET /healthz`; 404 for unknown routes, 405 for wrong methods.
public struct EngineHTTPHandler: HTTPHandler {
    let engine: Engine
    /// Where every POST exchange is recorded, if anywhere (`serve --record`).
    let recorder: ExchangeRecorder?

    public init(engine: Engine, recorder: ExchangeRecorder? = nil) {
        self.engine = engine
        self.recorder = recorder
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        if request.path == "/healthz" {
            let answer: HTTPResponse = request.method == "GET" || request.method == "HEAD"
                ? .text(200, "ok\n") : .text(405, "error: use GET for /healthz\n")
            responder.respond(answer)
            return
        }
        if request.path == "/readyz" {
            let answer: HTTPResponse = request.method == "GET" || request.method == "HEAD"
                ? (engine.ready ? .text(200, "ready\n") : .text(503, "error: the call state store is unreachable\n"))
                : .text(405, "error: use GET for /readyz\n")
            responder.respond(answer)
            return
        }
        if request.path == "/metrics", !request.notFound {
            responder.respond(request.method == "GET"
                ? HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                               body: Array(engine.metrics.render(activeCalls: engine.activeCalls).utf8))
                : .text(405, "error: use GET for /metrics\n"))
            return
        }
        // Only the record (serve --record) needs the HTTP layer's own clock.
        let arrival = recorder != nil ? ContinuousClock.now : nil
        let route = Self.route(of: request.path)
        guard let route, !request.notFound, engine.knowsRoute(route) else {
            answer(.text(404, Self.unknownRouteMessage(path: request.path)), to: request, route: route, arrival: arrival,
                   responder: responder)
            return
        }
        guard request.method == "POST" else {
            responder.respond(.text(405, "error: \(request.method) not allowed: Voicenter requests are POSTs\n"))
            return
        }
        guard recorder != nil else {
            // Captures the responder alone: the closure needs no context of its own.
            engine.submit(route: route, body: request.body, contentType: request.contentType) { result in
                responder.respond(HTTPResponse(status: result.httpStatus, contentType: result.contentType, body: result.body))
            }
            return
        }
        engine.submit(route: route, body: request.body, contentType: request.contentType) { [self] result in
            answer(HTTPResponse(status: result.httpStatus, contentType: result.contentType, body: result.body),
                   to: request, route: route, format: result.format, arrival: arrival, responder: responder)
        }
    }

    /// Sends a response to a POST, recording the exchange first when asked to
    /// (so the file keeps the order in which a client saw its answers).
    /// `format` is the request's as the engine told it; sniffed here only when the engine never saw the request.
    private func answer(_ response: HTTPResponse, to request: HTTPRequest, route: String?, format: WireFormat? = nil,
                        arrival: ContinuousClock.Instant?,
                        responder: HTTPResponder) {
        if let recorder, let arrival, request.method == "POST" {
            let elapsed = ContinuousClock.now - arrival
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            recorder.record(RecordedExchange(
                timestamp: Int64(Date().timeIntervalSince1970 * 1000), route: route ?? String(request.path.dropFirst()),
                format: format ?? WireCodec.sniffFormat(request.body, contentType: request.contentType) ?? .json,
                request: request.body, status: response.status, response: response.body, micros: micros))
        }
        responder.respond(response)
    }

    /// The plain-text body of the 404 for a POST no script serves.
    public static func unknownRouteMessage(path: String) -> String {
        "error: no script for \(path)\n"
    }

    /// The script NAME for a path: `/` is `main`, `/NAME` is NAME when NAME matches `[A-Za-z0-9_-]+`.
    public static func route(of path: String) -> String? {
        var path = path
        return path.withUTF8 { bytes -> String? in
            guard bytes.first == UInt8(ascii: "/") else { return nil }
            if bytes.count == 1 { return "main" }
            let name = UnsafeBufferPointer(rebasing: bytes[1...])
            for c in name {
                guard (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45
                else { return nil }
            }
            return String(decoding: name, as: UTF8.self)
        }
    }
}
