import Dispatch
import Synchronization

/// A FIFO of jobs that worker threads block on.
final class JobQueue: Sendable {
    private struct Buffer {
        var inbox: [CallJob] = []
        var outbox: [CallJob] = []
        var closed = false
    }
    private let buffer = Mutex(Buffer())
    private let available = DispatchSemaphore(value: 0)

    func push(_ job: CallJob) {
        buffer.withLock { $0.inbox.append(job) }
        available.signal()
    }

    /// The next job, waiting for one; nil once the queue is closed and drained.
    func pop() -> CallJob? {
        while true {
            available.wait()
            let next: CallJob?? = buffer.withLock { b in
                if b.outbox.isEmpty {
                    b.outbox = b.inbox.reversed()
                    b.inbox.removeAll(keepingCapacity: true)
                }
                if let job = b.outbox.popLast() { return .some(job) }
                return b.closed ? .some(nil) : nil
            }
            if let next {
                if next == nil { available.signal() }  // let the other workers see the close too
                return next
            }
        }
    }

    /// Wakes every waiting worker with nil once the jobs already queued are done.
    func close(workers: Int) {
        buffer.withLock { $0.closed = true }
        for _ in 0..<max(1, workers) { available.signal() }
    }
}
