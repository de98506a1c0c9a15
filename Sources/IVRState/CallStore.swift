/// What the engine keeps about one call between its requests.
public struct CallRecord: Sendable, Equatable {
    /// `call.state` as the last successful handler left it.
    public var state: StateTable
    /// The number of requests of this call seen so far (`call.seq` of the last one).
    public var seq: Int
    /// The script route the call started on.
    public var route: String
    /// The script version the call started on (kept so a reload does not switch it mid-call).
    public var scriptVersion: Int
    /// When the call was last seen, in seconds of a monotonic clock (``CallClock``).
    public var lastSeen: Double

    public init(state: StateTable = StateTable(), seq: Int = 0, route: String, scriptVersion: Int, lastSeen: Double) {
        self.state = state
        self.seq = seq
        self.route = route
        self.scriptVersion = scriptVersion
        self.lastSeen = lastSeen
    }
}

/// Someone waiting for a call's turn: a request of the call that arrived while
/// another one of the same call was being served.
public protocol CallTurnWaiter: Sendable {
    /// The turn is this waiter's now, with the call's record (nil: a new call).
    /// Called on the thread that ended the previous turn, or on the store's own
    /// thread for a store that waits on I/O; the waiter must end the turn later
    /// with ``CallStore/endTurn(_:_:now:)``.
    func turnGranted(_ record: CallRecord?)
}

/// What happened to a call's record during a turn.
public enum CallChange: Sendable {
    /// Save this record (the handler succeeded, or the request counted in `call.seq`).
    case save(CallRecord)
    /// Forget the call (HANGUP_CALL).
    case delete
    /// Leave the record as it was.
    case keep
}

/// The answer to ``CallStore/beginTurn(_:now:waiter:)``.
public enum CallTurn: Sendable {
    /// The turn is the caller's now, with the call's record (nil: a new call, or
    /// one idle past the TTL).
    case granted(CallRecord?)
    /// Another request of the call has the turn: the waiter was queued and will
    /// get ``CallTurnWaiter/turnGranted(_:)`` when it is its turn.
    case queued
}

/// Where call records live between requests, and who has each call's turn.
///
/// Requests of one call are served one at a time, in arrival order: a request
/// takes the call's turn with ``beginTurn(_:now:waiter:)`` (which loads the
/// record), and gives it back with ``endTurn(_:_:now:)`` (which saves what
/// changed and hands the turn to the next waiter, if any). The in-memory store
/// is ``InMemoryCallStore``; a shared store (Redis) takes a lease in the same
/// two calls, so that several instances serialize a call between them.
public protocol CallStore: Sendable {
    /// Takes the call's turn. `waiter` is asked for only when the turn is taken
    /// (never escapes otherwise), so the common path builds nothing.
    func beginTurn(_ callID: String, now: Double, waiter: () -> any CallTurnWaiter) -> CallTurn
    /// Applies `change` and ends the turn. When a request of the call waits,
    /// the turn passes to it: it is returned, with the record it gets, for the
    /// caller to grant once it has answered its own request.
    func endTurn(_ callID: String, _ change: CallChange, now: Double) -> (any CallTurnWaiter, CallRecord?)?
    /// The record of a live call, or nil when the call is unknown or idle longer than the TTL.
    /// Takes no turn: for tooling and for telling which version a call is on.
    func load(_ callID: String, now: Double) -> CallRecord?
    /// Removes every call idle longer than the TTL (not those being served); returns how many went.
    @discardableResult func expire(now: Double) -> Int
    /// The number of calls held.
    var count: Int { get }
    /// The script versions that live calls (not idle past the TTL) started on.
    func versionsInUse(now: Double) -> Set<Int>
}
