import Foundation
import IVRWire

/// One exchange of a recorded call, as `serve --record` wrote it.
public struct RecordedStep: Sendable {
    /// When the answer left, Unix milliseconds (the `ts` field).
    public var timestamp: Int64
    /// Server time from arrival to answer, µs (`micros`).
    public var micros: Int64
    public var request: [UInt8]
    public var status: Int
    public var response: [UInt8]
    /// Where it was recorded: `FILE:LINE`.
    public var origin: String

    /// The Unix time, in seconds, the request arrived at (`ts` less `micros`): the
    /// time the script saw, which an in-process replay pins the script clock to.
    public init(timestamp: Int64, micros: Int64, request: [UInt8], status: Int, response: [UInt8], origin: String) {
        self.timestamp = timestamp
        self.micros = micros
        self.request = request
        self.status = status
        self.response = response
        self.origin = origin
    }

    public var arrivalTime: Double { Double(timestamp * 1000 - micros) / 1_000_000 }

    /// The `Content-Type` to send the request with. The recording keeps the format the
    /// engine told (from the body, else the `Content-Type`): when the body cannot tell,
    /// the recorded reply's format says what the header was; a plain-text reply, neither.
    public var contentType: String {
        let format = WireCodec.sniffFormat(request, contentType: nil) ?? WireCodec.sniffFormat(response, contentType: nil)
        return format?.contentType ?? "text/plain"
    }
}

/// The recorded exchanges of one call, in the order they were answered.
public struct RecordedCall: Sendable {
    /// `IVR_UNIQUE_ID` (or `FILE:LINE` for a request that could not be decoded).
    public var id: String
    public var route: String
    public var format: WireFormat
    public var steps: [RecordedStep]
    /// Whether ``id`` is the id in the requests (false for an undecodable request's own "call").
    public var hasWireID: Bool

    public init(id: String, route: String, format: WireFormat, steps: [RecordedStep], hasWireID: Bool) {
        self.id = id
        self.route = route
        self.format = format
        self.steps = steps
        self.hasWireID = hasWireID
    }
}

/// A recording that cannot be read.
public struct RecordingError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Reads `serve --record` JSONL files and groups their exchanges into calls.
public enum Recording {
    /// The calls of `paths`, grouped by `IVR_UNIQUE_ID`, in order of their first
    /// exchange; each call's exchanges in file order. A request that cannot be
    /// decoded (a recorded 400) is a call of its own.
    ///
    /// - Throws: ``RecordingError`` naming the file and line of a bad line.
    public static func load(_ paths: [String]) throws(RecordingError) -> [RecordedCall] {
        var calls: [RecordedCall] = []
        var index: [String: Int] = [:]
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RecordingError("\(path): cannot be read")
            }
            var lineNumber = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let origin = "\(path):\(lineNumber)"
                let (route, format, step) = try parseLine(Array(line), origin: origin)
                let decoded = try? WireCodec.decodeRequest(step.request, maxBytes: Int.max)
                guard let id = decoded?.callID else {
                    calls.append(RecordedCall(id: origin, route: route, format: format, steps: [step], hasWireID: false))
                    continue
                }
                if let at = index[id] {
                    calls[at].steps.append(step)
                } else {
                    index[id] = calls.count
                    calls.append(RecordedCall(id: id, route: route, format: format, steps: [step], hasWireID: true))
                }
            }
        }
        return calls
    }

    /// One line: `{"ts":…,"route":…,"format":…,"request":…,"status":…,"response":…,"micros":…}`.
    static func parseLine(_ line: [UInt8], origin: String) throws(RecordingError) -> (String, WireFormat, RecordedStep) {
        let parsed = line.withUnsafeBytes { raw in Result { () throws(WireError) in try JSON.parse(raw) } }
        let value: WireValue
        switch parsed {
        case .success(let v): value = v
        case .failure(let error): throw RecordingError("\(origin): not a recorded exchange: \(error.message)")
        }
        func text(_ name: String) throws(RecordingError) -> String {
            guard case .string(let s)? = value[member: name] else {
                throw RecordingError("\(origin): '\(name)' must be a string")
            }
            return s
        }
        func int(_ name: String, default fallback: Int64? = nil) throws(RecordingError) -> Int64 {
            if case .int(let i)? = value[member: name] { return i }
            if value[member: name] == nil, let fallback { return fallback }
            throw RecordingError("\(origin): '\(name)' must be an integer")
        }
        let route = try text("route")
        let formatName = try text("format")
        guard let format = WireFormat(rawValue: formatName) else {
            throw RecordingError("\(origin): 'format' must be \"json\" or \"xml\", got \"\(formatName)\"")
        }
        let step = RecordedStep(timestamp: try int("ts"), micros: try int("micros", default: 0),
                                request: Array(try text("request").utf8), status: Int(try int("status")),
                                response: Array(try text("response").utf8), origin: origin)
        return (route, format, step)
    }
}
