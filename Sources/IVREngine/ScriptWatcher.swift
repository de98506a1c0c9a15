import Foundation
import Synchronization

/// Polls a scripts directory and calls back when any `.lua` file under it is
/// added, removed or changed (by modification time, size or inode), once the
/// directory has been quiet for one interval.
final class ScriptWatcher: Sendable {
    private let stopped = Atomic<Bool>(false)
    let directory: String
    let interval: Duration

    /// The files as they were when the watcher was made: a change after that is
    /// seen, however late the polling thread starts.
    private let initial: [String: Stamp]

    init(directory: String, every interval: Duration) {
        self.directory = directory
        self.interval = interval
        self.initial = ScriptWatcher.signature(of: directory)
    }

    /// Starts polling on a thread of its own.
    func start(onChange: @escaping @Sendable () -> Void) {
        let directory = self.directory
        let interval = self.interval
        let thread = Thread { [self] in
            var last = initial
            var settling = false
            while !stopped.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: Double(interval.components.seconds) + Double(interval.components.attoseconds) * 1e-18)
                let now = ScriptWatcher.signature(of: directory)
                if now != last {
                    // Still being written (a deploy copying files, an editor saving): wait until
                    // one whole interval passes without a change, so no half-written file is read.
                    last = now
                    settling = true
                } else if settling {
                    settling = false
                    onChange()
                }
            }
        }
        thread.name = "ivr-script-watcher"
        thread.start()
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    struct Stamp: Equatable {
        var modified: Int
        var size: Int
        var inode: UInt64
    }

    /// Path → stamp of every `.lua` file under `directory`.
    static func signature(of directory: String) -> [String: Stamp] {
        var result: [String: Stamp] = [:]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return result }
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".lua") else { continue }
            var info = stat()
            guard stat(directory + "/" + relative, &info) == 0 else { continue }
            result[relative] = Stamp(modified: info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec,
                                     size: Int(info.st_size), inode: UInt64(info.st_ino))
        }
        return result
    }
}
