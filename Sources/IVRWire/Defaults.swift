/// The defaults every part of ivr-engine shares (engine, simulate, test, replay).
public enum IVRDefaults {
    /// `LANGUAGE` of actions when neither the script nor `--language` says (lua-api.md).
    public static let language = "he"
}
