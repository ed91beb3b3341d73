#if os(Linux)
@preconcurrency import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Detects changes with Linux inotify, reading the descriptor from a dispatch read source on the watcher's queue.
///
/// The wd-to-directory map lives behind a lock together with the wanted and pending directories. The descriptor
/// is closed in the read source's cancel handler, after the last read on the queue.
package final class InotifyBackend: DirectoryWatcherBackend {
    /// The inotify event bits used here, spelled out because Glibc imports them as `Int32`.
    private enum Mask {
        static let modify: UInt32 = 0x0000_0002
        static let attrib: UInt32 = 0x0000_0004
        static let closeWrite: UInt32 = 0x0000_0008
        static let movedFrom: UInt32 = 0x0000_0040
        static let movedTo: UInt32 = 0x0000_0080
        static let create: UInt32 = 0x0000_0100
        static let delete: UInt32 = 0x0000_0200
        static let deleteSelf: UInt32 = 0x0000_0400
        static let moveSelf: UInt32 = 0x0000_0800
        static let unmount: UInt32 = 0x0000_2000
        static let queueOverflow: UInt32 = 0x0000_4000
        static let ignored: UInt32 = 0x0000_8000
        static let onlyDir: UInt32 = 0x0100_0000

        static let watched: UInt32 =
            create | modify | closeWrite | movedFrom | movedTo | delete | attrib | deleteSelf | moveSelf | onlyDir
        static let watchLost: UInt32 = deleteSelf | moveSelf | unmount | ignored
    }

    /// The size of the buffer one `read` fills: at least 64 KiB, as the kernel queue can hold many events.
    private static let bufferSize = 64 * 1024

    /// Which directory a path names: device and inode.
    private struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// One inotify watch and the given (unresolved) directory paths it serves.
    private struct Watch {
        var resolved: String
        var identity: Identity?
        var given: Set<String>
    }

    private struct State {
        /// Every directory asked for, as given.
        var directories: Set<String> = []
        /// Directories asked for that are not watched (missing, not a directory, or the watch failed).
        var pending: Set<String> = []
        /// Given directory path to its watch descriptor.
        var descriptors: [String: Int32] = [:]
        /// Watch descriptor to what it watches.
        var watches: [Int32: Watch] = [:]
        var source: (any DispatchSourceRead)?
        var closed = false
    }

    private let fd: Int32
    /// Everything mutable, behind one lock; the read source in it is itself thread-safe.
    private let state = Mutex(State())
    private let collector: ChangeCollector
    private let logger: Logger

    /// Opens an inotify instance and starts reading it on `queue`.
    package init(queue: DispatchQueue, collector: ChangeCollector, logger: Logger) throws {
        let fd = inotify_init1(O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw DirectoryWatcher.SystemError(operation: "inotify_init1", code: errno) }
        self.fd = fd
        self.collector = collector
        self.logger = logger
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [self] in drain() }
        source.setCancelHandler { Self.closeDescriptor(fd) }
        state.withLock { $0.source = source }
        source.activate()
    }

    package func setDirectories(_ directories: Set<String>) {
        state.withLock { s in
            guard !s.closed else { return }
            for directory in s.directories.subtracting(directories) {
                s.directories.remove(directory)
                s.pending.remove(directory)
                removeWatch(for: directory, in: &s)
            }
            for directory in directories.subtracting(s.directories) {
                s.directories.insert(directory)
                if !addWatch(for: directory, in: &s) { s.pending.insert(directory) }
            }
        }
    }

    package var hasPendingDirectories: Bool {
        state.withLock { !$0.pending.isEmpty }
    }

    package func retryPendingDirectories() {
        let appeared = state.withLock { s in
            guard !s.closed else { return false }
            var appeared = false
            for directory in s.pending where addWatch(for: directory, in: &s) {
                s.pending.remove(directory)
                appeared = true
            }
            return appeared
        }
        if appeared { collector.requestRescan() }
    }

    package func safetyRescan() {
        retryPendingDirectories()
        // A symbolic link may point elsewhere now, or the directory may have been replaced while something kept
        // the old one alive (no IN_DELETE_SELF yet): watch what the path names now.
        let moved = state.withLock { s in
            guard !s.closed else { return false }
            var moved = false
            for (directory, wd) in s.descriptors {
                let resolved = DirectoryWatcher.resolved(directory)
                guard let watch = s.watches[wd],
                      resolved != watch.resolved || resolved.flatMap(Self.identity(of:)) != watch.identity
                else { continue }
                moved = true
                removeWatch(for: directory, in: &s)
                if !addWatch(for: directory, in: &s) { s.pending.insert(directory) }
            }
            return moved
        }
        if moved { collector.requestRescan() }
    }

    package func close() {
        state.withLock { s in
            s.closed = true
            s.source?.cancel()
            s.source = nil
            s.descriptors.removeAll()
            s.watches.removeAll()
        }
    }

    private static func closeDescriptor(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #elseif canImport(Musl)
        _ = Musl.close(fd)
        #endif
    }

    /// Watches `directory`; returns false when it cannot be watched now.
    private func addWatch(for directory: String, in s: inout State) -> Bool {
        guard let resolved = DirectoryWatcher.resolved(directory) else {
            logger.debug("directory pending", metadata: ["dir.path": "\(directory)"])
            return false
        }
        let wd = inotify_add_watch(fd, resolved, Mask.watched)
        guard wd >= 0 else {
            let code = errno
            let metadata: Logger.Metadata = ["dir.path": "\(directory)", "errno": "\(code)"]
            if code == ENOENT || code == ENOTDIR {
                logger.debug("directory pending", metadata: metadata)
            } else {
                logger.warning("inotify_add_watch failed, directory pending", metadata: metadata)
            }
            return false
        }
        s.descriptors[directory] = wd
        s.watches[wd, default: Watch(resolved: resolved, identity: nil, given: [])].given.insert(directory)
        s.watches[wd]?.resolved = resolved
        s.watches[wd]?.identity = Self.identity(of: resolved)
        logger.debug("watch added", metadata: ["dir.path": "\(directory)", "dir.resolved": "\(resolved)"])
        return true
    }

    /// The device and inode `path` names, or nil when it cannot be stat'ed.
    private static func identity(of path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Stops watching `directory`, removing the kernel watch when no other given path shares it.
    private func removeWatch(for directory: String, in s: inout State) {
        guard let wd = s.descriptors.removeValue(forKey: directory) else { return }
        s.watches[wd]?.given.remove(directory)
        if s.watches[wd]?.given.isEmpty ?? true {
            s.watches.removeValue(forKey: wd)
            _ = inotify_rm_watch(fd, wd)
        }
        logger.debug("watch removed", metadata: ["dir.path": "\(directory)"])
    }

    /// Reads the descriptor until it would block, reporting after every read (on the queue).
    private func drain() {
        withUnsafeTemporaryAllocation(
            byteCount: Self.bufferSize,
            alignment: MemoryLayout<inotify_event>.alignment
        ) { buffer in
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    if code != EAGAIN && code != EWOULDBLOCK {
                        logger.error("inotify read failed", metadata: ["errno": "\(code)"])
                        collector.requestRescan()
                    }
                    return
                }
                if count == 0 { return }
                var paths: [String] = []
                let rescan = state.withLock { s in
                    parse(UnsafeRawBufferPointer(rebasing: buffer[..<count]), into: &paths, state: &s)
                }
                if rescan || !paths.isEmpty { collector.add(paths, rescan: rescan) }
            }
        }
    }

    /// Turns the events in `bytes` into paths; returns true when the caller must rescan.
    private func parse(_ bytes: UnsafeRawBufferPointer, into paths: inout [String], state s: inout State) -> Bool {
        let header = MemoryLayout<inotify_event>.size
        var rescan = false
        var offset = 0
        while offset + header <= bytes.count {
            let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
            let nameLength = Int(event.len)
            guard nameLength <= bytes.count - offset - header else {
                logger.error("truncated inotify event")
                return true
            }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[(offset + header)..<(offset + header + nameLength)])
            offset += header + nameLength

            if event.mask & Mask.queueOverflow != 0 {
                logger.debug("inotify queue overflow")
                rescan = true
                continue
            }
            guard let watch = s.watches[event.wd] else { continue }
            if event.mask & Mask.watchLost != 0 {
                s.watches.removeValue(forKey: event.wd)
                if event.mask & Mask.ignored == 0 { _ = inotify_rm_watch(fd, event.wd) }
                for directory in watch.given {
                    s.descriptors.removeValue(forKey: directory)
                    if s.directories.contains(directory) { s.pending.insert(directory) }
                    logger.debug("watch lost", metadata: ["dir.path": "\(directory)", "event.mask": "\(event.mask)"])
                }
                rescan = true
                continue
            }
            guard nameLength > 0 else { continue }
            let name = nameBytes.withMemoryRebound(to: UInt8.self) { raw in
                String(validating: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let name, !name.isEmpty else {
                rescan = true
                continue
            }
            for directory in watch.given { paths.append(DirectoryWatcher.join(directory, name)) }
        }
        return rescan
    }
}
#endif
