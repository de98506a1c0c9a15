/// A complete HTTP request, body read.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, ...
    public var method: String
    /// The path without query string and without a trailing slash (`/` stays `/`).
    public var path: String
    /// The `Content-Type` header, if any (a hint only for Voicenter requests).
    public var contentType: String?
    public var body: [UInt8]
    /// Answer as an unknown route would be answered, whatever the path (outside the URL token).
    public var notFound = false

    public init(method: String, path: String, contentType: String? = nil, body: [UInt8] = []) {
        self.method = method
        self.path = HTTPRequest.normalize(path)
        self.contentType = contentType
        self.body = body
    }

    /// Strips the query string and one trailing slash: `/main/?x=1` is `/main`.
    public static func normalize(_ raw: String) -> String {
        let utf8 = raw.utf8
        var end = utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) ?? utf8.endIndex
        while utf8.distance(from: utf8.startIndex, to: end) > 1, utf8[utf8.index(before: end)] == UInt8(ascii: "/") {
            end = utf8.index(before: end)
        }
        if end == utf8.startIndex { return "/" }
        if end == utf8.endIndex { return raw }
        return String(raw[..<end])
    }
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Ask the client to close the connection after this response.
    public var closeConnection: Bool

    public init(status: Int, contentType: String, body: [UInt8], closeConnection: Bool = false) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.closeConnection = closeConnection
    }

    /// A plain-text response.
    public static func text(_ status: Int, _ text: String, closeConnection: Bool = false) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8),
                     closeConnection: closeConnection)
    }
}

/// What the server calls with each complete request.
///
/// The handler answers through the ``HTTPResponder``, at once or later from any
/// thread; the connection waits (suspended, holding no thread) until it does.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
}
