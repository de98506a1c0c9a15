import Dispatch

/// A repeating timer on a global queue. DispatchSource is thread-safe, though not marked Sendable.
final class Sweeper: Sendable {
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    init(every seconds: Double) {
        timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
    }

    func start(_ work: @escaping @Sendable () -> Void) {
        timer.setEventHandler(handler: work)
        timer.resume()
    }

    func cancel() { timer.cancel() }
}
