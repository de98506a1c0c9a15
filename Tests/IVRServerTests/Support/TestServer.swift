import Foundation
import IVREngine
import IVRHTTP
import IVRScript
import IVRState
import Logging

/// A real engine and HTTP server on a free port, over a temporary scripts directory.
final class TestServer: Sendable {
    let directory: String
    let engine: Engine
    let server: HTTPServer
    var port: Int { server.port }

    init(scripts: [String: String], deadline: Duration = .milliseconds(3000), scriptTimeout: Duration = .milliseconds(1000),
         memoryMiB: Int = 64, stateTTL: Double = 7200, maxBody: Int = 65536, threads: Int = 2,
         watchInterval: Duration? = nil, recorder: ExchangeRecorder? = nil, store: (any CallStore)? = nil,
         access: HTTPAccessPolicy = HTTPAccessPolicy(), requestTimeout: Int = 10,
         connectionLimit: Int = 1024, maxSteps: Int = 200, maxCalls: Int = 100_000,
         onRefused: (@Sendable (HTTPRefusal) -> Void)? = nil) throws {
        directory = try TestServer.makeDirectory(scripts)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var config = EngineConfig(scriptsDirectory: directory,
                                  limits: ScriptLimits(timeout: scriptTimeout, memoryBytes: memoryMiB << 20, language: "he"),
                                  deadline: deadline, stateTTL: stateTTL, maxBody: maxBody,
                                  watchInterval: watchInterval)
        config.maxSteps = maxSteps
        config.maxCalls = maxCalls
        engine = try Engine(config: config, store: store ?? InMemoryCallStore(ttl: stateTTL), logger: logger)
        server = HTTPServer(config: HTTPServerConfig(host: "127.0.0.1", port: 0, threads: threads, idleTimeout: 10,
                                                     connectionLimit: connectionLimit, maxBody: maxBody,
                                                     requestTimeout: requestTimeout),
                            handler: EngineHTTPHandler(engine: engine, recorder: recorder), access: access, onRefused: onRefused)
        try server.start()
    }

    static func makeDirectory(_ scripts: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ivr-test-\(UUID().uuidString)").path
        for (name, text) in scripts {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return dir
    }

    func client() throws -> RawHTTPClient { try RawHTTPClient(port: port) }

    /// Writes (or with nil, deletes) a script file, the way an operator's deploy would.
    func write(_ name: String, _ text: String?) throws {
        let path = directory + "/" + name
        if let text {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } else {
            try FileManager.default.removeItem(atPath: path)
        }
    }

    deinit {
        server.stop(grace: .seconds(5))
        engine.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
