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
/// directories every `pollInterval` otherwise, and handed out by `nextChanges(timeout:)`. Every `rescanInterval`
/// the watcher reports `rescan = true` on its own as a safety net. Only one `nextChanges` call may wait at a time:
/// a second concurrent call supersedes the first, which then returns an empty change set.
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
    private let queue: DispatchQueue
    private let collector: ChangeCollector
    private let engine: any DirectoryWatcherBackend
    /// The periodic safety rescan; dispatch sources are thread-safe.
    private let rescanTimer: any DispatchSourceTimer
    private let logger: Logger

    /// Creates a watcher that watches nothing until `setDirectories` is called.
    ///
    /// `backend: nil` picks inotify when available (`inotify_init1` succeeds), else polling. Asking for `.inotify`
    /// where it is not available throws `SystemError`.
    package init(
        backend: Backend? = nil,
        pollInterval: Duration = .milliseconds(250),
        rescanInterval: Duration = .seconds(30),
        logger: Logger
    ) throws {
        let queue = DispatchQueue(label: "agenttail.directory-watcher")
        let collector = ChangeCollector(queue: queue)
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
        self.queue = queue
        self.collector = collector
        self.engine = engine
        self.logger = logger

        rescanTimer = DispatchSource.makeTimerSource(queue: queue)
        let interval = ChangeCollector.dispatchInterval(max(rescanInterval, .milliseconds(1)))
        if let interval {
            rescanTimer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
        } else {
            rescanTimer.schedule(deadline: .distantFuture)
        }
        rescanTimer.setEventHandler { [engine, collector, logger] in
            logger.trace("periodic rescan")
            engine.safetyRescan()
            collector.requestRescan()
        }
        rescanTimer.activate()
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

    /// Makes the next `nextChanges` report a rescan: the caller then looks at every file.
    package func requestRescan() {
        collector.requestRescan()
    }

    /// Waits until something changed or `timeout` passed, then returns and clears what accumulated.
    ///
    /// Returns an empty `ChangeSet` on timeout and nil once `close()` was called. Cancellation-safe: a cancelled
    /// caller returns nil promptly and nothing accumulated is lost for the next call. Only one call may wait at a
    /// time; a second concurrent call makes the first return an empty change set.
    package func nextChanges(timeout: Duration) async -> ChangeSet? {
        if engine.hasPendingDirectories {
            queue.async { [engine] in engine.retryPendingDirectories() }
        }
        return await collector.wait(timeout: timeout)
    }

    /// Stops watching, releases the inotify descriptor and makes a waiting and every later `nextChanges` return nil.
    package func close() {
        guard collector.close() else { return }
        rescanTimer.cancel()
        engine.close()
        logger.debug("directory watcher closed")
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
