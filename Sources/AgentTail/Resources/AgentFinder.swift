import Foundation

/// Finds the agent process that writes a log file: the process holding the file open for writing, or else the
/// newest process whose command line matches the source's `process.command` and that started before the file
/// appeared.
struct AgentFinder {
    /// A process, known by its id and start (a pid alone can be reused).
    struct Agent: Equatable, Sendable {
        var pid: Int32
        var startTicks: Int64
    }

    /// How the agent was found, for the log.
    enum Way: Equatable {
        case writer
        case command(String)
    }

    /// Part of the agent's command line (`process.command`), when the source gives one.
    let command: String?

    /// The agent writing `path`, first seen by agenttail at `firstSeen`.
    func agent(writing path: String, firstSeen: Date) -> (Agent, Way)? {
        for pid in ProcFS.writers(of: path) where pid != getpid() {
            if let stat = ProcFS.stat(pid) { return (Agent(pid: pid, startTicks: stat.startTicks), .writer) }
        }
        guard let command, !command.isEmpty else { return nil }
        var best: (agent: Agent, started: Double)?
        // A second of slack: the file's first sight and the process's start are measured in different ticks.
        let latest = firstSeen.timeIntervalSince1970 + 1
        for pid in ProcFS.processes() where pid != getpid() {
            guard let line = ProcFS.commandLine(pid), line.contains(command), let stat = ProcFS.stat(pid) else {
                continue
            }
            let started = ProcFS.startTime(ticks: stat.startTicks)
            guard started <= latest, started > best?.started ?? -.infinity else { continue }
            best = (Agent(pid: pid, startTicks: stat.startTicks), started)
        }
        return best.map { ($0.agent, .command(command)) }
    }
}
