@preconcurrency import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
// The struct timespec behind `st_mtim` is declared by the runtime's shims once swift-crypto is in the build.
import SwiftOverlayShims
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Detects changes by listing every watched directory every poll interval and comparing the entries' stat data.
///
/// An entry counts as changed when its inode, size, modification time or status-change time differs from the
/// previous listing; symbolic links are followed. The listings live behind a lock.
package final class PollingBackend: DirectoryWatcherBackend {
    /// What is compared between two listings for one entry.
    private struct Stamp: Equatable {
        var inode: UInt64
        var size: Int64
        var modifiedNanoseconds: Int64
        var changedNanoseconds: Int64
    }

    /// One directory's entries by name; names that are not valid UTF-8 are kept apart by their bytes.
    private struct Listing {
        var entries: [String: Stamp] = [:]
        var undecodable: [[UInt8]: Stamp] = [:]
    }

    private struct State {
        /// Every directory asked for, as given, with its last listing (nil while it cannot be listed).
        var listings: [String: Listing?] = [:]
        var closed = false
    }

    /// The listings, behind one lock.
    private let state = Mutex(State())
    /// The poll timer; dispatch sources are thread-safe.
    private let timer: any DispatchSourceTimer
    private let collector: ChangeCollector
    private let logger: Logger

    /// Starts polling every `interval` on `queue`.
    package init(queue: DispatchQueue, collector: ChangeCollector, interval: Duration, logger: Logger) {
        self.collector = collector
        self.logger = logger
        timer = DispatchSource.makeTimerSource(queue: queue)
        let dispatchInterval = DirectoryWatcher.dispatchInterval(max(interval, .milliseconds(1))) ?? .seconds(1)
        timer.schedule(deadline: .now() + dispatchInterval, repeating: dispatchInterval, leeway: .milliseconds(5))
        timer.setEventHandler { [self] in poll() }
        timer.activate()
    }

    package func setDirectories(_ directories: Set<String>) {
        state.withLock { s in
            guard !s.closed else { return }
            for directory in s.listings.keys where !directories.contains(directory) {
                s.listings.removeValue(forKey: directory)
                logger.debug("watch removed", metadata: ["dir.path": "\(directory)"])
            }
            for directory in directories where s.listings[directory] == nil {
                let listing = Self.list(directory)
                s.listings[directory] = .some(listing)
                if listing == nil {
                    logger.debug("directory pending", metadata: ["dir.path": "\(directory)"])
                } else {
                    logger.debug("watch added", metadata: ["dir.path": "\(directory)"])
                }
            }
        }
    }

    package var hasPendingDirectories: Bool {
        state.withLock { s in s.listings.values.contains { $0 == nil } }
    }

    package func retryPendingDirectories() {
        let appeared = state.withLock { s in
            guard !s.closed else { return false }
            var appeared = false
            for (directory, listing) in s.listings where listing == nil {
                guard let fresh = Self.list(directory) else { continue }
                s.listings[directory] = .some(fresh)
                appeared = true
                logger.debug("watch added", metadata: ["dir.path": "\(directory)"])
            }
            return appeared
        }
        if appeared { collector.requestRescan() }
    }

    package func safetyRescan() {
        retryPendingDirectories()
    }

    package func close() {
        state.withLock { s in
            s.closed = true
            s.listings.removeAll()
        }
        timer.cancel()
    }

    /// Lists every directory and reports what differs from the previous listing (on the queue).
    private func poll() {
        var paths: [String] = []
        let rescan = state.withLock { s in
            guard !s.closed else { return false }
            var rescan = false
            for (directory, old) in s.listings {
                let new = Self.list(directory)
                s.listings[directory] = .some(new)
                switch (old, new) {
                case (nil, nil):
                    break
                case (nil, .some):
                    logger.debug("watch added", metadata: ["dir.path": "\(directory)"])
                    rescan = true
                case (.some, nil):
                    logger.debug("watch lost", metadata: ["dir.path": "\(directory)"])
                    rescan = true
                case let (.some(old), .some(new)):
                    if Self.diff(old, new, in: directory, into: &paths) { rescan = true }
                }
            }
            return rescan
        }
        if rescan || !paths.isEmpty { collector.add(paths, rescan: rescan) }
    }

    /// Appends the paths of entries created, changed or removed; returns true when an undecodable name changed.
    private static func diff(_ old: Listing, _ new: Listing, in directory: String, into paths: inout [String]) -> Bool {
        for (name, stamp) in new.entries where old.entries[name] != stamp {
            paths.append(DirectoryWatcher.join(directory, name))
        }
        for name in old.entries.keys where new.entries[name] == nil {
            paths.append(DirectoryWatcher.join(directory, name))
        }
        return old.undecodable != new.undecodable
    }

    /// The entries of `directory` with their stat data, or nil when it cannot be listed.
    private static func list(_ directory: String) -> Listing? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var prefix = Array(directory.utf8)
        if prefix.last != UInt8(ascii: "/") { prefix.append(UInt8(ascii: "/")) }
        var listing = Listing()
        while let entry = readdir(dir) {
            let raw = withUnsafeBytes(of: entry.pointee.d_name) { bytes in Array(bytes.prefix { $0 != 0 }) }
            if raw == [0x2E] || raw == [0x2E, 0x2E] { continue }
            guard let stamp = stamp(prefix + raw) else { continue }
            if let name = String(validating: raw, as: UTF8.self) {
                listing.entries[name] = stamp
            } else {
                listing.undecodable[raw] = stamp
            }
        }
        return listing
    }

    /// The stat data of an entry (following symbolic links, falling back to the link itself when dangling).
    private static func stamp(_ path: [UInt8]) -> Stamp? {
        var info = stat()
        let found = (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { c in
                stat(c.baseAddress!, &info) == 0 || lstat(c.baseAddress!, &info) == 0
            }
        }
        guard found else { return nil }
        #if canImport(Darwin)
        let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        let changed = Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
        #else
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        #endif
        return Stamp(
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            modifiedNanoseconds: modified,
            changedNanoseconds: changed
        )
    }
}
