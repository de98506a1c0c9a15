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
    }

    func run() throws {
        let logger = LogSetup.bootstrap(format: logFormat, level: Logger.Level(rawValue: logLevel) ?? .info)
        let threads = self.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let config = EngineConfig(
            scriptsDirectory: scripts,
            limits: script.limits,
            deadline: .milliseconds(deadline), stateTTL: Double(stateTTL), maxBody: maxBody,
            watchInterval: reloadInterval > 0 ? .milliseconds(reloadInterval) : nil)
        let store: any CallStore
        switch CallStoreChoice.make(state: state, prefix: statePrefix, ttl: Double(stateTTL), deadline: .milliseconds(deadline)) {
        case .success(let chosen): store = chosen
        case .failure(let error): throw CLIError(error.description)
        }
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
        let server = HTTPServer(
            config: HTTPServerConfig(host: host, port: port, threads: threads, idleTimeout: idleTimeout, maxBody: maxBody),
            handler: EngineHTTPHandler(engine: engine, recorder: recorder))
        do {
            try server.start()
        } catch {
            throw CLIError("\(error)")
        }
        logger.info("serving", metadata: ["scripts": "\(scripts)", "routes": "\(engine.routes.joined(separator: ","))",
                                          "threads": "\(threads)", "state": "\(state == "memory" ? "memory" : "redis")"])
        if !engine.ready { logger.warning("the call state store is unreachable: requests get the fallback until it answers") }
        let signals = ShutdownSignals { engine.reload(reason: "SIGHUP") }
        FileHandle.standardOutput.write(Data("listening on http://\(host):\(server.port)\n".utf8))
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
