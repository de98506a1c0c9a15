import IVRScript
import IVRState
import IVRWire
import Testing

/// lua-api.md "Handlers": which handler each request reaches, and what a bad answer gives.
@Suite struct DispatchTests {
    /// Every handler answers with a hangup whose HANGUP_REC names it.
    static let allHandlers = """
        local function say(name) return ivr.hangup{ hangup_rec = name } end
        local function layer(name) return ivr.go_to_layer{ layer = 1, custom_data = { by = name } } end
        function on_start(call) return say("on_start") end
        function on_input(call) return say("on_input") end
        menus = {}
        function menus.main(call) return say("menus.main") end
        menus["7"] = function(call) return say("menus.7") end
        function on_layer(call) return layer("on_layer") end
        """

    private func answeredBy(_ result: ScriptResult) -> String? {
        guard let action = result.action else { return nil }
        if case .string(let s)? = action["HANGUP_REC"] { return s }
        if case .structure(let m)? = action["CUSTOM_DATA"], case .string(let s)? = m.first?.value { return s }
        return nil
    }

    @Test(arguments: [
        ("-1", "on_start"), ("", "on_start"), ("main", "menus.main"), ("7", "menus.7"), ("other", "on_input"),
    ])
    func getIVRActionDispatch(menu: String, handler: String) {
        let result = run(Self.allHandlers, getAction(menu: menu))
        #expect(answeredBy(result) == handler)
    }

    @Test func firstMenuWithoutOnStartGoesToOnInput() {
        let source = """
            function on_input(call) return ivr.hangup{ hangup_rec = "input " .. call.menu } end
            """
        #expect(run(source, getAction(menu: "-1")).action?["HANGUP_REC"] == .string("input -1"))
        #expect(run(source, getAction(menu: "")).action?["HANGUP_REC"] == .string("input "))
    }

    @Test func firstRequestMayResumeAtAMenu() {
        // No MENU "-1": dispatched by the same table, with an empty state.
        let source = """
            menus = { pay = function(call) return ivr.hangup{ hangup_rec = tostring(next(call.state)) } end }
            """
        let result = run(source, getAction(menu: "pay"))
        #expect(result.action?["HANGUP_REC"] == .string("nil"))
    }

    @Test func menusThatIsNotATableFallsToOnInput() {
        let source = """
            menus = "nope"
            function on_input(call) return ivr.hangup{ hangup_rec = "input" } end
            """
        #expect(run(source, getAction(menu: "main")).action?["HANGUP_REC"] == .string("input"))
    }

