import Foundation
import IVRScript
import Logging
import Synchronization

/// One worker thread's identity; marked abandoned when its Lua state is stuck
/// past a deadline, so the thread ends after its job and a new one takes its place.
final class WorkerSlot: Sendable {
    let id: Int
    let abandoned = Atomic<Bool>(false)
    /// The engine's versions generation this worker's Lua state last caught up with.
    let seenGeneration = Atomic<Int>(0)
    init(id: Int) { self.id = id }
}

/// Worker threads, each owning one ``ScriptWorker`` (one `lua_State`) for its
/// whole life: a Lua state is never touched by two threads.
final class WorkerPool: Sendable {
    typealias Run = @Sendable (CallJob, ScriptWorker, WorkerSlot) -> Void

    let queue = JobQueue()
    private let limits: ScriptLimits
    private let logger: Logger
    private let nextID = Atomic<Int>(0)
    private let live = Atomic<Int>(0)
    private let run: Mutex<Run?> = Mutex(nil)
    let size: Int

    init(size: Int, limits: ScriptLimits, logger: Logger) {
        self.size = max(1, size)
        self.limits = limits
        self.logger = logger
    }

    /// Starts the threads; `run` handles each job.
    func start(_ run: @escaping Run) {
        self.run.withLock { $0 = run }
        for _ in 0..<size { spawn() }
    }

    /// Starts one more worker thread.
    func spawn() {
        guard let run = run.withLock({ $0 }) else { return }
        let slot = WorkerSlot(id: nextID.add(1, ordering: .relaxed).newValue)
        let limits = self.limits
        let logger = self.logger
        let queue = self.queue
        live.add(1, ordering: .relaxed)
        let thread = Thread { [self] in
            let worker = ScriptWorker(limits: limits, logger: logger)
            while !slot.abandoned.load(ordering: .acquiring), let job = queue.pop() {
                run(job, worker, slot)
            }
            self.live.subtract(1, ordering: .relaxed)
        }
        thread.name = "ivr-lua-\(slot.id)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Replaces a worker whose Lua state is stuck: its thread ends when the state returns.
    func abandon(_ slot: WorkerSlot) {
        guard !slot.abandoned.exchange(true, ordering: .acquiringAndReleasing) else { return }
        logger.warning("replacing a Lua worker stuck past the deadline", metadata: ["worker": "\(slot.id)"])
        spawn()
    }

    /// Lets the workers finish what is queued, then end.
    func close() {
        queue.close(workers: live.load(ordering: .relaxed))
    }
}
