import IVRScript
import CLua
import CLuaShims
import IVRState
import IVRWire

/// Runs one operator's test file (`*_test.lua`) in a Lua state of its own.
///
/// The file runs in a sandboxed state like the scripts' (same base library,
/// `os.time`/`os.date`, no `io`, no `require`), which is not any script's
/// state: tests reach the scripts only through simulated calls, sent by a
/// ``TestCallDriver``. The file's top level defines tests with `test(name, fn)`;
/// then each test runs with a driver of its own from the ``TestSession``.
/// A failed assertion is recorded and the test goes on; an error stops the
/// test. See ``TestPrelude`` and the README for the Lua side.
///
/// Not thread-safe: one thread creates, runs and drops it. Lua errors never
/// cross a Swift frame: Swift runs Lua only through `ivr_run`, and the test API's
/// C trampolines (testapi.c) raise the errors Swift reports by status.
public final class LuaTestHarness {
    /// The file as shown in reports (`sample-menus/main_test.lua`).
    public let path: String
    let source: [UInt8]
    let limits: TestLimits
    /// Where `print` and `ivr.log` lines of test code go.
    let output: (String) -> Void
    let lua: LuaState?

    /// How Lua names the file in its messages (`path`, or `...` and its tail when long).
    var shortSource = ""
    /// The running test: its driver, calls, clock and failures.
    var driver: (any TestCallDriver)?
    var calls: [Int64: SimulatedCall] = [:]
    var lastHandle: Int64 = 0
    var testNumber = 0
    var callsInTest = 0
    var clock: Double?
    var failures: [TestFailure] = []
    /// The line of the running test's `function()` (where an unlocated failure is reported).
    var testLine: Int?

    /// A harness for the test file `path` whose text is `source`; `output` gets the test code's `print` lines.
    public init(path: String, source: [UInt8], limits: TestLimits = TestLimits(),
                output: @escaping (String) -> Void = { _ in }) {
        self.path = path
        self.source = source
        self.limits = limits
        self.output = output
        var callbacks = Self.stateCallbacks
        var state = ivr_state_open(&callbacks, nil, max(0, limits.memoryBytes))
        var testCallbacks = Self.testCallbacks
        if let L = state, ivr_test_install(L, &testCallbacks) != LUA_OK {
            ivr_state_close(L)
            state = nil
        }
        self.lua = state.map(LuaState.init)
        if let lua { ivr_set_owner(lua.L, Unmanaged.passUnretained(self).toOpaque()) }
    }

    deinit {
        if let lua { ivr_state_close(lua.L) }
    }

