/// The names Voicenter's requests use, recognised in raw bytes so that a decoder
/// can use the literal instead of making (and validating) a string: comparing
/// it with the literal later is then a compare of two words. Both wire formats
/// use these.
enum VoicenterNames {
    /// The literal for a request key (`DID`, `IVR_UNIQUE_ID`, `METHOD`, ...) at `name`, if it is one.
    @inline(__always)
    static func requestKey(_ name: UnsafePointer<UInt8>, _ count: Int) -> String? {
        switch count {
        case 3: return matches(name, count, "DID") ? "DID" : nil
        case 4:
            if matches(name, count, "DATA") { return "DATA" }
            if matches(name, count, "DTMF") { return "DTMF" }
            if matches(name, count, "MENU") { return "MENU" }
            return nil
        case 6: return matches(name, count, "METHOD") ? "METHOD" : nil
        case 9: return matches(name, count, "CALLER_ID") ? "CALLER_ID" : nil
        case 11: return matches(name, count, "CALLER_NAME") ? "CALLER_NAME" : nil
        case 13:
            if matches(name, count, "IVR_UNIQUE_ID") { return "IVR_UNIQUE_ID" }
            if matches(name, count, "PREVIOUS_MENU") { return "PREVIOUS_MENU" }
            return nil
        default: return nil
        }
    }

    /// The literal for a method name (``IVRMethod``'s raw values) at `name`, if it is one.
    static func method(_ name: UnsafePointer<UInt8>, _ count: Int) -> String? {
        switch count {
        case 11: return matches(name, count, "HANGUP_CALL") ? "HANGUP_CALL" : nil
        case 14: return matches(name, count, "GET_IVR_ACTION") ? "GET_IVR_ACTION" : nil
        case 15: return matches(name, count, "IVR_LAYER_INPUT") ? "IVR_LAYER_INPUT" : nil
        default: return nil
        }
    }

    /// Whether the `count` bytes at `name` are `literal` (whose length the caller has checked is `count`).
    @inline(__always)
    private static func matches(_ name: UnsafePointer<UInt8>, _ count: Int, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { bytes in
            for j in 0..<count where bytes[j] != name[j] { return false }
            return true
        }
    }
}
