import Foundation

/// Reads `IVR_<FLAG>` environment variables as flags: `IVR_STATE_TTL=60` is
/// `--state-ttl 60` unless the command line gives `--state-ttl` itself.
enum EnvironmentFlags {
    /// The options (taking a value) of each subcommand that the environment may set.
    static let options: [String: [String]] = [
        "serve": ["scripts", "host", "port", "threads", "script-timeout", "script-memory", "deadline",
                  "state-ttl", "state", "state-prefix", "max-body", "language", "record", "log-format", "log-level", "idle-timeout", "reload-interval",
                  "url-token", "basic-auth", "allow", "trusted-proxy", "tls-cert", "tls-key",
                  "max-connections", "request-timeout", "max-steps", "max-calls"],
        "simulate": ["scripts", "route", "format", "did", "caller-id", "caller-name", "dtmf", "layer", "script-timeout", "script-memory", "language"],
        "check": ["scripts", "script-timeout", "script-memory", "language"],
        "test": ["filter", "script-timeout", "script-memory", "language"],
    ]

    static func processEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment
    }

    /// `arguments` with the environment's flags appended for the options the command line leaves unset.
    static func merge(_ arguments: [String], environment: [String: String]) -> [String] {
        guard let subcommand = arguments.first, let names = options[subcommand] else { return arguments }
        var merged = arguments
        for name in names {
            let flag = "--" + name
            let given = arguments.contains { $0 == flag || $0.hasPrefix(flag + "=") }
            let variable = "IVR_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
            if !given, let value = environment[variable], !value.isEmpty {
                merged += [flag, value]
            }
        }
        return merged
    }
}
