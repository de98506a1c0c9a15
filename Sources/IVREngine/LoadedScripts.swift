import IVRScript
import IVRWire
import Logging

/// A script bundle being served, with what was prepared from it at load:
/// its routes and each route's plain-action `fallback` for the deadline path.
/// A class, immutable: every request takes a reference to one, which costs one
/// retain instead of one per field.
final class LoadedScripts: Sendable {
    let bundle: ScriptBundle
    let routeSet: Set<String>
    /// Per route: the prepared fallback for GET_IVR_ACTION and for IVR_LAYER_INPUT.
    let fallbacks: [String: (ivr: IVRAction?, layer: IVRAction?)]
    /// Scripts that failed to load, "path:line: message".
    let problems: [ScriptFailure]
    /// The version's name in a shared store: a hash of the files' paths and contents,
    /// so instances serving the same files agree on it.
    let contentHash: String

    init(bundle: ScriptBundle, routeSet: Set<String>, fallbacks: [String: (ivr: IVRAction?, layer: IVRAction?)],
         problems: [ScriptFailure], contentHash: String) {
        self.bundle = bundle
        self.routeSet = routeSet
        self.fallbacks = fallbacks
        self.problems = problems
        self.contentHash = contentHash
    }

    /// Loads every route once on a probe Lua state (on this thread), logging broken scripts.
    static func prepare(_ bundle: ScriptBundle, limits: ScriptLimits, logger: Logger) -> LoadedScripts {
        let probe = ScriptWorker(limits: limits, logger: logger)
        let problems = probe.preload(bundle)
        for problem in problems {
            logger.error("script failed to load", metadata: ["error": "\(problem.message)"])
        }
        var fallbacks: [String: (ivr: IVRAction?, layer: IVRAction?)] = [:]
        for route in bundle.routes {
            fallbacks[route] = (probe.staticFallback(route: route, method: .getIVRAction, bundle: bundle),
                                probe.staticFallback(route: route, method: .layerInput, bundle: bundle))
        }
        return LoadedScripts(bundle: bundle, routeSet: Set(bundle.routes), fallbacks: fallbacks, problems: problems,
                             contentHash: contentHash(of: bundle.files))
    }

    /// Two 64-bit FNV-1a hashes (different offsets) of every file's path and bytes, in path order, in hex.
    static func contentHash(of files: [String: [UInt8]]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x6c62_272e_07bb_0142
        func mix(_ byte: UInt8) {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = b &+ (b << 7)
        }
        for path in files.keys.sorted() {
            for byte in path.utf8 { mix(byte) }
            mix(0)
            let bytes = files[path] ?? []
            var n = UInt64(bytes.count)
            for _ in 0..<8 { mix(UInt8(truncatingIfNeeded: n)); n >>= 8 }
            for byte in bytes { mix(byte) }
        }
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(a) + hex(b)
    }

    func staticFallback(route: String, method: IVRMethod) -> IVRAction? {
        switch method {
        case .getIVRAction: return fallbacks[route]?.ivr
        case .layerInput: return fallbacks[route]?.layer
        case .hangupCall: return nil
        }
    }
}
