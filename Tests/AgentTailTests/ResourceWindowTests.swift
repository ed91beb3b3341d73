import Foundation
import Testing

@testable import AgentTail

/// How a window adds up readings of a process tree: the agent by what it used in the window, the tool's children
/// with all they used, readings after the result left out.
struct ResourceWindowTests {
    /// A time `ticks` clock ticks after boot.
    func time(_ ticks: Int64) -> Date {
        Date(timeIntervalSince1970: ProcFS.bootTime + Double(ticks) / ProcFS.ticksPerSecond)
    }

    func process(_ pid: Int32, started: Int64, cpu: Int64, mb: Int64, io: (Int64, Int64)? = (0, 0)) -> ProcessSample {
        ProcessSample(pid: pid, startTicks: started, cpuTicks: cpu, residentBytes: mb << 20, io: io)
    }

    @Test func theAgentCountsFromTheWindowAndItsChildrenInFull() throws {
        let agent = process(10, started: 100, cpu: 500, mb: 40, io: (1000, 2000))
        var window = ResourceWindow(start: time(1000), first: TreeReading(processes: [agent]))
        // A child the tool started, with 30 ticks already used at first sight, then 80.
        window.add(
            TreeReading(processes: [
                process(10, started: 100, cpu: 510, mb: 40, io: (1500, 2000)),
                process(11, started: 1002, cpu: 30, mb: 100, io: (4000, 0)),
            ]), at: time(1010))
        window.add(
            TreeReading(processes: [
                process(10, started: 100, cpu: 512, mb: 40, io: (1600, 2100)),
                process(11, started: 1002, cpu: 80, mb: 120, io: (9000, 100)),
            ]), at: time(1020))
        let figures = try #require(window.figures())
        #expect(figures.peakRSSBytes == 160 << 20)
        #expect(figures.maxProcesses == 2)
        #expect(figures.cpuMs == Int((Double(12 + 80) * 1000 / ProcFS.ticksPerSecond).rounded()))
        #expect(figures.ioReadBytes == 600 + 9000 && figures.ioWriteBytes == 100 + 100)
    }

    @Test func readingsAfterTheResultAreLeftOut() throws {
        var window = ResourceWindow(
            start: time(1000), first: TreeReading(processes: [process(10, started: 100, cpu: 500, mb: 40)]))
        window.add(TreeReading(processes: [process(10, started: 100, cpu: 520, mb: 60)]), at: time(1010))
        // The next tool already runs when the result is read.
        window.add(
            TreeReading(processes: [
                process(10, started: 100, cpu: 530, mb: 60), process(12, started: 1025, cpu: 5, mb: 300),
            ]), at: time(1030))
        let figures = try #require(window.figures(until: time(1020)))
        #expect(figures.peakRSSBytes == 60 << 20 && figures.maxProcesses == 1)
        #expect(figures.cpuMs == Int((20 * 1000 / ProcFS.ticksPerSecond).rounded()))
    }

    @Test func aSingleReadingMeasuresNothing() {
        let window = ResourceWindow(
            start: time(1000), first: TreeReading(processes: [process(10, started: 100, cpu: 500, mb: 40)]))
        #expect(window.figures() == nil)
    }

    @Test func anUnreadableIOMakesTheWindowsIONull() throws {
        var window = ResourceWindow(
            start: time(1000), first: TreeReading(processes: [process(10, started: 100, cpu: 500, mb: 40, io: nil)]))
        window.add(TreeReading(processes: [process(10, started: 100, cpu: 500, mb: 40, io: nil)]), at: time(1010))
        let figures = try #require(window.figures())
        #expect(figures.ioReadBytes == nil && figures.ioWriteBytes == nil && figures.cpuMs == 0)
    }

    @Test func aRealProcessTreeIsRead() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["5"]
        try child.run()
        defer { child.terminate() }
        let me = getpid()
        let stat = try #require(ProcFS.stat(me))
        let reading = try #require(TreeReading.read(root: me, startTicks: stat.startTicks))
        #expect(reading.processes.contains { $0.pid == child.processIdentifier })
        #expect(reading.processes.first?.pid == me && reading.residentBytes > 1 << 20)
        // Another start is another process, even under the same pid.
        #expect(TreeReading.read(root: me, startTicks: stat.startTicks + 1) == nil)
    }
}
