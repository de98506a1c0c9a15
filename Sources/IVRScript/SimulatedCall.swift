#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CLua
import CLuaShims
import IVRWire

/// One call a test made with `call{...}`: who calls where, and where the call is.
final class SimulatedCall {
    let id: String
    let route: String
    let format: WireFormat
    let did: String
    let callerID: String
    let callerName: String
    /// `MENU` of the last GET_IVR_ACTION sent: the next one's `PREVIOUS_MENU`.
    var sentMenu = "-1"
    /// The menu the engine handed out last (MENU's and SAYDIGITS's `MENU`, CALL's
    /// `NEXT_MENU`): the one `c:press` answers.
    var handedMenu: String?
    /// `LAYER_ID` of the last IVR_LAYER_INPUT sent: the next one's `PREVIOUS_LAYER_ID`.
    var sentLayer: Int64 = -1
    /// Unix time of the call's first request (`CALL_START_EPOCH`).
    var startEpoch: Int64?

    init(id: String, route: String, format: WireFormat, did: String, callerID: String, callerName: String) {
        self.id = id
        self.route = route
        self.format = format
        self.did = did
        self.callerID = callerID
        self.callerName = callerName
    }

    /// Notes the menu a reply hands out.
    func follow(_ reply: IVRReply) {
        guard case .action(let action, _) = reply else { return }
        switch action.kind {
        case .menu, .sayDigits:
            if case .string(let menu)? = action["MENU"] { handedMenu = menu }
        case .call:
            if case .string(let menu)? = action["NEXT_MENU"], !menu.isEmpty { handedMenu = menu }
        default:
            break
        }
    }
}

/// `call{...}` and the call object: `c:start()`, `c:press()`, `c:layer()`, `c:hangup{}`, `c.state`.
extension LuaTestHarness {
    static let callKeys = ["caller_id", "caller_name", "did", "format", "id", "route"]
    static let hangupStrings = ["call_status", "target"]
    static let hangupIntegers = ["call_dailtime", "call_duration", "call_start_epoch", "call_time_epoch"]

    /// `call{...}` with the options at index 1: pushes the new call's handle (0) or a message (1).
    func newCall(_ lua: LuaState) -> Int32 {
        guard driver != nil else {
            lua.push("call: calls are made inside a test: test(\"name\", function() local c = call{} ... end)")
            return 1
        }
        let options: [String: String]
        switch readStrings(lua, at: 1, keys: Self.callKeys, what: "call") {
        case .success(let read): options = read
        case .failure(let message):
            lua.push(message.text)
            return 1
        }
        let formatName = options["format"] ?? "json"
        guard let format = WireFormat(rawValue: formatName) else {
            lua.push("call: 'format' must be \"json\" or \"xml\", got \"\(formatName)\"")
            return 1
        }
        callsInTest += 1
        lastHandle += 1
        calls[lastHandle] = SimulatedCall(
            id: options["id"] ?? "test\(testNumber)-call\(callsInTest)", route: options["route"] ?? "main",
            format: format, did: options["did"] ?? "0730000000", callerID: options["caller_id"] ?? "0541234567",
            callerName: options["caller_name"] ?? "")
        lua.push(lastHandle)
        return 0
    }

