import ArgumentParser
import Dispatch
import Foundation
import IVREngine
import IVRHTTP
import IVRScript
import IVRState
import Logging

/// `ivr-engine serve`: answers Voicenter's External IVR requests over HTTP.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the Lua scripts of a directory to Voicenter over HTTP.",
        discussion: """
        POST / runs DIR/main.lua, POST /NAME runs DIR/NAME.lua; GET /healthz answers ok;
        GET /readyz answers ready, or 503 while the call state store is unreachable.
        Prints 'listening on http://HOST:PORT' on stdout when ready; logs go to stderr.
        SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.
        """
    )

    @Option(help: "Directory of the Lua scripts.")
    var scripts: String = "sample-menus"
    @Option(help: "Address to listen on (numeric IPv4/IPv6, or localhost).")
    var host: String = "0.0.0.0"
    @Option(help: "Port to listen on; 0 picks a free one.")
    var port: Int = 8080
    @Option(help: "HTTP threads, each running scripts on a Lua state of its own (default: the number of cores).")
    var threads: Int?
    @OptionGroup var script: ScriptOptions
    @Option(help: "The answer leaves within this many milliseconds of the request's arrival, fallback included.")
    var deadline: Int = 3000
    @Option(name: .customLong("state-ttl"), help: "Seconds of idleness after which a call's state is dropped.")
    var stateTTL: Int = 7200
    @Option(help: "Where call state lives: memory, or redis://[:PASSWORD@]HOST:PORT[/DB] (shared by several instances).")
    var state: String = "memory"
    @Option(name: .customLong("state-prefix"), help: "Prefix of every Redis key (with --state redis://).")
    var statePrefix: String = "ivr:"
    @Option(name: .customLong("max-body"), help: "Largest request body in bytes; larger ones get 413.")
    var maxBody: Int = 65536
    @Option(name: .customLong("reload-interval"), help: "How often, in ms, the scripts directory is checked for changes; 0: only on SIGHUP.")
    var reloadInterval: Int = 500
    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle keep-alive connection is kept open.")
    var idleTimeout: Int = 30
    @Option(help: "Append every exchange to this JSONL file (the recorded sessions `replay` plays back).")
    var record: String?
    @Option(name: .customLong("log-format"), help: "Log lines as text or json (on stderr).")
    var logFormat: LogFormat = .text
    @Option(name: .customLong("log-level"), help: "Least severe log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"
    @Option(name: .customLong("url-token"), help: "Serve scripts only under POST /t/TOKEN/ and /t/TOKEN/NAME (at least 16 characters).")
    var urlToken: String?
    @Option(name: .customLong("basic-auth"), help: "USER:PASS every request (but GET /healthz) must send as HTTP Basic auth.")
    var basicAuth: String?
    @Option(help: "Comma-separated CIDRs (IPv4/IPv6) of the clients allowed; others get 403.")
    var allow: String?
    @Option(name: .customLong("trusted-proxy"), help: "Comma-separated CIDRs of proxies whose X-Forwarded-For names the client.")
    var trustedProxy: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS only (with --tls-key).")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?
    @Option(name: .customLong("max-connections"), help: "Most connections open at once; further ones are closed at once.")
    var maxConnections: Int = 1024
    @Option(name: .customLong("request-timeout"), help: "Seconds a request's headers and body may take from its first byte.")
    var requestTimeout: Int = 10
    @Option(name: .customLong("max-steps"), help: "A call's requests after its N-th GET_IVR_ACTION/IVR_LAYER_INPUT get the fallback.")
    var maxSteps: Int = 200
    @Option(name: .customLong("max-calls"), help: "New calls beyond this many holding state get the fallback and keep no state.")
    var maxCalls: Int = 100_000

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard deadline > 0 else { throw ValidationError("--deadline must be positive") }
        guard stateTTL > 0 else { throw ValidationError("--state-ttl must be positive") }
        if case .failure(let error) = CallStoreChoice.make(state: state, prefix: statePrefix, ttl: Double(stateTTL),
                                                           deadline: .milliseconds(deadline)) {
            throw ValidationError(error.description)
        }
        guard reloadInterval >= 0 else { throw ValidationError("--reload-interval must be 0 or more") }
        guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
        if let urlToken {
            guard urlToken.count >= 16 else { throw ValidationError("--url-token must be at least 16 characters") }
            guard urlToken.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?")
                                             && $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "%") }) else {
                throw ValidationError("--url-token must be printable ASCII without '/', '?', '#' or '%'")
            }
        }
        if let basicAuth, !basicAuth.contains(":") || basicAuth.hasPrefix(":") {
            throw ValidationError("--basic-auth must be USER:PASS")
        }
        if let allow, case .failure(let error) = CIDR.list(allow) { throw ValidationError("--allow: \(error)") }
        if let trustedProxy, case .failure(let error) = CIDR.list(trustedProxy) {
            throw ValidationError("--trusted-proxy: \(error)")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        for (flag, path) in [("--tls-cert", tlsCert), ("--tls-key", tlsKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(flag): cannot read '\(path)'")
            }
        }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
        guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive") }
        guard maxCalls > 0 else { throw ValidationError("--max-calls must be positive") }
    }

    /// The access policy the flags ask for (validated already).
    private func accessPolicy() -> HTTPAccessPolicy {
        func cidrs(_ text: String?) -> [CIDR]? {
            guard let text, case .success(let list) = CIDR.list(text) else { return nil }
            return list
        }
        return HTTPAccessPolicy(urlToken: urlToken, basicAuth: basicAuth, allow: cidrs(allow),
                                trustedProxies: cidrs(trustedProxy) ?? [])
    }

    /// The certificate and key, read (and checked to be PEM) before listening.
    private func tlsConfig() throws -> HTTPTLSConfig? {
        guard let tlsCert, let tlsKey else { return nil }
        func pem(_ flag: String, _ path: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("\(flag): cannot read '\(path)'")
            }
            let text = String(decoding: data, as: UTF8.self)
            guard text.contains("-----BEGIN ") else { throw ValidationError("\(flag): '\(path)' is not a PEM file") }
            return text
        }
        return HTTPTLSConfig(certificatePEM: try pem("--tls-cert", tlsCert), keyPEM: try pem("--tls-key", tlsKey))
    }

    func run() throws {
        let logger = LogSetup.bootstrap(format: logFormat, level: Logger.Level(rawValue: logLevel) ?? .info)
        let threads = self.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let tls = try tlsConfig()
        var config = EngineConfig(
            scriptsDirectory: scripts,
            limits: script.limits,
            deadline: .milliseconds(deadline), stateTTL: Double(stateTTL), maxBody: maxBody,
            watchInterval: reloadInterval > 0 ? .milliseconds(reloadInterval) : nil)
        let store: any CallStore
        switch CallStoreChoice.make(state: state, prefix: statePrefix, ttl: Double(stateTTL), deadline: .milliseconds(deadline)) {
        case .success(let chosen): store = chosen
        case .failure(let error): throw CLIError(error.description)
        }
        config.maxSteps = maxSteps
        config.maxCalls = maxCalls
        let engine: Engine
        do {
            engine = try Engine(config: config, store: store, logger: logger)
        } catch {
            throw CLIError("cannot load scripts from '\(scripts)': \(error)")
        }
        let recorder: ExchangeRecorder?
        do {
            recorder = try record.map { try ExchangeRecorder(path: $0) }
        } catch {
            throw CLIError("--record: \(error)")
        }
        let metrics = engine.metrics
        let server = HTTPServer(
            config: HTTPServerConfig(host: host, port: port, threads: threads, idleTimeout: idleTimeout,
                                     connectionLimit: maxConnections, maxBody: maxBody,
                                     requestTimeout: requestTimeout, tls: tls),
            handler: EngineHTTPHandler(engine: engine, recorder: recorder),
            access: accessPolicy(),
            onRefused: { refusal in
                if refusal.reason == .framing {
                    logger.warning("refused: bad HTTP framing, connection closed",
                                   metadata: ["peer": "\(refusal.peer)", "reason": "framing", "error": "\(refusal.path)"])
                    return
                }
                metrics.refused(reason: refusal.reason.rawValue)
                var metadata: Logger.Metadata = ["peer": "\(refusal.peer)", "reason": "\(refusal.reason.rawValue)",
                                                 "method": "\(refusal.method)", "path": "\(refusal.path)"]
                if let proxy = refusal.proxy { metadata["proxy"] = "\(proxy)" }
                logger.warning("refused", metadata: metadata)
            })
        do {
            try server.start()
        } catch {
            if error.tlsRefused { throw CLIError("--tls-cert/--tls-key: \(error.description)") }
            throw CLIError("\(error)")
        }
        logger.info("serving", metadata: ["scripts": "\(scripts)", "routes": "\(engine.routes.joined(separator: ","))",
                                          "threads": "\(threads)", "state": "\(state == "memory" ? "memory" : "redis")"])
        if !engine.ready { logger.warning("the call state store is unreachable: requests get the fallback until it answers") }
        let signals = ShutdownSignals { engine.reload(reason: "SIGHUP") }
        FileHandle.standardOutput.write(Data("listening on \(tls == nil ? "http" : "https")://\(host):\(server.port)\n".utf8))
        signals.waitForShutdown()
        logger.info("shutting down: finishing requests in flight")
        server.stop(grace: .milliseconds(deadline + 2000))
        engine.shutdown()
        recorder?.close()
        logger.info("stopped")
    }
}

/// A user-facing error: printed as `error: ...`, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
