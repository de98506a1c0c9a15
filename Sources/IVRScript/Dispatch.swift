import CLua
import CLuaShims
import IVRState
import IVRWire

/// Choosing and running a handler (lua-api.md, "Handlers"), and the script's `fallback`.
///
/// | request | handler |
/// |---|---|
/// | GET_IVR_ACTION, `MENU` `"-1"` or `""` | `on_start`, else `on_input` |
/// | GET_IVR_ACTION, another `MENU` | `menus[call.menu]` when `menus` is a table holding it, else `on_input` |
/// | IVR_LAYER_INPUT | `on_layer` |
/// | HANGUP_CALL | `on_hangup` (none is fine; its return value is ignored) |
///
/// Handlers are read raw from the frozen globals (at load) and from `menus`
/// (per request); a handler that is there but not a function is an error.
extension ScriptRuntime {
    func handle(_ call: CallContext, state: StateTable, bundle: ScriptBundle) -> ScriptResult {
        let route: LoadedRoute
        switch self.route(call.route, in: bundle) {
        case .success(let loaded): route = loaded
        case .failure(let failure): return ScriptResult(outcome: .failure(failure), state: state)
        }
        let method = call.request.method
        let base = lua.top
        defer { lua.top = base }
        lua.push(ref: route.ref)
        let record = lua.top
        let handlerName: HandlerName
        switch pushHandler(for: call.request, record: record) {
        case .found(let name):
            handlerName = name
        case .missing(let what):
            if method == .hangupCall { return ScriptResult(outcome: .success(nil), state: state) }
            let failure = ScriptFailure(reason: .noHandler, message: "\(bundle.directory)/\(call.route).lua: no handler for \(what)")
            return ScriptResult(outcome: .failure(failure), state: state)
        case .notFunction(let message):
            let failure = ScriptFailure(reason: .error, message: "\(bundle.directory)/\(call.route).lua: \(message)")
            return ScriptResult(outcome: .failure(failure), state: state)
        }
        let function = lua.top
        current = call
        currentRoute = call.route
        defer { current = nil; currentRoute = nil }
        lua.pushCallTable(call, state: state)
        let callTable = lua.top
        ivr_push_msgh(lua.L)
        lua.pushValue(at: function)
        lua.pushValue(at: callTable)
        if let failure = run(nargs: 1, nresults: 1) {
            return ScriptResult(outcome: .failure(failure), state: state)
        }
        if method == .hangupCall { return ScriptResult(outcome: .success(nil), state: state) }
        guard let action = lua.action(at: -1), action.kind.answers(method) else {
            let failure = ScriptFailure(reason: .invalidAction,
                                        message: invalidResult(handler: handlerName.text, function: function, method: method))
            return ScriptResult(outcome: .failure(failure), state: state)
        }
        lua.rawGet(callTable, "state")
        do {
            let newState = try lua.readState(at: -1)
            return ScriptResult(outcome: .success(action), state: newState)
        } catch {
            let failure = ScriptFailure(reason: .error, message: "\(definedAt(function)) \(handlerName.text): \(error.message)")
            return ScriptResult(outcome: .failure(failure), state: state)
        }
    }

    /// The script's `fallback` for a failed request: a plain action, or `fallback(call, err)`
    /// run with `state` as it was before the request (nothing it changes is kept).
    func fallback(_ call: CallContext, state: StateTable, bundle: ScriptBundle, failure: ScriptFailure) -> IVRAction? {
        let method = call.request.method
        guard method != .hangupCall, case .success(let route) = self.route(call.route, in: bundle) else { return nil }
        if let action = route.staticFallback { return action.kind.answers(method) ? action : nil }
        let base = lua.top
        defer { lua.top = base }
        lua.push(ref: route.ref)
        guard lua.rawGet(-1, index: RouteRecord.fallback.rawValue) == LUA_TFUNCTION else { return nil }
        let function = lua.top
        current = call
        currentRoute = call.route
        defer { current = nil; currentRoute = nil }
        ivr_push_msgh(lua.L)
        lua.pushValue(at: function)
        lua.pushCallTable(call, state: state)
        lua.push(failure.message)
        if let problem = run(nargs: 2, nresults: 1) {
            scriptLog(level: 2, "fallback failed (\(problem.reason.rawValue)): \(problem.message)")
            return nil
        }
        guard let action = lua.action(at: -1), action.kind.answers(method) else {
            scriptLog(level: 2, "fallback: \(invalidResult(handler: "fallback", function: function, method: method))")
            return nil
        }
        return action
    }

