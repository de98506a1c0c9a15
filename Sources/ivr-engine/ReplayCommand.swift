import ArgumentParser
import Dispatch
import Foundation
import IVREngine
import IVRTools
import Logging

/// `ivr-engine replay`: plays recorded calls again, over HTTP or in-process.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play calls recorded by `serve --record` against a running engine or a scripts directory.",
        discussion: """
        Groups the recorded exchanges into calls by IVR_UNIQUE_ID and plays each call's \
        requests in order, C calls at a time: over HTTP against --url (a load test: every \
        play under a fresh IVR_UNIQUE_ID), or with --scripts DIR in-process against the \
        scripts of DIR, through the same path as `serve`, with no network (the regression \
        diff of a change before it ships: the script clock is pinned to each request's \
        recorded time, so the replay is deterministic).

        --copies K plays every call K times (fresh ids); --duration loops until time is up; \
        --rate caps requests per second. Prints requests, calls, throughput, errors \
        (transport failures and HTTP statuses other than the recorded one) and \
        `latency p50=… p90=… p99=… p99.9=… max=…`. --verify compares each reply with the \
        recorded one as values (not bytes) and lists every difference: the call id, the \
        step, the request and both replies in words. On a terminal a progress line shows \
        on stderr while it runs.

        Exit status: 0; 1 with --verify when any reply differs; 2 when a recording cannot \
        be read or the scripts cannot be loaded.
        """
    )

    @Argument(help: "Recorded sessions (`serve --record` JSONL files).")
    var files: [String]
    @Option(help: "Play over HTTP against this engine: http://HOST:PORT.")
    var url: String?
    @Option(help: "Play in-process against the scripts of this directory (a candidate version).")
    var scripts: String?
    @Option(help: "Calls in flight at once.")
    var concurrency: Int = 8
    @Option(help: "Play every call this many times, under fresh IVR_UNIQUE_IDs.")
    var copies: Int = 1
    @Option(help: "Loop over the calls until this many seconds have passed.")
    var duration: Double?
    @Option(help: "At most this many requests per second.")
    var rate: Double?
    @Flag(help: "Compare every reply with the recorded one (as values) and list each difference; exit 1 on any.")
    var verify = false
    @Option(help: "Also write the figures and the differences to this file, as one JSON object.")
    var report: String?
    @OptionGroup var script: ScriptOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one recorded FILE.jsonl") }
        guard (url == nil) != (scripts == nil) else { throw ValidationError("give exactly one of --url and --scripts") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard copies >= 1 else { throw ValidationError("--copies must be at least 1") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be positive") }
    }

    func run() throws {
        let logger = LogSetup.bootstrap(format: .text, level: .warning)
        let calls: [RecordedCall]
        do {
            calls = try Recording.load(files)
        } catch {
            throw Self.cannotReplay(error.description)
        }
        let options = ReplayOptions(concurrency: concurrency, copies: copies, duration: duration, rate: rate,
                                    verify: verify, language: script.language)
        let progress = ReplayProgress()
        let line = isatty(STDERR_FILENO) != 0 ? ProgressLine(progress) : nil
        line?.start()
        let summary: ReplaySummary
        if let url {
            do {
                summary = try HTTPPlayer(url: url, options: options).run(calls, progress: progress)
            } catch {
                line?.stop()
                throw Self.cannotReplay(error.description)
            }
        } else {
            let directory = scripts ?? "sample-menus"
            let config = EngineConfig(scriptsDirectory: directory, limits: script.limits,
                                      deadline: .milliseconds(max(3000, 2 * script.scriptTimeout + 1000)),
                                      watchInterval: nil)
            do {
                summary = try InProcessPlayer(config: config, options: options, logger: logger)
                    .run(calls, progress: progress)
            } catch {
                line?.stop()
                throw Self.cannotReplay("cannot load scripts from '\(directory)': \(error)")
            }
        }
        line?.stop()
        var out = summary.differences.flatMap(\.lines)
        out += summary.lines(verified: verify)
        Output.write(out.map { $0 + "\n" }.joined())
        if let report {
            guard FileManager.default.createFile(atPath: report, contents: Data(summary.json(verified: verify))) else {
                throw Self.cannotReplay("--report: cannot write '\(report)'")
            }
        }
        if verify && !summary.differences.isEmpty { throw ExitCode.failure }
    }

    private static func cannotReplay(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(2)
    }
}

/// The progress line on a terminal: requests, rate and errors, redrawn every half second.
final class ProgressLine: @unchecked Sendable {
    private let progress: ReplayProgress
    private let timer: any DispatchSourceTimer
    private let begun = Date()

    init(_ progress: ReplayProgress) {
        self.progress = progress
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "ivr-replay-progress"))
    }

    func start() {
        timer.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(500))
        timer.setEventHandler { [self] in draw() }
        timer.resume()
    }

    func stop() {
        timer.cancel()
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private func draw() {
        let (requests, errors) = progress.totals
        let seconds = max(0.001, Date().timeIntervalSince(begun))
        let text = "\rreplay: \(requests) requests, \(Int(Double(requests) / seconds)) req/s, \(errors) errors\u{1B}[K"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
