import IVRRedisState
import IVRScript
import IVRState
import IVRWire
import Logging

/// Serving a request when call state lives in Redis (``RedisCallStore``),
/// shared by several instances: the same steps as ``Engine/serve``, with a
/// store that can fail. Taking the turn (lease and load) and ending it (save
/// and release) are one round trip each, bounded by the request's deadline;
/// when either fails the request gets the fallback (reason `state`), and the
/// state stays as Redis had it.
extension Engine {
    func submitShared(_ request: IVRRequest, route: String, arrival: Int64, store: RedisCallStore,
                      context: ThreadContext, completion: @escaping @Sendable (EngineResult) -> Void) {
        let deadline = arrival + deadlineBudget
        let turn = store.begin(request.callID, deadline: deadline) {
            SharedQueuedRequest(engine: self, request: request, route: route, arrival: arrival, deadline: deadline,
                                completion: completion)
        }
        if case .grant(let grant) = turn {
            serveShared(request, route: route, arrival: arrival, grant: grant, store: store, context: context,
                        completion: completion)
        }
    }

    func serveShared(_ request: IVRRequest, route: String, arrival: Int64, grant: SharedGrant, store: RedisCallStore,
                     context: ThreadContext, completion: @Sendable (EngineResult) -> Void) {
        let versions = versions(for: context)
        let deadline = arrival + deadlineBudget
        guard case .granted(let existing, let scriptName) = grant else {
            if case .unavailable(let why) = grant {
                let call = CallContext(request: request, route: route, seq: 0)
                let (reply, outcome) = stateAnswer(call, scripts: versions.current, why: why)
                let next = store.finish(request.callID, .keep, scriptName: "", deadline: deadline).next
                answer(call, reply: reply, outcome: outcome, detail: why, arrival: arrival, context: context,
                       completion: completion)
                if let next { grantShared(next, store: store, context: context) }
            }
            return
        }
        // The call's version by content hash: held here, or (logged) the current one.
        var scripts = versions.current
        if existing != nil, let scriptName, scriptName != scripts.contentHash {
            if let held = versions.all.values.first(where: { $0.contentHash == scriptName }) {
                scripts = held
            } else {
                logger.notice("the call's script version is not held here: serving it with the current one",
                              metadata: ["call.id": "\(request.callID)", "version": "\(scriptName)",
                                         "current": "\(scripts.contentHash)"])
            }
        }
        var record = existing ?? CallRecord(route: route, scriptVersion: scripts.bundle.version, lastSeen: 0)
        record.scriptVersion = scripts.bundle.version
        record.seq += 1
        let call = CallContext(request: request, route: route, seq: record.seq)
        let method = request.method

        var reply: IVRReply
        var outcome = Outcome.ok
        var detail: String?
        var saved = record
        // --max-steps holds across instances (call.seq counts in Redis); --max-calls
        // bounds the in-process table only: Redis holds its own memory.
        if let refused = answerWithoutHandler(call, newCall: existing == nil, capCalls: false, scripts: scripts,
                                              deadline: deadline) {
            (reply, outcome, detail) = (refused.reply, refused.outcome, refused.detail)
        } else {
            (reply, outcome, detail) = runHandler(call, record: record, saved: &saved, scripts: scripts,
                                                  versions: versions, deadline: deadline, context: context)
        }
        let change: CallChange
        if method == .hangupCall {
            change = .delete
        } else {
            saved.lastSeen = RedisCallStore.wallNow()
            change = .save(saved)
        }
        let (result, next) = store.finish(request.callID, change, scriptName: scripts.contentHash, deadline: deadline)
        if case .failure(let error) = result, method != .hangupCall {
            // Not saved: the answer must not rest on state that no instance will see.
            (reply, outcome) = stateAnswer(call, scripts: scripts, why: error.message)
            detail = error.message
        }
        answer(call, reply: reply, outcome: outcome, detail: detail, arrival: arrival, context: context,
               completion: completion)
        if let next { grantShared(next, store: store, context: context) }
    }

    /// The fallback for a request whose state could not be loaded or saved:
    /// the route's prepared plain-action fallback, else the built-in answer.
    private func stateAnswer(_ call: CallContext, scripts: LoadedScripts, why: String) -> (IVRReply, Outcome) {
        let method = call.request.method
        context(for: call, why: why)
        if method == .hangupCall { return (.status(0), .fallback(.state)) }
        let reply = scripts.staticFallback(route: call.route, method: method).map { IVRReply.action($0, status: 0) }
            ?? .builtinFallback(for: method, language: config.limits.language)
        return (reply, .fallback(.state))
    }

    private func context(for call: CallContext, why: String) {
        logger.warning("call state unavailable: answered with the fallback",
                       metadata: ["route": "\(call.route)", "call.id": "\(call.request.callID)", "reason": "state",
                                  "error": "\(why)"])
    }

    /// Lets the call's next request here run, on this thread, as a loop (not a recursion).
    /// A waiter whose lease was lost takes it again here, after the previous request was answered.
    private func grantShared(_ next: (any CallTurnWaiter, SharedGrant?), store: RedisCallStore, context: ThreadContext) {
        context.sharedGrants.append(next)
        guard !context.granting else { return }
        context.granting = true
        while !context.sharedGrants.isEmpty {
            let (waiter, given) = context.sharedGrants.removeFirst()
            guard let queued = waiter as? SharedQueuedRequest else {
                // Only the engine's own waiters reach here; any other is granted what is known.
                if case .granted(let record, _)? = given { waiter.turnGranted(record) }
                continue
            }
            queued.turnGranted(given ?? store.acquireTurn(queued.request.callID, deadline: queued.deadline))
        }
        context.granting = false
    }
}

/// A request that arrived while another request of its call was being served
/// on this instance: it waits in the store's queue, holding no thread.
struct SharedQueuedRequest: SharedTurnWaiter {
    let engine: Engine
    let request: IVRRequest
    let route: String
    let arrival: Int64
    let deadline: Int64
    let completion: @Sendable (EngineResult) -> Void

    func turnGranted(_ grant: SharedGrant) {
        guard let store = engine.sharedStore else { return }
        engine.serveShared(request, route: route, arrival: arrival, grant: grant, store: store,
                           context: engine.contexts.current(), completion: completion)
    }

    func turnGranted(_ record: CallRecord?) {
        turnGranted(.granted(record, scriptName: nil))
    }
}
