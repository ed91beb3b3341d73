import Foundation
import Logging

/// Gives the tool runs of files followed live what they used: when a response that calls tools is read, a window
/// opens on the agent's process tree; when a tool's result is read, the tool row gets the window's figures.
///
/// Owned by one `SourceTailer`, on the ingest thread; the readings themselves are taken by the `ResourceSampler`'s
/// thread. A row read from a backlog, or whose agent cannot be found, keeps null figures: never a guess.
final class ToolResourceTracker {
    private let finder: AgentFinder
    private let sampler: ResourceSampler
    private var logger: Logger
    /// The agent of each file, once looked for (nil when none was found).
    private var agents: [String: AgentFinder.Agent?] = [:]
    /// Open windows by the response's call id: how many tools it called, how many results came.
    private var windows: [UUID: (calls: Int, results: Int)] = [:]
    /// Responses whose window was closed, so that a later version of their row does not open another.
    private var closed: [UUID] = []
    private var toldWay = false

    init(command: String?, sampler: ResourceSampler, logger: Logger) {
        finder = AgentFinder(command: command)
        self.sampler = sampler
        self.logger = logger
    }

    /// Looks at the rows one read added (from `start`): opens windows for responses that call tools (when the file
    /// is followed live), and fills in the figures of tool rows whose window is open.
    func observe(_ rows: inout [NormalizedRow], from start: Int, file: TrackedFile, live: Bool) {
        guard start < rows.count else { return }
        for index in start..<rows.count {
            switch rows[index].table {
            case .llmCalls where live:
                open(for: rows[index], file: file)
            case .toolExecutions:
                if let figures = fill(&rows[index]) { file.parser.addToolResources(figures) }
            default:
                continue
            }
        }
    }

    private func open(for call: NormalizedRow, file: TrackedFile) {
        guard case .int(let calls) = call["tool_call_count"], calls > 0, windows[call.id] == nil,
            !closed.contains(call.id), let agent = agent(of: file)
        else { return }
        // The window starts when the response that calls the tools was logged.
        guard case .timestamp(let logged) = call["ended_at"] else { return }
        if sampler.open(call.id, agent: agent, start: logged) { windows[call.id] = (calls, 0) }
    }

    /// Sets the figures of a tool row whose window is open; returns them.
    private func fill(_ row: inout NormalizedRow) -> ToolResources? {
        guard case .uuid(let call) = row["llm_call_id"], var window = windows[call] else { return nil }
        window.results += 1
        // Readings taken after the result was written may hold the agent's next step.
        var end: Date?
        if case .timestamp(let ended) = row["ended_at"] { end = ended }
        let figures: ToolResources?
        if window.results >= window.calls {
            figures = sampler.close(call, until: end)
            windows[call] = nil
            closed.append(call)
            if closed.count > 64 { closed.removeFirst(closed.count - 64) }
        } else {
            figures = sampler.figures(call, until: end)
            windows[call] = window
        }
        guard var figures else { return nil }
        logger.debug(
            "tool run measured",
            metadata: [
                "tool": "\(row.text("tool_name") ?? "")", "peak_rss_bytes": "\(figures.peakRSSBytes)",
                "cpu_ms": "\(figures.cpuMs)", "max_processes": "\(figures.maxProcesses)",
            ])
        figures.shared = window.calls > 1
        figures.lastOfWindow = window.results >= window.calls
        row.setResources(figures)
        return figures
    }

    /// The agent writing the file, looked for once per file; the way it was found (or that it was not) is told once
    /// per source.
    private func agent(of file: TrackedFile) -> AgentFinder.Agent? {
        let key = file.checkpoint.fileKey
        if let known = agents[key] { return known }
        let found = finder.agent(writing: file.checkpoint.path, firstSeen: file.firstSeen)
        agents[key] = .some(found?.0)
        if !toldWay {
            toldWay = true
            switch found?.1 {
            case .writer:
                logger.info(
                    "measuring tool runs: the agent is the process writing the log",
                    metadata: ["agent.pid": "\(found!.0.pid)"])
            case .command(let command):
                logger.info(
                    "measuring tool runs: the agent is the newest process matching process.command that started before the log",
                    metadata: ["agent.pid": "\(found!.0.pid)", "process.command": "\(command)"])
            case nil:
                let matching = finder.command.map { " and none matching '\($0)' started before it" } ?? ""
                logger.notice(
                    """
                    tool runs get no memory or CPU figures: no process holds the log open for writing\(matching); \
                    set the source's process.command to part of the agent's command line, and run agenttail as the \
                    agent's user (or with CAP_SYS_PTRACE)
                    """,
                    metadata: ["file.path": "\(file.checkpoint.path)"])
            }
        }
        return found?.0
    }
}

extension NormalizedRow {
    /// Sets the resource columns of a tool row, and marks in its metadata figures shared by parallel calls.
    mutating func setResources(_ figures: ToolResources) {
        set("peak_rss_bytes", .int(Int(figures.peakRSSBytes)))
        set("cpu_ms", .int(figures.cpuMs))
        set("max_processes", .int(figures.maxProcesses))
        set("io_read_bytes", figures.ioReadBytes.map { .int(Int($0)) } ?? .null)
        set("io_write_bytes", figures.ioWriteBytes.map { .int(Int($0)) } ?? .null)
        if figures.shared, case .json(let metadata) = self["metadata"], metadata.hasPrefix("{") {
            let rest = metadata.dropFirst().drop { $0 == " " }
            set("metadata", .json("{\"resources_shared\":true" + (rest.hasPrefix("}") ? "" : ",") + rest))
        }
    }
}
