import CLuaShims

/// Lets another thread abort the request a ``ScriptWorker`` is running.
///
/// ``interrupt()`` takes effect only while the worker serves a request
/// (inside ``ScriptWorker/handle(_:state:bundle:)`` and the other entry points):
/// the count hook then raises at the next Lua instruction, and keeps raising so
/// a `pcall` in the script cannot swallow it; the request fails with
/// ``FallbackReason/deadline``. A long C call (a huge `string.find`) is stopped
/// when it returns to Lua. An interrupt that arrives while the worker is idle
/// is ignored, so it can never hit the next request.
public final class ScriptInterrupter: @unchecked Sendable {
    // @unchecked: the cell is only touched through C11 atomics (CLuaShims/budget.c).
    let cell: UnsafeMutableRawPointer

    init() {
        cell = UnsafeMutableRawPointer.allocate(byteCount: ivr_interrupt_size(),
                                                alignment: max(ivr_interrupt_alignment(), 1))
        ivr_interrupt_init(cell)
    }

    deinit { cell.deallocate() }

    /// Aborts the request the worker is running now, if any. Thread-safe.
    public func interrupt() { ivr_interrupt_fire(cell) }

    /// The worker starts serving a request.
    func begin() { ivr_interrupt_begin(cell) }

    /// The worker is done with it.
    func end() { ivr_interrupt_end(cell) }
}