    /// A request of call `handle` (object at 1, arguments from 2): pushes the reply table (0) or a message (1).
    func request(_ lua: LuaState, call handle: Int64, kind: Int32) -> Int32 {
        let names = ["start", "press", "layer", "hangup"]
        let name = "c:" + (names.indices.contains(Int(kind)) ? names[Int(kind)] : "?")
        guard let call = calls[handle], let driver else {
            lua.push("\(name): this call belongs to a test that has ended")
            return 1
        }
        let now = Int64(clock ?? Double(time(nil)))
        let method: IVRMethod
        let fields: [WireMember]
        switch Int(kind) {
        case Int(IVR_TEST_START):
            method = .getIVRAction
            call.sentMenu = "-1"
            fields = menuFields(call, dtmf: "", menu: "-1", previous: "-1")
        case Int(IVR_TEST_PRESS):
            method = .getIVRAction
            guard let digits = optionalString(lua, at: 2, name: name, what: "the digits", example: "c:press(\"1\")"),
                  let given = optionalString(lua, at: 3, name: name, what: "the menu", example: "c:press(\"1\", \"main\")")
            else { return 1 }
            guard let menu = lua.type(at: 3) == LUA_TSTRING ? given : call.handedMenu else {
                lua.push("\(name): no menu to answer yet: start the call first (c:start()), or name the menu: c:press(\"1\", \"main\")")
                return 1
            }
            fields = menuFields(call, dtmf: digits, menu: menu, previous: call.sentMenu)
            call.sentMenu = menu
        case Int(IVR_TEST_LAYER):
            method = .layerInput
            guard let layer = lua.integer(at: 2) else {
                lua.push("\(name): the layer must be an integer, as in c:layer(8, \"1234\"), got \(lua.describe(at: 2))")
                return 1
            }
            guard let digits = optionalString(lua, at: 3, name: name, what: "the digits", example: "c:layer(8, \"1234\")")
            else { return 1 }
            fields = [WireMember("DID", .string(call.did)), WireMember("CALLER_ID", .string(call.callerID)),
                      WireMember("IVR_UNIQUE_ID", .string(call.id)), WireMember("DTMF", .string(digits)),
                      WireMember("LAYER_ID", .int(layer)), WireMember("PREVIOUS_LAYER_ID", .int(call.sentLayer))]
            call.sentLayer = layer
        default:
            method = .hangupCall
            guard let hangup = hangupFields(lua, call, now: now, name: name) else { return 1 }
            fields = hangup
        }
        if call.startEpoch == nil { call.startEpoch = now }
        let exchange = driver.send(route: call.route, method: method, format: call.format, fields: fields)
        guard exchange.httpStatus == 200, let reply = exchange.reply else {
            lua.push("\(name): POST /\(call.route) was answered HTTP \(exchange.httpStatus): \(exchange.detail ?? "no reply")")
            return 1
        }
        call.follow(reply)
        pushReply(lua, reply, exchange)
        return 0
    }

    /// `c.id`, `c.route`, `c.format`, `c.menu` (what `c:press` answers), `c.state` (a fresh copy); else nothing.
    func pushCallField(_ lua: LuaState, call handle: Int64) {
        guard let call = calls[handle], let key = lua.string(at: 2) else { return }
        switch key {
        case "id": lua.push(call.id)
        case "route": lua.push(call.route)
        case "format": lua.push(call.format.rawValue)
        case "menu": if let menu = call.handedMenu { lua.push(menu) }
        case "state": if let state = driver?.state(of: call.id) { lua.pushState(state) }
        default: break
        }
    }

    /// `set_time`: the time the scripts (and this test's `os.time()`) see from now on.
    func setClock(_ unixTime: Double?) {
        clock = unixTime
        driver?.setClock(unixTime)
    }

    // MARK: Requests

    private func menuFields(_ call: SimulatedCall, dtmf: String, menu: String, previous: String) -> [WireMember] {
        [WireMember("DID", .string(call.did)), WireMember("CALLER_ID", .string(call.callerID)),
         WireMember("CALLER_NAME", .string(call.callerName)), WireMember("IVR_UNIQUE_ID", .string(call.id)),
         WireMember("DTMF", .string(dtmf)), WireMember("MENU", .string(menu)), WireMember("PREVIOUS_MENU", .string(previous))]
    }

