/// How an ``HTTPServer`` listens.
public struct HTTPServerConfig: Sendable {
    /// Numeric address to bind (`0.0.0.0`, `127.0.0.1`, `::1`); `localhost` means `127.0.0.1`.
    public var host: String
    /// Port; 0 picks a free one (see ``HTTPServer/port``).
    public var port: Int
    /// Threads in libmicrohttpd's pool.
    public var threads: Int
    /// Seconds an idle keep-alive connection is kept open.
    public var idleTimeout: Int
    /// Most simultaneous connections; those beyond are closed at once (`--max-connections`).
    public var connectionLimit: Int
    /// Largest body accepted; larger ones get 413.
    public var maxBody: Int
    /// Bytes of each connection's header and read buffer pool. libmicrohttpd
    /// clears it after every request, so it costs per request; request headers
    /// larger than about half of it are refused (431).
    public var connectionMemory: Int
    /// Seconds a request's headers and body may take from its first byte
    /// (the first request of a connection: from the connection's start); 0: no limit.
    public var requestTimeout: Int
    /// HTTPS with this certificate and key; nil: plain HTTP.
    public var tls: HTTPTLSConfig?

    public init(host: String = "0.0.0.0", port: Int = 8080, threads: Int = 2, idleTimeout: Int = 30,
                connectionLimit: Int = 1024, maxBody: Int = 65536, connectionMemory: Int = 8192,
                requestTimeout: Int = 10, tls: HTTPTLSConfig? = nil) {
        self.requestTimeout = requestTimeout
        self.tls = tls
        self.host = host
        self.port = port
        self.threads = threads
        self.idleTimeout = idleTimeout
        self.connectionLimit = connectionLimit
        self.maxBody = maxBody
        self.connectionMemory = connectionMemory
    }
}

/// A PEM certificate chain and its private key, for HTTPS.
public struct HTTPTLSConfig: Sendable {
    public var certificatePEM: String
    public var keyPEM: String

    public init(certificatePEM: String, keyPEM: String) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }
}
