@preconcurrency import Dispatch
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Watches a set of directories (not recursively) and reports which entries in them changed.
///
/// Changes are gathered on a private serial dispatch queue, by inotify where the kernel offers it and by listing the
/// directories every `pollInterval` otherwise, coalesced, and handed out by the `changes` sequence (one consumer).
/// Every `heartbeat` without a change the sequence yields an empty change set, so its consumer can do periodic work;
/// every `rescanInterval` the watcher reports `rescan = true` on its own as a safety net.
package final class DirectoryWatcher: Sendable {
    /// How changes are detected.
    package enum Backend: Sendable {
        /// Linux inotify: changes are reported within milliseconds.
        case inotify
        /// Listing every watched directory every `pollInterval` and comparing the entries' stat data.
        case polling
    }

    /// A system call failed while setting up the watcher.
    package struct SystemError: Error, CustomStringConvertible {
        /// The call that failed.
        package var operation: String
        /// The `errno` it left.
        package var code: Int32

        /// The failed call and the error text.
        package var description: String { "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))" }
    }

    /// The backend in use.
    package let backend: Backend
    private let collector: ChangeCollector
    private let engine: any DirectoryWatcherBackend
    /// The periodic safety rescan and the heartbeat; dispatch sources are thread-safe.
    private let rescanTimer: any DispatchSourceTimer
    private let heartbeatTimer: any DispatchSourceTimer
    private let logger: Logger

    /// Creates a watcher that watches nothing until `setDirectories` is called.
    ///
    /// `backend: nil` picks inotify when available (`inotify_init1` succeeds), else polling. Asking for `.inotify`
    /// where it is not available throws `SystemError`.
    package init(
        backend: Backend? = nil,
        pollInterval: Duration = .milliseconds(250),
        rescanInterval: Duration = .seconds(30),
        heartbeat: Duration = .seconds(1),
        logger: Logger
    ) throws {
        let queue = DispatchQueue(label: "agenttail.directory-watcher")
        let collector = ChangeCollector()
        let engine: any DirectoryWatcherBackend
        let chosen: Backend
        switch backend {
        case .inotify:
            engine = try Self.makeInotify(queue: queue, collector: collector, logger: logger)
            chosen = .inotify
        case .polling:
            engine = PollingBackend(queue: queue, collector: collector, interval: pollInterval, logger: logger)
            chosen = .polling
        case nil:
            do {
                engine = try Self.makeInotify(queue: queue, collector: collector, logger: logger)
                chosen = .inotify
            } catch {
                logger.debug("inotify unavailable, polling", metadata: ["error": "\(error)"])
                engine = PollingBackend(queue: queue, collector: collector, interval: pollInterval, logger: logger)
                chosen = .polling
            }
        }
        self.backend = chosen
        self.collector = collector
        self.engine = engine
        self.logger = logger

        rescanTimer = Self.repeatingTimer(queue: queue, every: rescanInterval, leeway: .milliseconds(100)) {
            [engine, collector, logger] in
            logger.trace("periodic rescan")
            engine.safetyRescan()
            collector.requestRescan()
        }
        heartbeatTimer = Self.repeatingTimer(queue: queue, every: heartbeat, leeway: .milliseconds(10)) {
            [engine, collector] in
            if engine.hasPendingDirectories { engine.retryPendingDirectories() }
            collector.heartbeat()
        }
        logger.debug("directory watcher started", metadata: ["watcher.backend": "\(chosen)"])
    }

    deinit {
        close()
    }

    /// Replaces the set of directories watched (absolute paths).
    ///
    /// Directories that do not exist yet are remembered and retried at every periodic rescan and every call; when
    /// one appears it is watched and a rescan is reported. A symbolic link is followed to the directory it points
    /// to, but changes are reported under the path given here.
    package func setDirectories(_ directories: Set<String>) {
        guard !collector.isClosed else { return }
        engine.setDirectories(Set(directories.map(Self.normalized)))
    }

    /// Makes the next change set report a rescan: the consumer then looks at every file.
    package func requestRescan() {
        collector.requestRescan()
    }

    /// What changed, one coalesced set per wake-up, or an empty set at a heartbeat; ends at `close()` or when its
    /// consumer is cancelled. It has one consumer at a time.
    package var changes: Changes { Changes(collector: collector) }

    /// Returns and clears what accumulated since the last change set, without waiting; nil once closed.
    package func takeChanges() -> ChangeSet? {
        collector.take()
    }

    /// Stops watching, releases the inotify descriptor and ends the `changes` sequence.
    package func close() {
        guard collector.close() else { return }
        rescanTimer.cancel()
        heartbeatTimer.cancel()
        engine.close()
        logger.debug("directory watcher closed")
    }

    /// The changes of a watcher as an asynchronous sequence.
    package struct Changes: AsyncSequence, Sendable {
        package typealias Element = ChangeSet
        fileprivate let collector: ChangeCollector

        package struct AsyncIterator: AsyncIteratorProtocol {
            fileprivate var signals: AsyncStream<Void>.AsyncIterator
            fileprivate let collector: ChangeCollector

            package mutating func next() async -> ChangeSet? {
                guard await signals.next() != nil else { return nil }
                return collector.take()
            }
        }

        package func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(signals: collector.signals.makeAsyncIterator(), collector: collector)
        }
    }

    /// A started timer that runs `handler` on `queue` every `interval` (never, when it is too long to represent).
    private static func repeatingTimer(
        queue: DispatchQueue,
        every interval: Duration,
        leeway: DispatchTimeInterval,
        handler: @escaping @Sendable () -> Void
    ) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        if let interval = dispatchInterval(max(interval, .milliseconds(1))) {
            timer.schedule(deadline: .now() + interval, repeating: interval, leeway: leeway)
        } else {
            timer.schedule(deadline: .distantFuture)
        }
        timer.setEventHandler(handler: handler)
        timer.activate()
        return timer
    }

    /// `duration` as a dispatch interval, or nil when it is too long to represent (about 30 years or more).
    package static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval? {
        let (seconds, attoseconds) = duration.components
        guard seconds < 1_000_000_000 else { return nil }
        let nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return .nanoseconds(Int(nanoseconds))
    }

    private static func makeInotify(
        queue: DispatchQueue,
        collector: ChangeCollector,
        logger: Logger
    ) throws -> any DirectoryWatcherBackend {
        #if os(Linux)
        return try InotifyBackend(queue: queue, collector: collector, logger: logger)
        #else
        throw SystemError(operation: "inotify_init1", code: ENOSYS)
        #endif
    }

    /// The path without trailing slashes (except for "/" itself).
    package static func normalized(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }

    /// The path of `name` inside `directory`.
    package static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The path with every symbolic link resolved, or nil when it does not exist.
    package static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// What `DirectoryWatcher` needs from a way of detecting changes.
///
/// Implementations report to a `ChangeCollector`; the methods marked "on the queue" are only called from the
/// watcher's serial queue.
package protocol DirectoryWatcherBackend: Sendable {
    /// Replaces the watched directories (normalized, unresolved paths).
    func setDirectories(_ directories: Set<String>)
    /// True when some wanted directory is not watched yet.
    var hasPendingDirectories: Bool { get }
    /// Tries to watch the directories that did not exist; reports a rescan when one appeared (on the queue).
    func retryPendingDirectories()
    /// Runs at every periodic rescan: retries pending directories and checks the watched ones (on the queue).
    func safetyRescan()
    /// Stops watching and releases the backend's resources.
    func close()
}
