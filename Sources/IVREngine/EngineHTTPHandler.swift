import IVRHTTP

/// Routes HTTP requests to the engine: `POST /` (main) and `POST /NAME` to
/// scripts, `GET /healthz`; 404 for unknown routes, 405 for wrong methods.
public struct EngineHTTPHandler: HTTPHandler {
    let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        if request.path == "/healthz" {
            let answer: HTTPResponse = request.method == "GET" || request.method == "HEAD"
                ? .text(200, "ok\n") : .text(405, "error: use GET for /healthz\n")
            responder.respond(answer)
            return
        }
        guard let route = Self.route(of: request.path), engine.hasRoute(route) else {
            responder.respond(.text(404, "error: no script for \(request.path)\n"))
            return
        }
        guard request.method == "POST" else {
            responder.respond(.text(405, "error: \(request.method) not allowed: Voicenter requests are POSTs\n"))
            return
        }
        engine.submit(route: route, body: request.body, contentType: request.contentType) { result in
            responder.respond(HTTPResponse(status: result.httpStatus, contentType: result.contentType, body: result.body))
        }
    }

    /// The script NAME for a path: `/` is `main`, `/NAME` is NAME when NAME matches `[A-Za-z0-9_-]+`.
    public static func route(of path: String) -> String? {
        if path == "/" { return "main" }
        let name = path.dropFirst()
        guard !name.isEmpty, name.utf8.allSatisfy({ c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45
        }) else { return nil }
        return String(name)
    }
}