    /// The harness a C callback's `owner` points at.
    static func from(_ owner: UnsafeMutableRawPointer?) -> LuaTestHarness? {
        owner.map { Unmanaged<LuaTestHarness>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Loads the file and runs its tests whose name contains `filter` (all when nil),
    /// in file order, each with a driver from `session`.
    public func run(filter: String? = nil, session: any TestSession) -> TestFileResult {
        guard let lua else { return loadFailed(TestFailure(file: path, line: nil, message: "could not create a Lua state")) }
        let base = lua.top
        defer { lua.top = base }
        ivr_test_push_env(lua.L)
        let env = lua.top
        if let failure = loadPrelude(env: env) { return loadFailed(failure) }
        let tests = lua.top - 1, close = lua.top
        if let failure = loadFile(env: env) { return loadFailed(failure) }
        lua.pushValue(at: close)
        if let error = runProtected(nargs: 0) { return loadFailed(TestFailure(file: path, line: nil, message: error.message)) }

        var results: [TestCaseResult] = []
        let count = lua.rawLength(at: tests)
        for index in 0..<count {
            lua.rawGet(tests, index: Int64(index + 1))
            let entry = lua.top
            lua.rawGet(entry, "name")
            let name = lua.string(at: -1) ?? "?"
            lua.pop()
            if let filter, !filter.isEmpty, !name.contains(filter) {
                lua.pop()
                continue
            }
            lua.rawGet(entry, "fn")
            results.append(runTest(name: name, session: session))
            lua.pop()  // the entry
        }
        return TestFileResult(file: path, loadFailure: nil, tests: results)
    }

    private func loadFailed(_ failure: TestFailure) -> TestFileResult {
        TestFileResult(file: path, loadFailure: failure, tests: [])
    }

    /// Runs the test API's Lua side in `env`; pushes the tests list and the close function.
    private func loadPrelude(env: Int32) -> TestFailure? {
        guard let lua else { return nil }
        if let failure = compile(Array(TestPrelude.source.utf8), chunkName: TestPrelude.chunkName) { return failure }
        setEnvironment(env)
        ivr_test_push_primitives(lua.L)
        if let error = runProtected(nargs: 1, nresults: 2) {
            return TestFailure(file: path, line: nil, message: "the test API did not load: \(error.message)")
        }
        return nil
    }

    /// Compiles the test file and runs its top level in `env`.
    private func loadFile(env: Int32) -> TestFailure? {
        guard let lua else { return nil }
        let chunkName = "@" + path
        // Lua shortens long chunk names in its messages: learn how, from an empty chunk of the same name.
        if compile([], chunkName: chunkName) == nil {
            ivr_test_push_short_src(lua.L, -1)
            shortSource = lua.string(at: -1) ?? path
            lua.pop(2)
        }
        if let failure = compile(source, chunkName: chunkName) { return failure }
        setEnvironment(env)
        guard let error = runProtected(nargs: 0) else { return nil }
        return TestFailure(file: path, line: error.line, message: error.message)
    }

    /// Compiles text and pushes the chunk; the failure (located in the file) otherwise.
    private func compile(_ bytes: [UInt8], chunkName: String) -> TestFailure? {
        guard let lua else { return nil }
        let status = bytes.withUnsafeBufferPointer { ivr_loadbuffer(lua.L, $0.baseAddress, $0.count, chunkName) }
        guard status != LUA_OK else { return nil }
        let (line, message) = locate(lua.string(at: -1) ?? "cannot be compiled", recorded: nil)
        lua.pop()
        return TestFailure(file: path, line: line, message: message)
    }

    /// Makes the table at `env` the `_ENV` of the chunk at the top.
    private func setEnvironment(_ env: Int32) {
        guard let lua else { return }
        lua.pushValue(at: env)
        if lua_setupvalue(lua.L, -2, 1) == nil { lua.pop() }
    }

    /// Runs one test: the function at the top of the stack, which it pops.
    private func runTest(name: String, session: any TestSession) -> TestCaseResult {
        testNumber += 1
        callsInTest = 0
        failures = []
        clock = nil
        testLine = definitionLine(at: -1)
        do {
            driver = try session.begin(test: name)
        } catch {
            lua?.pop()
            failures = [TestFailure(file: path, line: testLine, message: "the test could not start: \(error)")]
        }
        if let driver {
            if let error = runProtected(nargs: 0) {
                failures.append(TestFailure(file: path, line: error.line ?? testLine, message: error.message))
            }
            if clock != nil { driver.setClock(nil) }
        }
        if let lua { ivr_set_clock_override(lua.L, 0, 0) }
        driver = nil
        calls = [:]
        clock = nil
        let result = TestCaseResult(file: path, name: name, failures: failures)
        session.end(result)
        return result
    }

    /// The line where the function at `index` is defined.
    private func definitionLine(at index: Int32) -> Int? {
        guard let lua else { return nil }
        var info = lua_Debug()
        lua.pushValue(at: index)
        guard lua_getinfo(lua.L, ">S", &info) != 0, info.linedefined > 0 else { return nil }
        return Int(info.linedefined)
    }

    // MARK: Running test code

    /// Why test code stopped: the message (its location taken off) and the test-file line.
    struct RunError {
        var message: String
        var line: Int?
    }

    /// Runs the function below the top `nargs` values under the test budget. On
    /// success its `nresults` results replace it; on failure it and its arguments are popped.
    func runProtected(nargs: Int32, nresults: Int32 = 0) -> RunError? {
        guard let lua else { return RunError(message: "no Lua state", line: nil) }
        let function = lua.top - nargs
        ivr_test_push_msgh(lua.L)
        lua.insert(at: function)
        let budget = ScriptLimits(timeout: limits.timeout).timeoutNanoseconds
        let status = ivr_run(lua.L, nargs, nresults, budget)
        guard status != LUA_OK else {
            lua.remove(at: function)
            return nil
        }
        let recorded = Int(ivr_test_error_line(lua.L))
        var (line, message) = locate(lua.string(at: -1) ?? "error", recorded: recorded > 0 ? recorded : nil)
        switch ivr_last_fired(lua.L) {
        case Int32(IVR_FIRED_TIMEOUT), Int32(IVR_FIRED_DEADLINE):
            message = "the test ran out of its time budget (\(budget / 1_000_000) ms of Lua between two requests)"
        default:
            if status == LUA_ERRMEM || ivr_last_memory_refused(lua.L) != 0 && message.contains("not enough memory") {
                message = "the test ran out of memory (\(limits.memoryBytes >> 20) MiB)"
            }
        }
        if line == nil { line = recorded > 0 ? recorded : nil }
        lua.pop(2)
        return RunError(message: message, line: line)
    }

    /// Splits `short_src:LINE: ` off a message about the test file; else keeps it whole at `recorded`.
    func locate(_ message: String, recorded: Int?) -> (Int?, String) {
        let prefix = shortSource + ":"
        guard !shortSource.isEmpty, message.hasPrefix(prefix) else { return (recorded, message) }
        let rest = message.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        let after = rest.dropFirst(digits.count)
        guard let line = Int(digits), after.hasPrefix(": ") else { return (recorded, message) }
        return (line, String(after.dropFirst(2)))
    }
}
