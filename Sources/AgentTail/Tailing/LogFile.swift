import AgentTailCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
// The struct timespec behind `st_mtim` is declared by the runtime's shims once swift-crypto is in the build.
import SwiftOverlayShims
/// `RLIMIT_NOFILE`, whose type differs between C libraries.
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat` says about a path.
package struct FileStatus: Sendable, Equatable {
    package var device: UInt64
    package var inode: UInt64
    package var size: Int64
    /// Last modification, in seconds since the epoch.
    package var modified: Double
    package var isRegularFile: Bool

    /// Stats `path`, following symlinks; nil when it does not exist or cannot be read.
    package static func of(path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStatus(info)
    }

    /// Stats an open descriptor.
    package static func of(descriptor: Int32) -> FileStatus? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return FileStatus(info)
    }

    package init(device: UInt64, inode: UInt64, size: Int64, modified: Double, isRegularFile: Bool) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
        self.isRegularFile = isRegularFile
    }

    private init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
    }
}

/// An open log file, read with `pread` so that reads never move a shared position.
package final class LogFile {
    package let descriptor: Int32

    /// Log files open now, in the whole process.
    package static var openCount: Int { opened.load(ordering: .relaxed) }
    private static let opened = Atomic<Int>(0)

    /// Opens `path` read-only; nil with `errno` text when it cannot be opened.
    package static func open(_ path: String) -> Result<LogFile, FileProblem> {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return .failure(FileProblem(path: path, errno: errno)) }
        return .success(LogFile(descriptor: fd))
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        Self.opened.add(1, ordering: .relaxed)
    }

    deinit {
        close(descriptor)
        Self.opened.subtract(1, ordering: .relaxed)
    }

    /// How many log files agenttail keeps open at most: `configured`, within the process's own limit on open files
    /// (less a reserve for the databases, sockets and inotify). The soft limit is raised to the hard one first, as a
    /// shipper that follows thousands of files should.
    package static func descriptorBudget(configured: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return configured }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 { limit = raised }
        }
        // RLIM_INFINITY is all ones; Int(clamping:) turns it into Int.max.
        let available = Int(clamping: limit.rlim_cur)
        return max(4, min(configured, available > 128 ? available - 64 : available / 2))
    }

    /// The file's status through the descriptor (still valid after the path was renamed or deleted).
    package var status: FileStatus? { FileStatus.of(descriptor: descriptor) }

    /// Reads up to `buffer.count` bytes at `offset`; returns the count read (0 at end of file).
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Result<Int, FileProblem> {
        while true {
            let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return .success(count) }
            if errno == EINTR { continue }
            return .failure(FileProblem(path: "", errno: errno))
        }
    }

    /// Reads the first `length` bytes (fewer if the file is shorter).
    package func prefix(_ length: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        var filled = 0
        while filled < length {
            let count = bytes.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + filled, length - filled, off_t(filled))
            }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            filled += count
        }
        return Array(bytes.prefix(filled))
    }
}

/// A system call on a log file failed.
package struct FileProblem: Error, Sendable, CustomStringConvertible {
    package var path: String
    package var code: Int32

    init(path: String, errno code: Int32) {
        self.path = path
        self.code = code
    }

    package var description: String {
        let reason = String(cString: strerror(code))
        return path.isEmpty ? reason : "\(path): \(reason)"
    }
}

extension FileIdentity {
    /// The identity of an open file from its status and first bytes.
    package init(status: FileStatus, prefix: [UInt8]) {
        // SHA-1 because checkpoints stored by every earlier release name files by it (and event ids derive from
        // those names): another digest would make every followed file look new.
        let digest = SHA1.digest(prefix).prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
        self.init(device: status.device, inode: status.inode, fingerprintLength: prefix.count, fingerprint: digest)
    }
}
