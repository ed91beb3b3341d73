import AgentTail
import Logging
import MCP

/// The MCP server of `agenttail mcp`: the record tools, over whichever transport it is started on.
package struct RecordServer: Sendable {
    private let tools: RecordTools
    private let logger: Logger

    package init(storePath: String, baselineSeconds: Double, logger: Logger) {
        tools = RecordTools(storePath: storePath, baselineSeconds: baselineSeconds)
        self.logger = logger
    }

    /// A new server with the tools' handlers (one per client: the protocol's state is a connection's).
    func make() async -> Server {
        let server = Server(
            name: "agenttail", version: AgentTail.version, title: "agenttail",
            instructions: """
                agenttail records the runs of AI coding agents (sessions, LLM calls, tool runs, errors, cost). Ask \
                it about past runs: report for a period's figures, anomalies and problems; list_sessions to find \
                runs; get_session for one run step by step; search_errors for an error's pattern and cases; \
                tool_stats for one tool. Everything is read-only.
                """,
            capabilities: Server.Capabilities(tools: Server.Capabilities.Tools(listChanged: false)))
        let tools = self.tools
        let logger = self.logger
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: RecordToolCatalog.all) }
        await server.withMethodHandler(CallTool.self) { parameters in
            logger.debug("tool call", metadata: ["tool": "\(parameters.name)"])
            return try await tools.call(parameters)
        }
        return server
    }

    /// Serves one client on standard input and output until the input ends.
    package func serveStandardIO() async throws {
        let server = await make()
        try await server.start(transport: LineTransport(logger: logger))
        await server.waitUntilCompleted()
        await server.stop()
    }
}
