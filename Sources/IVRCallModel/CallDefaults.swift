import IVRWire

/// What a simulated call is when nothing else is said: one place for `simulate`,
/// `ivr-engine test` (`call{...}`), `check` and the tests.
public enum CallDefaults {
    public static let route = "main"
    public static let format = WireFormat.json
    public static let callerID = "0541234567"
    /// Voicenter sends `CALLER_NAME` empty when the network gives no name.
    public static let callerName = ""
    public static let did = "0730000000"
    /// `LANGUAGE` of actions (the engine's `--language` default).
    public static var language: String { IVRDefaults.language }
}
