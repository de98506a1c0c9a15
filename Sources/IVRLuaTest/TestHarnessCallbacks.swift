import IVRScript
import CLua
import CLuaShims

/// The Swift functions a test file's state calls. Like ``ScriptRuntime``'s, each
/// recovers its ``LuaTestHarness`` from the unretained `owner`, captures
/// nothing, never raises a Lua error, and reports failure by its return value.
extension LuaTestHarness {
    /// The sandbox's callbacks: test code builds no actions and requires nothing;
    /// its `print` and `ivr.log` lines go to ``output``.
    static var stateCallbacks: ivr_callbacks {
        var cb = ivr_callbacks()
        cb.log = { owner, _, message, length in
            guard let harness = LuaTestHarness.from(owner) else { return }
            harness.output(LuaTestHarness.text(message, length))
        }
        return cb
    }

    static var testCallbacks: ivr_test_callbacks {
        var cb = ivr_test_callbacks()
        cb.new_call = { owner, L in
            guard let L else { return 1 }
            guard let harness = LuaTestHarness.from(owner) else {
                LuaState(L).push("call: no test harness")
                return 1
            }
            return harness.newCall(LuaState(L))
        }
        cb.call_request = { owner, L, call, request in
            guard let L else { return 1 }
            guard let harness = LuaTestHarness.from(owner) else {
                LuaState(L).push("no test harness")
                return 1
            }
            return harness.request(LuaState(L), call: call, kind: request)
        }
        cb.call_field = { owner, L, call in
            guard let L, let harness = LuaTestHarness.from(owner) else { return }
            harness.pushCallField(LuaState(L), call: call)
        }
        cb.set_clock = { owner, hasTime, unixTime in
            LuaTestHarness.from(owner)?.setClock(hasTime != 0 ? unixTime : nil)
        }
        cb.fail = { owner, source, sourceLength, line, message, messageLength in
            guard let harness = LuaTestHarness.from(owner) else { return }
            let file = LuaTestHarness.text(source, sourceLength)
            harness.failures.append(TestFailure(file: file.isEmpty ? harness.path : file,
                                                line: line > 0 ? Int(line) : harness.testLine,
                                                message: LuaTestHarness.text(message, messageLength)))
        }
        return cb
    }

    /// A C string of known length as text (invalid UTF-8 repaired).
    fileprivate static func text(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
        guard let pointer else { return "" }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
