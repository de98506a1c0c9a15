import Dispatch
import Synchronization
import IVRScript
import IVRState
import IVRWire
import Testing

/// lua-api.md "Budgets and sandbox": time and memory budgets, the interrupter,
/// and a worker that keeps serving after each failure.
@Suite struct BudgetTests {
    static let normal = "function on_input(call) return ivr.hangup{ hangup_rec = 'fine' } end"

    /// Runs `source` on `worker`, then checks a normal request still works on it.
    private func runThenRecover(_ source: String, worker: ScriptWorker,
                                pulse: InterruptPulse? = nil) -> (ScriptResult, Duration) {
        let start = ContinuousClock.now
        let result = worker.handle(context(getAction()), state: StateTable(), bundle: mainBundle(source, version: 1))
        let elapsed = ContinuousClock.now - start
        pulse?.stop()
        let next = worker.handle(context(getAction(menu: "m")), state: StateTable(), bundle: mainBundle(Self.normal, version: 2))
        #expect(next.action?["HANGUP_REC"] == .string("fine"), "\(next.failure?.message ?? "")")
        return (result, elapsed)
    }

    @Test(arguments: [
        ("while true do end", "plain loop"),
        ("while true do pcall(function() while true do end end) end", "loop inside pcall"),
        ("pcall(function() while true do end end); return ivr.hangup{}", "pcall swallowing the error"),
        ("local ok = xpcall(function() while true do end end, function(e) return e end); return ivr.hangup{}", "xpcall"),
        ("local co = coroutine.create(function() while true do end end)\n coroutine.resume(co)\n return ivr.hangup{}", "coroutine"),
        ("coroutine.wrap(function() while true do end end)()", "coroutine.wrap"),
        ("local function f(n) return f(n + 1) end return f(1)", "endless tail calls"),
        ("for i = 1, math.maxinteger do local t = { i } end", "allocating loop"),
    ])
    func infiniteLoopsTimeOut(body: String, label: String) {
        let worker = makeWorker(timeout: .milliseconds(200))
        let (result, elapsed) = runThenRecover("function on_start(call)\n  \(body)\nend", worker: worker)
        #expect(result.failure?.reason == .timeout, "\(label): \(result.failure?.message ?? "succeeded")")
        #expect(result.failure?.message.contains("time budget (200 ms)") == true, "\(label)")
        #expect(elapsed < .seconds(2), "\(label) took \(elapsed)")
    }

    @Test(arguments: [
        "local function f(n) return 1 + f(n + 1) end return f(1)",
        "local function f() return pcall(f) end local ok, e = f() error(e)",
        "local function f() return coroutine.wrap(f)() end return f()",
        "return string.find(string.rep('a', 10000), string.rep('(a', 300) .. string.rep(')', 300))",
        "return string.match(string.rep('a', 1000), string.rep('a?', 1000))",
        "local t = setmetatable({}, {}) getmetatable(t).__index = t return t.x",
    ])
    func recursionLimitsFailCleanly(body: String) {
        let (result, _) = runThenRecover("function on_start(call)\n  \(body)\nend", worker: makeWorker(memory: 64 << 20))
        let reason = result.failure?.reason
        #expect(reason == .error || reason == .memory, "\(result.failure?.message ?? "succeeded")")
    }

    @Test func timeoutNamesTheLine() {
        let source = "function on_start(call)\n  local n = 0\n  while true do n = n + 1 end\nend"
        let failure = run(source, worker: makeWorker(timeout: .milliseconds(100))).failure
        #expect(failure?.message.hasPrefix("menus/main.lua:3: script ran out of its time budget") == true, "\(failure?.message ?? "")")
    }

    @Test func memoryBombHitsTheCap() {
        let worker = makeWorker(memory: 24 << 20)
        let source = """
            function on_start(call)
              local t = {}
              while true do t[#t + 1] = string.rep("x", 1e6) .. #t end
            end
            """
        let (result, _) = runThenRecover(source, worker: worker)
        #expect(result.failure?.reason == .memory, "\(result.failure?.message ?? "succeeded")")
        #expect(result.failure?.message.contains("not enough memory") == true)
        #expect(worker.memoryInUse < 24 << 20)
    }

    @Test(arguments: [
        "return string.rep('x', 1e9)",
        "local s = ('x'):rep(1e6); local t = {} for i = 1, 100 do t[i] = s .. i end",
        "local t = {} for i = 1, 1e8 do t[i] = i end",
        "pcall(string.rep, 'x', 1e9); error(select(2, pcall(string.rep, 'x', 1e9)))",
    ])
    func memoryFailuresAreClassified(body: String) {
        let worker = makeWorker(memory: 16 << 20)
        let (result, _) = runThenRecover("function on_start(call)\n  \(body)\nend", worker: worker)
        #expect(result.failure?.reason == .memory, "\(result.failure?.message ?? "succeeded")")
    }

