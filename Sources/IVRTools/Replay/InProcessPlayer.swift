import Foundation
import IVREngine
import IVRScript
import IVRState
import IVRWire
import Logging
import Synchronization

/// `replay --scripts DIR`: plays recorded calls in-process against the scripts
/// of a directory (a candidate version), through the same pipeline as `serve`
/// (``Engine/process(route:body:contentType:)``), with no network.
///
/// Each player thread has an engine of its own, and each request runs with the
/// script clock pinned to the time it was recorded at, so a replay is
/// deterministic: the same recording against the same scripts gives the same
/// replies, whatever the concurrency. A call's first play keeps its recorded id;
/// copies and further passes get fresh ones.
public struct InProcessPlayer {
    public var config: EngineConfig
    public var options: ReplayOptions
    public var logger: Logger

    public init(config: EngineConfig, options: ReplayOptions,
                logger: Logger = Logger(label: "ivr-engine.replay", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.config = config
        self.config.watchInterval = nil
        self.options = options
        self.logger = logger
    }

    /// Plays `calls`; `progress` is told the running totals now and then.
    ///
    /// - Throws: when the scripts directory cannot be loaded.
    public func run(_ calls: [RecordedCall], progress: ReplayProgress? = nil) throws -> ReplaySummary {
        let threads = max(1, min(options.concurrency, calls.count * options.copies,
                                 ProcessInfo.processInfo.activeProcessorCount))
        var engines: [(Engine, ScriptClockControl)] = []
        for _ in 0..<threads {
            let clock = ScriptClockControl()
            engines.append((try Engine(config: config, store: InMemoryCallStore(ttl: config.stateTTL), logger: logger,
                                       clock: clock), clock))
        }
        defer { engines.forEach { $0.0.shutdown() } }
        let templates = calls.map(CallTemplate.init)
        let start = monotonicNanos()
        let dispenser = PlayDispenser(templates: templates.count, copies: options.copies,
                                      duration: options.duration, start: start)
        let tallies = Mutex(ReplayTally())
        let group = DispatchGroup()
        let options = self.options
        for (engine, clock) in engines {
            group.enter()
            let thread = Thread {
                let tally = Self.play(templates, on: engine, clock: clock, dispenser: dispenser, options: options,
                                      threads: threads, start: start, progress: progress)
                tallies.withLock { $0.add(tally) }
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        let seconds = Double(monotonicNanos() - start) / 1e9
        return ReplaySummary(tallies.withLock { $0 }, seconds: seconds)
    }

    private static func play(_ templates: [CallTemplate], on engine: Engine, clock: ScriptClockControl, dispenser: PlayDispenser,
                             options: ReplayOptions, threads: Int, start: UInt64,
                             progress: ReplayProgress?) -> ReplayTally {
        var tally = ReplayTally()
        let client = EngineClient(engine: engine)
        var pacer = Pacer(rate: options.rate, threads: threads, start: start)
        let tag = UInt16.random(in: 0...UInt16.max)
        while let (index, play) = dispenser.take(now: monotonicNanos()) {
            let template = templates[index]
            let call = template.call
            let original = play < templates.count
            let freshID = original ? nil : template.freshID(tag: tag, play: UInt32(truncatingIfNeeded: play))
            for (i, step) in call.steps.enumerated() {
                var body = original ? step.request : template.bodies[i]
                if let freshID, !template.digitOffsets[i].isEmpty {
                    let offsets = template.digitOffsets[i]
                    body.withUnsafeMutableBufferPointer { buffer in
                        if let base = buffer.baseAddress {
                            CallTemplate.patch(base, offsets: offsets, shift: 0, tag: tag,
                                               play: UInt32(truncatingIfNeeded: play))
                        }
                    }
                    _ = freshID
                }
                while case let wait = pacer.wait(now: monotonicNanos()), wait > 0 {
                    usleep(UInt32(min(wait / 1000, 100_000)))
                }
                clock.set(step.arrivalTime)
                let sent = monotonicNanos()
                let result = client.post(route: call.route, body: body, contentType: step.contentType)
                tally.record(latencyNanos: monotonicNanos() - sent)
                tally.requests += 1
                if result.httpStatus != step.status { tally.statusErrors += 1 }
                if options.verify,
                   let difference = ReplayCheck.compare(step, index: i, call: call, status: result.httpStatus,
                                                        body: result.body, freshID: freshID, language: options.language) {
                    tally.differences.append((play << 16 | i, difference))
                }
                progress?.count(requests: 1, errors: result.httpStatus != step.status ? 1 : 0)
            }
            tally.calls += 1
        }
        return tally
    }
}

/// Running totals for the progress line, shared by the player's threads.
public final class ReplayProgress: Sendable {
    private let requests = Atomic<Int>(0)
    private let errors = Atomic<Int>(0)

    public init() {}

    func count(requests n: Int, errors e: Int) {
        requests.add(n, ordering: .relaxed)
        if e > 0 { errors.add(e, ordering: .relaxed) }
    }

    /// (requests, errors) so far.
    public var totals: (requests: Int, errors: Int) {
        (requests.load(ordering: .relaxed), errors.load(ordering: .relaxed))
    }
}
