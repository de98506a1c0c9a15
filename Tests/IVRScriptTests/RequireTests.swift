import IVRScript
import IVRState
import IVRWire
import Testing

/// lua-api.md "Where scripts live": `require` loads from the bundle only, modules are shared.
@Suite struct RequireTests {
    static let files: [String: String] = [
        "lib/counter.lua": """
            ivr.log.info("loading counter")
            local n = 0
            local M = {}
            function M.next() n = n + 1; return n end
            return M
            """,
        "a.lua": """
            local counter = require("lib.counter")
            function on_start(call) return ivr.hangup{ hangup_cause = counter.next() } end
            """,
        "b.lua": """
            local counter = require "lib.counter"
            function on_start(call) return ivr.hangup{ hangup_cause = counter.next() + 100 } end
            """,
    ]

    private func hangupCause(_ worker: ScriptWorker, _ route: String, _ b: ScriptBundle) -> WireValue? {
        worker.handle(context(getAction(), route: route), state: StateTable(), bundle: b).action?["HANGUP_CAUSE"]
    }

    @Test func modulesAreLoadedOnceAndShared() {
        let logs = LogCapture()
        let worker = makeWorker(logs: logs)
        let b = bundle(Self.files)
        #expect(hangupCause(worker, "a", b) == .int(1))
        #expect(hangupCause(worker, "b", b) == .int(102))
        #expect(hangupCause(worker, "a", b) == .int(3))
        #expect(logs.messages(.info) == ["loading counter"])
        #expect(logs.all.first?.metadata["route"] == "a")
    }

    @Test func moduleValuesAndLazyRequire() {
        let b = bundle([
            "main.lua": """
                function on_start(call)
                  local flag = require("flag")      -- required inside a handler
                  local deep = require("x.y.z_1")
                  local co = coroutine.wrap(function() return require("flag") end)
                  return ivr.hangup{ hangup_rec = tostring(flag) .. " " .. deep.name .. " " .. tostring(co()) }
                end
                """,
            "flag.lua": "-- returns nothing",
            "x/y/z_1.lua": #"return { name = "deep" }"#,
        ])
        let result = makeWorker().handle(context(getAction()), state: StateTable(), bundle: b)
        #expect(result.action?["HANGUP_REC"] == .string("true deep true"), "\(result.failure?.message ?? "")")
    }

    @Test(arguments: ["../x", "lib/counter", "lib..counter", ".lib", "lib.", "", "a b", "lib.counter.lua", "missing"])
    func onlyBundleModulesCanBeRequired(name: String) {
        var files = Self.files
        files["main.lua"] = "function on_start(call)\n  return require(\"\(name)\")\nend"
        let result = makeWorker().handle(context(getAction()), state: StateTable(), bundle: bundle(files))
        #expect(result.failure?.message == "menus/main.lua:2: module '\(name)' not found in the scripts directory")
    }

    @Test func requireCycleIsAnError() {
        let b = bundle([
            "main.lua": "local a = require('cyc.a')\nfunction on_start() return ivr.hangup{} end",
            "cyc/a.lua": "local b = require('cyc.b')\nreturn {}",
            "cyc/b.lua": "local a = require('cyc.a')\nreturn {}",
        ])
        let failure = makeWorker().preload(b).first
        #expect(failure?.reason == .error)
        #expect(failure?.message == "menus/cyc/b.lua:1: require cycle: module 'cyc.a' is required while it is still loading")
    }

    @Test func moduleErrorsNameTheModuleFile() {
        let b = bundle([
            "main.lua": "function on_start() return require('broken') end\nfunction on_input() return require('failing') end",
            "broken.lua": "local x =\nreturn",
            "failing.lua": "local t = nil\nreturn t.x",
        ])
        let worker = makeWorker()
        let syntax = worker.handle(context(getAction()), state: StateTable(), bundle: b).failure
        #expect(syntax?.message.hasPrefix("menus/broken.lua:2:") == true, "\(syntax?.message ?? "")")
        let runtime = worker.handle(context(getAction(menu: "m")), state: StateTable(), bundle: b).failure
        #expect(runtime?.message.hasPrefix("menus/failing.lua:2: attempt to index a nil value") == true)
        // Not cached: the next require tries again (and fails the same way).
        let again = worker.handle(context(getAction(menu: "m")), state: StateTable(), bundle: b).failure
        #expect(again?.message == runtime?.message)
    }

    @Test func moduleGlobalsAreFrozenToo() {
        let b = bundle([
            "main.lua": "local m = require('m')\nfunction on_start() m.set() return ivr.hangup{} end",
            "m.lua": "VALUE = 1\nreturn { set = function() VALUE = 2 end }",
        ])
        let failure = makeWorker().handle(context(getAction()), state: StateTable(), bundle: b).failure
        #expect(failure?.message == "menus/m.lua:2: cannot assign global 'VALUE' after load: keep per-call data in call.state")
    }

    @Test func modulesHaveTheirOwnGlobals() {
        let b = bundle([
            "main.lua": "SHARED = 'main'\nlocal m = require('m')\nfunction on_start() return ivr.hangup{ hangup_rec = m.look() } end",
            "m.lua": "return { look = function() return tostring(SHARED) end }",
        ])
        #expect(makeWorker().handle(context(getAction()), state: StateTable(), bundle: b).action?["HANGUP_REC"] == .string("nil"))
    }
}
