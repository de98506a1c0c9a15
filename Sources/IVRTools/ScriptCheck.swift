import IVREngine
import IVRScript
import IVRWire
import Logging

/// The checks of one bundle, through the engine that serves it: the scripts that
/// failed to load, then each route's on_start dry-run with a synthetic first call
/// (the shared ``CallModel``'s start) sent by the one in-process client.
public struct ScriptCheck {
    let bundle: ScriptBundle
    let engine: Engine
    /// For the one question the engine does not answer: which module alone fails to compile.
    let logger: Logger

    public init(bundle: ScriptBundle, engine: Engine, logger: Logger) {
        self.bundle = bundle
        self.engine = engine
        self.logger = logger
    }

    /// One `path:line: message` line per problem, routes first, each message once.
    public func problems() -> [String] {
        var lines: [String] = []
        var seen = Set<String>()
        var unclaimed = engine.problems
        for route in bundle.routes {
            guard let failure = dryRun(route) else { continue }
            unclaimed.removeAll { $0 == failure }
            if seen.insert(failure).inserted {
                lines.append(located(failure, path: path(route + ".lua")))
            }
        }
        for message in unclaimed where seen.insert(message).inserted {
            lines.append(located(message, path: path(brokenModule() ?? "")))
        }
        return lines
    }

    /// The failure of `route`'s load or of its on_start; nil when fine or when there is no on_start.
    private func dryRun(_ route: String) -> String? {
        var call = CallModel(id: "check-\(route)", route: route)
        let result = EngineClient(engine: engine).post(route: route, method: .getIVRAction, format: call.format,
                                                       fields: call.start(now: 0)).result
        guard case .fallback(let reason) = result.outcome, reason != .noHandler else { return nil }
        return result.detail ?? "on_start failed (\(reason.rawValue))"
    }

    /// The first non-route file that does not compile on its own (for a message without a location).
    private func brokenModule() -> String? {
        return Self.modules(of: bundle).enumerated().first { index, path in
            let alone = ScriptBundle(directory: bundle.directory, version: bundle.version + 1 + index,
                                     files: [path: bundle.files[path] ?? []])
            return !ScriptWorker(limits: engine.config.limits, logger: logger).preload(alone).isEmpty
        }?.element
    }

    /// The files that are not route scripts (modules for `require`), sorted.
    public static func modules(of bundle: ScriptBundle) -> [String] {
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
