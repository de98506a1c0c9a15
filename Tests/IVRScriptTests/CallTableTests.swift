import IVRScript
import IVRState
import IVRWire
import Testing

/// lua-api.md "The `call` argument": every field, per method. Handlers copy what
/// they see into call.state, which the test reads back.
@Suite struct CallTableTests {
    private func seen(_ source: String, _ request: IVRRequest, route: String = "main", seq: Int = 1) -> StateTable? {
        let worker = makeWorker()
        let b = bundle([route + ".lua": source])
        let result = worker.handle(context(request, route: route, seq: seq), state: StateTable(), bundle: b)
        #expect(result.succeeded, "\(result.failure?.message ?? "")")
        return result.succeeded ? result.state : nil
    }

    @Test func getIVRActionFields() {
        let source = """
            function on_input(call)
              for _, k in ipairs{ "id", "did", "caller_id", "caller_name", "dtmf", "menu", "previous_menu",
                                  "method", "format", "route", "seq" } do
                call.state[k] = call[k]
              end
              call.state.layer_id = call.layer_id == nil
              call.state.hangup = call.hangup == nil
              return ivr.hangup{}
            end
            """
        let state = seen(source, getAction(menu: "main", dtmf: "0", previousMenu: "-1", format: .xml),
                         route: "sales", seq: 3)
        #expect(state == StateTable([
            .text("id"): text(testCallID), .text("did"): text("035551234"), .text("caller_id"): text("0501234567"),
            .text("caller_name"): text("Dana"), .text("dtmf"): text("0"), .text("menu"): text("main"),
            .text("previous_menu"): text("-1"), .text("method"): text("GET_IVR_ACTION"), .text("format"): text("xml"),
            .text("route"): text("sales"), .text("seq"): .int(3), .text("layer_id"): .bool(true),
            .text("hangup"): .bool(true),
        ]))
    }

    @Test func absentStringsAreEmpty() {
        let request = IVRRequest(method: .getIVRAction, format: .json, fields: ["IVR_UNIQUE_ID": .string("x")])
        let source = """
            function on_start(call)
              call.state.v = table.concat({ call.did, call.caller_id, call.caller_name, call.dtmf, call.menu }, "|")
              return ivr.hangup{}
            end
            """
        #expect(seen(source, request)?["v"] == text("||||"))
    }

    @Test func hebrewIsByteExact() {
        let name = "ישראל כהן"
        let source = """
            function on_start(call)
              call.state.name = call.caller_name
              call.state.length = #call.caller_name
              call.state.first = call.caller_name:byte(1)
              return ivr.call{ target = "100" }
            end
            """
        let worker = makeWorker()
        let result = worker.handle(context(getAction(callerName: name)), state: StateTable(), bundle: mainBundle(source))
        #expect(result.state["name"] == .string(Array(name.utf8)))
        #expect(result.state["length"] == .int(Int64(name.utf8.count)))
        #expect(result.state["first"] == .int(Int64(Array(name.utf8)[0])))
        #expect(result.action?["CALLERNAME"] == .string(name))
    }

    @Test(arguments: [
        (WireValue.int(5), WireValue.int(4), "5 4 integer"),
        (WireValue.string("5"), WireValue.string(" 4 "), "5 4 integer"),
        (WireValue.string("abc"), WireValue.null, "nil nil nil"),
    ])
    func layerIDs(layer: WireValue, previous: WireValue, description: String) {
        let source = """
            function on_layer(call)
              call.state.v = tostring(call.layer_id) .. " " .. tostring(call.previous_layer_id) .. " " .. tostring(math.type(call.layer_id))
              call.state.dtmf = call.dtmf
              call.state.menu = call.menu == nil
              return ivr.go_to_layer{ layer = call.layer_id or 0 }
            end
            """
        let state = seen(source, layerInput(layer: layer, previous: previous, dtmf: "12"))
        #expect(state?["v"] == text(description))
        #expect(state?["dtmf"] == text("12"))
        #expect(state?["menu"] == .bool(true))
    }

    @Test func absentLayerIDsAreNil() {
        let source = """
            function on_layer(call)
              call.state.v = tostring(call.layer_id) .. tostring(call.previous_layer_id)
              return ivr.go_to_layer{ layer = 1 }
            end
            """
        #expect(seen(source, layerInput(layer: nil, previous: nil))?["v"] == text("nilnil"))
    }

    @Test func hangupTable() {
        let source = """
            function on_hangup(call)
              -- on_hangup's state is not returned; report through an error instead.
              local h = call.hangup
              error(string.format("%s|%d|%s|%d|%d|%d|%s|%s|%s", h.target, h.call_time_epoch, math.type(h.call_time_epoch),
                h.call_start_epoch, h.call_duration, h.call_dailtime, h.call_status, call.method, call.format), 0)
            end
            """
        let failure = run(source, hangupCall()).failure
        #expect(failure?.message == "0501112222|15616841651|integer|1561684100|65|7|ANSWER|HANGUP_CALL|xml")
    }

    @Test func requestHoldsEveryFieldAsReceived() {
        let extra: [String: WireValue] = [
            "COUNT": .int(7), "FLAG": .bool(true), "RATIO": .double(0.5), "NOTHING": .null,
            "LIST": .array([.string("a"), .int(2)]),
            "INFO": .structure([WireMember("k", .string("v")), WireMember("k", .string("last"))]),
        ]
        let source = """
            function on_start(call)
              local r = call.request
              call.state.v = table.concat({
                r.IVR_UNIQUE_ID, r.MENU, tostring(r.COUNT), math.type(r.COUNT), tostring(r.FLAG), tostring(r.RATIO),
                math.type(r.RATIO), tostring(r.NOTHING), r.LIST[1], tostring(r.LIST[2]), r.INFO.k, tostring(r.menu)
              }, "|")
              return ivr.hangup{}
            end
            """
        #expect(seen(source, getAction(extra: extra))?["v"]
            == text("\(testCallID)|-1|7|integer|true|0.5|float|nil|a|2|last|nil"))
    }

    /// call.request is built on first read: the same table every time within a
    /// request, kept in the call table from then on, hidden metatable, and the
    /// call table of an earlier request (kept in a module upvalue) gets no new one.
    @Test func requestIsBuiltOnFirstReadAndBelongsToItsRequest() {
        let source = """
            local kept
            function on_start(call)
              local before = rawget(call, "request")
              local r = call.request
              kept = call
              call.state.v = table.concat({ tostring(before), tostring(r == call.request),
                tostring(rawget(call, "request") == r), tostring(getmetatable(call)), r.MENU }, "|")
              return ivr.menu{ rec = "r", menu = "m" }
            end
            function on_input(call)
              call.state.v = tostring(rawget(kept, "request") ~= nil) .. "|" .. call.request.MENU
                .. "|" .. tostring(kept.request == call.request)
              return ivr.hangup{}
            end
            """
        let worker = makeWorker()
        let b = mainBundle(source)
        let first = worker.handle(context(getAction()), state: StateTable(), bundle: b)
        #expect(first.state["v"] == text("nil|true|true|false|-1"))
        let second = worker.handle(context(getAction(menu: "m"), seq: 2), state: first.state, bundle: b)
        #expect(second.state["v"] == text("true|m|false"))
    }

    /// pairs(call) sees every field of the request's method, as if the table had
    /// been filled at once; rawget sees a field only once it was read.
    @Test func pairsSeesEveryFieldAndRawgetOnlyTheOnesRead() {
        let source = """
            function on_start(call)
              local raw = tostring(rawget(call, "did")) .. "," .. tostring(rawget(call, "state") ~= nil)
              local _ = call.did
              raw = raw .. "," .. tostring(rawget(call, "did"))
              local keys = {}
              for k in pairs(call) do keys[#keys + 1] = k end
              table.sort(keys)
              call.state.v = raw .. "|" .. table.concat(keys, ",")
              return ivr.hangup{}
            end
            function on_layer(call)
              local keys = {}
              for k in pairs(call) do keys[#keys + 1] = k end
              table.sort(keys)
              call.state.v = table.concat(keys, ",") .. "|" .. tostring(call.menu) .. "|" .. call.layer_id
              return ivr.go_to_layer{ layer = 1 }
            end
            """
        #expect(seen(source, getAction())?["v"] == text(
            "nil,true,035551234|caller_id,caller_name,did,dtmf,format,id,menu,method,previous_menu,request,route,seq,state"))
        #expect(seen(source, layerInput())?["v"] == text(
            "caller_id,caller_name,did,dtmf,format,id,layer_id,method,previous_layer_id,request,route,seq,state|nil|5"))
    }

    @Test func callTableIsFreshPerRequest() {
        let source = """
            function on_start(call)
              call.extra = "mine"
              call.state.n = (call.state.n or 0) + 1
              return ivr.menu{ rec = "r", menu = "m" }
            end
            function on_input(call)
              call.state.extra = tostring(call.extra)
              return ivr.hangup{}
            end
            """
        let worker = makeWorker()
        let b = mainBundle(source)
        let first = worker.handle(context(getAction()), state: StateTable(), bundle: b)
        let second = worker.handle(context(getAction(menu: "m"), seq: 2), state: first.state, bundle: b)
        #expect(second.state["extra"] == text("nil"))
        #expect(second.state["n"] == .int(1))
    }
}
