import Synchronization

/// Accumulates the changes a watcher backend reports and signals them through a bounded stream.
///
/// A change only says "go and look": the paths pile up here, coalesced, and the stream carries at most one pending
/// signal (`.bufferingNewest(1)`), so a burst of writes costs one wake-up and nothing waits unbounded. Paths are
/// kept up to `maxPaths`; one more sets `rescan` and drops them, so a change is never lost without the consumer
/// being told to look at everything.
package final class ChangeCollector: Sendable {
    /// The most paths kept before they are dropped in favour of `rescan`.
    package static let defaultMaxPaths = 10_000

    private struct State {
        var pending = ChangeSet()
        var closed = false
    }

    /// One element per wake-up; the consumer then takes what accumulated with `take()`.
    package let signals: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let state = Mutex(State())
    private let maxPaths: Int

    package init(maxPaths: Int = ChangeCollector.defaultMaxPaths) {
        self.maxPaths = maxPaths
        (signals, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// True once `close()` was called.
    package var isClosed: Bool { state.withLock { $0.closed } }

    /// Adds changed paths (and a rescan request) and signals the consumer.
    package func add<Paths: Sequence>(_ paths: Paths, rescan: Bool = false) where Paths.Element == String {
        let added: Bool = state.withLock { s in
            guard !s.closed else { return false }
            Self.merge(paths, rescan: rescan, into: &s.pending, maxPaths: maxPaths)
            return !s.pending.isEmpty
        }
        if added { continuation.yield() }
    }

    /// Asks the consumer to look at everything.
    package func requestRescan() {
        add(EmptyCollection<String>(), rescan: true)
    }

    /// Wakes the consumer even though nothing changed: it then takes an empty change set.
    package func heartbeat() {
        continuation.yield()
    }

    /// Returns and clears what accumulated (empty when nothing did); nil once closed.
    package func take() -> ChangeSet? {
        state.withLock { s in
            guard !s.closed else { return nil }
            defer { s.pending = ChangeSet() }
            return s.pending
        }
    }

    /// Drops what accumulated and ends the stream; returns false when already closed.
    @discardableResult
    package func close() -> Bool {
        let first: Bool = state.withLock { s in
            guard !s.closed else { return false }
            s.closed = true
            s.pending = ChangeSet()
            return true
        }
        if first { continuation.finish() }
        return first
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
}
