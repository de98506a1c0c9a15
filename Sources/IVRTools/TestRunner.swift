import Foundation
import IVREngine
import IVRLuaTest
import IVRScript
import IVRState
import Logging

/// `ivr-engine test`: runs the operator's `*_test.lua` files under a scripts
/// directory against its scripts, in-process.
///
/// Each test file runs in a ``LuaTestHarness`` (a Lua state of its own); each
/// test in it gets a fresh ``Engine`` on the directory (one Lua worker, no hot
/// reload), so tests share no call, state, clock or script-level data. The
/// report: one `path:line: message` line per failure, as each test ends, then
/// ``TestSummary/line``.
public struct TestRunner {
    /// The scripts directory, as given (it prefixes the reported paths).
    public var directory: String
    /// Only tests whose name contains this run.
    public var filter: String?
    /// Also report each test's name, its exchanges in words, and its result.
    public var verbose: Bool
    /// The engine each test gets (its scripts directory is ``directory``).
    public var engineConfig: EngineConfig
    public var limits: TestLimits
    public var logger: Logger

    public init(directory: String, filter: String? = nil, verbose: Bool = false,
                engineConfig: EngineConfig = EngineConfig(), limits: TestLimits = TestLimits(),
                logger: Logger = Logger(label: "ivr-engine.test", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.directory = directory
        self.filter = filter
        self.verbose = verbose
        self.engineConfig = engineConfig
        self.limits = limits
        self.logger = logger
        self.engineConfig.scriptsDirectory = directory
        self.engineConfig.watchInterval = nil
    }

    /// The test files under ``directory`` (recursively), as paths relative to it, sorted.
    ///
    /// - Throws: ``TestDirectoryError`` when the directory cannot be read.
    public func testFiles() throws(TestDirectoryError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              let walker = FileManager.default.enumerator(atPath: directory) else {
            throw TestDirectoryError(path: directory, problem: "not a readable directory")
        }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if ScriptBundle.isTestFile(relative) { files.append(relative) }
        }
        return files.sorted()
    }

    /// `relative` as reached from the directory: `sample-menus/main_test.lua`.
    public func displayPath(_ relative: String) -> String {
        if directory.isEmpty { return relative }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// Runs every test file; `output` gets each line of the report but the summary.
    ///
    /// - Throws: ``TestDirectoryError`` when the directory cannot be read.
    public func run(output: @escaping (String) -> Void) throws(TestDirectoryError) -> TestSummary {
        var summary = TestSummary()
        for relative in try testFiles() {
            let path = displayPath(relative)
            let source: [UInt8]
            do {
                source = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                output(TestFailure(file: path, line: nil, message: "cannot be read: \(error.localizedDescription)").description)
                summary.failed += 1
                continue
            }
            let session = EngineTestSession(file: path, config: engineConfig, logger: logger, verbose: verbose,
                                            output: output)
            let harness = LuaTestHarness(path: path, source: source, limits: limits, output: output)
            let result = harness.run(filter: filter, session: session)
            if let failure = result.loadFailure {
                output(failure.description)
                summary.failed += 1
            }
            for test in result.tests {
                if test.passed { summary.passed += 1 } else { summary.failed += 1 }
            }
        }
        return summary
    }
}

/// A tests directory that could not be read.
public struct TestDirectoryError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public var description: String { "tests directory '\(path)': \(problem)" }
}

/// How many tests passed and failed (a test file that did not load counts as one failure).
public struct TestSummary: Sendable, Equatable {
    public var passed = 0
    public var failed = 0

    public init(passed: Int = 0, failed: Int = 0) {
        self.passed = passed
        self.failed = failed
    }

    /// The closing line of the report: `3 passed, 1 failed`.
    public var line: String { "\(passed) passed, \(failed) failed" }
}

/// A fresh engine for each test of a file; the failures reported as each test ends.
final class EngineTestSession: TestSession {
    let file: String
    let config: EngineConfig
    let logger: Logger
    let verbose: Bool
    let output: (String) -> Void
    private var engine: Engine?

    init(file: String, config: EngineConfig, logger: Logger, verbose: Bool, output: @escaping (String) -> Void) {
        self.file = file
        self.config = config
        self.logger = logger
        self.verbose = verbose
        self.output = output
    }

    func begin(test name: String) throws -> any TestCallDriver {
        let clock = ScriptClockControl()
        let engine = try Engine(config: config, store: InMemoryCallStore(ttl: config.stateTTL), logger: logger,
                                clock: clock)
        self.engine = engine
        if verbose { output("--- \(file): \(name)") }
        let output = self.output
        return EngineTestDriver(engine: engine, clock: clock, trace: verbose ? { output("    " + $0) } : nil)
    }

    func end(_ result: TestCaseResult) {
        engine?.shutdown()
        engine = nil
        for failure in result.failures { output(failure.description) }
        if verbose { output("\(result.passed ? "ok  " : "FAIL") \(result.file): \(result.name)") }
    }
}
