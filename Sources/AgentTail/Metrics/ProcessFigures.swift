import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process's own CPU time, resident memory and open descriptors, from `/proc/self`.
struct ProcessFigures: Sendable, Equatable {
    /// User and system CPU time (of the children waited for too), in seconds.
    var cpuSeconds: Double
    var residentBytes: Int
    var openDescriptors: Int
    /// When the process started, in seconds since 1970.
    var startTime: Double

    /// The figures now; nil where `/proc` cannot be read.
    static func now() -> ProcessFigures? {
        guard let stat = ProcFS.stat(getpid()) else { return nil }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return ProcessFigures(
            cpuSeconds: Double(stat.cpuTicks) / ProcFS.ticksPerSecond,
            residentBytes: Int(stat.residentPages * ProcFS.pageSize), openDescriptors: descriptors,
            startTime: ProcFS.startTime(ticks: stat.startTicks))
    }
}
