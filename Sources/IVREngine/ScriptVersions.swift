import IVRScript
import IVRWire

/// The script versions the engine holds: the current one, which new calls
/// get, and older ones that calls in progress started on.
struct ScriptVersions: Sendable {
    private(set) var current: LoadedScripts
    private(set) var all: [Int: LoadedScripts]

    init(_ first: LoadedScripts) {
        current = first
        all = [first.bundle.version: first]
    }

    /// The version a call runs on: the one it started on while held, else the current one.
    func scripts(for version: Int?) -> LoadedScripts {
        guard let version, version != current.bundle.version else { return current }
        return all[version] ?? current
    }

    /// Whether any held version serves `route` (a deleted script still serves its calls in progress).
    func anyHas(_ route: String) -> Bool {
        current.routeSet.contains(route) || all.values.contains { $0.routeSet.contains(route) }
    }

    /// Makes `scripts` the version new calls get.
    mutating func activate(_ scripts: LoadedScripts) {
        current = scripts
        all[scripts.bundle.version] = scripts
    }

    /// Drops versions no live call uses, keeping the current one. Returns the versions kept.
    mutating func retain(_ inUse: Set<Int>) -> Set<Int> {
        all = all.filter { $0.key == current.bundle.version || inUse.contains($0.key) }
        return Set(all.keys)
    }
}
