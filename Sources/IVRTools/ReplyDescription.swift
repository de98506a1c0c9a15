import IVREngine
import IVRScript
import IVRWire

/// Replies and requests in words, one line each, for people reading a call:
/// `simulate` prints these, and a test runner can compare against them.
///
/// The wording is stable: every field the reply carries shows up, in schema
/// order, and `LANGUAGE` is shown only when it differs from the default.
///
///     MENU main: play welcome x2, collect up to 1 digit (validation on), 3 s between plays
///     CALL 0501234567 (caller id 0541234567, caller name Dana, ring 30 s, max 3600 s, if it fails: menu transfer_failed)
///     HANGUP: play goodbye, cause 16 (normal clearing)
public enum ReplyDescription {
    /// One line for an engine result: the reply in words, marked `FALLBACK (reason: why)`
    /// when the fallback path answered, or `HTTP 400: why` when the request was refused.
    public static func line(for result: EngineResult, defaultLanguage: String = IVRDefaults.language) -> String {
        guard let reply = result.reply, result.httpStatus == 200 else {
            return "HTTP \(result.httpStatus): \(result.detail ?? "no reply")"
        }
        let words = line(for: reply, defaultLanguage: defaultLanguage)
        switch result.outcome {
        case .fallback(let reason):
            return "FALLBACK (\(reason.rawValue): \(result.detail ?? "no detail")) \(words)"
        case .ok where result.request?.method == .hangupCall && result.detail != nil:
            return "\(words) (on_hangup failed: \(result.detail ?? ""))"
        case .ok, .clientError:
            return words
        }
    }

    /// One line for a reply; `STATUS 1` is noted, `STATUS 0` is implied.
    public static func line(for reply: IVRReply, defaultLanguage: String = IVRDefaults.language) -> String {
        switch reply {
        case .status(0): return "STATUS 0"
        case .status(let status): return "STATUS \(status) (Voicenter uses its own fallback)"
        case .action(let action, let status):
            let words = line(for: action, defaultLanguage: defaultLanguage)
            return status == 0 ? words : "\(words) [STATUS \(status)]"
        }
    }

    /// One line for an action.
    public static func line(for action: IVRAction, defaultLanguage: String = IVRDefaults.language) -> String {
        var text = ActionWords(action).line
        if let language = action.language, language != defaultLanguage {
            text += ", language \(language)"
        }
        return text
    }

    /// A short line for a request: its method and the fields that steer the call,
    /// `GET_IVR_ACTION MENU main, DTMF 3`, `IVR_LAYER_INPUT LAYER_ID 8, DTMF 1234`,
    /// `HANGUP_CALL CANCEL`.
    public static func line(for request: IVRRequest) -> String {
        let dtmf = request.string("DTMF")
        let digits = dtmf.isEmpty ? "no digits" : "DTMF \(dtmf)"
        switch request.method {
        case .getIVRAction:
            let menu = request.string("MENU")
            if menu == "-1" || menu.isEmpty { return "GET_IVR_ACTION MENU \(menu.isEmpty ? "\"\"" : menu)" }
            return "GET_IVR_ACTION MENU \(menu), \(digits)"
        case .layerInput:
            return "IVR_LAYER_INPUT LAYER_ID \(request.string("LAYER_ID")), \(digits)"
        case .hangupCall:
            let status = request.string("CALL_STATUS")
            return status.isEmpty ? "HANGUP_CALL" : "HANGUP_CALL \(status)"
        }
    }
}

/// The words for one action, built from its wire fields.
private struct ActionWords {
    let action: IVRAction

    init(_ action: IVRAction) { self.action = action }

    var line: String {
        switch action.kind {
        case .menu:
            return "MENU \(text("MENU")): " + menuWords(record: text("REC"))
        case .sayDigits:
            let plays = loop > 1 ? " x\(loop)" : ""
            return "SAYDIGITS \(text("DIGITS")) after \(text("REC"))\(plays), then menu \(text("MENU")): "
                + menuWords(record: nil) + ", digits record \(text("SAYDIGITSRECORD"))"
        case .call: return callWords
        case .vo:
            return "VO: layer \(text("LAYER")), play \(text("RECORD"))" + voLoops
        case .hangup:
            var parts: [String] = []
            if let rec = optional("HANGUP_REC") { parts.append("play \(rec)") }
            if let cause = int("HANGUP_CAUSE") { parts.append("cause \(cause)" + Self.causeName(cause)) }
            return parts.isEmpty ? "HANGUP" : "HANGUP: " + parts.joined(separator: ", ")
        case .silentRecord:
            var parts: [String] = []
            if let rec = optional("REC") { parts.append("play \(rec)") }
            parts.append(int("MAXDURATION").map { "record up to \($0) s" } ?? "record")
            return "SILENTRECORD: " + parts.joined(separator: ", ")
        case .goToLayer:
            var parts: [String] = []
            if let name = optional("CALLER_NAME") { parts.append("caller name \(name)") }
            if let data = customData { parts.append(data) }
            let layer = "GO_TO_LAYER \(text("LAYER"))"
            return parts.isEmpty ? layer : layer + " (" + parts.joined(separator: "; ") + ")"
        case .dial: return dialWords
        case .layerSayDigits:
            var items: [String] = []
            if case .array(let data)? = action["DATA"] {
                for item in data {
                    let type = item[member: "RecordType"]?.coercedString ?? "?"
                    items.append("\(type.lowercased()) \(item[member: "Content"]?.coercedString ?? "")")
                }
            }
            let said = items.isEmpty ? "nothing" : items.joined(separator: ", ")
            return "SAY_DIGITS \(said), then layer \(text("NEXT_LAYER"))"
        }
    }

