import Foundation
import IVRScript
import Synchronization

/// Routes whose scripts recently ran out of time or memory, and the small pool
/// of threads that serves them, so that one route's misbehaving script cannot
/// hold the HTTP threads that serve every other route.
///
/// Requests of healthy routes still run on the HTTP thread they arrived on; the
/// check costs one relaxed atomic load while no route is quarantined. A route
/// stays quarantined for ``period`` after its last timeout, memory failure or
/// deadline. Its requests queue for the pool's threads (each with its own Lua
/// state, like an HTTP thread); one that waits past its deadline is answered at
/// once with the fallback when its turn comes.
final class Quarantine: Sendable {
    /// How long a route stays quarantined after it last misbehaved, in nanoseconds.
    static let period: Int64 = 30_000_000_000
    private let count = Atomic<Int>(0)
    private let until = Mutex<[String: Int64]>([:])
    private let pool: IsolatedPool

    init(threads: Int) {
        pool = IsolatedPool(threads: threads)
    }

    /// Quarantines `route` for ``period`` from `now`.
    func mark(_ route: String, now: Int64) {
        until.withLock { routes in
            if routes.updateValue(now + Self.period, forKey: route) == nil { count.add(1, ordering: .relaxed) }
        }
    }

    /// Whether `route` is quarantined now.
    func contains(_ route: String, now: Int64) -> Bool {
        guard count.load(ordering: .relaxed) > 0 else { return false }
        return until.withLock { routes in
            guard let end = routes[route] else { return false }
            if end < now {
                routes[route] = nil
                count.subtract(1, ordering: .relaxed)
                return false
            }
            return true
        }
    }

    /// Runs `work` on one of the pool's threads.
    func run(_ work: @escaping @Sendable () -> Void) { pool.run(work) }

    func stop() { pool.stop() }
}

/// A fixed number of threads, started on first use, taking work in order.
final class IsolatedPool: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        var started = false
        var stopping = false
    }
    private let threads: Int
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)

    init(threads: Int) {
        self.threads = max(1, threads)
    }

    func run(_ work: @escaping @Sendable () -> Void) {
        let start = state.withLock { s -> Bool in
            s.queue.append(work)
            defer { s.started = true }
            return !s.started
        }
        if start {
            for _ in 0..<threads { Thread.detachNewThread { [self] in loop() } }
        }
        ready.signal()
    }

    func stop() {
        let started = state.withLock { s -> Bool in
            s.stopping = true
            return s.started
        }
        if started { for _ in 0..<threads { ready.signal() } }
    }

    private func loop() {
        while true {
            ready.wait()
            let work = state.withLock { s -> (@Sendable () -> Void)?? in
                if s.head < s.queue.count {
                    let next = s.queue[s.head]
                    s.head += 1
                    if s.head > 64, s.head * 2 > s.queue.count {
                        s.queue.removeFirst(s.head)
                        s.head = 0
                    }
                    return .some(next)
                }
                return s.stopping ? .none : .some(nil)
            }
            switch work {
            case .none: return
            case .some(let job?): job()
            case .some(nil): continue
            }
        }
    }
}
