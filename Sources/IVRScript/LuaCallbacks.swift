import CLua
import CLuaShims
import Logging

/// The Swift functions the C side calls. Each recovers its ``ScriptRuntime``
/// from the unretained `owner` pointer, captures nothing, never raises a Lua
/// error, and reports failure by its return value (the C trampoline raises).
extension ScriptRuntime {
    static var callbacks: ivr_callbacks {
        var cb = ivr_callbacks()
        cb.make_action = { owner, L, kind in
            guard let L else { return 1 }
            guard let runtime = ScriptRuntime.from(owner) else {
                LuaState(L).push("ivr: no script runtime")
                return 1
            }
            return runtime.makeAction(LuaState(L), kindIndex: Int(kind))
        }
        cb.action_index = { _, L, box in
            guard let L, let box else { return 0 }
            ActionBox.from(box).pushField(LuaState(L), key: 2)
            return 1
        }
        cb.action_tostring = { _, L, box in
            guard let L, let box else { return 0 }
            LuaState(L).push(ActionBox.from(box).scriptText)
            return 1
        }
        cb.action_release = { box in
            guard let box else { return }
            Unmanaged<ActionBox>.fromOpaque(box).release()
        }
        cb.log = { owner, level, message, length in
            guard let runtime = ScriptRuntime.from(owner) else { return }
            let text = message.map {
                $0.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
            } ?? ""
            runtime.scriptLog(level: level, text)
        }
        cb.load_module = { owner, L, version, name, length in
            guard let L, let name, let runtime = ScriptRuntime.from(owner) else { return 1 }
            let module = name.withMemoryRebound(to: UInt8.self, capacity: length) {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            }
            return runtime.compileModule(LuaState(L), version: Int(version), name: module)
        }
        cb.push_call_field = { owner, L, field in
            guard let L, let runtime = ScriptRuntime.from(owner), let call = runtime.current else { return 1 }
            LuaState(L).pushCallField(field, of: call)
            return 0
        }
        return cb
    }

    /// `ivr.log.<level>` and `print`: a log line with the call id and route.
    func scriptLog(level: Int32, _ message: String) {
        var metadata: Logger.Metadata = [:]
        if let current { metadata["call.id"] = .string(current.request.callID) }
        if let route = current?.route ?? currentRoute { metadata["route"] = .string(route) }
        let logLevel: Logger.Level
        switch level {
        case 0: logLevel = .debug
        case 1: logLevel = .info
        case 2: logLevel = .warning
        default: logLevel = .error
        }
        logger.log(level: logLevel, "\(message)", metadata: metadata)
    }
}