    /// `play REC xN, collect up to N digits (validation on|off), D s between plays`
    /// (without the `play` part when `record` is nil).
    private func menuWords(record: String?) -> String {
        let size = int("SIZE") ?? 1
        var words = record.map { "play \($0)" + (loop > 1 ? " x\(loop)" : "") + ", " } ?? ""
        words += "collect up to \(size) digit\(size == 1 ? "" : "s")"
        words += int("VALIDATION") == 1 ? " (validation on)" : " (validation off)"
        if loop > 1, let delay = int("DELAY") { words += ", \(delay) s between plays" }
        return words
    }

    private var loop: Int64 { int("LOOP") ?? 1 }

    /// ` xN, D s between plays` for a VO played more than once.
    private var voLoops: String {
        guard loop > 1 else { return "" }
        return " x\(loop)" + (int("DELAY").map { ", \($0) s between plays" } ?? "")
    }

    private var callWords: String {
        var parts = ["caller id \(text("CALLERID"))"]
        if let name = optional("CALLERNAME"), !name.isEmpty { parts.append("caller name \(name)") }
        parts += ["ring \(text("CALL_MAX_DIAL")) s", "max \(text("CALL_MAX")) s"]
        if int("REC_STATUS") == 1 { parts.append("recorded") }
        if let rec = optional("CALLER_REC") { parts.append("caller hears \(rec)") }
        if let moh = optional("MOH_CLASS") { parts.append("music \(moh)") }
        if let rec = optional("TARGET_REC") { parts.append("target hears \(rec)") }
        if let dtmf = optional("DTMF_PLAY") { parts.append("then sends DTMF \(dtmf)") }
        if case .array(let strings)? = action["DIALSTRINGS"] {
            parts.append("dialstrings " + strings.map { $0.coercedString ?? "" }.joined(separator: " "))
        }
        if let next = optional("NEXT_MENU") {
            var failed = "if it fails: menu \(next)"
            if let rec = optional("NEXT_MENU_RECORD") { failed += ", play \(rec)" }
            if let loop = int("NEXT_MENU_LOOP"), loop > 1 { failed += " x\(loop)" }
            if let size = int("NEXT_MENU_SIZE") { failed += ", collect up to \(size) digit\(size == 1 ? "" : "s")" }
            if let wait = int("NEXT_MENU_WAIT") { failed += ", \(wait) s between plays" }
            parts.append(failed)
        } else {
            parts.append("if it fails: hang up")
        }
        return "CALL \(text("TARGET")) (" + parts.joined(separator: ", ") + ")"
    }

    private var dialWords: String {
        var parts: [String] = []
        if case .array(let targets)? = action["TARGETS"] {
            for target in targets {
                let number = target[member: "TARGET"]?.coercedString ?? "?"
                parts.append("\(number) (\(target[member: "TYPE"]?.coercedString ?? "PHONE"))")
            }
        }
        if let id = optional("CALLER_ID") { parts.append("caller id \(id)") }
        if let name = optional("CALLER_NAME") { parts.append("caller name \(name)") }
        if let ring = int("MAX_DIAL_DURATION") { parts.append("ring \(ring) s") }
        if let max = int("MAX_CALL_DURATION") { parts.append("max \(max) s") }
        if let recording = optional("RECORDING") { parts.append("recording \(recording)") }
        if let next = int("NEXT_VO_ID") { parts.append("next layer \(next)") }
        if let next = int("ANSWER_NEXT_VO_ID") { parts.append("after an answer: layer \(next)") }
        if let next = int("UNAVAILABLE_VO_ID") { parts.append("if unavailable: layer \(next)") }
        var line = "DIAL " + parts.joined(separator: ", ")
        if let data = customData { line += " (\(data))" }
        return line
    }

    /// `custom data k=v, k=v`, or nil when empty.
    private var customData: String? {
        guard case .structure(let members)? = action["CUSTOM_DATA"], !members.isEmpty else { return nil }
        return "custom data " + members.map { "\($0.name)=\($0.value.coercedString ?? "")" }.joined(separator: ", ")
    }

    private func text(_ name: String) -> String { action[name]?.coercedString ?? "" }
    private func optional(_ name: String) -> String? { action[name]?.coercedString }
    private func int(_ name: String) -> Int64? { action[name]?.coercedInt }

    /// The name of a common ISUP cause, as ` (name)`, or "".
    static func causeName(_ cause: Int64) -> String {
        switch cause {
        case 1: return " (unallocated number)"
        case 16: return " (normal clearing)"
        case 17: return " (user busy)"
        case 18: return " (no user responding)"
        case 19: return " (no answer)"
        case 21: return " (call rejected)"
        case 31: return " (normal, unspecified)"
        case 34: return " (no circuit available)"
        default: return ""
        }
    }
}
