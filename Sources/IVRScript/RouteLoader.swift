import CLua
import CLuaShims
import IVRWire

/// Loading scripts into a state: lazily, once per route per bundle version.
///
/// A route's chunk gets its own environment (the sandbox, `ivr`, and `require`
/// and `load` bound to its version); its top level runs once under the budgets
/// (with no request: `ivr.call` defaults are `""`); then its globals are frozen
/// and the handlers read from them, raw, into the route record. A compile or
/// top-level error is remembered for the version (the bundle cannot change);
/// a blown budget is not, so the next request tries again.
extension ScriptRuntime {
    /// The loaded route `name` of `bundle`, loading it if needed.
    func route(_ name: String, in bundle: ScriptBundle) -> Result<LoadedRoute, ScriptFailure> {
        if let last = lastRoute, last.version == bundle.version, last.name == name { return .success(last.route) }
        if let slot = versions[bundle.version]?.routes[name] {
            switch slot {
            case .loaded(let route):
                lastRoute = (bundle.version, name, route)
                return .success(route)
            case .failed(let failure): return .failure(failure)
            }
        }
        guard bundle.hasRoute(name), let source = bundle.files[ScriptBundle.routePath(name)] else {
            return .failure(ScriptFailure(reason: .noHandler,
                                          message: "no script for route '\(name)' in \(bundle.directory)"))
        }
        let recordRef = versionRecord(for: bundle)
        let result = load(route: name, source: source, bundle: bundle, recordRef: recordRef)
        switch result {
        case .success(let route): versions[bundle.version]?.routes[name] = .loaded(route)
        case .failure(let failure) where failure.reason == .error:
            versions[bundle.version]?.routes[name] = .failed(failure)
        case .failure: break
        }
        return result
    }

    /// The registry reference of `bundle`'s version record, created on first use.
    private func versionRecord(for bundle: ScriptBundle) -> Int32 {
        if let version = versions[bundle.version] { return version.recordRef }
        ivr_push_version_record(lua.L)
        let ref = lua.ref()
        versions[bundle.version] = LoadedVersion(bundle: bundle, recordRef: ref)
        return ref
    }

    private func load(route name: String, source: [UInt8], bundle: ScriptBundle,
                      recordRef: Int32) -> Result<LoadedRoute, ScriptFailure> {
        let base = lua.top
        defer { lua.top = base }
        if let failure = compile(source, chunkName: bundle.chunkName(ScriptBundle.routePath(name)), on: lua) {
            return .failure(failure)
        }
        let chunk = lua.top
        lua.push(ref: recordRef)
        ivr_push_env(lua.L, -1, lua_Integer(bundle.version))
        lua.remove(at: -2)
        let env = lua.top
        lua.pushValue(at: env)
        if lua_setupvalue(lua.L, chunk, 1) == nil { lua.pop() }
        // Stack: chunk, env. Run: env, msgh, chunk.
        ivr_push_msgh(lua.L)
        lua.pushValue(at: chunk)
        lua.remove(at: chunk)
        currentRoute = name
        defer { currentRoute = nil }
        if let failure = run(nargs: 0, nresults: 0) { return .failure(failure) }
        lua.pop()  // msgh
        ivr_freeze_env(lua.L, -1)
        let globals = lua.absolute(-1)
        lua.newTable(array: Int32(RouteRecord.allCases.count))
        let record = lua.absolute(-1)
        var staticFallback: IVRAction?
        for slot in RouteRecord.allCases {
            if let global = slot.globalName {
                lua.rawGet(globals, global)
                if slot == .fallback { staticFallback = lua.action(at: -1) }
            } else {
                lua.pushValue(at: globals)
            }
            lua.rawSet(record, index: slot.rawValue)
        }
        return .success(LoadedRoute(ref: lua.ref(), staticFallback: staticFallback))
    }

    /// Compiles `source` (text only) and pushes the chunk; nil, or the failure with nothing pushed.
    func compile(_ source: [UInt8], chunkName: String, on lua: LuaState) -> ScriptFailure? {
        let status = source.withUnsafeBufferPointer { buf in
            ivr_loadbuffer(lua.L, buf.baseAddress, buf.count, chunkName)
        }
        guard status != LUA_OK else { return nil }
        let message = lua.string(at: -1) ?? "\(chunkName.dropFirst()): cannot be loaded"
        lua.pop()
        return ScriptFailure(reason: status == LUA_ERRMEM ? .memory : .error, message: message)
    }

    /// `require` of module `name` (already validated by C) for `version`: pushes the compiled
    /// chunk (0), or reports no such file (1) or pushes the compile error (2).
    func compileModule(_ lua: LuaState, version: Int, name: String) -> Int32 {
        guard let bundle = versions[version]?.bundle else { return 1 }
        let path = name.split(separator: ".").joined(separator: "/") + ".lua"
        guard let source = bundle.files[path] else { return 1 }
        if let failure = compile(source, chunkName: bundle.chunkName(path), on: lua) {
            lua.push(failure.message)
            return 2
        }
        return 0
    }

    /// Loads every route of `bundle` and compiles every other `*.lua` file; one failure per broken file.
    func preload(_ bundle: ScriptBundle) -> [ScriptFailure] {
        var failures: [ScriptFailure] = []
        for name in bundle.routes {
            if case .failure(let failure) = route(name, in: bundle) { failures.append(failure) }
        }
        for path in bundle.files.keys.sorted() where ScriptBundle.routeName(ofPath: path) == nil {
            guard let source = bundle.files[path] else { continue }
            if let failure = compile(source, chunkName: bundle.chunkName(path), on: lua) {
                failures.append(failure)
            } else {
                lua.pop()
            }
        }
        return failures
    }

    /// Drops the versions not in `keep`; the garbage collector reclaims what they held.
    func retainOnly(_ keep: Set<Int>) {
        for (version, loaded) in versions where !keep.contains(version) {
            for case .loaded(let route) in loaded.routes.values { lua.unref(route.ref) }
            lua.unref(loaded.recordRef)
            versions[version] = nil
        }
        _ = ivr_gc_collect(lua.L)
    }
}
