import Synchronization

/// Serializes the requests of each call: one at a time, in arrival order.
///
/// A call with a request in progress has a lane; later requests of the call
/// wait in it and are released one by one as the previous one finishes.
final class CallLanes: Sendable {
    private let lanes = Mutex<[String: [CallJob]]>([:])

    /// Takes the call's turn for `job`: true when it may run now, false when it waits.
    func enter(_ job: CallJob) -> Bool {
        lanes.withLock { lanes in
            if lanes[job.callID] != nil {
                lanes[job.callID, default: []].append(job)
                return false
            }
            lanes[job.callID] = []
            return true
        }
    }

    /// Ends the turn of the call's running job; returns the next waiting one, if any.
    func leave(_ callID: String) -> CallJob? {
        lanes.withLock { lanes in
            guard var waiting = lanes[callID], !waiting.isEmpty else {
                lanes[callID] = nil
                return nil
            }
            let next = waiting.removeFirst()
            lanes[callID] = waiting
            return next
        }
    }
}
