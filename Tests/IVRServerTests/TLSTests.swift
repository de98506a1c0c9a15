import Foundation
import IVRWire
import Testing

/// `serve --tls-cert/--tls-key`: a self-signed certificate made by the real
/// openssl, whole calls played over HTTPS by the real curl, and the flags' errors.
@Suite struct TLSTests {
    static func run(_ tool: String, _ arguments: [String], input: [UInt8]? = nil) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        if let input { inp.fileHandleForWriting.write(Data(input)) }
        try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Starts serve with `arguments`; returns the process and its whole ready line.
    static func start(_ dir: String, _ arguments: [String]) throws -> (Process, String, Pipe) {
        let process = Process()
        process.executableURL = ExecutableTests.binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--scripts", dir] + arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        var line = [UInt8]()
        while line.last != 0x0A, let b = stdout.fileHandleForReading.readData(ofLength: 1).first { line.append(b) }
        return (process, String(decoding: line, as: UTF8.self), stderr)
    }

    @Test func wholeCallsOverHTTPS() throws {
        let dir = try TestServer.makeDirectory(["main.lua": #"""
        function on_start(call) return ivr.menu{ rec = "welcome", menu = "m" } end
        function on_input(call) return ivr.hangup{} end
        """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try Self.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                            "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"])
        #expect(made.status == 0)
        let (process, line, _) = try Self.start(dir, ["--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"])
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        #expect(line.hasPrefix("listening on https://127.0.0.1:"))
        let port = Int(line.dropLast().split(separator: ":").last ?? "") ?? 0
        let url = "https://127.0.0.1:\(port)/"
        for format in [WireFormat.json, .xml] {
            let id = "tls-\(format)"
            let steps = [Wire.getAction(id, format: format), Wire.getAction(id, dtmf: "1", menu: "m", format: format),
                         Wire.hangup(id, format: format)]
            var replies: [String] = []
            for body in steps {
                let curl = try Self.run("curl", ["-sk", "--max-time", "5", "--data-binary", "@-", url], input: body)
                #expect(curl.status == 0)
                replies.append(curl.out)
            }
            #expect(replies[0].contains("welcome"))
            #expect(replies[1].contains("HANGUP"))
            #expect(replies[2].contains("STATUS"))
        }
        // Plain HTTP to the HTTPS port is not served.
        let plain = try Self.run("curl", ["-s", "--max-time", "3", "--data-binary", "@-", "http://127.0.0.1:\(port)/"],
                                 input: Wire.getAction("plain", format: .json))
        #expect(!plain.out.contains("welcome"))
    }

    @Test func badSecurityFlagsExitBeforeListening() throws {
        let dir = try TestServer.makeDirectory(["main.lua": #"function on_start(call) return ivr.hangup{} end"#,
                                                "junk.pem": "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [([String], Int32, String)] = [
            (["--url-token", "short"], 64, "--url-token"),
            (["--allow", "10.0.0.0/99"], 64, "--allow"),
            (["--trusted-proxy", "nonsense"], 64, "--trusted-proxy"),
            (["--tls-cert", dir + "/missing.pem", "--tls-key", dir + "/missing.pem"], 64, "--tls-cert"),
            (["--tls-cert", dir + "/junk.pem"], 64, "--tls-key"),
            (["--tls-cert", dir + "/junk.pem", "--tls-key", dir + "/junk.pem"], 1, "--tls-cert"),
        ]
        for (arguments, status, flag) in cases {
            let (process, line, stderr) = try Self.start(dir, arguments)
            process.waitUntilExit()
            let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == status, "\(arguments)")
            #expect(line.isEmpty, "\(arguments)")
            #expect(message.split(separator: "\n").first?.contains(flag) == true, "\(arguments): \(message)")
        }
    }
}

/// The text log of the real binary: refused requests logged once with the peer
/// and no secret; what a caller sends cannot forge a log line.
@Suite struct LogSafetyTests {
    @Test func refusalsAreLoggedOnceAndCallerTextCannotForgeLines() throws {
        let dir = try TestServer.makeDirectory(["main.lua": #"""
        function on_start(call)
          ivr.log.info("new call from", call.caller_id)
          return ivr.menu{ rec = "welcome", menu = "m" }
        end
        """#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (process, line, stderr) = try TLSTests.start(dir, ["--basic-auth", "voicenter:pa55word", "--threads", "1"])
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let port = Int(line.dropLast().split(separator: ":").last ?? "") ?? 0
        #expect(port > 0)
        let wrong = "Authorization: Basic " + Data("voicenter:guess".utf8).base64EncodedString()
        let good = "Authorization: Basic " + Data("voicenter:pa55word".utf8).base64EncodedString()
        #expect(try RawHTTPClient(port: port).request("POST", "/", body: Wire.getAction("log-1", format: .json),
                                                      extraHeaders: [wrong]).status == 401)
        let forged = Wire.getAction("log-2", callerID: "050\n2026-12-01T00:00:00Z critical ivr-engine: FORGED", format: .json)
        #expect(try RawHTTPClient(port: port).request("POST", "/", body: forged, extraHeaders: [good]).status == 200)
        process.terminate()
        process.waitUntilExit()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = log.split(separator: "\n")
        let refused = lines.filter { $0.contains("refused") }
        #expect(refused.count == 1)
        #expect(refused.first?.contains("peer=127.0.0.1") == true)
        #expect(refused.first?.contains("reason=basic_auth") == true)
        #expect(!log.contains("pa55word") && !log.contains("guess"))
        #expect(!lines.contains { $0.contains("FORGED") && !$0.contains("new call from") })
        #expect(log.contains("050\\n2026"))
    }
}
