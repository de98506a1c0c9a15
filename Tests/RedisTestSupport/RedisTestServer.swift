import Foundation

/// A real `redis-server` on a free loopback port, with no persistence, started
/// for the tests and stopped by its PID (at ``stop()``, at the test process's
/// exit, or by a watchdog shell when the test process dies without exiting).
public final class RedisTestServer: Sendable {
    public let port: Int
    public let pid: Int32
    private let directory: String

    /// The one server the test process shares (each test uses its own key prefix).
    public static let shared: RedisTestServer? = {
        let server = try? RedisTestServer()
        if server != nil { atexit { RedisTestServer.shared?.stop() } }
        return server
    }()

    public var url: String { "redis://127.0.0.1:\(port)" }

    public init(port requested: Int? = nil, extraArguments: [String] = []) throws {
        let port = requested ?? FreePort.pick()
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ivr-redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", directory, "--logfile", directory + "/redis.log"] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        pid = process.processIdentifier
        Self.watch(pid)
        guard Self.waitForPort(port, seconds: 5) else {
            kill(pid, SIGKILL)
            throw RedisTestError("redis-server did not start on port \(port)")
        }
    }

    /// Stops the server (SIGKILL by PID) and waits for its port to close.
    public func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops the watched server when this test process goes, however it goes.
    private static func watch(_ pid: Int32) {
        let me = getpid()
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = ["-c", "while kill -0 \(me) 2>/dev/null && kill -0 \(pid) 2>/dev/null; do sleep 1; done; kill -9 \(pid) 2>/dev/null"]
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
    }

    /// Whether something accepts connections on the loopback port within `seconds`.
    public static func waitForPort(_ port: Int, seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if FreePort.accepts(port) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Runs `redis-cli` against this server and returns its output.
    public func cli(_ args: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        process.arguments = ["-p", "\(port)"] + args
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// A key prefix no other test uses.
    public static func uniquePrefix(_ name: String) -> String {
        "t\(UUID().uuidString.prefix(8)):\(name):"
    }
}

public struct RedisTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Loopback ports for test servers.
public enum FreePort {
    /// A port the kernel just gave out and took back (free, barring a race).
    public static func pick() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether a TCP connect to the loopback port succeeds.
    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