    /// A route's plain-action `fallback`, when it answers `method`.
    func staticFallback(route name: String, method: IVRMethod, bundle: ScriptBundle) -> IVRAction? {
        guard case .success(let route) = route(name, in: bundle), let action = route.staticFallback,
              action.kind.answers(method) else { return nil }
        return action
    }

    // MARK: Choosing

    private enum HandlerLookup {
        case found(HandlerName)
        case missing(String)
        case notFunction(String)
    }

    /// Which handler runs, named only when a message needs it (naming costs a string a request).
    private enum HandlerName {
        case global(RouteRecord)
        case menu(String)

        var text: String {
            switch self {
            case .global(let slot): return slot.globalName ?? "?"
            case .menu(let menu): return "menus[\"\(menu)\"]"
            }
        }
    }

    /// Pushes the handler for `request` from the route record at `record`.
    private func pushHandler(for request: IVRRequest, record: Int32) -> HandlerLookup {
        switch request.method {
        case .getIVRAction:
            let menu = request.menu
            if menu == "-1" || menu.isEmpty {
                return pushFirst(.onStart, .onInput, record: record,
                                 missing: "GET_IVR_ACTION with MENU '\(menu)': define on_start or on_input")
            }
            if lua.rawGet(record, index: RouteRecord.menus.rawValue) == LUA_TTABLE {
                let menus = lua.top
                if lua.rawGet(menus, menu) != LUA_TNIL {
                    lua.remove(at: menus)
                    let name = HandlerName.menu(menu)
                    return lua.type(at: -1) == LUA_TFUNCTION ? .found(name) : .notFunction("\(name.text) is \(lua.describe(at: -1)), not a function")
                }
                lua.pop()
            }
            lua.pop()
            return pushFirst(.onInput, record: record,
                             missing: "GET_IVR_ACTION with MENU '\(menu)': define menus[\"\(menu)\"] or on_input")
        case .layerInput:
            return pushFirst(.onLayer, record: record, missing: "IVR_LAYER_INPUT: define on_layer")
        case .hangupCall:
            return pushFirst(.onHangup, record: record, missing: "HANGUP_CALL")
        }
    }

    /// The first of `first`, `then` that the script defines (the message, made only when none is).
    private func pushFirst(_ first: RouteRecord, _ then: RouteRecord? = nil, record: Int32,
                           missing: @autoclosure () -> String) -> HandlerLookup {
        if let found = push(first, record: record) { return found }
        if let then, let found = push(then, record: record) { return found }
        return .missing(missing())
    }

    /// Pushes the handler in `slot` when the script defines it (else pushes nothing).
    private func push(_ slot: RouteRecord, record: Int32) -> HandlerLookup? {
        guard lua.rawGet(record, index: slot.rawValue) != LUA_TNIL else {
            lua.pop()
            return nil
        }
        let name = HandlerName.global(slot)
        return lua.type(at: -1) == LUA_TFUNCTION ? .found(name) : .notFunction("\(name.text) is \(lua.describe(at: -1)), not a function")
    }

    // MARK: Messages

    /// `"src:line:"` where the function at `index` is defined.
    private func definedAt(_ index: Int32) -> String {
        ivr_push_function_where(lua.L, index)
        defer { lua.pop() }
        return (lua.string(at: -1) ?? "?") + ":"
    }

    /// Why the value at the top is not an answer to `method`.
    private func invalidResult(handler: String, function: Int32, method: IVRMethod) -> String {
        let location = definedAt(function)
        let expected = method == .layerInput
            ? "a layer action (ivr.go_to_layer, ivr.dial or ivr.say_digits)"
            : "an action (ivr.menu, ivr.saydigits, ivr.call, ivr.vo, ivr.hangup or ivr.silentrecord)"
        if let action = lua.action(at: -1) {
            return "\(location) \(handler) returned ivr.\(action.kind.constructorName){...}, but \(method.rawValue) needs \(expected)"
        }
        return "\(location) \(handler) returned \(lua.describe(at: -1)), not an action: \(method.rawValue) needs \(expected)"
    }
}