    /// HANGUP_CALL's fields from `c:hangup{...}` at index 2; nil with a message pushed.
    private func hangupFields(_ lua: LuaState, _ call: SimulatedCall, now: Int64, name: String) -> [WireMember]? {
        var strings: [String: String] = [:]
        var integers: [String: Int64] = [:]
        let keys = Self.hangupStrings + Self.hangupIntegers
        if lua.type(at: 2) == LUA_TTABLE {
            lua.pushNil()
            while lua_next(lua.L, 2) != 0 {
                guard let key = lua.string(at: -2), keys.contains(key) else {
                    let got = lua.string(at: -2).map { "'\($0)'" } ?? lua.describe(at: -2)
                    lua.pop(2)
                    lua.push("\(name): unknown key \(got) (expected \(keys.sorted().joined(separator: ", ")))")
                    return nil
                }
                if Self.hangupStrings.contains(key), case .some(.some(let text)) = lua.text(at: -1) {
                    strings[key] = text
                } else if Self.hangupIntegers.contains(key), let value = lua.integer(at: -1) {
                    integers[key] = value
                } else {
                    let type = Self.hangupStrings.contains(key) ? "a string" : "an integer"
                    let got = lua.describe(at: -1)
                    lua.pop(2)
                    lua.push("\(name): '\(key)' must be \(type), got \(got)")
                    return nil
                }
                lua.pop()
            }
        } else if lua.type(at: 2) != LUA_TNIL && lua.type(at: 2) != LUA_TNONE {
            lua.push("\(name): expected a table of fields, as in c:hangup{ call_status = \"ANSWER\" }, got \(lua.describe(at: 2))")
            return nil
        }
        let end = integers["call_time_epoch"] ?? now
        let start = integers["call_start_epoch"] ?? call.startEpoch ?? end
        return [WireMember("DID", .string(call.did)), WireMember("CALLER_ID", .string(call.callerID)),
                WireMember("IVR_UNIQUE_ID", .string(call.id)), WireMember("TARGET", .string(strings["target"] ?? "")),
                WireMember("CALL_TIME_EPOCH", .int(end)), WireMember("CALL_START_EPOCH", .int(start)),
                WireMember("CALL_DURATION", .int(integers["call_duration"] ?? max(0, end - start))),
                WireMember("CALL_DAILTIME", .int(integers["call_dailtime"] ?? 0)),
                WireMember("CALL_STATUS", .string(strings["call_status"] ?? "ANSWER"))]
    }

    // MARK: Reading arguments

    /// A message for the test; `Error` only to travel in a `Result`.
    struct Message: Error {
        var text: String
    }

    /// The string-valued options of the table at `index` (none when it is nil).
    private func readStrings(_ lua: LuaState, at index: Int32, keys: [String], what: String) -> Result<[String: String], Message> {
        var options: [String: String] = [:]
        guard lua.type(at: index) == LUA_TTABLE else { return .success(options) }
        lua.pushNil()
        while lua_next(lua.L, index) != 0 {
            guard let key = lua.string(at: -2), keys.contains(key) else {
                let got = lua.string(at: -2).map { "'\($0)'" } ?? lua.describe(at: -2)
                lua.pop(2)
                return .failure(Message(text: "\(what): unknown key \(got) (expected \(keys.joined(separator: ", ")))"))
            }
            guard case .some(.some(let value)) = lua.text(at: -1) else {
                let got = lua.describe(at: -1)
                lua.pop(2)
                return .failure(Message(text: "\(what): '\(key)' must be a string, got \(got)"))
            }
            options[key] = value
            lua.pop()
        }
        return .success(options)
    }

    /// The string argument at `index` (`""` when absent); nil with a message pushed when it is not a string.
    private func optionalString(_ lua: LuaState, at index: Int32, name: String, what: String, example: String) -> String? {
        switch lua.type(at: index) {
        case LUA_TNONE, LUA_TNIL: return ""
        case LUA_TSTRING:
            if case .some(.some(let text)) = lua.text(at: index) { return text }
            lua.push("\(name): \(what) must be UTF-8 text")
            return nil
        default:
            lua.push("\(name): \(what) must be a string, as in \(example), got \(lua.describe(at: index))")
            return nil
        }
    }

    // MARK: Replies

    /// The reply as a fresh table: `action`, `status`, `language`, the action's fields
    /// by lower-case key (as its constructor takes them), and `fallback` and `error`
    /// when the fallback path answered (`error` also when `on_hangup` failed).
    private func pushReply(_ lua: LuaState, _ reply: IVRReply, _ exchange: TestExchange) {
        lua.newTable(hash: 8)
        switch reply {
        case .status(let status):
            lua.push(status)
            lua.setField(-2, "status")
        case .action(let action, let status):
            lua.push(status)
            lua.setField(-2, "status")
            lua.push(action.kind.wireName)
            lua.setField(-2, "action")
            if let language = action.language {
                lua.push(language)
                lua.setField(-2, "language")
            }
            for spec in action.kind.schema {
                guard let value = action[spec.wireName] else { continue }
                lua.push(spec.scriptName)
                lua.pushScriptValue(value, type: spec.type)
                lua.rawSet(-3)
            }
        }
        if let reason = exchange.fallbackReason {
            lua.push(reason)
            lua.setField(-2, "fallback")
        }
        if let detail = exchange.detail {
            lua.push(detail)
            lua.setField(-2, "error")
        }
    }
}
