import IVREngine
import IVRLuaTest
import IVRScript
import IVRState
import IVRWire

/// Sends a test's simulated requests through an ``Engine`` with the one in-process
/// client (``EngineClient``): each request is encoded in the call's format and
/// answered as `serve` would answer it.
public final class EngineTestDriver: TestCallDriver {
    public let engine: Engine
    /// Gets one line per exchange, in words (`ivr-engine test --verbose`).
    private let trace: ((String) -> Void)?

    /// The engine's script clock (`set_time`); the engine must have been made with it.
    private let clock: ScriptClockControl

    public init(engine: Engine, clock: ScriptClockControl, trace: ((String) -> Void)? = nil) {
        self.engine = engine
        self.clock = clock
        self.trace = trace
    }

    public func send(route: String, method: IVRMethod, format: WireFormat, fields: [WireMember]) -> TestExchange {
        let result = EngineClient(engine: engine).post(route: route, method: method, format: format, fields: fields).result
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
        clock.set(unixTime)
    }
}
