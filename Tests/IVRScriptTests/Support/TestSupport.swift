import IVRScript
import IVRState
import IVRWire
import Logging
import Synchronization

/// A bundle of scripts given as text, in directory `menus`.
func bundle(_ files: [String: String], version: Int = 1, directory: String = "menus") -> ScriptBundle {
    ScriptBundle(directory: directory, version: version, files: files.mapValues { Array($0.utf8) })
}

/// A bundle with one route, `main.lua`.
func mainBundle(_ source: String, version: Int = 1) -> ScriptBundle {
    bundle(["main.lua": source], version: version)
}

func makeWorker(timeout: Duration = .milliseconds(1000), memory: Int = 32 << 20, language: String = "he",
                logs: LogCapture? = nil) -> ScriptWorker {
    let logger = logs.map { capture in Logger(label: "test") { _ in CapturingLogHandler(capture: capture) } }
        ?? Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    return ScriptWorker(limits: ScriptLimits(timeout: timeout, memoryBytes: memory, language: language), logger: logger)
}

// MARK: Requests

let testCallID = "7f3c0b9a2d1e4f5a8b6c7d8e9f0a1b2c"

func getAction(menu: String = "-1", dtmf: String = "", previousMenu: String = "-1",
               callerID: String = "0501234567", callerName: String = "Dana",
               extra: [String: WireValue] = [:], format: WireFormat = .json) -> IVRRequest {
    var fields: [String: WireValue] = [
        "DID": .string("035551234"), "CALLER_ID": .string(callerID), "CALLER_NAME": .string(callerName),
        "IVR_UNIQUE_ID": .string(testCallID), "DTMF": .string(dtmf), "MENU": .string(menu),
        "PREVIOUS_MENU": .string(previousMenu),
    ]
    fields.merge(extra) { _, new in new }
    return IVRRequest(method: .getIVRAction, format: format, fields: fields)
}

func layerInput(layer: WireValue? = .int(5), previous: WireValue? = .int(4), dtmf: String = "1",
                format: WireFormat = .json) -> IVRRequest {
    var fields: [String: WireValue] = [
        "DID": .string("035551234"), "CALLER_ID": .string("0501234567"),
        "IVR_UNIQUE_ID": .string(testCallID), "DTMF": .string(dtmf),
    ]
    if let layer { fields["LAYER_ID"] = layer }
    if let previous { fields["PREVIOUS_LAYER_ID"] = previous }
    return IVRRequest(method: .layerInput, format: format, fields: fields)
}

func hangupCall(format: WireFormat = .xml) -> IVRRequest {
    IVRRequest(method: .hangupCall, format: format, fields: [
        "DID": .string("035551234"), "CALLER_ID": .string("0501234567"), "IVR_UNIQUE_ID": .string(testCallID),
        "TARGET": .string("0501112222"), "CALL_TIME_EPOCH": .int(15616841651), "CALL_START_EPOCH": .string("1561684100"),
        "CALL_DURATION": .int(65), "CALL_DAILTIME": .int(7), "CALL_STATUS": .string("ANSWER"),
    ])
}

func context(_ request: IVRRequest, route: String = "main", seq: Int = 1) -> CallContext {
    CallContext(request: request, route: route, seq: seq)
}

/// Runs `source`'s handler for `request` on a fresh worker.
func run(_ source: String, _ request: IVRRequest = getAction(), state: StateTable = StateTable(),
         worker: ScriptWorker? = nil) -> ScriptResult {
    let worker = worker ?? makeWorker()
    return worker.handle(context(request), state: state, bundle: mainBundle(source))
}

/// Runs `return <expression>` from `on_start` (or `on_layer` for layer actions).
func evalAction(_ expression: String, layer: Bool = false, request: IVRRequest? = nil,
                worker: ScriptWorker? = nil) -> ScriptResult {
    let handler = layer ? "on_layer" : "on_start"
    let source = "function \(handler)(call)\n  return \(expression)\nend\n"
    return run(source, request ?? (layer ? layerInput() : getAction()), worker: worker)
}

/// The 1-based line of `source` that contains `marker`.
func line(of marker: String, in source: String) -> Int {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    return (lines.firstIndex { $0.contains(marker) } ?? -1) + 1
}

extension ScriptResult {
    var action: IVRAction? {
        if case .success(let action) = outcome { return action }
        return nil
    }

    var failure: ScriptFailure? {
        if case .failure(let failure) = outcome { return failure }
        return nil
    }

    var succeeded: Bool {
        if case .success = outcome { return true }
        return false
    }
}

/// Builds the expected action, or nil when the fields do not validate.
func expected(_ kind: ActionKind, language: String? = "he", _ fields: [String: WireValue]) -> IVRAction? {
    try? IVRAction(kind: kind, language: language, fields: fields)
}

func text(_ s: String) -> StateValue { .text(s) }

// MARK: Logs

/// Log lines captured from a worker.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
    var all: [Entry] { entries.withLock { $0 } }
    func messages(_ level: Logger.Level? = nil) -> [String] {
        all.filter { level == nil || $0.level == level }.map(\.message)
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            merged[key] = "\(value)"
        }
        capture.append(LogCapture.Entry(level: event.level, message: "\(event.message)", metadata: merged))
    }
}
