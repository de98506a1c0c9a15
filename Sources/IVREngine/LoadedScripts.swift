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

    init(bundle: ScriptBundle, routeSet: Set<String>, fallbacks: [String: (ivr: IVRAction?, layer: IVRAction?)],
         problems: [ScriptFailure]) {
        self.bundle = bundle
        self.routeSet = routeSet
        self.fallbacks = fallbacks
        self.problems = problems
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
        return LoadedScripts(bundle: bundle, routeSet: Set(bundle.routes), fallbacks: fallbacks, problems: problems)
    }

    func staticFallback(route: String, method: IVRMethod) -> IVRAction? {
        switch method {
        case .getIVRAction: return fallbacks[route]?.ivr
        case .layerInput: return fallbacks[route]?.layer
        case .hangupCall: return nil
        }
    }
}
