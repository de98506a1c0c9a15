import Dispatch
import Foundation

/// Blocks until SIGTERM or SIGINT arrives.
enum ShutdownSignals {
    static func wait() {
        let arrived = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { arrived.signal() }
            source.resume()
            sources.append(source)
        }
        arrived.wait()
        sources.forEach { $0.cancel() }
    }
}
