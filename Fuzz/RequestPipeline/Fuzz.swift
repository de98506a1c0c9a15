// libFuzzer target: the request pipeline up to the script call: decode, call id
// checks, route, the call's turn, limits, the handler (a one-line script), the
// encoder, and the call store (bounded by maxCalls, so memory stays flat).
import Foundation
import IVREngine
import IVRState
import Logging

private let engine: Engine? = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ivr-fuzz-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let script = """
    function on_start(call) call.state.n = (call.state.n or 0) + 1 return ivr.menu{ rec = "r", menu = "m" } end
    on_input = on_start
    function on_layer(call) return ivr.go_to_layer{ layer = 1 } end
    """
    try? script.write(toFile: dir + "/main.lua", atomically: true, encoding: .utf8)
    var logger = Logger(label: "fuzz")
    logger.logLevel = .critical
    var config = EngineConfig(scriptsDirectory: dir, deadline: .milliseconds(2000), watchInterval: nil)
    config.maxCalls = 1000
    config.maxSteps = 50
    return try? Engine(config: config, store: InMemoryCallStore(ttl: 60), logger: logger)
}()


let fuzzOne: FuzzTarget = { data, size in
    guard let engine else { return 0 }
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    _ = engine.process(route: "main", body: body, contentType: size % 2 == 0 ? "text/xml" : "application/json")
    return 0
}
