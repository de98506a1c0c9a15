import IVRScript
import IVRWire
import Synchronization

/// One thread's counters. The owning thread adds to them under a lock that only
/// the scraper ever contends for; ``EngineMetrics/render(activeCalls:)`` merges them.
final class MetricsShard: Sendable {
    /// A request's labels: the route, and the rest packed into one integer
    /// (method, format, action and outcome as small codes), so counting hashes one short string.
    struct RequestKey: Hashable {
        var route: String
        var code: UInt32

        init(route: String, method: IVRMethod?, format: WireFormat?, action: ActionKind?, outcome: Outcome) {
            self.route = route
            let m = method.flatMap { IVRMethod.cases.firstIndex(of: $0) }.map { UInt32($0) + 1 } ?? 0
            let f: UInt32 = format == .xml ? 1 : format == .json ? 2 : 0
            let a = action.flatMap { ActionKind.cases.firstIndex(of: $0) }.map { UInt32($0) + 1 } ?? 0
            let o: UInt32
            switch outcome {
            case .ok: o = 0
            case .clientError: o = 1
            case .fallback: o = 2
            }
            code = m | f << 4 | a << 8 | o << 16
        }

        var method: String { code & 15 == 0 ? "unknown" : IVRMethod.cases[Int(code & 15) - 1].rawValue }
        var format: String { ["unknown", "xml", "json"][Int(code >> 4 & 15)] }
        var action: String { code >> 8 & 255 == 0 ? "" : ActionKind.cases[Int(code >> 8 & 255) - 1].wireName }
        var outcome: String { ["ok", "client_error", "fallback"][Int(code >> 16 & 3)] }
    }
    struct ReasonKey: Hashable {
        var route: String
        var reason: String
    }
    struct Histogram {
        static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
        var buckets = [Int](repeating: 0, count: bounds.count)
        var count = 0
        var sum = 0.0

        mutating func observe(_ seconds: Double) {
            count += 1
            sum += seconds
            var i = 0
            while i < Self.bounds.count, seconds > Self.bounds[i] { i += 1 }
            if i < buckets.count { buckets[i] += 1 }
        }

        mutating func add(_ other: Histogram) {
            for i in buckets.indices { buckets[i] += other.buckets[i] }
            count += other.count
            sum += other.sum
        }
    }
    struct Counters {
        var requests: [RequestKey: Int] = [:]
        var duration = Histogram()
        var scriptErrors: [ReasonKey: Int] = [:]
        var fallbacks: [ReasonKey: Int] = [:]
        var reloads: [String: Int] = [:]

        mutating func add(_ other: Counters) {
            requests.merge(other.requests, uniquingKeysWith: +)
            duration.add(other.duration)
            scriptErrors.merge(other.scriptErrors, uniquingKeysWith: +)
            fallbacks.merge(other.fallbacks, uniquingKeysWith: +)
            reloads.merge(other.reloads, uniquingKeysWith: +)
        }
    }

    let counters = Mutex(Counters())

    /// Counts one answered request (method and format nil when they could not be told).
    func request(route: String, method: IVRMethod?, format: WireFormat?, action: ActionKind?, outcome: Outcome,
                 seconds: Double) {
        let key = RequestKey(route: route, method: method, format: format, action: action, outcome: outcome)
        counters.withLock { c in
            c.requests[key, default: 0] += 1
            c.duration.observe(seconds)
            if case .fallback(let why) = outcome {
                c.fallbacks[ReasonKey(route: route, reason: why.rawValue), default: 0] += 1
            }
        }
    }

    /// Counts a script failure (also those of `on_hangup`, which take no fallback).
    func scriptError(route: String, reason: String) {
        counters.withLock { $0.scriptErrors[ReasonKey(route: route, reason: reason), default: 0] += 1 }
    }

    /// Counts a reload attempt: `ok` or `failed`.
    func reload(_ outcome: String) {
        counters.withLock { $0.reloads[outcome, default: 0] += 1 }
    }
}

/// The engine's Prometheus metrics (cli.md `GET /metrics`): per-thread
/// ``MetricsShard``s merged on scrape, rendered in the text exposition format.
public final class EngineMetrics: Sendable {
    /// Counters of work done outside a serving thread's context (reloads).
    let shared = MetricsShard()
    private let contexts: ThreadContexts
    /// Requests refused by access control, by reason (`token`, `basic_auth`, `allow`).
    private let refusals = Mutex<[String: Int]>(["token": 0, "basic_auth": 0, "allow": 0])

    /// Counts a request refused by access control (cli.md `ivr_refused_total{reason}`).
    public func refused(reason: String) {
        refusals.withLock { $0[reason, default: 0] += 1 }
    }

    init(contexts: ThreadContexts) {
        self.contexts = contexts
    }

    /// The metrics in Prometheus text format (version 0.0.4).
    public func render(activeCalls: Int) -> String {
        var c = shared.counters.withLock { $0 }
        for context in contexts.contexts {
            c.add(context.metrics.counters.withLock { $0 })
        }
        var out = ""
        out += "# HELP ivr_requests_total Requests answered, by route, method, format, action and outcome.\n"
        out += "# TYPE ivr_requests_total counter\n"
        for (k, v) in c.requests.sorted(by: { ($0.key.route, $0.key.code) < ($1.key.route, $1.key.code) }) {
            out += "ivr_requests_total{route=\(quote(k.route)),method=\(quote(k.method)),format=\(quote(k.format)),"
                + "action=\(quote(k.action)),outcome=\(quote(k.outcome))} \(v)\n"
        }
        out += "# HELP ivr_request_duration_seconds Time from a request's arrival to its answer.\n"
        out += "# TYPE ivr_request_duration_seconds histogram\n"
        var cumulative = 0
        for (i, bound) in MetricsShard.Histogram.bounds.enumerated() {
            cumulative += c.duration.buckets[i]
            out += "ivr_request_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "ivr_request_duration_seconds_bucket{le=\"+Inf\"} \(c.duration.count)\n"
        out += "ivr_request_duration_seconds_sum \(c.duration.sum)\n"
        out += "ivr_request_duration_seconds_count \(c.duration.count)\n"
        for (name, help, values) in [("ivr_script_errors_total", "Script failures, by route and reason.", c.scriptErrors),
                                     ("ivr_fallbacks_total", "Requests answered by the fallback path, by route and reason.", c.fallbacks)] {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (k, v) in values.sorted(by: { ($0.key.route, $0.key.reason) < ($1.key.route, $1.key.reason) }) {
                out += "\(name){route=\(quote(k.route)),reason=\(quote(k.reason))} \(v)\n"
            }
        }
        out += "# HELP ivr_reloads_total Script reloads, by outcome.\n# TYPE ivr_reloads_total counter\n"
        for (k, v) in c.reloads.sorted(by: { $0.key < $1.key }) {
            out += "ivr_reloads_total{outcome=\(quote(k))} \(v)\n"
        }
        out += "# HELP ivr_refused_total Requests refused by access control, by reason.\n# TYPE ivr_refused_total counter\n"
        for (k, v) in refusals.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            out += "ivr_refused_total{reason=\(quote(k))} \(v)\n"
        }
        out += "# HELP ivr_active_calls Calls with state held.\n# TYPE ivr_active_calls gauge\n"
        out += "ivr_active_calls \(activeCalls)\n"
        return out
    }

    /// A label value, quoted and escaped.
    private func quote(_ s: String) -> String {
        var out = "\""
        for ch in s {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}
