import Dispatch
import Foundation

/// Process signals for `serve`: SIGHUP reloads, SIGTERM/SIGINT shut down.
/// Installed before the listening line is printed, so no signal finds the default action.
final class ShutdownSignals {
    private let arrived = DispatchSemaphore(value: 0)
    private var sources: [any DispatchSourceSignal] = []

    init(onHangup: @escaping @Sendable () -> Void) {
        let arrived = self.arrived
        let handlers: [(Int32, @Sendable () -> Void)] = [
            (SIGTERM, { arrived.signal() }), (SIGINT, { arrived.signal() }), (SIGHUP, onHangup),
        ]
        for (sig, handler) in handlers {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            sources.append(source)
        }
    }

    /// Returns when SIGTERM or SIGINT arrives.
    func waitForShutdown() {
        arrived.wait()
        sources.forEach { $0.cancel() }
    }
}
