import ArgumentParser
import Foundation
import IVREngine
import IVRTools
import IVRScript
import IVRState
import IVRWire
import Logging

/// `ivr-engine simulate`: plays one call against the scripts, in-process.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Play a call against the scripts, in-process, and show each reply in words.",
        discussion: """
        The requests go through the same decoding, script and encoding path as `serve`, \
        without a network. A menu call starts with GET_IVR_ACTION MENU "-1"; each next \
        request carries the next digits entry, MENU set to the menu the engine handed \
        out last (MENU, SAYDIGITS, or CALL's NEXT_MENU with --transfer-fails) and \
        PREVIOUS_MENU to the one before.

        Digits come from --dtmf (a comma list, one entry per menu or layer: --dtmf 1,,3,# \
        presses 1, then nothing, then 3, then #), or else from standard input, one line \
        per menu (with a prompt when it is a terminal). End of input hangs up.

        The call ends with a HANGUP_CALL (so on_hangup runs) when the script hangs up \
        (HANGUP), transfers (CALL, VO), records (SILENTRECORD), dials (DIAL), or the \
        digits run out. --layer N plays an IVR_LAYER_INPUT call from layer N instead, \
        following GO_TO_LAYER and SAY_DIGITS.

        HANGUP_CALL carries CALL_STATUS CANCEL when the digits ran out (the caller \
        hung up), else ANSWER, and TARGET the number a CALL or DIAL transferred to.

        One line per request on stdout: `#N <request> => <reply in words>`; a reply \
        from the fallback path reads `FALLBACK (reason: why) ...`. --verbose adds the \
        raw bodies. Logs, the script's ivr.log lines among them, go to stderr.

        Exit status: 0, or 1 if any reply took the fallback path, a request got an \
        HTTP error, or on_hangup failed (also for an unknown route or unreadable DIR).
        """
    )

    @Option(help: "Directory of the Lua scripts.")
    var scripts: String = "sample-menus"
    @Option(help: "The script to call: DIR/NAME.lua (POST /NAME).")
    var route: String = "main"
    @Option(help: "Wire format of the requests: json or xml (XML-RPC).")
    var format: SimulatedFormat = .json
    @Option(help: "DID, the number called.")
    var did: String = "0730000000"
    @Option(name: .customLong("caller-id"), help: "CALLER_ID, the caller's number.")
    var callerID: String = "0541234567"
    @Option(name: .customLong("caller-name"), help: "CALLER_NAME.")
    var callerName: String = CallDefaults.callerName
    @Option(help: "The caller's digits, one comma-separated entry per menu (0-9, * and #; an empty entry is no input).")
    var dtmf: String?
    @Option(help: "Play an IVR_LAYER_INPUT call from this Voicenter layer instead of a GET_IVR_ACTION call.")
    var layer: Int64?
    @Flag(name: .customLong("transfer-fails"), help: "Take a CALL with a NEXT_MENU as a failed transfer and go on at that menu.")
    var transferFails = false
    @Flag(help: "Also print each raw request and response body.")
    var verbose = false
    @OptionGroup var script: ScriptOptions

    func validate() throws {
        for entry in dtmfEntries ?? [] where !DigitsSource.isDigits(entry) {
            throw ValidationError("--dtmf: '\(entry)' is not digits (0-9, * and #, comma-separated)")
        }
    }

    /// The --dtmf entries, trimmed; nil when digits come from standard input.
    private var dtmfEntries: [String]? {
        dtmf.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func run() throws {
        let logger = LogSetup.bootstrap(format: .text, level: .info)
        let config = EngineConfig(
            scriptsDirectory: scripts, limits: script.limits,
            deadline: .milliseconds(max(3000, 2 * script.scriptTimeout + 1000)), watchInterval: nil)
        let engine: Engine
        do {
            engine = try Engine(config: config, store: InMemoryCallStore(ttl: config.stateTTL), logger: logger)
        } catch {
            throw CLIError("cannot load scripts from '\(scripts)': \(error)")
        }
        defer { engine.shutdown() }
        guard engine.routes.contains(route) else {
            let known = engine.routes.isEmpty ? "none" : engine.routes.joined(separator: ", ")
            throw CLIError("no script for route '\(route)' in '\(scripts)' (routes: \(known))")
        }
        let call = CallScript(route: route, format: format.wire, did: did, callerID: callerID, callerName: callerName,
                              start: layer.map { .layer($0) } ?? .menu, transferFails: transferFails)
        var source = DigitsSource(entries: dtmfEntries)
        var failed = false
        var number = 0
        call.play(on: engine, digits: { source.next(at: $0) }, onStep: { step in
            number += 1
            failed = failed || Self.isFailure(step.result)
            show(step, number: number)
        })
        if failed { throw ExitCode.failure }
    }

    /// A fallback, an HTTP error, or a failed on_hangup.
    private static func isFailure(_ result: EngineResult) -> Bool {
        if result.httpStatus != 200 { return true }
        switch result.outcome {
        case .fallback, .clientError: return true
        case .ok: return result.request?.method == .hangupCall && result.detail != nil
        }
    }

    private func show(_ step: CallScript.Step, number: Int) {
        let request = step.result.request.map(ReplyDescription.line(for:)) ?? step.method.rawValue
        var out = "#\(number) \(request) => \(ReplyDescription.line(for: step.result, defaultLanguage: script.language))\n"
        if verbose {
            out += "  request (POST /\(route)):\n" + Self.indented(step.request)
            out += "  response (HTTP \(step.result.httpStatus)):\n" + Self.indented(step.result.body)
        }
        Output.write(out)
    }

    private static func indented(_ body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.isEmpty }.map { "    " + $0 }.joined(separator: "\n") + "\n"
    }
}

/// `--format`: the wire format of the simulated requests.
enum SimulatedFormat: String, ExpressibleByArgument, CaseIterable {
    case json
    case xml

    var wire: WireFormat { self == .json ? .json : .xml }
}

/// The caller's digits: the --dtmf entries in turn, or lines of standard input.
struct DigitsSource {
    private var entries: [String]?
    private let prompting = isatty(STDIN_FILENO) != 0

    init(entries: [String]?) { self.entries = entries }

    /// The digits entered at `prompt`; nil when there are no more (the caller hangs up).
    mutating func next(at prompt: CallPrompt) -> String? {
        if entries != nil {
            return entries?.isEmpty == false ? entries?.removeFirst() : nil
        }
        while true {
            if prompting { Output.write("digits for \(prompt)> ") }
            guard let line = readLine(strippingNewline: true) else {
                if prompting { Output.write("\n") }
                return nil
            }
            let digits = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if Self.isDigits(digits) { return digits }
            FileHandle.standardError.write(Data("ignored '\(line)': digits are 0-9, * and #\n".utf8))
        }
    }

    static func isDigits(_ text: String) -> Bool {
        text.allSatisfy { ("0"..."9").contains($0) || $0 == "*" || $0 == "#" }
    }
}

/// Unbuffered writes to stdout, so lines and prompts interleave with stderr in order.
enum Output {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
