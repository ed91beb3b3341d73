/// The facts of a run that every event of it carries to tracing backends, which filter and aggregate events rather
/// than runs: the agent, the host and where the work happened.
package struct TraceContext: Sendable, Equatable {
    package var agent: String
    package var host: String
    package var workspace: String?
    package var gitBranch: String?
    package var agentVersion: String?

    package init(agent: String, host: String, workspace: String? = nil, gitBranch: String? = nil, agentVersion: String? = nil) {
        self.agent = agent
        self.host = host
        self.workspace = workspace
        self.gitBranch = gitBranch
        self.agentVersion = agentVersion
    }

    /// The facts by the names the session row's columns have.
    package var fields: [(name: String, value: String)] {
        var fields = [("agent", agent), ("host", host)]
        if let workspace { fields.append(("workspace", workspace)) }
        if let gitBranch { fields.append(("git_branch", gitBranch)) }
        if let agentVersion { fields.append(("agent_version", agentVersion)) }
        return fields
    }
}
