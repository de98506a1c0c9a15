import IVRScript
import IVRState
import IVRWire
import Logging

/// Serving a request once its call's turn is its own: run the handler (or the
/// fallback path), end the turn saving what the outcome allows, answer, and
/// hand the turn to the call's next waiting request.
extension Engine {
    /// `waited`: the request waited in its call's queue (else it arrived just now, and its deadline cannot have passed).
    func serve(_ request: IVRRequest, body: [UInt8], route: String, arrival: Int64, record existing: CallRecord?,
               waited: Bool = true, context: ThreadContext, completion: @Sendable (EngineResult) -> Void) {
        let versions = versions(for: context)
        let scripts = versions.scripts(for: existing?.scriptVersion)
        var record = existing ?? CallRecord(route: route, scriptVersion: scripts.bundle.version, lastSeen: 0)
        record.seq += 1
        let call = CallContext(request: request, route: route, seq: record.seq)
        let deadline = arrival + deadlineBudget
        let method = request.method

        var reply: IVRReply
        var outcome = Outcome.ok
        var detail: String?
        var saved = record  // on the fallback path the state stays as it was; the request still counts
        var keepNothing = false
        if let refused = answerWithoutHandler(call, newCall: existing == nil, capCalls: true, scripts: scripts,
                                              deadline: waited ? deadline : nil) {
            (reply, outcome, detail) = (refused.reply, refused.outcome, refused.detail)
            keepNothing = refused.keepNothing
        } else {
            (reply, outcome, detail) = runHandler(call, record: record, saved: &saved, scripts: scripts,
                                                  versions: versions, deadline: deadline, context: context)
        }
        let change: CallChange
        let now = CallClock.now()
        if method == .hangupCall {
            change = .delete
        } else if keepNothing {
            change = .keep
        } else {
            saved.lastSeen = now
            change = .save(saved)
        }
        var next = store.endTurn(request.callID, change, now: now)
        let result = answer(call, reply: reply, outcome: outcome, detail: detail, arrival: arrival, context: context,
                            completion: completion)
        if method == .hangupCall, record.scriptVersion != versions.current.bundle.version { collectVersions() }
        // A retry that overtook its original waits behind it with the same bytes: it gets the same reply.
        var retryAction: ActionKind?
        if case .action(let a, _)? = result.reply { retryAction = a.kind }
        while let pending = next, let retry = pending.0 as? QueuedRequest, retry.route == route, retry.body == body {
            next = store.endTurn(request.callID, .keep, now: CallClock.now())
            context.metrics.request(route: route, method: method, format: request.format, action: retryAction,
                                    outcome: outcome, seconds: Self.seconds(since: retry.arrival))
            retry.completion(result)
        }
        if let (waiter, record) = next { grant(waiter, record, context: context) }
    }

    /// Runs the call's handler on this thread's Lua state: its reply, or the
    /// fallback path's. `saved.state` takes the handler's state only when it succeeded.
    func runHandler(_ call: CallContext, record: CallRecord, saved: inout CallRecord, scripts: LoadedScripts,
                    versions: ScriptVersions, deadline: Int64,
                    context: ThreadContext) -> (IVRReply, Outcome, String?) {
        let worker = worker(for: context, versions: versions)
        let result = worker.handle(call, state: record.state, bundle: scripts.bundle, deadline: deadline)
        switch (call.request.method, result.outcome) {
        case (.hangupCall, .success):
            return (.status(0), .ok, nil)
        case (.hangupCall, .failure(let failure)):
            log(failure, call: call, context: context, what: "on_hangup failed")
            return (.status(0), .ok, failure.message)
        case (_, .success(let action?)):
            saved.state = result.state
            return (.action(action, status: 0), .ok, nil)
        case (_, .success(nil)), (_, .failure):
            var failure = ScriptFailure(reason: .invalidAction, message: "the handler returned no action")
            if case .failure(let why) = result.outcome { failure = why }
            return fallback(for: failure, call: call, state: record.state, worker: worker,
                            scripts: scripts, deadline: deadline, context: context)
        }
    }

    /// The answer of a request that must not reach its handler, or nil: its
    /// deadline passed while it waited, or a limit (`--max-steps`; `--max-calls`
    /// when `capCalls`, for the in-process table) refuses it. `keepNothing`: a
    /// refused new call leaves no state. `deadline`: nil for a request that has
    /// not waited (the clock is not read).
    func answerWithoutHandler(_ call: CallContext, newCall: Bool, capCalls: Bool, scripts: LoadedScripts,
                              deadline: Int64?)
        -> (reply: IVRReply, outcome: Outcome, detail: String?, keepNothing: Bool)? {
        let method = call.request.method
        if let deadline, ScriptClock.now() >= deadline {
            // It waited behind an earlier request of its call until its own deadline.
            let (reply, outcome, detail) = deadlineAnswer(call, scripts: scripts)
            return (reply, outcome, detail, false)
        }
        guard method != .hangupCall else { return nil }
        if capCalls, newCall, store.count >= config.maxCalls {
            // A new call while the table is full: answered, not remembered.
            let (reply, outcome, detail) = limitAnswer(call, scripts: scripts, reason: .maxCalls,
                                                       "\(config.maxCalls) calls already hold state")
            return (reply, outcome, detail, true)
        }
        if call.seq > config.maxSteps {
            let (reply, outcome, detail) = limitAnswer(call, scripts: scripts, reason: .maxSteps,
                                                       "the call made more than \(config.maxSteps) requests")
            return (reply, outcome, detail, false)
        }
        return nil
    }

