import ArgumentParser
import Foundation
import IVREngine
import IVRScript
import IVRTools
import IVRState
import IVRWire
import Logging

/// `ivr-engine check`: finds the scripts' problems before they are deployed.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the scripts of a directory: compile, load, and dry-run on_start.",
        discussion: """
        Compiles every *.lua file under DIR, runs each route script's top level (as \
        `serve` does when it loads it), and runs on_start with a synthetic first \
        GET_IVR_ACTION (MENU "-1") for every route script (on_input when there is no \
        on_start, as the engine would). A script with neither is fine; an error, a blown budget, or an action constructor misused (an unknown \
        key, a wrong type, a missing key) is a problem.

        Prints one line per problem on stdout, `path:line: message`, the path as \
        reached from --scripts (DIR/NAME.lua). With no problem, prints \
        `ok: N scripts checked (...)`. Logs (the scripts' ivr.log warnings and errors) \
        go to stderr.

        Exit status: 0 no problem; 1 problems found; 2 DIR cannot be read or holds no \
        *.lua file.
        """
    )

    @Option(help: "Directory of the Lua scripts.")
    var scripts: String = "sample-menus"
    @OptionGroup var script: ScriptOptions

    func validate() throws {
    }

    func run() throws {
        let logger = LogSetup.bootstrap(format: .text, level: .warning)
        // The engine's own log of broken scripts would repeat the problems printed below.
        var quiet = logger
        quiet.logLevel = .critical
        let bundle: ScriptBundle
        do {
            bundle = try ScriptBundle.load(directory: scripts, version: 1)
        } catch {
            throw Self.cannotCheck("\(error)")
        }
        guard !bundle.files.isEmpty else { throw Self.cannotCheck("no *.lua file in '\(scripts)'") }
        let config = EngineConfig(scriptsDirectory: scripts, limits: script.limits,
                                  deadline: .milliseconds(max(3000, 2 * script.scriptTimeout + 1000)), watchInterval: nil)
        let engine: Engine
        do {
            engine = try Engine(config: config, store: InMemoryCallStore(ttl: config.stateTTL), logger: quiet)
        } catch {
            throw Self.cannotCheck("\(error)")
        }
        defer { engine.shutdown() }
        let problems = ScriptCheck(bundle: bundle, engine: engine, logger: logger).problems()
        guard problems.isEmpty else {
            Output.write(problems.map { $0 + "\n" }.joined())
            throw ExitCode.failure
        }
        let modules = ScriptCheck.modules(of: bundle)
        let names = (bundle.routes + modules).joined(separator: ", ")
        let count = bundle.files.count
        Output.write("ok: \(count) script\(count == 1 ? "" : "s") checked (\(names))\n")
    }

    /// Exit 2: the check could not run at all.
    private static func cannotCheck(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(2)
    }
}

