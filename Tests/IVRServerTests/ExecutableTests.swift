import Foundation
import IVRWire
import Testing

/// The built `ivr-engine` binary: the listening line, env flags, SIGTERM.
@Suite struct ExecutableTests {
    static var binary: URL {
        // The test bundle sits in the build directory next to the executable.
        var dir = Bundle.main.bundleURL
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("ivr-engine")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/ivr-engine")
    }

    @Test func servesPrintsListeningLineAndExitsCleanlyOnSIGTERM() throws {
        let dir = try TestServer.makeDirectory(["main.lua": #"function on_start(call) return ivr.menu{ rec = "hi", menu = "m" } end"#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--scripts", dir]
        var environment = ProcessInfo.processInfo.environment
        environment["IVR_LANGUAGE"] = "en"
        environment["IVR_THREADS"] = "1"
        process.environment = environment
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Exactly the line the contract promises.
        var line = [UInt8]()
        let handle = stdout.fileHandleForReading
        while line.last != 0x0A {
            let byte = handle.readData(ofLength: 1)
            guard let b = byte.first else { break }
            line.append(b)
        }
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.hasPrefix("listening on http://127.0.0.1:"))
        let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").last ?? "") ?? 0
        #expect(port > 0)

        let response = try RawHTTPClient(port: port).request("POST", "/", body: Wire.getAction("exe", format: .json))
        let reply = try Wire.parse(response, .json)
        #expect(reply["LANGUAGE"] == .string("en"))  // from IVR_LANGUAGE

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test func badFlagIsAClearError() throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--language", "fr"]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(message.contains("--language"))
    }
}
