/// Why a request body could not be turned into an ``IVRRequest``.
///
/// Carries the format when it could be told, so the error body is written in it
/// (XML-RPC `<fault>` or JSON `{"STATUS": 1, "ERROR": ...}`).
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The body is not well-formed XML-RPC or strict JSON, or not UTF-8.
        case malformed
        /// No `METHOD` / `methodName`.
        case missingMethod
        /// A method this engine does not know.
        case unknownMethod
        /// `IVR_UNIQUE_ID` missing or empty.
        case missingCallID
        /// `IVR_UNIQUE_ID` longer than ``WireCodec/maxCallIDBytes`` or holding a control character.
        case invalidCallID
        /// The body is larger than the configured limit.
        case tooLarge
    }

    public var kind: Kind
    /// The request's format, when it could be told from the body.
    public var format: WireFormat?
    /// A message naming what was wrong, for the error body and the log.
    public var message: String

    public init(_ kind: Kind, format: WireFormat?, _ message: String) {
        self.kind = kind
        self.format = format
        self.message = message
    }

    /// The XML-RPC `faultCode` for this error.
    public var faultCode: Int64 {
        switch kind {
        case .malformed: return -32700
        case .missingMethod, .unknownMethod: return -32601
        case .missingCallID, .invalidCallID: return -32602
        case .tooLarge: return -32600
        }
    }

    public var description: String { message }
}
