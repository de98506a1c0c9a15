import Dispatch
import Foundation
import IVRWire
import Synchronization
import Testing

@Suite struct ConcurrencyTests {
    static let counter = """
    function on_start(call)
      call.state.who = call.caller_id
      call.state.n = 1
      return ivr.menu{ rec = "r", menu = "count" }
    end
    menus = {}
    function menus.count(call)
      call.state.n = call.state.n + 1
      return ivr.menu{ rec = call.state.who .. ":" .. call.state.n .. ":" .. call.seq, menu = "count" }
    end
    """

    /// 50 calls at once, each on its own connection, each keeping its own counter.
    @Test func fiftyConcurrentCallsKeepTheirOwnState() throws {
        let server = try TestServer(scripts: ["main.lua": Self.counter])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 50) { i in
            let format: WireFormat = i % 2 == 0 ? .json : .xml
            let id = String(format: "call-%032d", i)
            let caller = "05\(i)"
            do {
                let client = try server.client()
                _ = try client.request("POST", "/", body: Wire.getAction(id, callerID: caller, format: format))
                for step in 2...6 {
                    let reply = try Wire.parse(try client.request("POST", "/", body: Wire.getAction(
                        id, dtmf: "1", menu: "count", callerID: caller, format: format)), format)
                    let expected = "\(caller):\(step):\(step)"
                    if reply["DATA", "REC"] != .string(expected) {
                        failures.withLock { $0.append("\(id) step \(step): \(String(describing: reply["DATA", "REC"])) != \(expected)") }
                    }
                }
            } catch {
                failures.withLock { $0.append("\(id): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(server.engine.activeCalls == 50)
    }

    /// Requests of one call sent at once on several connections are handled one
    /// at a time: no update is lost. (Each has its own digits: identical bodies in
    /// flight at once are a retry, answered once; see LimitTests.)
    @Test func requestsOfOneCallAreSerialized() throws {
        let script = """
        function on_start(call) call.state.n = 0 return ivr.menu{ rec = "r", menu = "m" } end
        menus = {}
        function menus.m(call)
          local n = call.state.n
          local t = os.clock() while os.clock() - t < 0.002 do end   -- widen any race
          call.state.n = n + 1
          return ivr.menu{ rec = tostring(call.state.n), menu = "m" }
        end
        """
        let server = try TestServer(scripts: ["main.lua": script], threads: 4)
        let id = "serialized-call-0000000000000001"
        _ = try server.client().request("POST", "/", body: Wire.getAction(id, format: .json))
        let seen = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            guard let client = try? server.client(),
                  let response = try? client.request("POST", "/", body: Wire.getAction(id, dtmf: "\(i)", menu: "m", format: .json)),
                  let reply = try? Wire.parse(response, .json),
                  case .string(let rec)? = reply["DATA", "REC"] else { return }
            seen.withLock { $0.append(rec) }
        }
        let values = seen.withLock { $0 }.compactMap(Int.init).sorted()
        #expect(values == Array(1...20))
    }
}
