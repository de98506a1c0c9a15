import Synchronization

/// One thread's counters. The owning thread adds to them under a lock that only
/// the scraper ever contends for; ``EngineMetrics/render(activeCalls:)`` merges them.
final class MetricsShard: Sendable {
    struct RequestKey: Hashable {
        var route: String
        var method: String
        var format: String
        var action: String
        var outcome: String
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

    /// Counts one answered request.
    func request(route: String, method: String, format: String, action: String, outcome: Outcome, seconds: Double) {
        let outcomeLabel: String
        var reason: String?
        switch outcome {
        case .ok: outcomeLabel = "ok"
        case .clientError: outcomeLabel = "client_error"
        case .fallback(let why):
            outcomeLabel = "fallback"
            reason = why.rawValue
        }
        let key = RequestKey(route: route, method: method, format: format, action: action, outcome: outcomeLabel)
        counters.withLock { c in
            c.requests[key, default: 0] += 1
            c.duration.observe(seconds)
            if let reason { c.fallbacks[ReasonKey(route: route, reason: reason), default: 0] += 1 }
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
        for (k, v) in c.requests.sorted(by: { "\($0.key)" < "\($1.key)" }) {
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
