import ArgumentParser
import IVRScript
import IVRWire

/// The Lua budget and language flags every command that runs scripts takes.
struct ScriptOptions: ParsableArguments {
    @Option(name: .customLong("script-timeout"), help: "Lua time budget per request, in milliseconds.")
    var scriptTimeout: Int = 1000
    @Option(name: .customLong("script-memory"), help: "Memory cap per Lua state, in MiB.")
    var scriptMemory: Int = 64
    @Option(help: "Default LANGUAGE of actions (he or en).")
    var language: String = IVRDefaults.language

    func validate() throws {
        guard scriptTimeout > 0 else { throw ValidationError("--script-timeout must be positive") }
        guard scriptMemory > 0 else { throw ValidationError("--script-memory must be positive") }
        guard ["he", "en"].contains(language) else { throw ValidationError("--language must be he or en") }
    }

    /// The budgets as the script engine takes them.
    var limits: ScriptLimits {
        ScriptLimits(timeout: .milliseconds(scriptTimeout), memoryBytes: scriptMemory << 20, language: language)
    }
}
