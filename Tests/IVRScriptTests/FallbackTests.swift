import IVRScript
import IVRState
import IVRWire
import Testing

/// lua-api.md "Fallback": the script's `fallback`, as an action or a function, and the deadline path's prepared one.
@Suite struct FallbackTests {
    static let boom = ScriptFailure(reason: .error, message: "menus/main.lua:2: boom")

    private func fallback(_ source: String, _ request: IVRRequest = getAction(), state: StateTable = StateTable(),
                          failure: ScriptFailure = boom, worker: ScriptWorker? = nil) -> IVRAction? {
        (worker ?? makeWorker()).fallback(context(request), state: state, bundle: mainBundle(source), failure: failure)
    }

    @Test func actionForm() {
        let source = #"fallback = ivr.vo{ layer = 1, record = "sorry" }"#
        #expect(fallback(source) == expected(.vo, ["LAYER": .int(1), "RECORD": .string("sorry")]))
    }

    @Test func actionOfTheWrongKindIsSkipped() {
        #expect(fallback(#"fallback = ivr.vo{ layer = 1, record = "sorry" }"#, layerInput()) == nil)
        #expect(fallback("fallback = ivr.go_to_layer{ layer = 3 }", getAction()) == nil)
        #expect(fallback("fallback = ivr.go_to_layer{ layer = 3 }", layerInput())
            == expected(.goToLayer, language: nil, ["LAYER": .int(3), "CUSTOM_DATA": .structure([])]))
    }

    @Test func functionFormGetsTheCallAndTheError() {
        let source = """
            function fallback(call, err)
              return ivr.hangup{ hangup_rec = call.menu .. " " .. err }
            end
            """
        let action = fallback(source, getAction(menu: "pay"))
        #expect(action?["HANGUP_REC"] == .string("pay menus/main.lua:2: boom"))
    }

    @Test func functionFormChoosesByMethod() {
        let source = """
            function fallback(call, err)
              if call.method == "IVR_LAYER_INPUT" then return ivr.go_to_layer{ layer = call.layer_id } end
              return ivr.hangup{}
            end
            """
        #expect(fallback(source, layerInput(layer: .int(8)))?["LAYER"] == .int(8))
        #expect(fallback(source, getAction())?.kind == .hangup)
    }

    @Test func functionReturningTheWrongKindOrNothingIsSkipped() {
        #expect(fallback("function fallback() return ivr.go_to_layer{ layer = 1 } end") == nil)
        #expect(fallback("function fallback() return 'hangup' end") == nil)
        #expect(fallback("function fallback() end") == nil)
    }

    @Test func failingFallbackGivesNil() {
        let logs = LogCapture()
        #expect(fallback("function fallback(call, err) error('fallback broke') end", worker: makeWorker(logs: logs)) == nil)
        #expect(logs.messages(.warning).first?.contains("fallback failed (error): menus/main.lua:1: fallback broke") == true)
        #expect(fallback("function fallback() while true do end end", worker: makeWorker(timeout: .milliseconds(100))) == nil)
    }

    @Test func fallbackSeesTheStateBeforeTheRequestAndKeepsNothing() {
        let source = """
            function on_start(call)
              call.state.step = "changed by handler"
              error("boom")
            end
            function fallback(call, err)
              local seen = call.state.step
              call.state.step = "changed by fallback"
              return ivr.hangup{ hangup_rec = seen }
            end
            """
        let worker = makeWorker()
        let b = mainBundle(source)
        let before = StateTable([.text("step"): .text("before")])
        let result = worker.handle(context(getAction()), state: before, bundle: b)
        guard let failure = result.failure else {
            Issue.record("the handler should fail")
            return
        }
        #expect(result.state == before)
        let action = worker.fallback(context(getAction()), state: result.state, bundle: b, failure: failure)
        #expect(action?["HANGUP_REC"] == .string("before"))
    }

    @Test func noFallbackNoBrokenScriptNoHangup() {
        #expect(fallback("function on_start() end") == nil)
        #expect(fallback("syntax error here") == nil)
        #expect(fallback("fallback = ivr.hangup{}", hangupCall()) == nil)
    }

    // MARK: staticFallback

    @Test func staticFallbackIsThePlainAction() {
        let worker = makeWorker()
        let b = mainBundle(#"fallback = ivr.hangup{ hangup_rec = "sorry" }"#)
        // Loads the route itself (no request ran on this worker).
        #expect(worker.staticFallback(route: "main", method: .getIVRAction, bundle: b)
            == expected(.hangup, ["HANGUP_REC": .string("sorry")]))
        #expect(worker.staticFallback(route: "main", method: .layerInput, bundle: b) == nil)
        #expect(worker.staticFallback(route: "main", method: .hangupCall, bundle: b) == nil)
        #expect(worker.staticFallback(route: "other", method: .getIVRAction, bundle: b) == nil)
    }

    @Test func staticFallbackIgnoresFunctions() {
        let b = mainBundle("function fallback() return ivr.hangup{} end")
        #expect(makeWorker().staticFallback(route: "main", method: .getIVRAction, bundle: b) == nil)
    }

    @Test func staticFallbackIsUsableFromAnotherThread() async {
        let b = mainBundle("fallback = ivr.go_to_layer{ layer = 4 }")
        let action = makeWorker().staticFallback(route: "main", method: .layerInput, bundle: b)
        let elsewhere = await Task.detached { action?["LAYER"] }.value
        #expect(elsewhere == .int(4))
    }
}
