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

    /// Starts `ivr-engine serve --host 127.0.0.1 --port 0 --scripts DIR` plus `arguments`,
    /// and reads its listening line (port 0 if the line was wrong). Callers stop the process.
    static func startServe(scripts dir: String, _ arguments: [String] = [],
                           environment extra: [String: String] = [:]) throws -> (process: Process, port: Int) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--scripts", dir] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, readPort(stdout))
    }

    /// Reads the one stdout line, `listening on http://127.0.0.1:PORT`, and returns PORT (0 if the line is wrong).
    static func readPort(_ stdout: Pipe) -> Int {
        var line = [UInt8]()
        let handle = stdout.fileHandleForReading
        while line.last != 0x0A {
            guard let b = handle.readData(ofLength: 1).first else { break }
            line.append(b)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on http://127.0.0.1:"), text.hasSuffix("\n") else { return 0 }
        return Int(text.dropLast().split(separator: ":").last ?? "") ?? 0
    }

    @Test func servesPrintsListeningLineAndExitsCleanlyOnSIGTERM() throws {
        let dir = try TestServer.makeDirectory(["main.lua": #"function on_start(call) return ivr.menu{ rec = "hi", menu = "m" } end"#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (process, port) = try Self.startServe(scripts: dir, environment: ["IVR_LANGUAGE": "en", "IVR_THREADS": "1"])
        defer { if process.isRunning { process.terminate() } }
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

/// `serve --record`: every exchange lands in the file, complete after SIGTERM.
@Suite struct RecordTests {
    @Test func recordedFileIsCompleteAfterSIGTERM() throws {
        let dir = try TestServer.makeDirectory(["main.lua": #"function on_start(call) return ivr.menu{ rec = "hi", menu = "m" } end"#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let record = dir + "/calls.jsonl"
        let (process, port) = try ExecutableTests.startServe(scripts: dir, ["--record", record])
        defer { if process.isRunning { process.terminate() } }
        #expect(port > 0)

        let client = try RawHTTPClient(port: port)
        let count = 200
        for i in 0..<count {
            let format: WireFormat = i % 2 == 0 ? .json : .xml
            _ = try client.request("POST", "/", body: Wire.getAction("rec-\(i)", callerName: "שלום", format: format))
        }
        _ = try client.request("POST", "/missing", body: Wire.getAction("rec-x", format: .json))
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == count + 1)
        for (i, line) in lines.prefix(count).enumerated() {
            let object = try Array(line.utf8).withUnsafeBytes { try JSON.parse($0) }
            let format: WireFormat = i % 2 == 0 ? .json : .xml
            #expect(object["route"] == .string("main"))
            #expect(object["format"] == .string(format.rawValue))
            #expect(object["status"] == .int(200))
            guard case .string(let request)? = object["request"], case .string(let response)? = object["response"],
                  case .int(let ts)? = object["ts"], case .int(let micros)? = object["micros"] else {
                Issue.record("line \(i) lacks fields: \(line)")
                continue
            }
            let sent = String(decoding: Wire.getAction("rec-\(i)", callerName: "שלום", format: format), as: UTF8.self)
            #expect(request == sent, "line \(i): the request is not the one sent")
            #expect(response.contains("MENU"))
            #expect(ts > 1_700_000_000_000)
            #expect(micros >= 0)
        }
        let last = try Array(lines[count].utf8).withUnsafeBytes { try JSON.parse($0) }
        #expect(last["status"] == .int(404))
        #expect(last["route"] == .string("missing"))
    }
}

/// SIGHUP reloads the scripts of a running `serve`.
@Suite struct SignalReloadTests {
    @Test func sighupReloadsAndSigintExitsCleanly() throws {
        let menu = { (tag: String) in "function on_start(call) return ivr.menu{ rec = \"\(tag)\", menu = \"m\" } end" }
        let dir = try TestServer.makeDirectory(["main.lua": menu("before")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (process, port) = try ExecutableTests.startServe(scripts: dir, ["--reload-interval", "0"])
        defer { if process.isRunning { process.terminate() } }
        let ask = { (id: String) throws -> WireValue? in
            try Wire.parse(try RawHTTPClient(port: port).request("POST", "/", body: Wire.getAction(id, format: .json)), .json)["DATA", "REC"]
        }
        #expect(try ask("s1") == .string("before"))
        try menu("after").write(toFile: dir + "/main.lua", atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try ask("s2") == .string("before"))  // no watcher: nothing yet
        kill(process.processIdentifier, SIGHUP)
        var reloaded = false
        for i in 0..<40 where !reloaded {
            Thread.sleep(forTimeInterval: 0.05)
            reloaded = try ask("s3-\(i)") == .string("after")
        }
        #expect(reloaded)
        #expect(process.isRunning)
        process.interrupt()  // SIGINT: the same graceful exit as SIGTERM
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}
