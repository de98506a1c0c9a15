import IVRScript
import IVRState
import IVRWire

/// What ``LuaTestHarness`` calls for every simulated request of a test: the
/// engine side of `ivr-engine test`. IVRScript knows Lua, not the engine, so the
/// engine (``send(route:method:format:fields:)`` through its own pipeline) is
/// behind this protocol.
public protocol TestCallDriver: AnyObject {
    /// Sends one request (the fields of its `DATA`, in order) to route `route` in `format`.
    func send(route: String, method: IVRMethod, format: WireFormat, fields: [WireMember]) -> TestExchange
    /// `call.state` as saved after the call's last request; nil when the call has none (not started, hung up).
    func state(of callID: String) -> StateTable?
    /// Makes scripts see `unixTime` as the time (`ivr.now()`, `os.time()`, `os.date()`); nil: the real clock.
    func setClock(_ unixTime: Double?)
}

/// Where a test gets its driver: one per test, so tests do not share calls or a clock.
public protocol TestSession: AnyObject {
    /// A driver for the test `name`, about to run: no call in progress, the real clock.
    func begin(test name: String) throws -> any TestCallDriver
    /// The test is over; its driver is no longer used.
    func end(_ result: TestCaseResult)
}

/// The answer to one simulated request.
public struct TestExchange: Sendable {
    public var httpStatus: Int
    /// The reply, when the request was answered (not for HTTP errors).
    public var reply: IVRReply?
    /// Why the fallback path answered (`"error"`, `"timeout"`, ...); nil for the script's own answer.
    public var fallbackReason: String?
    /// The script's error message on the fallback path or when `on_hangup` failed;
    /// what was wrong with the request on an HTTP error.
    public var detail: String?

    public init(httpStatus: Int, reply: IVRReply?, fallbackReason: String? = nil, detail: String? = nil) {
        self.httpStatus = httpStatus
        self.reply = reply
        self.fallbackReason = fallbackReason
        self.detail = detail
    }
}

/// A failed assertion, an error in a test, or a test file that did not load.
public struct TestFailure: Sendable, Equatable, CustomStringConvertible {
    /// The test file as reached from the tests directory (`sample-menus/main_test.lua`).
    public var file: String
    /// The line in `file`, when known.
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message` (or `file: message` without a line), on one line.
    public var description: String {
        let text = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard let line else { return "\(file): \(text)" }
        return "\(file):\(line): \(text)"
    }
}

/// One `test(name, fn)` after it ran.
public struct TestCaseResult: Sendable {
    public var file: String
    public var name: String
    /// Every failed assertion, in order, then the error that stopped the test, if any.
    public var failures: [TestFailure]

    public var passed: Bool { failures.isEmpty }
}

/// One test file after it ran.
public struct TestFileResult: Sendable {
    public var file: String
    /// Set when the file did not load (did not compile, or its top level failed): no test ran.
    public var loadFailure: TestFailure?
    /// The tests that ran, in file order.
    public var tests: [TestCaseResult]
}

/// The budgets of test code (not of the scripts it drives: those are the engine's).
public struct TestLimits: Sendable {
    /// Lua time a test may spend between two simulated requests (and its file's top level in all).
    public var timeout: Duration
    /// Memory cap of a test file's Lua state.
    public var memoryBytes: Int

    public init(timeout: Duration = .seconds(5), memoryBytes: Int = 256 << 20) {
        self.timeout = timeout
        self.memoryBytes = memoryBytes
    }
}
