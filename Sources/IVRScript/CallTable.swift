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
    /// Pushes the call table of `call`: `state` now, every other field when a
    /// script first reads it (``pushCallField(_:of:)``, through the table's hidden
    /// metatable, which also makes them all for `pairs`).
    func pushCallTable(_ call: CallContext, state: StateTable) {
        newTable(hash: 4)
        pushState(state)
        setField(-2, "state")
        ivr_mark_call_table(L, -1)
    }

    /// Pushes field `field` (`IVR_CALL_FIELD_*`) of `call`'s table, nil when the
    /// request's method has no such field.
    func pushCallField(_ field: Int32, of call: CallContext) {
        let request = call.request
        let method = request.method
        switch Int(field) {
        case IVR_CALL_FIELD_ID: push(request.callID)
        case IVR_CALL_FIELD_DID: push(request.did)
        case IVR_CALL_FIELD_CALLER_ID: push(request.callerID)
        case IVR_CALL_FIELD_CALLER_NAME: push(request.callerName)
        case IVR_CALL_FIELD_METHOD: push(method.rawValue)
        case IVR_CALL_FIELD_FORMAT: push(request.format.rawValue)
        case IVR_CALL_FIELD_ROUTE: push(call.route)
        case IVR_CALL_FIELD_SEQ: push(Int64(call.seq))
        case IVR_CALL_FIELD_DTMF:
            if method == .hangupCall { pushNil() } else { push(request.dtmf) }
        case IVR_CALL_FIELD_MENU:
            if method == .getIVRAction { push(request.menu) } else { pushNil() }
        case IVR_CALL_FIELD_PREVIOUS_MENU:
            if method == .getIVRAction { push(request.previousMenu) } else { pushNil() }
        case IVR_CALL_FIELD_LAYER_ID:
            pushOptional(method == .layerInput ? request.int("LAYER_ID") : nil)
        case IVR_CALL_FIELD_PREVIOUS_LAYER_ID:
            pushOptional(method == .layerInput ? request.int("PREVIOUS_LAYER_ID") : nil)
        case IVR_CALL_FIELD_HANGUP:
            guard method == .hangupCall else { return pushNil() }
            newTable(hash: 6)
            push(request.string("TARGET")); setField(-2, "target")
            pushOptional(request.int("CALL_TIME_EPOCH")); setField(-2, "call_time_epoch")
            pushOptional(request.int("CALL_START_EPOCH")); setField(-2, "call_start_epoch")
            pushOptional(request.int("CALL_DURATION")); setField(-2, "call_duration")
            pushOptional(request.int("CALL_DAILTIME")); setField(-2, "call_dailtime")
            push(request.string("CALL_STATUS")); setField(-2, "call_status")
        case IVR_CALL_FIELD_REQUEST: pushRequestFields(request.fields)
        default: pushNil()
        }
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
