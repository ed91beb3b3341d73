@preconcurrency import Dispatch
import Synchronization

/// Accumulates the changes a watcher backend reports and hands them to the one waiting `nextChanges` call.
///
/// Paths are kept up to `maxPaths`; one more path sets `rescan` and drops them, so a change is never lost without
/// the caller being told to look at everything. Only one waiter is supported at a time: a new `wait` supersedes a
/// waiting one, which returns an empty change set at once (nothing is taken from the accumulated changes for it).
package final class ChangeCollector: Sendable {
    /// The most paths kept before they are dropped in favour of `rescan`.
    package static let defaultMaxPaths = 10_000

    private struct Waiter {
        let id: UInt64
        let deadline: DispatchTime
        let continuation: CheckedContinuation<ChangeSet?, Never>
    }

    private struct State {
        var pending = ChangeSet()
        var closed = false
        var waiter: Waiter?
        var lastWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())
    private let maxPaths: Int
    /// One timer, rescheduled for every waiter, that ends a wait when its timeout passes (dispatch sources are
    /// thread-safe; it is only rescheduled under the lock).
    private let timeoutTimer: any DispatchSourceTimer

    /// Creates a collector whose timeouts fire on `queue`.
    package init(queue: DispatchQueue, maxPaths: Int = ChangeCollector.defaultMaxPaths) {
        self.maxPaths = maxPaths
        timeoutTimer = DispatchSource.makeTimerSource(queue: queue)
        timeoutTimer.setEventHandler { [weak self] in self?.expireWaiter() }
        timeoutTimer.schedule(deadline: .distantFuture)
        timeoutTimer.activate()
    }

    deinit {
        timeoutTimer.cancel()
    }

    /// True once `close()` was called.
    package var isClosed: Bool { state.withLock { $0.closed } }

    /// True while a `wait` call is suspended waiting for changes (for tests and diagnostics).
    package var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    /// Adds changed paths (and a rescan request) and wakes the waiter, if any.
    package func add<Paths: Sequence>(_ paths: Paths, rescan: Bool = false) where Paths.Element == String {
        let wake: (CheckedContinuation<ChangeSet?, Never>, ChangeSet)? = state.withLock { s in
            guard !s.closed else { return nil }
            Self.merge(paths, rescan: rescan, into: &s.pending, maxPaths: maxPaths)
            guard !s.pending.isEmpty, let waiter = s.waiter else { return nil }
            s.waiter = nil
            let changes = s.pending
            s.pending = ChangeSet()
            return (waiter.continuation, changes)
        }
        if let (continuation, changes) = wake { continuation.resume(returning: changes) }
    }

    /// Asks the caller to look at everything and wakes the waiter, if any.
    package func requestRescan() {
        add(EmptyCollection<String>(), rescan: true)
    }

    /// Waits until something accumulated or `timeout` passed and returns it; nil once closed or when cancelled.
    ///
    /// A cancelled caller gets nil and whatever it would have been handed stays accumulated for the next call.
    package func wait(timeout: Duration) async -> ChangeSet? {
        let id = state.withLock { s in
            s.lastWaiterID &+= 1
            return s.lastWaiterID
        }
        let result: ChangeSet? = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ChangeSet?, Never>) in
                let (immediate, superseded) = install(id: id, timeout: timeout, continuation: continuation)
                superseded?.resume(returning: ChangeSet())
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            self.cancelWaiter(id: id)
        }
        if let result, !result.isEmpty, Task.isCancelled {
            // The changes raced with the cancellation: keep them for the next call instead of handing them to a
            // caller that is going away.
            add(result.paths, rescan: result.rescan)
            return nil
        }
        return result
    }

    /// Ends the waiting call with nil and makes every later call return nil; returns false when already closed.
    @discardableResult
    package func close() -> Bool {
        let (first, waiter): (Bool, Waiter?) = state.withLock { s in
            guard !s.closed else { return (false, nil) }
            s.closed = true
            s.pending = ChangeSet()
            let waiter = s.waiter
            s.waiter = nil
            return (true, waiter)
        }
        if first { timeoutTimer.cancel() }
        waiter?.continuation.resume(returning: nil)
        return first
    }

    /// Installs the waiter, or returns what the call must return at once (`.some(nil)` means nil).
    private func install(
        id: UInt64,
        timeout: Duration,
        continuation: CheckedContinuation<ChangeSet?, Never>
    ) -> (ChangeSet??, CheckedContinuation<ChangeSet?, Never>?) {
        state.withLock { s in
            // Task.isCancelled is set before the cancellation handler runs, and that handler takes this lock: a
            // cancellation is either seen here or finds the waiter installed below.
            if s.closed || Task.isCancelled { return (.some(nil), nil) }
            if !s.pending.isEmpty || timeout <= .zero {
                let changes = s.pending
                s.pending = ChangeSet()
                return (.some(changes), nil)
            }
            let superseded = s.waiter?.continuation
            let deadline = Self.deadline(after: timeout)
            s.waiter = Waiter(id: id, deadline: deadline, continuation: continuation)
            timeoutTimer.schedule(deadline: deadline, leeway: .milliseconds(1))
            return (nil, superseded)
        }
    }

    /// Resumes the waiter with nil when it is still the one with this id.
    private func cancelWaiter(id: UInt64) {
        let waiter: Waiter? = state.withLock { s in
            guard let waiter = s.waiter, waiter.id == id else { return nil }
            s.waiter = nil
            return waiter
        }
        waiter?.continuation.resume(returning: nil)
    }

    /// Resumes the waiter with what accumulated (normally nothing) when its deadline passed.
    private func expireWaiter() {
        let wake: (CheckedContinuation<ChangeSet?, Never>, ChangeSet)? = state.withLock { s in
            guard let waiter = s.waiter else { return nil }
            guard DispatchTime.now() >= waiter.deadline else {
                timeoutTimer.schedule(deadline: waiter.deadline, leeway: .milliseconds(1))
                return nil
            }
            s.waiter = nil
            let changes = s.pending
            s.pending = ChangeSet()
            return (waiter.continuation, changes)
        }
        if let (continuation, changes) = wake { continuation.resume(returning: changes) }
    }

    private static func merge<Paths: Sequence>(
        _ paths: Paths,
        rescan: Bool,
        into pending: inout ChangeSet,
        maxPaths: Int
    ) where Paths.Element == String {
        if rescan { pending.rescan = true }
        for path in paths {
            pending.paths.insert(path)
            if pending.paths.count > maxPaths {
                pending.rescan = true
                pending.paths.removeAll()
            }
        }
    }

    /// The dispatch deadline `duration` from now, clamped to "never" for absurdly long durations.
    package static func deadline(after duration: Duration) -> DispatchTime {
        guard let interval = dispatchInterval(duration) else { return .distantFuture }
        return .now() + interval
    }

    /// `duration` as a dispatch interval, or nil when it is too long to represent (about 30 years or more).
    package static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval? {
        let (seconds, attoseconds) = duration.components
        guard seconds < 1_000_000_000 else { return nil }
        let nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return .nanoseconds(Int(nanoseconds))
    }
}
