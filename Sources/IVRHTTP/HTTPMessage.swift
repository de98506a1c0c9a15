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
        self.init(method: method, normalizedPath: HTTPRequest.normalize(path), contentType: contentType, body: body)
    }

    /// A request whose path is already ``normalize(_:)``d (the server's: normalized once, at its first callback).
    init(method: String, normalizedPath: String, contentType: String?, body: [UInt8]) {
        self.method = method
        self.path = normalizedPath
        self.contentType = contentType
        self.body = body
    }

    /// Strips the query string and trailing slashes: `/main/?x=1` is `/main`.
    public static func normalize(_ raw: String) -> String {
        var raw = raw
        let end = raw.withUTF8 { bytes -> Int in
            var end = 0
            while end < bytes.count, bytes[end] != UInt8(ascii: "?"), bytes[end] != UInt8(ascii: "#") { end += 1 }
            while end > 1, bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
            return end
        }
        if end == 0 { return "/" }
        if end == raw.utf8.count { return raw }
        // Cut before an ASCII byte: still valid UTF-8.
        return String(decoding: raw.utf8.prefix(end), as: UTF8.self)
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