    /// The answer of a request refused by a limit (`--max-steps`, `--max-calls`): no handler runs.
    func limitAnswer(_ call: CallContext, scripts: LoadedScripts, reason: FallbackReason,
                             _ why: String) -> (IVRReply, Outcome, String?) {
        logger.warning("limit reached: answered with the fallback",
                       metadata: ["route": "\(call.route)", "call.id": "\(call.request.callID)",
                                  "reason": "\(reason.rawValue)", "error": "\(why)"])
        let method = call.request.method
        let reply = scripts.staticFallback(route: call.route, method: method).map { IVRReply.action($0, status: 0) }
            ?? .builtinFallback(for: method, language: config.limits.language)
        return (reply, .fallback(reason), why)
    }

    /// Lets the call's next request run, on this thread; a chain of waiting
    /// requests runs as a loop here, not as a recursion.
    private func grant(_ waiter: any CallTurnWaiter, _ record: CallRecord?, context: ThreadContext) {
        context.grants.append((waiter, record))
        guard !context.granting else { return }
        context.granting = true
        while !context.grants.isEmpty {
            let (next, record) = context.grants.removeFirst()
            next.turnGranted(record)
        }
        context.granting = false
    }

    /// The fallback path (lua-api.md "Fallback"): the script's `fallback` within
    /// what is left of the deadline, else the built-in answer. A handler stopped
    /// by the deadline itself gets the prepared plain-action fallback at once.
    func fallback(for failure: ScriptFailure, call: CallContext, state: StateTable, worker: ScriptWorker,
                          scripts: LoadedScripts, deadline: Int64, context: ThreadContext) -> (IVRReply, Outcome, String?) {
        log(failure, call: call, context: context, what: "fallback")
        if failure.reason == .timeout || failure.reason == .memory || failure.reason == .deadline {
            quarantine.mark(call.route, now: ScriptClock.now())
        }
        let method = call.request.method
        let action: IVRAction?
        if failure.reason == .deadline {
            action = scripts.staticFallback(route: call.route, method: method)
        } else {
            action = worker.fallback(call, state: state, bundle: scripts.bundle, failure: failure, deadline: deadline)
        }
        let reply = action.map { IVRReply.action($0, status: 0) }
            ?? .builtinFallback(for: method, language: config.limits.language)
        return (reply, .fallback(failure.reason), failure.message)
    }

    /// The answer of a request whose deadline passed before its handler could run.
    func deadlineAnswer(_ call: CallContext, scripts: LoadedScripts) -> (IVRReply, Outcome, String?) {
        let method = call.request.method
        logger.warning("deadline passed: answered with the fallback",
                       metadata: ["route": "\(call.route)", "call.id": "\(call.request.callID)", "reason": "deadline"])
        if method == .hangupCall { return (.status(0), .ok, "no answer within the deadline") }
        let reply = scripts.staticFallback(route: call.route, method: method).map { IVRReply.action($0, status: 0) }
            ?? .builtinFallback(for: method, language: config.limits.language)
        return (reply, .fallback(.deadline), "no answer within the deadline")
    }

    func log(_ failure: ScriptFailure, call: CallContext, context: ThreadContext, what: String) {
        context.metrics.scriptError(route: call.route, reason: failure.reason.rawValue)
        var metadata: Logger.Metadata = [
            "route": "\(call.route)", "call.id": "\(call.request.callID)", "call.seq": "\(call.seq)",
            "reason": "\(failure.reason.rawValue)", "error": "\(failure.message)",
        ]
        if let traceback = failure.traceback { metadata["traceback"] = "\(traceback)" }
        logger.warning("\(what)", metadata: metadata)
    }

    /// Encodes and delivers a reply, counting it.
    @discardableResult
    func answer(_ call: CallContext, reply: IVRReply, outcome: Outcome, detail: String?, arrival: Int64,
                        context: ThreadContext, completion: @Sendable (EngineResult) -> Void) -> EngineResult {
        let request = call.request
        let format = request.format
        let body = WireCodec.encode(reply, as: format)
        var action: ActionKind?
        if case .action(let a, _) = reply { action = a.kind }
        context.metrics.request(route: call.route, method: request.method, format: format,
                                action: action, outcome: outcome, seconds: Self.seconds(since: arrival))
        let result = EngineResult(httpStatus: 200, contentType: format.contentType, body: body, format: format,
                                  request: request, reply: reply, outcome: outcome, detail: detail)
        completion(result)
        return result
    }
}
