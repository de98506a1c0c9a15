import IVRScript
import IVRState
import IVRWire
import Testing

/// lua-api.md "`call.state` rules": what survives, what fails, and transactionality.
@Suite struct StateTests {
    static let given = StateTable([
        .text("tries"): .int(2),
        .text("ratio"): .double(1.0),
        .text("name"): .string([0xD7, 0x93, 0xFF]),  // bytes, not necessarily UTF-8
        .text("ok"): .bool(false),
        .text("cart"): .table(StateTable([
            .int(1): .text("apple"),
            .int(2): .table(StateTable([.text("qty"): .int(3), .text("price"): .double(2.5)])),
            .double(0.5): .text("half"),
            .bool(true): .text("yes"),
        ])),
    ])

    @Test func roundTripKeepsSubtypes() {
        let source = """
            function on_input(call)
              local s = call.state
              assert(math.type(s.tries) == "integer" and math.type(s.ratio) == "float", "subtypes in")
              assert(s.cart[2].qty == 3 and s.cart[0.5] == "half" and s.cart[true] == "yes", "nested in")
              assert(s.name == "\\xD7\\x93\\xFF", "bytes in")
              s.tries = s.tries + 1
              s.cart[2].price = 3.0
              s.added = { list = { 1, 2.0, "three" } }
              return ivr.hangup{}
            end
            """
        let result = run(source, getAction(menu: "m"), state: Self.given)
        #expect(result.succeeded, "\(result.failure?.message ?? "")")
        var expectedState = Self.given
        expectedState["tries"] = .int(3)
        expectedState["added"] = .table(StateTable([.text("list"): .table(StateTable([
            .int(1): .int(1), .int(2): .double(2.0), .int(3): .text("three"),
        ]))]))
        if case .table(var cart)? = expectedState["cart"], case .table(var line)? = cart.entries[.int(2)] {
            line["price"] = .double(3.0)
            cart.entries[.int(2)] = .table(line)
            expectedState["cart"] = .table(cart)
        }
        #expect(result.state == expectedState)
    }

    @Test func stateIsEmptyOnTheFirstRequest() {
        let result = evalAction("ivr.hangup{ hangup_rec = tostring(next(call.state)) }")
        #expect(result.action?["HANGUP_REC"] == .string("nil"))
        #expect(result.state.isEmpty)
    }

    @Test(arguments: [
        ("call.state.cb = function() end", "call.state.cb: a function cannot be kept in call.state"),
        ("call.state.a = { b = { 1, print } }", "call.state.a.b[2]: a function cannot be kept in call.state"),
        ("call.state['two words'] = coroutine.create(print)", #"call.state["two words"]: a thread (coroutine) cannot be kept in call.state"#),
        ("call.state.next = ivr.hangup{}", "call.state.next: an action cannot be kept in call.state"),
        ("call.state.t = {}; call.state.t.self = call.state.t", "call.state.t.self: a cycle (a table inside itself) cannot be kept in call.state"),
        ("call.state[{}] = 1", "call.state: a table key cannot be kept in call.state"),
        ("call.state = 5", "call.state must be a table, got a number (5)"),
    ])
    func unstorableValuesFailNamingTheKey(statement: String, message: String) {
        let source = "function on_start(call)\n  \(statement)\n  return ivr.hangup{}\nend"
        let result = run(source, state: Self.given)
        #expect(result.failure?.reason == .error)
        #expect(result.failure?.message.contains(message) == true, "\(result.failure?.message ?? "")")
        #expect(result.failure?.message.hasPrefix("menus/main.lua:1: on_start: ") == true)
        #expect(result.state == Self.given)
    }

    @Test func sharedTableThatIsNotACycleIsKept() {
        let source = """
            function on_start(call)
              local t = { 1 }
              call.state.a, call.state.b = t, t
              return ivr.hangup{}
            end
            """
        let state = run(source).state
        #expect(state["a"] == state["b"])
        #expect(state["a"] == .table(StateTable([.int(1): .int(1)])))
    }

    @Test func tooDeepFails() {
        let source = """
            function on_start(call)
              local t = call.state
              for i = 1, 100 do t.n = {}; t = t.n end
              return ivr.hangup{}
            end
            """
        #expect(run(source).failure?.message.contains("nested more than 64 deep") == true)
    }

    @Test func stateIsNotReturnedOnFailure() {
        let erroring = run("function on_input(call)\n  call.state.tries = 99\n  error('boom')\nend",
                           getAction(menu: "m"), state: Self.given)
        #expect(erroring.failure?.reason == .error)
        #expect(erroring.state == Self.given)
        let invalid = run("function on_input(call)\n  call.state.tries = 99\n  return 1\nend",
                          getAction(menu: "m"), state: Self.given)
        #expect(invalid.failure?.reason == .invalidAction)
        #expect(invalid.state == Self.given)
    }

    @Test func replacingOrClearingCallState() {
        let replaced = run("function on_start(call) call.state = { fresh = true }; return ivr.hangup{} end", state: Self.given)
        #expect(replaced.state == StateTable([.text("fresh"): .bool(true)]))
        let cleared = run("function on_start(call) call.state = nil; return ivr.hangup{} end", state: Self.given)
        #expect(cleared.state.isEmpty)
    }

    @Test func eachRequestGetsItsOwnCopy() {
        // A handler keeping a reference to call.state in a module upvalue sees it go stale: the next request gets a fresh table.
        let b = bundle([
            "main.lua": """
                local keep = require("keep")
                function on_start(call) keep.last = call.state; call.state.x = 1; return ivr.hangup{} end
                function on_input(call) return ivr.hangup{ hangup_rec = tostring(rawequal(keep.last, call.state)) } end
                """,
            "keep.lua": "return {}",
        ])
        let worker = makeWorker()
        let first = worker.handle(context(getAction()), state: StateTable(), bundle: b)
        let second = worker.handle(context(getAction(menu: "m")), state: first.state, bundle: b)
        #expect(second.action?["HANGUP_REC"] == .string("false"))
    }
}
