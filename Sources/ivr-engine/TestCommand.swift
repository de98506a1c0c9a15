import ArgumentParser
import Foundation
import IVREngine
import IVRTools
import IVRScript
import Logging

/// `ivr-engine test`: runs the operator's Lua tests against the scripts, in-process.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the Lua tests (*_test.lua files) of a scripts directory against its scripts.",
        discussion: """
        Every *_test.lua file under DIR (at any depth) is a test file: its tests, \
        test("name", function() ... end), make simulated calls to DIR's scripts \
        (call{...}, c:start(), c:press("1"), c:layer(8, "1234"), c:hangup{}) and \
        check the replies (eq, ok, expect_action, expect_fallback); set_time(...) \
        sets the time the scripts see. See the README, "Testing menus in Lua".

        The requests go through the same decoding, script and encoding path as \
        `serve`. Each test gets a fresh engine: no call, state or clock is shared \
        between tests. Test files are not routes and cannot be required by scripts.

        Prints one line per failed assertion, per error that stopped a test, and per \
        test file that did not load: `path:line: message`, the path as reached from \
        DIR. Then one closing line: `N passed, N failed`. --verbose also prints each \
        test's exchanges in words, its result, and the scripts' log lines (on stderr).

        Exit status: 0 when every test passed; 1 when one failed or a test file did \
        not load; 2 when DIR cannot be read.
        """
    )

    @Argument(help: "Directory of the Lua scripts and their *_test.lua files.")
    var directory: String = "sample-menus"
    @Option(help: "Run only the tests whose name contains this text.")
    var filter: String?
    @Flag(help: "Also print each test's exchanges in words, its result, and the scripts' logs.")
    var verbose = false
    @OptionGroup var script: ScriptOptions

    func validate() throws {
    }

    func run() throws {
        let logger = LogSetup.bootstrap(format: .text, level: verbose ? .info : .critical)
        let limits = script.limits
        let runner = TestRunner(directory: directory, filter: filter, verbose: verbose,
                                engineConfig: EngineConfig(limits: limits), logger: logger)
        let summary: TestSummary
        do {
            if try runner.testFiles().isEmpty {
                Self.write("no *_test.lua file under '\(directory)'\n", to: .standardError)
            }
            summary = try runner.run { Self.write($0 + "\n") }
        } catch {
            Self.write("error: \(error)\n", to: .standardError)
            throw ExitCode(2)
        }
        Self.write(summary.line + "\n")
        if summary.failed > 0 { throw ExitCode.failure }
    }

    private static func write(_ text: String, to handle: FileHandle = .standardOutput) {
        handle.write(Data(text.utf8))
    }
}
