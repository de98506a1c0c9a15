import ArgumentParser

/// `ivr-engine`: an External IVR decision engine for Voicenter.
@main
struct IVREngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ivr-engine",
        abstract: "An External IVR decision engine for Voicenter, scripted in Lua.",
        discussion: "Every flag can also be set with an environment variable IVR_<FLAG> (--state-ttl is IVR_STATE_TTL); flags win.",
        subcommands: [ServeCommand.self, SimulateCommand.self, CheckCommand.self, TestCommand.self, ReplayCommand.self]
    )

    static func main() {
        let arguments = EnvironmentFlags.merge(Array(CommandLine.arguments.dropFirst()),
                                               environment: EnvironmentFlags.processEnvironment())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
