import Foundation
import RedisTestSupport

/// Debian's nginx on a free loopback port, with its own temporary prefix and
/// configuration (the repository's examples/nginx/ivr-upstream.conf, filled
/// in), in the foreground; stopped by its PID.
final class NginxTestServer {
    let port: Int
    let process = Process()
    let prefix: String

    static var example: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/nginx/ivr-upstream.conf").path
    }

    init(upstreams: [Int]) throws {
        port = FreePort.pick()
        prefix = FileManager.default.temporaryDirectory.appendingPathComponent("ivr-nginx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: prefix + "/logs", withIntermediateDirectories: true)
        let site = try String(contentsOfFile: Self.example, encoding: .utf8)
            .replacingOccurrences(of: "@INSTANCE_A@", with: "127.0.0.1:\(upstreams[0])")
            .replacingOccurrences(of: "@INSTANCE_B@", with: "127.0.0.1:\(upstreams[1])")
            .replacingOccurrences(of: "@LISTEN@", with: "127.0.0.1:\(port)")
        let conf = """
        daemon off;
        master_process off;
        worker_processes 1;
        pid \(prefix)/nginx.pid;
        error_log \(prefix)/logs/error.log warn;
        events { worker_connections 256; }
        http {
            access_log off;
            client_body_temp_path \(prefix)/body;
            proxy_temp_path \(prefix)/proxy;
            fastcgi_temp_path \(prefix)/fastcgi;
            uwsgi_temp_path \(prefix)/uwsgi;
            scgi_temp_path \(prefix)/scgi;
        \(site)
        }
        """
        try conf.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", prefix, "-c", prefix + "/nginx.conf", "-e", prefix + "/logs/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard RedisTestServer.waitForPort(port, seconds: 5) else {
            stop()
            let log = (try? String(contentsOfFile: prefix + "/logs/error.log", encoding: .utf8)) ?? ""
            throw RedisTestError("nginx did not start on port \(port): \(log)")
        }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: prefix)
    }

    deinit { stop() }
}