    @Test func memoryErrorCaughtByTheScriptIsNotAFailure() {
        // The cap held; the script chose to carry on.
        let source = """
            function on_start(call)
              local ok, err = pcall(string.rep, "x", 1e9)
              return ivr.hangup{ hangup_rec = err }
            end
            """
        let result = run(source, worker: makeWorker(memory: 16 << 20))
        #expect(result.action?["HANGUP_REC"] == .string("not enough memory"))
    }

    @Test func eachRequestGetsAFreshBudget() {
        let worker = makeWorker(timeout: .milliseconds(300))
        let source = """
            function on_start(call)
              -- Wall time (ivr.now), as the budget is: CPU time (os.clock) stretches on a loaded machine.
              local stop = ivr.now() + 0.15
              while ivr.now() < stop do end
              return ivr.hangup{}
            end
            """
        let b = mainBundle(source)
        for _ in 0..<3 {
            #expect(worker.handle(context(getAction()), state: StateTable(), bundle: b).succeeded)
        }
    }

    @Test func topLevelLoadRunsUnderTheBudgetAndIsRetried() {
        let worker = makeWorker(timeout: .milliseconds(100))
        let b = mainBundle("while true do end\nfunction on_start() return ivr.hangup{} end")
        let first = worker.handle(context(getAction()), state: StateTable(), bundle: b)
        #expect(first.failure?.reason == .timeout)
        #expect(first.failure?.message.hasPrefix("menus/main.lua:1:") == true)
        let second = worker.handle(context(getAction()), state: StateTable(), bundle: b)
        #expect(second.failure?.reason == .timeout)
    }

    // MARK: Interrupter

    /// A pattern match taking a good fraction of a second in one C call.
    static let slowFind = "string.find(string.rep('a', 150), '.-.-.-b')"

    @Test func interrupterStopsLongCCallsFromAnotherThread() {
        let worker = makeWorker(timeout: .seconds(30))
        let pulse = InterruptPulse(worker.interrupter, after: .milliseconds(300))
        let source = """
            function on_start(call)
              while true do
                \(Self.slowFind)
                local big = string.rep("x", 8e6)
              end
            end
            """
        let (result, elapsed) = runThenRecover(source, worker: worker, pulse: pulse)
        #expect(result.failure?.reason == .deadline, "\(result.failure?.message ?? "succeeded")")
        #expect(result.failure?.message.contains("deadline passed") == true)
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test func interruptCannotBeSwallowed() {
        let worker = makeWorker(timeout: .seconds(30))
        let pulse = InterruptPulse(worker.interrupter, after: .milliseconds(100))
        let source = """
            function on_start(call)
              while true do pcall(function() while true do end end) end
            end
            """
        let (result, elapsed) = runThenRecover(source, worker: worker, pulse: pulse)
        #expect(result.failure?.reason == .deadline)
        #expect(elapsed < .seconds(5))
    }

    @Test func longCCallIsStoppedWhenItReturns() {
        // No hook runs inside a C function: the timeout lands right after it returns.
        let worker = makeWorker(timeout: .milliseconds(50))
        let source = "function on_start(call)\n  \(Self.slowFind)\n  \(Self.slowFind)\n  while true do end\nend"
        let (result, _) = runThenRecover(source, worker: worker)
        #expect(result.failure?.reason == .timeout)
    }

    @Test func interruptWhileIdleIsIgnored() {
        let worker = makeWorker()
        worker.interrupter.interrupt()
        #expect(run(Self.normal, getAction(menu: "m"), worker: worker).succeeded)
    }
}

/// Interrupts a worker from another thread every 20 ms after a delay, until stopped
/// (an interrupt reaching an idle worker is ignored, and a loaded test machine may
/// start the run late).
final class InterruptPulse: Sendable {
    private let done = Mutex<Bool>(false)
    private let interrupter: ScriptInterrupter
    /// A private serial queue (overcommit): it gets a thread even when the test
    /// threads are all busy running scripts, unlike `DispatchQueue.global()`.
    private let queue = DispatchQueue(label: "interrupt-pulse")

    init(_ interrupter: ScriptInterrupter, after delay: Duration) {
        self.interrupter = interrupter
        let ms = Int(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
        queue.asyncAfter(deadline: .now() + .milliseconds(ms)) { self.tick() }
    }

    private func tick() {
        let stopped = done.withLock { stopped in
            if !stopped { interrupter.interrupt() }
            return stopped
        }
        guard !stopped else { return }
        queue.asyncAfter(deadline: .now() + .milliseconds(20)) { self.tick() }
    }

    /// After this returns, no more interrupts are sent.
    func stop() { done.withLock { $0 = true } }
}
