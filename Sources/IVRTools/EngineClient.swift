import IVREngine
import IVRWire

/// The one in-process client of an ``Engine``: what `simulate`, `test`, `check`
/// and `replay --scripts` send goes through here, and gets the answer `serve`
/// would have sent for the same POST (the HTTP handler's route check first, then
/// ``Engine/process(route:body:contentType:)``, the pipeline `serve` runs).
public struct EngineClient: Sendable {
    public let engine: Engine

    public init(engine: Engine) { self.engine = engine }

    /// POSTs `body` to `/route` (`main` is `/`).
    public func post(route: String, body: [UInt8], contentType: String?) -> EngineResult {
        guard engine.knowsRoute(route) else {
            let path = route == "main" ? "/" : "/" + route
            return EngineResult(httpStatus: 404, contentType: "text/plain; charset=utf-8",
                                body: Array(EngineHTTPHandler.unknownRouteMessage(path: path).utf8),
                                format: nil, request: nil, reply: nil, outcome: .clientError,
                                detail: "no script for route '\(route)'")
        }
        return engine.process(route: route, body: body, contentType: contentType)
    }

    /// POSTs a request of `method` with `fields`, encoded in `format` as Voicenter would.
    public func post(route: String, method: IVRMethod, format: WireFormat, fields: [WireMember]) -> (body: [UInt8], result: EngineResult) {
        let body = CallRequest.encode(method, fields, as: format)
        return (body, post(route: route, body: body, contentType: format.contentType))
    }
}
