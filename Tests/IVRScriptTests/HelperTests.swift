import IVRScript
import IVRState
import IVRWire
import Logging
import Testing

/// lua-api.md "Helpers": ivr.log and ivr.now, and the clock override.
@Suite struct HelperTests {
    @Test func logLevelsMessageAndMetadata() {
        let logs = LogCapture()
        let source = """
            function on_start(call)
              ivr.log.debug("d")
              ivr.log.info("caller", call.caller_id, 42, 1.5, true, nil, { } == nil)
              ivr.log.warn("w")
              ivr.log.error("e")
              return ivr.hangup{}
            end
            """
        let worker = makeWorker(logs: logs)
        _ = worker.handle(context(getAction(), route: "sales"), state: StateTable(), bundle: bundle(["sales.lua": source]))
        #expect(logs.all.map(\.level) == [.debug, .info, .warning, .error])
        #expect(logs.messages(.info) == ["caller 0501234567 42 1.5 true nil false"])
        #expect(logs.all.allSatisfy { $0.metadata["call.id"] == testCallID && $0.metadata["route"] == "sales" })
    }

    @Test func logAtLoadTimeHasTheRouteOnly() {
        let logs = LogCapture()
        _ = makeWorker(logs: logs).preload(bundle(["main.lua": "ivr.log.info('loading')"]))
        #expect(logs.all.first?.message == "loading")
        #expect(logs.all.first?.metadata["route"] == "main")
        #expect(logs.all.first?.metadata["call.id"] == nil)
    }

    @Test func nowIsUnixTimeWithAFraction() {
        let source = """
            function on_start(call)
              local t = ivr.now()
              return ivr.hangup{ hangup_cause = math.floor(t), hangup_rec = math.type(t) }
            end
            """
        let action = run(source).action
        #expect(action?["HANGUP_REC"] == .string("float"))
        if case .int(let seconds)? = action?["HANGUP_CAUSE"] {
            #expect(seconds > 1_700_000_000)  // after 2023
        } else {
            Issue.record("no time")
        }
    }

    @Test func clockOverrideDrivesNowTimeAndDate() {
        let worker = makeWorker()
        worker.clockOverride = 1_700_000_000.75  // 2023-11-14 22:13:20 UTC
        let source = """
            function on_start(call)
              local parts = {
                tostring(ivr.now()), tostring(os.time()), math.type(os.time()), os.date("!%Y-%m-%d %H:%M:%S"),
                tostring(os.date("!*t").hour),
                os.date("!%Y", 0),                                                 -- explicit time: not overridden
                tostring(os.time{ year = 2000, month = 1, day = 1, hour = 12 } < 1e9), -- table form: not overridden
              }
              return ivr.hangup{ hangup_rec = table.concat(parts, "|") }
            end
            """
        let b = mainBundle(source)
        let first = worker.handle(context(getAction()), state: StateTable(), bundle: b)
        #expect(first.action?["HANGUP_REC"] == .string("1700000000.75|1700000000|integer|2023-11-14 22:13:20|22|1970|true"),
                "\(first.failure?.message ?? "")")
        worker.clockOverride = nil
        let real = worker.handle(context(getAction()), state: StateTable(), bundle: b)
        #expect(real.action?["HANGUP_REC"] != first.action?["HANGUP_REC"])
    }
}
