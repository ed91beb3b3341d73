import Dispatch
import Foundation
import Synchronization

/// Samples agents' process trees while their tools run, on a thread of its own that sleeps while no tool runs: the
/// tailing only opens and closes windows, and never waits for `/proc`.
package final class ResourceSampler: Sendable {
    /// Time between two readings of an open window.
    let interval: Duration
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    private struct State {
        var windows: [UUID: (agent: AgentFinder.Agent, window: ResourceWindow)] = [:]
        var sleeping = false
        var started = false
    }

    /// - Parameter rate: readings per second of each open window (`resources.rate`, 20 by default).
    package init(rate: Double = 20) {
        interval = .nanoseconds(Int64(1e9 / max(0.1, rate)))
    }

    /// Opens a window for the tool calls of one response (logged at `start`), on `agent`'s tree; false when the
    /// agent is gone.
    @discardableResult
    func open(_ key: UUID, agent: AgentFinder.Agent, start: Date) -> Bool {
        guard let first = TreeReading.read(root: agent.pid, startTicks: agent.startTicks) else { return false }
        let (start, wakeUp) = state.withLock { state -> (Bool, Bool) in
            state.windows[key] = (agent, ResourceWindow(start: start, first: first))
            defer {
                state.started = true
                state.sleeping = false
            }
            return (!state.started, state.sleeping)
        }
        if start {
            let thread = Thread { [self] in sample() }
            thread.name = "agenttail.resources"
            thread.start()
        } else if wakeUp {
            wake.signal()
        }
        return true
    }

    /// The window's figures up to `end` (when a tool's result was written), with one more reading taken now;
    /// the window stays open (other calls of the response still run).
    func figures(_ key: UUID, until end: Date?) -> ToolResources? {
        guard let agent = state.withLock({ $0.windows[key]?.agent }) else { return nil }
        let reading = TreeReading.read(root: agent.pid, startTicks: agent.startTicks)
        let now = Date()
        return state.withLock { state in
            guard var entry = state.windows[key] else { return nil }
            if let reading { entry.window.add(reading, at: now) }
            state.windows[key] = entry
            return entry.window.figures(until: end)
        }
    }

    /// Closes the window: its figures up to `end`, with one last reading; nil when nothing was measured.
    func close(_ key: UUID, until end: Date?) -> ToolResources? {
        let figures = figures(key, until: end)
        _ = state.withLock { $0.windows.removeValue(forKey: key) }
        return figures
    }

    private func sample() {
        while true {
            let open = state.withLock { state -> [(UUID, AgentFinder.Agent)] in
                if state.windows.isEmpty { state.sleeping = true }
                return state.windows.map { ($0.key, $0.value.agent) }
            }
            if open.isEmpty {
                wake.wait()
                continue
            }
            // One reading per agent, shared by its windows.
            var readings: [Int32: TreeReading?] = [:]
            for (_, agent) in open where readings[agent.pid] == nil {
                readings[agent.pid] = TreeReading.read(root: agent.pid, startTicks: agent.startTicks)
            }
            let now = Date()
            state.withLock { state in
                for (key, agent) in open {
                    guard let reading = readings[agent.pid] ?? nil, var entry = state.windows[key] else { continue }
                    entry.window.add(reading, at: now)
                    state.windows[key] = entry
                }
            }
            Thread.sleep(forTimeInterval: interval.seconds)
        }
    }
}
