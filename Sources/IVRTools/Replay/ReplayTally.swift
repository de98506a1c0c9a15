import Foundation
import Histogram
import IVREngine
import IVRWire

/// One reply that differs from the recorded one.
public struct ReplayDifference: Sendable, Equatable {
    /// The recorded call's `IVR_UNIQUE_ID`.
    public var callID: String
    /// 1 for the call's first request.
    public var step: Int
    /// The request in words: `GET_IVR_ACTION MENU main, DTMF 3`.
    public var request: String
    /// The recorded and the new reply, in the words `simulate` uses.
    public var recorded: String
    public var now: String
    /// What differs, field by field: `DATA.MENU: "sales" != "support"` (recorded != now).
    public var fields: [String]
    /// `FILE:LINE` of the recorded exchange.
    public var origin: String

    /// The lines printed for it.
    public var lines: [String] {
        ["call \(callID) step \(step) (\(origin)): \(request)",
         "  recorded: \(recorded)",
         "  now:      \(now)"] + fields.map { "  \($0)" }
    }
}

/// What one player thread counted; merged into the run's ``ReplaySummary``.
struct ReplayTally {
    var requests = 0
    var calls = 0
    var transportErrors = 0
    var statusErrors = 0
    /// Latency in microseconds.
    var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000,
                                    numberOfSignificantValueDigits: .three)
    var differences: [(order: Int, difference: ReplayDifference)] = []

    mutating func add(_ other: ReplayTally) {
        requests += other.requests
        calls += other.calls
        transportErrors += other.transportErrors
        statusErrors += other.statusErrors
        latency.add(other.latency)
        differences += other.differences
    }

    mutating func record(latencyNanos: UInt64) {
        _ = latency.record(min(latencyNanos / 1000, 120_000_000))
    }
}

/// Compares a replayed exchange with its recording.
enum ReplayCheck {
    /// The difference between the recorded step and the new answer; nil when they agree
    /// as values (and in HTTP status). `freshID` is the id the play used instead of the
    /// recorded one, put back in the new reply before comparing.
    static func compare(_ step: RecordedStep, index: Int, call: RecordedCall, status: Int, body: [UInt8],
                        freshID: [UInt8]?, language: String) -> ReplayDifference? {
        var body = body
        if let freshID { body = replacing(freshID, with: Array(call.id.utf8), in: body) }
        let recordedValue = ReplyValue.decode(step.response)
        let nowValue = ReplyValue.decode(body)
        var fields = ReplyValue.differences(recordedValue, nowValue)
        if status != step.status { fields.insert("HTTP status: \(step.status) != \(status)", at: 0) }
        guard !fields.isEmpty else { return nil }
        let request = (try? WireCodec.decodeRequest(step.request, maxBytes: Int.max))
            .map(ReplyDescription.line(for:)) ?? "undecodable request"
        return ReplayDifference(
            callID: call.id, step: index + 1, request: request,
            recorded: ReplyValue.words(status: step.status, body: step.response, defaultLanguage: language),
            now: ReplyValue.words(status: status, body: body, defaultLanguage: language),
            fields: fields, origin: step.origin)
    }

    /// `bytes` with every occurrence of `needle` replaced.
    static func replacing(_ needle: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty, bytes.count >= needle.count else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + needle.count <= bytes.count, bytes[i] == needle[0], bytes[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement)
                i += needle.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}

/// The figures of a finished replay.
public struct ReplaySummary: Sendable {
    public var requests: Int
    public var calls: Int
    public var transportErrors: Int
    /// Answers with an HTTP status other than the recorded one.
    public var statusErrors: Int
    public var seconds: Double
    /// Latency percentiles in milliseconds: p50, p90, p99, p99.9, max.
    public var latencyMillis: [(name: String, value: Double)]
    /// In the order of the recorded calls and their steps.
    public var differences: [ReplayDifference]

    public var errors: Int { transportErrors + statusErrors }
    public var throughput: Double { seconds > 0 ? Double(requests) / seconds : 0 }

    init(_ tally: ReplayTally, seconds: Double) {
        requests = tally.requests
        calls = tally.calls
        transportErrors = tally.transportErrors
        statusErrors = tally.statusErrors
        self.seconds = seconds
        let h = tally.latency
        let empty = h.totalCount == 0
        latencyMillis = [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9)].map { name, p in
            (name, empty ? 0 : Double(h.valueAtPercentile(p)) / 1000)
        } + [("max", empty ? 0 : Double(h.max) / 1000)]
        differences = tally.differences.sorted { $0.order < $1.order }.map(\.difference)
    }

    /// The summary lines: requests and calls, throughput, errors, latency, differences.
    public func lines(verified: Bool) -> [String] {
        var lines = [
            "requests \(requests), calls \(calls), \(String(format: "%.2f", seconds)) s, \(Int(throughput.rounded())) req/s",
            "errors \(errors) (transport \(transportErrors), HTTP status other than recorded \(statusErrors))",
            "latency " + latencyMillis.map { "\($0.name)=\(Self.millis($0.value))" }.joined(separator: " "),
        ]
        if verified { lines.append("differences \(differences.count)") }
        return lines
    }

    static func millis(_ value: Double) -> String {
        value < 10 ? String(format: "%.3fms", value) : String(format: "%.1fms", value)
    }

    /// `--report`: the figures as one JSON object.
    public func json(verified: Bool) -> [UInt8] {
        var members: [WireMember] = [
            WireMember("requests", .int(Int64(requests))), WireMember("calls", .int(Int64(calls))),
            WireMember("errors", .int(Int64(errors))), WireMember("transport_errors", .int(Int64(transportErrors))),
            WireMember("status_errors", .int(Int64(statusErrors))), WireMember("seconds", .double(seconds)),
            WireMember("throughput", .double(throughput)),
            WireMember("latency_ms", .structure(latencyMillis.map { WireMember($0.name, .double($0.value)) })),
        ]
        if verified {
            members.append(WireMember("differences", .array(differences.map { d in
                .structure([WireMember("call", .string(d.callID)), WireMember("step", .int(Int64(d.step))),
                            WireMember("origin", .string(d.origin)), WireMember("request", .string(d.request)),
                            WireMember("recorded", .string(d.recorded)), WireMember("now", .string(d.now)),
                            WireMember("fields", .array(d.fields.map { .string($0) }))])
            })))
        }
        return JSON.encode(.structure(members)) + [UInt8(ascii: "\n")]
    }
}
