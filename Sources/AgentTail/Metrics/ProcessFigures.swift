import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process's own CPU time, resident memory and open descriptors, from `/proc/self`.
struct ProcessFigures: Sendable, Equatable {
    /// User and system CPU time, in seconds.
    var cpuSeconds: Double
    var residentBytes: Int
    var openDescriptors: Int
    /// When the process started, in seconds since 1970.
    var startTime: Double

    /// The figures now; nil where `/proc` cannot be read.
    static func now() -> ProcessFigures? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name (which may hold spaces, hence the last parenthesis): field 3 onwards.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard let user = field(14), let system = field(15), let started = field(22), let pages = field(24), ticks > 0
        else { return nil }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return ProcessFigures(
            cpuSeconds: (user + system) / ticks, residentBytes: Int(pages) * Int(sysconf(Int32(_SC_PAGESIZE))),
            openDescriptors: descriptors, startTime: bootTime() + started / ticks)
    }

    /// When the machine booted, in seconds since 1970 (`btime` of `/proc/stat`).
    private static func bootTime() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return 0 }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}
