#if canImport(Glibc)
import IVRScript
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CLua
import CLuaShims
import IVRCallModel
import IVRWire

/// One call a test made with `call{...}`: the shared ``CallModel`` of the call.
final class SimulatedCall {
    var model: CallModel

    init(_ model: CallModel) { self.model = model }
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
        let formatName = options["format"] ?? CallDefaults.format.rawValue
        guard let format = WireFormat(rawValue: formatName) else {
            lua.push("call: 'format' must be \"json\" or \"xml\", got \"\(formatName)\"")
            return 1
        }
        callsInTest += 1
        lastHandle += 1
        calls[lastHandle] = SimulatedCall(CallModel(
            id: options["id"] ?? "test\(testNumber)-call\(callsInTest)", route: options["route"] ?? CallDefaults.route,
            format: format, did: options["did"] ?? CallDefaults.did, callerID: options["caller_id"] ?? CallDefaults.callerID,
            callerName: options["caller_name"] ?? CallDefaults.callerName))
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
            fields = call.model.start(now: now)
        case Int(IVR_TEST_PRESS):
            method = .getIVRAction
            guard let digits = optionalString(lua, at: 2, name: name, what: "the digits", example: "c:press(\"1\")"),
                  let given = optionalString(lua, at: 3, name: name, what: "the menu", example: "c:press(\"1\", \"main\")")
            else { return 1 }
            guard let press = call.model.press(digits, menu: lua.type(at: 3) == LUA_TSTRING ? given : nil, now: now) else {
                lua.push("\(name): no menu to answer yet: start the call first (c:start()), or name the menu: c:press(\"1\", \"main\")")
                return 1
            }
            fields = press
        case Int(IVR_TEST_LAYER):
            method = .layerInput
            guard let layer = lua.integer(at: 2) else {
                lua.push("\(name): the layer must be an integer, as in c:layer(8, \"1234\"), got \(lua.describe(at: 2))")
                return 1
            }
            guard let digits = optionalString(lua, at: 3, name: name, what: "the digits", example: "c:layer(8, \"1234\")")
            else { return 1 }
            fields = call.model.layer(layer, digits: digits, now: now)
        default:
            method = .hangupCall
            guard let hangup = hangupDetails(lua, name: name) else { return 1 }
            fields = call.model.hangup(hangup, now: now)
        }
        let model = call.model
        let exchange = driver.send(route: model.route, method: method, format: model.format, fields: fields)
        guard exchange.httpStatus == 200, let reply = exchange.reply else {
            lua.push("\(name): POST /\(model.route) was answered HTTP \(exchange.httpStatus): \(exchange.detail ?? "no reply")")
            return 1
        }
        call.model.follow(reply)
        pushReply(lua, reply, exchange)
        return 0
    }

    /// `c.id`, `c.route`, `c.format`, `c.menu` (what `c:press` answers), `c.state` (a fresh copy); else nothing.
    func pushCallField(_ lua: LuaState, call handle: Int64) {
        guard let call = calls[handle], let key = lua.string(at: 2) else { return }
        switch key {
        case "id": lua.push(call.model.id)
        case "route": lua.push(call.model.route)
        case "format": lua.push(call.model.format.rawValue)
        case "menu": if let menu = call.model.handedMenu { lua.push(menu) }
        case "state": if let state = driver?.state(of: call.model.id) { lua.pushState(state) }
        default: break
        }
    }

    /// `set_time`: the time the scripts (and this test's `os.time()`) see from now on.
    func setClock(_ unixTime: Double?) {
        clock = unixTime
        driver?.setClock(unixTime)
    }

    // MARK: Requests

    /// HANGUP_CALL's details from `c:hangup{...}` at index 2; nil with a message pushed.
    private func hangupDetails(_ lua: LuaState, name: String) -> CallHangup? {
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
        return CallHangup(callStatus: strings["call_status"] ?? "ANSWER", target: strings["target"] ?? "",
                          callDuration: integers["call_duration"], callDialTime: integers["call_dailtime"],
                          callTimeEpoch: integers["call_time_epoch"], callStartEpoch: integers["call_start_epoch"])
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
