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

/// Where call records live between requests.
///
/// The engine serializes the requests of one call itself, so a store only needs
/// each operation to be atomic. The in-memory store is ``InMemoryCallStore``;
/// a shared store (Redis) for several engine instances can conform later.
public protocol CallStore: Sendable {
    /// The record of a live call, or nil when the call is unknown or idle longer than the TTL.
    func load(_ callID: String, now: Double) -> CallRecord?
    /// Saves (creates or replaces) a call's record.
    func save(_ callID: String, _ record: CallRecord)
    /// Forgets a call (after HANGUP_CALL).
    func delete(_ callID: String)
    /// Removes every call idle longer than the TTL; returns how many went.
    @discardableResult func expire(now: Double) -> Int
    /// The number of calls held.
    var count: Int { get }
    /// The script versions that live calls (not idle past the TTL) started on.
    func versionsInUse(now: Double) -> Set<Int>
}
