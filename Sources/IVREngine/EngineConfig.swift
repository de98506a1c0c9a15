import IVRScript

/// Everything the request pipeline needs to know, from `ivr-engine serve`'s flags.
public struct EngineConfig: Sendable {
    /// The scripts directory (`--scripts`).
    public var scriptsDirectory: String
    /// Per-request Lua budgets and the default language.
    public var limits: ScriptLimits
    /// The whole answer leaves within this long of the request's arrival (`--deadline`).
    public var deadline: Duration
    /// Seconds of idleness after which a call's state is dropped (`--state-ttl`).
    public var stateTTL: Double
    /// Largest request body (`--max-body`).
    public var maxBody: Int
    /// How often the scripts directory is checked for changes; nil: no hot reload (SIGHUP still works).
    public var watchInterval: Duration?
    /// A call's requests after its N-th GET_IVR_ACTION/IVR_LAYER_INPUT get the fallback (`--max-steps`).
    public var maxSteps: Int = 200
    /// New calls beyond this many held get the fallback and keep no state (`--max-calls`).
    public var maxCalls: Int = 100_000

    public init(scriptsDirectory: String = "sample-menus", limits: ScriptLimits = ScriptLimits(),
                deadline: Duration = .milliseconds(3000), stateTTL: Double = 7200, maxBody: Int = 65536,
                watchInterval: Duration? = .milliseconds(500)) {
        self.scriptsDirectory = scriptsDirectory
        self.limits = limits
        self.deadline = deadline
        self.stateTTL = stateTTL
        self.maxBody = maxBody
        self.watchInterval = watchInterval
    }
}
