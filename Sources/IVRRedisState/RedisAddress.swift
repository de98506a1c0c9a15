/// Where the Redis of `--state redis://[:PASSWORD@]HOST:PORT[/DB]` is.
public struct RedisAddress: Sendable, Equatable {
    public var host: String
    public var port: Int32
    public var password: String?
    public var database: Int

    public init(host: String, port: Int32 = 6379, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    /// Parses a `redis://` address; nil with the reason in `error` when it is not one.
    public static func parse(_ text: String) -> Result<RedisAddress, RedisAddressError> {
        let scheme = "redis://"
        guard text.hasPrefix(scheme) else { return .failure(RedisAddressError("expected redis://[:PASSWORD@]HOST:PORT[/DB], got '\(text)'")) }
        var rest = Substring(text.dropFirst(scheme.count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            var auth = rest[rest.startIndex..<at]
            if auth.hasPrefix(":") { auth = auth.dropFirst() }
            password = auth.isEmpty ? nil : String(auth)
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { return .failure(RedisAddressError("bad database number '\(db)' in '\(text)'")) }
                database = n
            }
            rest = rest[rest.startIndex..<slash]
        }
        var port: Int32 = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int32(rest[rest.index(after: colon)...]), p > 0, p < 65536 else {
                return .failure(RedisAddressError("bad port in '\(text)'"))
            }
            port = p
            rest = rest[rest.startIndex..<colon]
        }
        guard !rest.isEmpty else { return .failure(RedisAddressError("no host in '\(text)'")) }
        return .success(RedisAddress(host: String(rest), port: port, password: password, database: database))
    }
}

/// Why a `--state` address could not be read.
public struct RedisAddressError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
