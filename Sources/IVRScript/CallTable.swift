import CLua
import CLuaShims
import IVRState
import IVRWire

/// The `call` argument of a handler (lua-api.md, "The `call` argument"), built
/// fresh for every request with raw sets on new tables.
///
/// Every method gets `id`, `did`, `caller_id`, `caller_name` (strings, `""` when
/// absent), `method`, `format`, `route`, `seq`, `request` and `state`. Then:
/// GET_IVR_ACTION `dtmf`, `menu`, `previous_menu` (strings); IVR_LAYER_INPUT
/// `dtmf` (string), `layer_id`, `previous_layer_id` (integers, from ints or
/// strings such as `"5"`, or nil); HANGUP_CALL `hangup = {target=,
/// call_time_epoch=, call_start_epoch=, call_duration=, call_dailtime=,
/// call_status=}` (the four times as integers or nil). `request` is built the
/// first time a script reads it (most handlers never do): the table's
/// metatable (hidden from scripts) builds it from the request being served.
extension LuaState {
    func pushCallTable(_ call: CallContext, state: StateTable) {
        let request = call.request
        newTable(hash: 16)
        push(request.callID); setField(-2, "id")
        push(request.did); setField(-2, "did")
        push(request.callerID); setField(-2, "caller_id")
        push(request.callerName); setField(-2, "caller_name")
        push(request.method.rawValue); setField(-2, "method")
        push(request.format.rawValue); setField(-2, "format")
        push(call.route); setField(-2, "route")
        push(Int64(call.seq)); setField(-2, "seq")
        switch request.method {
        case .getIVRAction:
            push(request.dtmf); setField(-2, "dtmf")
            push(request.menu); setField(-2, "menu")
            push(request.previousMenu); setField(-2, "previous_menu")
        case .layerInput:
            push(request.dtmf); setField(-2, "dtmf")
            pushOptional(request.int("LAYER_ID")); setField(-2, "layer_id")
            pushOptional(request.int("PREVIOUS_LAYER_ID")); setField(-2, "previous_layer_id")
        case .hangupCall:
            newTable(hash: 6)
            push(request.string("TARGET")); setField(-2, "target")
            pushOptional(request.int("CALL_TIME_EPOCH")); setField(-2, "call_time_epoch")
            pushOptional(request.int("CALL_START_EPOCH")); setField(-2, "call_start_epoch")
            pushOptional(request.int("CALL_DURATION")); setField(-2, "call_duration")
            pushOptional(request.int("CALL_DAILTIME")); setField(-2, "call_dailtime")
            push(request.string("CALL_STATUS")); setField(-2, "call_status")
            setField(-2, "hangup")
        }
        pushState(state)
        setField(-2, "state")
        // call.request is built when a script first reads it (ivr_mark_call_table).
        ivr_mark_call_table(L, -1)
    }

    /// Pushes `call.request`: every field as received, keyed by its wire name.
    func pushRequestFields(_ fields: RequestFields) {
        newTable(hash: Int32(clamping: fields.count))
        for (name, value) in fields {
            push(name)
            pushWire(value)
            rawSet(-3)
        }
    }

    private func pushOptional(_ i: Int64?) {
        if let i { push(i) } else { pushNil() }
    }

    /// Pushes a wire value: strings, integers, booleans, floats, nil, and tables
    /// (arrays as sequences, structures keyed by member name, the last one winning).
    func pushWire(_ value: WireValue) {
        switch value {
        case .string(let s): push(s)
        case .int(let i): push(i)
        case .bool(let b): push(b)
        case .double(let d): push(d)
        case .null: pushNil()
        case .array(let items):
            guard ensureStack(4) else { return pushNil() }
            newTable(array: Int32(clamping: items.count))
            for (i, item) in items.enumerated() {
                pushWire(item)
                rawSet(-2, index: Int64(i + 1))
            }
        case .structure(let members):
            guard ensureStack(4) else { return pushNil() }
            newTable(hash: Int32(clamping: members.count))
            for member in members {
                push(member.name)
                pushWire(member.value)
                rawSet(-3)
            }
        }
    }
}