    @Test func menusEntryThatIsNotAFunctionIsAnError() {
        let result = run(#"menus = { main = "hello" }"#, getAction(menu: "main"))
        #expect(result.failure?.reason == .error)
        #expect(result.failure?.message.contains(#"menus["main"] is a string"#) == true)
    }

    @Test func menusAreLookedUpPerRequest() {
        // menus is a table: a handler may add entries (only globals are frozen).
        let source = """
            menus = {}
            function on_start(call)
              menus.late = function(c) return ivr.hangup{ hangup_rec = "late" } end
              return ivr.hangup{}
            end
            """
        let worker = makeWorker()
        let b = mainBundle(source)
        #expect(worker.handle(context(getAction()), state: StateTable(), bundle: b).succeeded)
        let late = worker.handle(context(getAction(menu: "late")), state: StateTable(), bundle: b)
        #expect(late.action?["HANGUP_REC"] == .string("late"))
    }

    @Test func layerInputGoesToOnLayer() {
        #expect(answeredBy(run(Self.allHandlers, layerInput())) == "on_layer")
    }

    @Test func missingHandlersAreNoHandler() {
        let source = "x = 1"
        #expect(run(source, getAction(menu: "-1")).failure?.reason == .noHandler)
        #expect(run(source, getAction(menu: "main")).failure?.reason == .noHandler)
        #expect(run(source, layerInput()).failure?.reason == .noHandler)
        #expect(run(source, layerInput()).failure?.message.contains("on_layer") == true)
    }

    @Test func hangupRunsOnHangupAndIgnoresItsValue() {
        let logs = LogCapture()
        let source = """
            function on_hangup(call)
              ivr.log.info("bye", call.hangup.call_status)
              return 42
            end
            """
        let result = run(source, hangupCall(), worker: makeWorker(logs: logs))
        #expect(result.succeeded)
        #expect(result.action == nil)
        #expect(logs.messages(.info) == ["bye ANSWER"])
    }

    @Test func hangupWithoutOnHangupIsFine() {
        let result = run("function on_start(call) return ivr.hangup{} end", hangupCall())
        #expect(result.succeeded)
        #expect(result.action == nil)
    }

    @Test func hangupErrorIsAFailure() {
        let result = run("function on_hangup(call) error('cleanup failed') end", hangupCall())
        #expect(result.failure?.reason == .error)
        #expect(result.failure?.message.contains("main.lua:1: cleanup failed") == true)
    }

    @Test func routeNotInBundleIsNoHandler() {
        let worker = makeWorker()
        let result = worker.handle(context(getAction(), route: "sales"), state: StateTable(),
                                   bundle: mainBundle("function on_start() return ivr.hangup{} end"))
        #expect(result.failure?.reason == .noHandler)
        #expect(result.failure?.message.contains("sales") == true)
    }

    @Test func routesServeTheirOwnScript() {
        let b = bundle([
            "main.lua": #"function on_start() return ivr.hangup{ hangup_rec = "main" } end"#,
            "sales-2.lua": #"function on_start(call) return ivr.hangup{ hangup_rec = call.route } end"#,
        ])
        let worker = makeWorker()
        let main = worker.handle(context(getAction(), route: "main"), state: StateTable(), bundle: b)
        let sales = worker.handle(context(getAction(), route: "sales-2"), state: StateTable(), bundle: b)
        #expect(main.action?["HANGUP_REC"] == .string("main"))
        #expect(sales.action?["HANGUP_REC"] == .string("sales-2"))
    }

    @Test func handlerErrorCarriesFileLineAndTraceback() {
        let source = """
            local function deep(n)
              return n.missing.field
            end
            function on_start(call)
              local v = deep(call)
              return v
            end
            """
        let result = run(source)
        let failure = result.failure
        #expect(failure?.reason == .error)
        #expect(failure?.message.hasPrefix("menus/main.lua:2: attempt to index a nil value") == true)
        #expect(failure?.traceback?.contains("stack traceback:") == true)
        #expect(failure?.traceback?.contains("menus/main.lua:5") == true)
    }

    @Test func nonStringErrorValues() {
        let plain = run("function on_start() error({ code = 1 }) end")
        #expect(plain.failure?.message == "(error object is a table value)")
        let printable = run("""
            function on_start()
              error(setmetatable({}, { __tostring = function() return "custom failure" end }))
            end
            """)
        #expect(printable.failure?.message == "custom failure")
    }

    @Test func handlerThatIsNotAFunctionIsAnError() {
        let result = run("on_start = 5")
        #expect(result.failure?.reason == .error)
        #expect(result.failure?.message.contains("on_start is a number (5), not a function") == true)
    }

    @Test(arguments: [
        ("nil", "nil"), ("42", "a number (42)"), (#""menu""#, #"a string ("menu")"#), ("{}", "a table"),
        ("true", "a boolean (true)"), ("print", "a function"),
    ])
    func nonActionIsInvalid(value: String, described: String) {
        let source = "function on_start(call)\n  return \(value)\nend"
        let failure = run(source).failure
        #expect(failure?.reason == .invalidAction)
        #expect(failure?.message.contains("on_start returned \(described), not an action") == true)
        #expect(failure?.message.hasPrefix("menus/main.lua:1:") == true)
    }

    @Test func layerActionForGetIVRActionIsInvalid() {
        let failure = evalAction("ivr.go_to_layer{ layer = 3 }").failure
        #expect(failure?.reason == .invalidAction)
        #expect(failure?.message.contains("returned ivr.go_to_layer{...}, but GET_IVR_ACTION needs") == true)
    }

    @Test func getIVRActionActionForLayerIsInvalid() {
        let failure = evalAction(#"ivr.menu{ rec = "r", menu = "m" }"#, layer: true).failure
        #expect(failure?.reason == .invalidAction)
        #expect(failure?.message.contains("returned ivr.menu{...}, but IVR_LAYER_INPUT needs a layer action") == true)
    }
}
