import Foundation

/// Runs the built `ivr-engine` with arguments and optional stdin; collects its output.
enum EngineCLI {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [Substring] { stdout.split(separator: "\n") }
    }

    /// The repository's `sample-menus/` directory.
    static var sampleMenus: String {
        // Tests/IVRServerTests/Support/EngineCLI.swift → the repository root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sample-menus").path
    }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Run {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ivr-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        let input = scratch.appendingPathComponent("stdin")
        for file in [out, err, input] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        try Data((stdin ?? "").utf8).write(to: input)
        let process = Process()
        process.executableURL = ExecutableTests.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("IVR_") { environment[key] = nil }
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = stdin == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: input)
        try process.run()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: try String(contentsOf: out, encoding: .utf8),
                   stderr: try String(contentsOf: err, encoding: .utf8))
    }
}
