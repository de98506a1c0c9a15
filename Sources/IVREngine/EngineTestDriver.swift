import IVRScript
import IVRState
import IVRWire

/// Sends a test's simulated requests through an ``Engine``: each request is
/// encoded with the wire encoders in the call's format and goes through
/// ``Engine/process(route:body:contentType:)``, the pipeline `serve` runs.
public final class EngineTestDriver: TestCallDriver {
    public let engine: Engine
    /// Gets one line per exchange, in words (`ivr-engine test --verbose`).
    private let trace: ((String) -> Void)?

    public init(engine: Engine, trace: ((String) -> Void)? = nil) {
        self.engine = engine
        self.trace = trace
    }

    public func send(route: String, method: IVRMethod, format: WireFormat, fields: [WireMember]) -> TestExchange {
        let data = WireValue.structure(fields)
        let body: [UInt8]
        switch format {
        case .xml: body = XMLRPC.encodeMethodCall(method.rawValue, params: [data])
        case .json: body = JSON.encode(.structure([WireMember("METHOD", .string(method.rawValue)), WireMember("DATA", data)]))
        }
        let result = engine.process(route: route, body: body, contentType: format.contentType)
        if let trace {
            let request = result.request.map { ReplyDescription.line(for: $0) } ?? method.rawValue
            trace("POST /\(route) \(request) => \(ReplyDescription.line(for: result, defaultLanguage: engine.config.limits.language))")
        }
        var reason: String?
        if case .fallback(let why) = result.outcome { reason = why.rawValue }
        return TestExchange(httpStatus: result.httpStatus, reply: result.reply, fallbackReason: reason, detail: result.detail)
    }

    public func state(of callID: String) -> StateTable? {
        engine.state(of: callID)
    }

    public func setClock(_ unixTime: Double?) {
        engine.setClock(unixTime)
    }
}
