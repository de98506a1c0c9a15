import ArgumentParser
import Foundation
import IVRScript
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
        let bundle: ScriptBundle
        do {
            bundle = try ScriptBundle.load(directory: scripts, version: 1)
        } catch {
            throw Self.cannotCheck("\(error)")
        }
        guard !bundle.files.isEmpty else { throw Self.cannotCheck("no *.lua file in '\(scripts)'") }
        let limits = script.limits
        let problems = ScriptCheck(bundle: bundle, worker: ScriptWorker(limits: limits, logger: logger)).problems()
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

/// The checks of one bundle on one Lua state: load every script, then dry-run each route's on_start.
struct ScriptCheck {
    let bundle: ScriptBundle
    let worker: ScriptWorker

    /// One `path:line: message` line per problem, routes first, each message once.
    func problems() -> [String] {
        var lines: [String] = []
        var seen = Set<String>()
        var unclaimed = worker.preload(bundle).map(\.message)
        for route in bundle.routes {
            guard let failure = dryRun(route) else { continue }
            unclaimed.removeAll { $0 == failure.message }
            if seen.insert(failure.message).inserted {
                lines.append(located(failure.message, path: path(route + ".lua")))
            }
        }
        for message in unclaimed where seen.insert(message).inserted {
            lines.append(located(message, path: path(brokenModule() ?? "")))
        }
        return lines
    }

    /// The failure of `route`'s load or of its on_start; nil when fine or when there is no on_start.
    private func dryRun(_ route: String) -> ScriptFailure? {
        let request = IVRRequest(method: .getIVRAction, format: .json, fields: [
            "DID": .string("0730000000"), "CALLER_ID": .string("0541234567"), "CALLER_NAME": .string("Check"),
            "IVR_UNIQUE_ID": .string("check-\(route)"), "DTMF": .string(""), "MENU": .string("-1"),
            "PREVIOUS_MENU": .string("-1"),
        ])
        let result = worker.handle(CallContext(request: request, route: route, seq: 1), state: StateTable(), bundle: bundle)
        guard case .failure(let failure) = result.outcome, failure.reason != .noHandler else { return nil }
        return failure
    }

    /// The first non-route file that does not compile on its own (for a message without a location).
    private func brokenModule() -> String? {
        return Self.modules(of: bundle).enumerated().first { index, path in
            let alone = ScriptBundle(directory: bundle.directory, version: bundle.version + 1 + index,
                                     files: [path: bundle.files[path] ?? []])
            return !worker.preload(alone).isEmpty
        }?.element
    }

    /// The files that are not route scripts (modules for `require`), sorted.
    static func modules(of bundle: ScriptBundle) -> [String] {
        let routeFiles = Set(bundle.routes.map { $0 + ".lua" })
        return bundle.files.keys.filter { !routeFiles.contains($0) }.sorted()
    }

    /// `relative` as reached from the scripts directory, the way Lua's chunk names read.
    private func path(_ relative: String) -> String {
        let directory = bundle.directory
        if directory.isEmpty { return relative }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// `message` on one line, starting with a script's path: as it is when it does, else `path: message`.
    private func located(_ text: String, path: String) -> String {
        let message = expanded(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " "))
        let root = self.path("")
        if message.hasPrefix(root), let colon = message.dropFirst(root.count).firstIndex(of: ":"),
           message[..<colon].hasSuffix(".lua") {
            return message
        }
        return "\(path): \(message)"
    }

    /// `message` with a leading location Lua shortened (`.../main.lua:3:`, chunk names
    /// longer than LUA_IDSIZE keep only their end) restored to the script's full path.
    private func expanded(_ message: String) -> String {
        guard message.hasPrefix("..."), let end = message.range(of: ".lua:") else { return message }
        let tail = message[message.index(message.startIndex, offsetBy: 3)..<end.upperBound].dropLast()
        guard let full = bundle.files.keys.sorted().map(path).first(where: { $0.hasSuffix(tail) }) else { return message }
        return full + message[message.index(before: end.upperBound)...]
    }
}
