import IVRScript
import IVRState
import IVRWire
import Testing

/// `preload` (startup, `check`, before a reload): one "path:line: message" per broken script.
@Suite struct PreloadTests {
    @Test func goodBundleHasNoFailures() {
        let b = bundle([
            "main.lua": "local u = require('lib.util')\nfunction on_start() return ivr.hangup{} end",
            "sales.lua": "fallback = ivr.hangup{}",
            "lib/util.lua": "return {}",
        ])
        #expect(makeWorker().preload(b).isEmpty)
    }

    @Test func syntaxError() {
        let failures = makeWorker().preload(bundle(["main.lua": "function on_start(call)\n  return ivr.hangup{\nend"]))
        #expect(failures.count == 1)
        #expect(failures.first?.reason == .error)
        #expect(failures.first?.message == "menus/main.lua:3: unexpected symbol near 'end'")
    }

    @Test func topLevelRuntimeError() {
        let failures = makeWorker().preload(bundle(["main.lua": "local x = 1\nlocal y = nil\nlocal z = y.field"]))
        #expect(failures.first?.message == "menus/main.lua:3: attempt to index a nil value (local 'y')")
        #expect(failures.first?.traceback?.contains("stack traceback:") == true)
    }

    @Test func topLevelConstructorError() {
        let failures = makeWorker().preload(bundle(["main.lua": "\nfallback = ivr.vo{ layer = 1 }"]))
        #expect(failures.first?.message == "menus/main.lua:2: ivr.vo: missing mandatory key 'record'")
    }

    @Test func everyBrokenFileIsReportedOnce() {
        let b = bundle([
            "a.lua": "x = = 1",
            "b.lua": "error('b is broken')",
            "ok.lua": "function on_start() return ivr.hangup{} end",
            "lib/unused.lua": "return {",        // not required by anyone: still compiled
            "not a route.lua": "return )",        // not a route name: still compiled
        ])
        let messages = makeWorker().preload(b).map(\.message).sorted()
        #expect(messages == [
            "menus/a.lua:1: unexpected symbol near '='",
            "menus/b.lua:1: b is broken",
            "menus/lib/unused.lua:1: unexpected symbol near <eof>",
            "menus/not a route.lua:1: unexpected symbol near ')'",
        ])
    }

    @Test func brokenRouteFailsItsRequestsAndSparesTheOthers() {
        let b = bundle(["main.lua": "x = = 1", "ok.lua": "function on_start() return ivr.hangup{} end"])
        let worker = makeWorker()
        _ = worker.preload(b)
        let broken = worker.handle(context(getAction(), route: "main"), state: StateTable(), bundle: b)
        #expect(broken.failure?.reason == .error)
        #expect(broken.failure?.message == "menus/main.lua:1: unexpected symbol near '='")
        #expect(worker.handle(context(getAction(), route: "ok"), state: StateTable(), bundle: b).succeeded)
    }
}
