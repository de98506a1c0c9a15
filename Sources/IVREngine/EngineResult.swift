import IVRScript
import IVRWire

/// How a request ended, for logs, metrics and `simulate`.
public enum Outcome: Sendable, Equatable {
    /// The script's own action (or HANGUP_CALL acknowledged).
    case ok
    /// The fallback path, and why.
    case fallback(FallbackReason)
    /// The request itself was bad (400, 404, 405, 413).
    case clientError
}

/// The answer to one request, encoded, with what led to it.
public struct EngineResult: Sendable {
    public var httpStatus: Int
    public var contentType: String
    public var body: [UInt8]
    /// The request's format, when it could be told.
    public var format: WireFormat?
    /// The decoded request, when it could be decoded.
    public var request: IVRRequest?
    /// The reply sent, before encoding (nil for client errors).
    public var reply: IVRReply?
    public var outcome: Outcome
    /// Why the fallback path was taken, or what was wrong with the request.
    public var detail: String?

    public init(httpStatus: Int, contentType: String, body: [UInt8], format: WireFormat?, request: IVRRequest?,
                reply: IVRReply?, outcome: Outcome, detail: String?) {
        self.httpStatus = httpStatus
        self.contentType = contentType
        self.body = body
        self.format = format
        self.request = request
        self.reply = reply
        self.outcome = outcome
        self.detail = detail
    }

    static func clientError(_ status: Int, _ error: WireError) -> EngineResult {
        let (type, body) = WireCodec.encodeError(error)
        return EngineResult(httpStatus: status, contentType: type, body: body, format: error.format,
                            request: nil, reply: nil, outcome: .clientError, detail: error.message)
    }
}
