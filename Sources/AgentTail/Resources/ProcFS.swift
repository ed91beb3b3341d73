import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What `/proc` says about processes, read with plain system calls (no Foundation file APIs: this runs twenty
/// times a second while a tool runs).
enum ProcFS {
    /// One process as `/proc/PID/stat` gives it.
    struct Stat: Equatable {
        var parent: Int32
        /// User and system CPU time of the process and of its children that exited and were waited for, in clock
        /// ticks: what the process tree has used, even after its members are gone.
        var cpuTicks: Int64
        var residentPages: Int64
        /// When the process started, in clock ticks after boot.
        var startTicks: Int64
    }

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))

    /// The whole of a small file under `/proc`, or nil when it cannot be read (gone, or not allowed).
    static func read(_ path: String, limit: Int = 4096) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: limit)
        var total = 0
        while total < limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, limit - total) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            total += count
        }
        return Array(buffer.prefix(total))
    }

    static func stat(_ pid: Int32) -> Stat? {
        guard let bytes = read("/proc/\(pid)/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        // After the command name, which may hold spaces and parentheses: field 3 (state) onwards.
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        func field(_ number: Int) -> Int64? {
            let index = number - 3
            guard index < fields.count else { return nil }
            return Int64(String(decoding: fields[fields.startIndex + index], as: UTF8.self))
        }
        guard let parent = field(4), let user = field(14), let system = field(15), let childUser = field(16),
            let childSystem = field(17), let start = field(22), let resident = field(24)
        else { return nil }
        return Stat(
            parent: Int32(parent), cpuTicks: user + system + childUser + childSystem, residentPages: resident,
            startTicks: start)
    }

    /// The children of every thread of `pid` (`/proc/PID/task/TID/children`); nil when the kernel does not keep
    /// that list or the process is gone.
    static func children(_ pid: Int32) -> [Int32]? {
        guard let tasks = numericEntries("/proc/\(pid)/task") else { return nil }
        var children: [Int32] = []
        for task in tasks {
            guard let bytes = read("/proc/\(pid)/task/\(task)/children", limit: 65_536) else {
                if tasks.count == 1 { return nil }
                continue
            }
            children += bytes.split(separator: UInt8(ascii: " ")).compactMap { Int32(String(decoding: $0, as: UTF8.self)) }
        }
        return children
    }

    /// Bytes the process (and its children that exited and were waited for) read and wrote through system calls;
    /// nil when `/proc/PID/io` is not readable (another user, without ptrace rights).
    static func io(_ pid: Int32) -> (read: Int64, written: Int64)? {
        guard let bytes = read("/proc/\(pid)/io") else { return nil }
        var read: Int64?
        var written: Int64?
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("rchar: ") { read = Int64(text.dropFirst(7)) }
            if text.hasPrefix("wchar: ") { written = Int64(text.dropFirst(7)) }
        }
        guard let read, let written else { return nil }
        return (read, written)
    }

    /// The command line, its arguments joined by spaces.
    static func commandLine(_ pid: Int32) -> String? {
        guard let bytes = read("/proc/\(pid)/cmdline", limit: 8192), !bytes.isEmpty else { return nil }
        return String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
    }

    /// Every process id.
    static func processes() -> [Int32] { numericEntries("/proc") ?? [] }

    /// The processes holding `path` open for writing; those whose descriptors cannot be read are not seen.
    static func writers(of path: String) -> [Int32] {
        var writers: [Int32] = []
        for pid in processes() {
            guard let descriptors = numericEntries("/proc/\(pid)/fd") else { continue }
            for fd in descriptors {
                guard target(of: "/proc/\(pid)/fd/\(fd)") == path, isOpenForWriting(pid: pid, fd: fd) else { continue }
                writers.append(pid)
                break
            }
        }
        return writers
    }

    private static func target(of link: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(link, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func isOpenForWriting(pid: Int32, fd: Int32) -> Bool {
        guard let bytes = read("/proc/\(pid)/fdinfo/\(fd)") else { return false }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("flags:") else { continue }
            let flags = Int32(text.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0
            return flags & O_ACCMODE == O_WRONLY || flags & O_ACCMODE == O_RDWR
        }
        return false
    }

    /// The names of a folder's entries that are numbers (process and thread ids, descriptors).
    private static func numericEntries(_ folder: String) -> [Int32]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var entries: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let number = Int32(name) { entries.append(number) }
        }
        return entries
    }

    /// When the machine booted, in seconds since 1970.
    static let bootTime: Double = {
        guard let bytes = read("/proc/stat", limit: 65_536) else { return 0 }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("btime ") { return Double(text.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0 }
        }
        return 0
    }()

    /// When a process that started `startTicks` after boot started, in seconds since 1970.
    static func startTime(ticks: Int64) -> Double { bootTime + Double(ticks) / ticksPerSecond }
}
