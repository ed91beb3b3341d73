import Foundation

/// One process of a tree at one reading.
struct ProcessSample: Equatable {
    var pid: Int32
    /// When it started, in clock ticks after boot: with the pid, who it is (pids are reused).
    var startTicks: Int64
    /// CPU time of the process and of its children that exited and were waited for, in clock ticks.
    var cpuTicks: Int64
    var residentBytes: Int64
    /// Bytes read and written through system calls, its waited-for children's included; nil when `/proc/PID/io`
    /// is not readable.
    var io: (read: Int64, written: Int64)?

    static func == (left: ProcessSample, right: ProcessSample) -> Bool {
        left.pid == right.pid && left.startTicks == right.startTicks && left.cpuTicks == right.cpuTicks
            && left.residentBytes == right.residentBytes && left.io?.read == right.io?.read
            && left.io?.written == right.io?.written
    }
}

/// One look at a process and all its descendants.
struct TreeReading: Equatable {
    var processes: [ProcessSample]

    var residentBytes: Int64 { processes.reduce(0) { $0 + $1.residentBytes } }

    /// Reads the tree under `root` (started at `startTicks`, so that a reused pid is not taken for it); nil when
    /// the root is gone.
    static func read(root: Int32, startTicks: Int64) -> TreeReading? {
        guard let rootStat = ProcFS.stat(root), rootStat.startTicks == startTicks else { return nil }
        var reading = TreeReading(processes: [])
        var pending: [(pid: Int32, stat: ProcFS.Stat)] = [(root, rootStat)]
        var seen: Set<Int32> = [root]
        while let (pid, stat) = pending.popLast() {
            reading.processes.append(
                ProcessSample(
                    pid: pid, startTicks: stat.startTicks, cpuTicks: stat.cpuTicks,
                    residentBytes: stat.residentPages * ProcFS.pageSize, io: ProcFS.io(pid)))
            for child in ProcFS.children(pid) ?? [] where seen.insert(child).inserted {
                if let childStat = ProcFS.stat(child) { pending.append((child, childStat)) }
            }
        }
        return reading
    }
}

/// What one tool run used, from the readings of its window.
package struct ToolResources: Sendable, Equatable {
    /// The highest resident memory of the agent's tree seen, the agent itself included.
    package var peakRSSBytes: Int64
    package var cpuMs: Int
    package var maxProcesses: Int
    package var ioReadBytes: Int64?
    package var ioWriteBytes: Int64?
    /// True when several tool calls of one response ran in the window (their figures are the window's).
    package var shared = false
    /// True for the figures of the last result of the window (all of it).
    package var lastOfWindow = true
}

/// The readings of one window: from the moment a tool was called (its response's time) to its result's.
///
/// A process that started in the window (the tool's children) counts with all it used; one that was there before
/// (the agent, its long-lived helpers) with what it used since it was first seen in the window. The result is read
/// a little after it is written, and by then the agent may have started its next tool: readings of the last second
/// are kept apart, so that those taken after the result's time can be left out.
struct ResourceWindow {
    /// The window's start, in clock ticks after boot.
    private let startTicks: Int64
    /// What each process that started before the window had used when first seen in it, by pid and start.
    private var before: [Int32: ProcessSample] = [:]
    /// What the readings older than a second add up to.
    private var settled: Figures
    private var recent: [(time: Date, figures: Figures)] = []

    /// How long readings are kept apart.
    static let recentSpan: TimeInterval = 1

    /// The running figures of a window at one reading.
    private struct Figures {
        var readings = 0
        var peakResident: Int64 = 0
        var mostProcesses = 0
        /// Used since the window started, at the latest reading.
        var cpuTicks: Int64 = 0
        var io: (read: Int64, written: Int64)? = (0, 0)

        mutating func absorb(_ later: Figures) {
            readings += later.readings
            peakResident = max(peakResident, later.peakResident)
            mostProcesses = max(mostProcesses, later.mostProcesses)
            cpuTicks = later.cpuTicks
            io = later.io
        }
    }

    /// - Parameter start: when the tool was called, in seconds since 1970.
    init(start: Date, first: TreeReading) {
        startTicks = Int64(((start.timeIntervalSince1970 - ProcFS.bootTime) * ProcFS.ticksPerSecond).rounded(.down))
        settled = Figures()
        settled = measure(first)
    }

    /// Adds a reading taken at `time`.
    mutating func add(_ reading: TreeReading, at time: Date = Date()) {
        recent.append((time, measure(reading)))
        while let oldest = recent.first, time.timeIntervalSince(oldest.time) > Self.recentSpan {
            recent.removeFirst()
            settled.absorb(oldest.figures)
        }
    }

    /// What one reading says, against the processes' use before the window.
    private mutating func measure(_ reading: TreeReading) -> Figures {
        var figures = Figures(
            readings: 1, peakResident: reading.residentBytes, mostProcesses: reading.processes.count)
        for process in reading.processes {
            var base = ProcessSample(pid: process.pid, startTicks: process.startTicks, cpuTicks: 0, residentBytes: 0)
            base.io = (0, 0)
            if process.startTicks < startTicks {
                if let known = before[process.pid], known.startTicks == process.startTicks {
                    base = known
                } else {
                    before[process.pid] = process
                    base = process
                }
            }
            figures.cpuTicks += max(0, process.cpuTicks - base.cpuTicks)
            if let io = process.io, let baseIO = base.io, let total = figures.io {
                figures.io = (total.read + max(0, io.read - baseIO.read), total.written + max(0, io.written - baseIO.written))
            } else {
                figures.io = nil
            }
        }
        return figures
    }

    /// The figures from the first reading to the last one taken by `end` (all of them without an end); nil when
    /// there is no reading after the first (nothing was measured).
    func figures(until end: Date? = nil) -> ToolResources? {
        var total = settled
        for (time, figures) in recent where end.map({ time <= $0 }) ?? true { total.absorb(figures) }
        guard total.readings > 1 else { return nil }
        return ToolResources(
            peakRSSBytes: total.peakResident,
            cpuMs: Int((Double(total.cpuTicks) * 1000 / ProcFS.ticksPerSecond).rounded()),
            maxProcesses: total.mostProcesses, ioReadBytes: total.io?.read, ioWriteBytes: total.io?.written)
    }
}
