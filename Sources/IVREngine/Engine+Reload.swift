import IVRRedisState
import IVRScript
import IVRState
import Logging

// MARK: - Reload

extension Engine {
    /// Loads the scripts directory again as a new version, compiles and checks
    /// every script, and activates it atomically unless it brings new problems
    /// (then the previous version keeps serving). Calls in progress stay on
    /// the version they started on. Returns whether a new version was activated.
    @discardableResult
    public func reload(reason: String) -> Bool {
        reloading.withLock { lastVersion in
            let bundle: ScriptBundle
            do {
                bundle = try ScriptBundle.load(directory: config.scriptsDirectory, version: lastVersion + 1)
            } catch {
                logger.error("reload failed: the previous scripts keep serving", metadata: ["error": "\(error)"])
                metrics.shared.reload("failed")
                return false
            }
            let current = scripts.withLock { $0.current }
            if bundle.files == current.bundle.files { return false }
            let loaded = LoadedScripts.prepare(bundle, limits: config.limits, logger: logger)
            let known = Set(current.problems.map(\.message))
            let fresh = loaded.problems.filter { !known.contains($0.message) }
            guard fresh.isEmpty else {
                logger.error("reload rejected: the previous scripts keep serving",
                             metadata: ["problems": "\(fresh.map(\.message).joined(separator: "; "))"])
                metrics.shared.reload("failed")
                return false
            }
            metrics.shared.reload("ok")
            lastVersion += 1
            scripts.withLock { $0.activate(loaded) }
            versionsGeneration.add(1, ordering: .releasing)
            logger.info("scripts reloaded", metadata: ["version": "\(bundle.version)", "reason": "\(reason)",
                                                       "routes": "\(bundle.routes.joined(separator: ","))"])
            collectVersions()
            return true
        }
    }

    /// Drops the script versions no live call uses any more (each thread's Lua
    /// state frees them before its next request).
    func collectVersions() {
        guard scripts.withLock({ $0.all.count }) > 1 else { return }
        let inUse: Set<Int>
        if let sharedStore {
            // Calls on every instance: their versions by content hash, mapped to the ones held here.
            let names = sharedStore.scriptNamesInUse(now: RedisCallStore.wallNow())
            inUse = scripts.withLock { versions in
                Set(versions.all.values.filter { names.contains($0.contentHash) }.map(\.bundle.version))
            }
        } else {
            inUse = store.versionsInUse(now: CallClock.now())
        }
        let dropped = scripts.withLock { versions -> Bool in
            let before = versions.all.count
            return versions.retain(inUse).count != before
        }
        if dropped { versionsGeneration.add(1, ordering: .releasing) }
    }
}
