import IVRRedisState
import IVRState

/// The call state store `--state` names: `memory` (this process) or
/// `redis://[:PASSWORD@]HOST:PORT[/DB]` (shared by several instances).
public enum CallStoreChoice {
    /// How much longer than `--deadline` a Redis lease lasts when its holder dies without releasing it.
    public static let leaseMargin: Duration = .milliseconds(500)

    /// The store for `--state`, or why the address is wrong.
    public static func make(state: String, prefix: String, ttl: Double, deadline: Duration) -> Result<any CallStore, CallStoreChoiceError> {
        if state == "memory" { return .success(InMemoryCallStore(ttl: ttl)) }
        guard !prefix.isEmpty else { return .failure(CallStoreChoiceError("--state-prefix must not be empty")) }
        switch RedisAddress.parse(state) {
        case .success(let address):
            return .success(RedisCallStore(address: address, prefix: prefix, ttl: ttl, lease: deadline + leaseMargin))
        case .failure(let error):
            return .failure(CallStoreChoiceError("--state: \(error) (or 'memory')"))
        }
    }
}

/// A `--state` or `--state-prefix` that names no store.
public struct CallStoreChoiceError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
