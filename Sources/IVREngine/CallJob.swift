import IVRScript
import IVRWire
import Synchronization

/// One decoded request on its way through the pipeline.
///
/// Two parties may finish it: the worker that runs its script, and the
/// deadline timer. Whoever ``claim()``s it first answers, saves or not, and
/// releases the call's lane; the other one drops its work.
final class CallJob: Sendable {
    let request: IVRRequest
    let route: String
    let arrival: ContinuousClock.Instant
    let deliver: @Sendable (EngineResult) -> Void
    private let claimed = Atomic<Bool>(false)
    /// Where the job runs, while it does: lets the deadline interrupt it.
    let running = Mutex<RunningOn?>(nil)

    init(request: IVRRequest, route: String, arrival: ContinuousClock.Instant,
         deliver: @escaping @Sendable (EngineResult) -> Void) {
        self.request = request
        self.route = route
        self.arrival = arrival
        self.deliver = deliver
    }

    var callID: String { request.callID }

    /// Takes the right to answer; true for the first caller only.
    func claim() -> Bool {
        !claimed.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// Whether someone already answered.
    var isClaimed: Bool { claimed.load(ordering: .acquiring) }
}

/// The worker a job is running on.
struct RunningOn: Sendable {
    let slot: WorkerSlot
    let interrupter: ScriptInterrupter
}
